"""Parameter counts: the best estimate of every model's size, from metadata, name and parent.

`estimate_params(models, parent)` picks, for every model of a snapshot frame, the best estimate and says
where it came from: safetensors > gguf > name > base_model (the parent's estimate) > none. What a name
states is read by `constellation.names.params_from_name` (re-exported here): `Llama-2-7b` → 7B,
`Qwen3-30B-A3B` → 30B total, 3B active. Quantized repos often report their packed tensors (a 4-bit 7B
model shows 1.1B or 3.9B), so when the metadata of a quantized-looking repo (`is_quantized_repo`,
`quantized_rows`: the name's packed-weight markers and the quantized tags of `constellation.names`) is far
below what the name or the parent says, those win and the row is flagged.

Numbers and their origin (measured on ../shared/data, see docs/quality.md, "Parameters"):
- `_PACKED_RATIO`: metadata below 0.6 × the reference counts as packed. Unpacked counts sit within 0.75–1.4
  of the size names state (Llama-2-7b is 6.74B, Gemma-7b 8.54B); 4-bit packing stores 1/8 to 1/2 of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import reduce

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from constellation.arrow_strings import string_values
from constellation.errors import ParamsError
from constellation.genealogy.id_rows import first_rows
from constellation.genealogy.list_columns import ListColumns, base_model_lists
from constellation.genealogy.tag_lists import rows_with_tag, tag_lists
from constellation.names import (
    PACKED_WEIGHT_MARKER_RE2,
    QUANTIZED_TAG_PREFIXES,
    QUANTIZED_TAGS,
    SIZE_HINT_PATTERN,
    NameSize,
    has_packed_weight_marker,
    is_quantized_tag,
    params_from_name,
    read_sizes,
)

__all__ = [
    "PARAMS_SOURCES",
    "NameSize",
    "ParamsError",
    "estimate_params",
    "is_quantized_repo",
    "params_from_name",
    "quantized_rows",
]

PARAMS_SOURCES: tuple[str, ...] = ("safetensors", "gguf", "name", "base_model", "none")

_PACKED_RATIO = 0.6


# --------------------------------------------------------------------------------------------------
# Quantized repos
# --------------------------------------------------------------------------------------------------


def is_quantized_repo(
    name: str | None, tags: Iterable[object] | float | None = None, relation: str | None = None
) -> bool:
    """Whether a repo holds quantized weights, judged from its name, its tags and its declared relation."""
    if relation == "quantized":
        return True
    if isinstance(name, str) and has_packed_weight_marker(name):
        return True
    if tags is None or isinstance(tags, float):
        return False
    for tag in tags:
        if not isinstance(tag, str):
            continue
        if is_quantized_tag(tag):
            return True
    return False


# --------------------------------------------------------------------------------------------------
# Best estimate for a snapshot frame
# --------------------------------------------------------------------------------------------------


def _int_column(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="Int64")
    values = pd.to_numeric(frame[column], errors="coerce").astype("Float64")
    # 0 or a negative count is a broken record, not a size: unknown stays null, never 0.
    values = values.where(values > 0)
    return values.round().astype("Int64")


def _names(models: pd.DataFrame) -> pd.Series:
    if "name" in models.columns:
        names = models["name"].astype("string")
        if "id" in models.columns:
            names = names.fillna(models["id"].astype("string"))
        return names
    if "id" in models.columns:
        return models["id"].astype("string")
    raise ParamsError(
        f"estimate_params needs a 'name' or an 'id' column; got columns {list(models.columns)}. "
        "Pass a snapshot frame (constellation.contract.SNAPSHOT_COLUMNS)."
    )


def _name_sizes(names: pd.Series) -> tuple[pd.Series, pd.Series]:
    # Names repeat across owners (every re-upload of Llama-2-7b-hf): parse each distinct one once, and
    # only those with a digit followed by a unit letter (a vectorised RE2 test; most names have none).
    arrow = string_values(names.fillna(""))
    encoded = pc.dictionary_encode(pc.replace_substring_regex(arrow, pattern="^.*/", replacement=""))
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    uniques = encoded.dictionary
    maybe = np.flatnonzero(pc.match_substring_regex(uniques, SIZE_HINT_PATTERN).to_numpy(zero_copy_only=False))
    total = np.full(len(uniques), -1, dtype=np.int64)
    active = np.full(len(uniques), -1, dtype=np.int64)
    total[maybe], active[maybe] = read_sizes(uniques.take(pa.array(maybe, type=pa.int64())))
    return _nullable(total[codes], names.index), _nullable(active[codes], names.index)


def _nullable(values: np.ndarray, index: pd.Index) -> pd.Series:
    """Int64 Series from an int array where -1 marks unknown."""
    return pd.Series(pd.arrays.IntegerArray(np.maximum(values, 0), values < 0), index=index, dtype="Int64")


def _has_quantized_relation(parents: object) -> bool:
    if not isinstance(parents, (list, tuple, np.ndarray)):
        return False
    return any(isinstance(p, dict) and p.get("relation") == "quantized" for p in parents)


def _declares_quantized(base_models: pd.Series, lists: pa.ListArray | None) -> np.ndarray:
    """Whether each row declares a parent with relation "quantized"; in Arrow over the flattened records
    (`lists`: `base_model_lists(base_models)`) when the column is well typed (a Python test per row cost
    1.9 s at 1M models), else row by row."""
    if lists is None:
        return np.fromiter((_has_quantized_relation(b) for b in base_models), dtype=bool, count=len(base_models))
    records = lists.flatten()
    # struct_field is null under a null record (a None entry), which is no dict: not quantized.
    quantized = pc.fill_null(pc.equal(pc.struct_field(records, "relation"), "quantized"), False)
    flags = np.zeros(len(base_models), dtype=bool)
    flags[pc.list_parent_indices(lists).to_numpy()[quantized.to_numpy(zero_copy_only=False)]] = True
    return flags


def _tags_quantized(tags: pd.Series, lists: pa.ListArray | None) -> np.ndarray:
    """Whether any tag of each row marks quantization; vectorised over the flattened tag lists (`lists`:
    `tag_lists(tags)`)."""
    if lists is None:  # a non-string tag somewhere: check row by row
        as_lists = [v if isinstance(v, (list, tuple, np.ndarray)) else None for v in tags]
        return np.fromiter((is_quantized_repo(None, v) for v in as_lists), dtype=bool, count=len(as_lists))
    return rows_with_tag(lists, _quant_tag)


def _quant_tag(tags: pa.Array) -> pa.Array:
    exact = pc.is_in(tags, value_set=pa.array(sorted(QUANTIZED_TAGS)))
    prefixed = reduce(pc.or_, (pc.starts_with(tags, prefix) for prefix in QUANTIZED_TAG_PREFIXES))
    return pc.fill_null(pc.or_(exact, prefixed), False)


def quantized_rows(models: pd.DataFrame, lists: ListColumns | None = None) -> pd.Series:
    """Which rows of a snapshot frame hold quantized weights (name, tags or a declared quantized parent).
    `lists`: `list_columns(models)` when the caller has it already, else converted here."""
    if len(models) == 0:
        return pd.Series(False, index=models.index, dtype=bool)
    names = string_values(_names(models).fillna(""))
    flags = pc.match_substring_regex(names, PACKED_WEIGHT_MARKER_RE2, ignore_case=True).to_numpy(zero_copy_only=False)
    flags = np.asarray(flags, dtype=bool)
    if "tags" in models.columns:
        tags = models["tags"]
        flags |= _tags_quantized(tags, lists.tags if lists is not None else tag_lists(tags))
    if "base_models" in models.columns:
        base_models = models["base_models"]
        flags |= _declares_quantized(
            base_models, lists.base_models if lists is not None else base_model_lists(base_models)
        )
    return pd.Series(flags, index=models.index, dtype=bool)


def _fmt(n: int) -> str:
    for unit, scale in (("T", 10**12), ("B", 10**9), ("M", 10**6), ("K", 10**3)):
        if n >= scale:
            return f"{n / scale:.3g}{unit}"
    return str(n)


def _packed(meta: pd.Series, reference: pd.Series, quantized: pd.Series) -> pd.Series:
    """Rows whose metadata count is far below the reference in a quantized repo: packed tensors."""
    below = meta.astype("Float64") < _PACKED_RATIO * reference.astype("Float64")
    return (below.fillna(False) & quantized).astype(bool)


def _parent_params(ids: pd.Series, parent: pd.Series, own: pd.Series) -> pd.Series:
    """Each model's parent's estimate (own, else its parent's, ...), when the parent is in the frame."""
    # Positions of parents in the frame (first occurrence of a duplicated id), -1 when absent.
    position = first_rows(parent, ids)
    own_values = own.fillna(-1).to_numpy(dtype=np.int64)
    has_parent = position >= 0
    result = np.full(len(ids), -1, dtype=np.int64)
    # Chains (a quantization of a finetune of a base) resolve by repeating the lookup; real chains are
    # short, and a cycle just stops changing.
    estimate = own_values
    for _ in range(8):
        updated = np.where(has_parent, estimate[np.where(has_parent, position, 0)], -1)
        if np.array_equal(updated, result):
            break
        result = updated
        estimate = np.where(own_values >= 0, own_values, result)
    return _nullable(result, own.index)


def _usable_parent(parent: pd.Series) -> pd.Series:
    """Whether each parent value is a non-empty string."""
    if isinstance(parent.dtype, pd.StringDtype):  # the stage's parent column: vectorised
        usable = (parent.notna() & parent.ne("")).to_numpy(dtype=bool, na_value=False)
        return pd.Series(usable, index=parent.index)
    return parent.map(lambda v: isinstance(v, str) and v != "")


def estimate_params(
    models: pd.DataFrame, parent: pd.Series | None = None, lists: ListColumns | None = None
) -> pd.DataFrame:
    """The best parameter count of every model, its source, the name's size and the MoE active size.

    `models` holds snapshot columns (`id`, `name`, `tags`, `params_safetensors`, `params_gguf`, and
    optionally `base_models`); `parent` (aligned with `models.index`) the primary declared parent id of
    each model, or None; `lists` the list columns in Arrow (`list_columns(models)`), when the caller has
    them already. Returns a frame aligned with `models.index`:

    - params (Int64): metadata (safetensors, else gguf), else the name's size, else the parent's
      estimate; null when none is known, never 0;
    - params_source (str): safetensors | gguf | name | base_model | none;
    - params_from_name (Int64), active_params (Int64): what the name states;
    - params_flag (str or None): why the metadata was overruled (packed quantized weights), else None.
    """
    if not isinstance(models, pd.DataFrame):
        raise ParamsError(f"estimate_params takes a DataFrame of models, got {type(models).__name__}")
    index = models.index
    names = _names(models)
    from_name, active = _name_sizes(names)
    safetensors = _int_column(models, "params_safetensors")
    gguf = _int_column(models, "params_gguf")
    quantized = quantized_rows(models, lists)

    meta = safetensors.fillna(gguf)
    meta_source = pd.Series(np.where(safetensors.notna(), "safetensors", "gguf"), index=index, dtype=object)

    # Step 1: what the row itself says (metadata, unless packed against the name's size).
    packed_vs_name = _packed(meta, from_name, quantized)
    own = meta.where(~packed_vs_name, from_name).fillna(from_name)

    # Step 2: the parent's estimate, for rows that say nothing or whose metadata is packed.
    if parent is not None and "id" in models.columns and len(models):
        parent = pd.Series(parent, copy=False).reindex(index)
        parent = parent.where(_usable_parent(parent), None)
        parents = _parent_params(models["id"], parent, own)
    else:
        parents = pd.Series(pd.NA, index=index, dtype="Int64")
    packed_vs_parent = _packed(meta, parents, quantized) & from_name.isna()

    params = own.where(~packed_vs_parent, parents).fillna(parents)
    source = np.select(
        [
            packed_vs_name.to_numpy(),
            packed_vs_parent.to_numpy(),
            meta.notna().to_numpy(),
            from_name.notna().to_numpy(),
            parents.notna().to_numpy(),
        ],
        ["name", "base_model", meta_source.to_numpy(), "name", "base_model"],
        default="none",
    )

    flag = np.full(len(index), None, dtype=object)
    vs_name = packed_vs_name.to_numpy()
    flagged = np.flatnonzero(vs_name | packed_vs_parent.to_numpy())
    # Plain arrays for the loop (.iat on 145k flagged rows of 1M cost 0.6 s); flagged rows have both counts.
    meta_at = meta.to_numpy(dtype=np.int64, na_value=0)[flagged]
    reference_at = np.where(
        vs_name, from_name.to_numpy(dtype=np.int64, na_value=0), parents.to_numpy(dtype=np.int64, na_value=0)
    )[flagged]
    for i, source_of, count, reference in zip(flagged, meta_source.to_numpy()[flagged], meta_at, reference_at):
        said = "name" if vs_name[i] else "base model"
        flag[i] = (
            f"{source_of} total {_fmt(int(count))} disagrees with {said} "
            f"{_fmt(int(reference))} (packed quantized weights?)"
        )

    return pd.DataFrame(
        {
            "params": params.astype("Int64"),
            "params_source": pd.Series(source, index=index, dtype=object),
            "params_from_name": from_name,
            "active_params": active,
            "params_flag": pd.Series(flag, index=index, dtype=object),
        },
        index=index,
    )
