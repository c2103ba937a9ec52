"""What the synthetic Hub's builder (synthetic.py) and its renderer (synthetic_fields.py) share: the kinds
of record, the synthetic marker and fixed dates, the result type, and small vectorised string helpers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

# Middle bytes of every synthetic `_id` and the first 8 hex digits of every `sha`: "fa4ec0de" ("fake code").
SYNTHETIC_ID_MARKER = "fa4ec0de"

# The Hub gives every repo created before its storage began this one createdAt [hub-api.md a.3].
LEGACY_CREATED_AT = "2022-03-02T23:29:04.000Z"

ANOMALY_KINDS: tuple[str, ...] = (
    "url_base_model",  # cardData.base_model is a URL; the Hub makes no tags from it
    "non_string_base_model",  # cardData.base_model is a number or a dict; no tags
    "duplicated_list",  # cardData.base_model lists one parent three times; tags name it once
    "unknown_relation",  # base_model_relation "distillation", also written into the relation tag
    "self_loop",  # the model names itself as its base model
    "cycle",  # the model names one of its own children as its base model (A -> B -> A)
    "missing_parent",  # the declared parent is not on the Hub (deleted or never existed)
    "hostile_license",  # HTML/script in the license name and tag
    "unicode_tags",  # non-ASCII user tags and license name
)

# Internal kinds of record
BASE, ORIGINAL, FINETUNE, ADAPTER, QUANTIZED, MERGE = range(6)

_EPOCH_DAY = np.datetime64("1970-01-01", "D")


@dataclass(frozen=True)
class SyntheticHub:
    """A synthetic Hub and the lineage truth behind it.

    frame: the raw Hub frame (columns are /api/models keys; see notes/fakehub-api.md §1).
    truth: one row per true (child, parent) edge, declared or not: `child`, `parent`, `relation`,
        `declared` (the edge is in the child's tags).
    """

    frame: pd.DataFrame
    truth: pd.DataFrame


def cat_strings(*parts: Any) -> np.ndarray:
    """Element-wise string concatenation of object arrays and scalars."""
    out = parts[0]
    for p in parts[1:]:
        out = np.add(out, p)
    return np.asarray(out, dtype=object)


def object_array(values: Iterable[str]) -> np.ndarray:
    """Strings as a numpy object array, ready to be indexed by row codes."""
    return np.array(list(values), dtype=object)


def day_number(date: str) -> float:
    """An ISO date as days since 1970-01-01, the builder's time axis."""
    return float((np.datetime64(date, "D") - _EPOCH_DAY).astype(np.int64))
