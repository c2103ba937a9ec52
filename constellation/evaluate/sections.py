"""What every `constellation evaluate` section takes and returns, and the plain tables they print.

    EvaluationInput (frames, loaded once by the caller) ─► section function ─► Section | None

The caller (the CLI, a test, a notebook) reads the snapshot, the reference sets and the synthetic Hub, so a
section only computes: it never reads a crawl or starts a generator.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from constellation.evaluate.card_parents import CardParentsSet
from constellation.evaluate.lineage import DEFAULT_HIDE_SHARE, DEFAULT_SEED, SyntheticSnapshot
from constellation.genealogy.inferred import DEFAULT_MIN_CONFIDENCE


@dataclass(frozen=True)
class EvaluationInput:
    models: pd.DataFrame  # a snapshot frame (SNAPSHOT_SCHEMA columns)
    snapshot_id: str | None = None
    hide_share: float = DEFAULT_HIDE_SHARE
    seed: int = DEFAULT_SEED
    threshold: float = DEFAULT_MIN_CONFIDENCE
    shared_data: Path | None = None  # ../shared/data: the params section reads true counts there
    # The reference sets of `shared_data` as snapshot frames, by name (crawler.importer.load_reference_snapshots)
    references: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    synthetic: SyntheticSnapshot | None = None  # a synthetic Hub to score on as well (constellation.demo)
    # model-atlas-card-parents as frames (crawler.importer.load_card_parents + card_parents_snapshot)
    card_parents: CardParentsSet | None = None


@dataclass
class Section:
    name: str  # key in the JSON output
    title: str
    result: dict[str, Any]
    text: str  # readable tables


SectionFunction = Callable[[EvaluationInput], Section | None]


def format_value(value: Any) -> str:
    """A table cell: floats to three decimals, missing values as a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def table(frame: pd.DataFrame) -> str:
    """A plain fixed-width table (no index)."""
    if frame.empty:
        return "(no rows)"
    return frame.map(format_value).to_string(index=False)
