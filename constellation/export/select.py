"""Exports, the pure half: which models and edges leave the atlas, and as what values.

    AtlasTables ─► select(filters) ─► Selection ─► export_writers.write_export ─► files

Filters apply to models (nodes); an edge is kept only when both of its ends are kept. A declared parent
that is not in the snapshot at all (an "external" parent, e.g. a gated base model the crawl did not
list) is not filtered: it is kept as a node flagged `external` whenever an edge to a kept model needs it.

Graph formats (GraphML, GEXF, node-link JSON) accept few value types, so `graph_values` turns every
column into plain Python values: int, float, bool or str. Lists and structs become JSON text, timestamps
ISO 8601 strings, and nulls are omitted (an attribute is absent rather than "None" or NaN). Text bound
for XML is passed through `xml_safe`, because a model name may carry characters XML 1.0 cannot hold.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from constellation.contract import EDGE_COLUMNS, EDGE_KINDS
from constellation.errors import ExportError
from constellation.store import AtlasTables, restore_integers

ExportFormat = Literal["csv", "parquet", "graphml", "gexf", "json"]
EXPORT_FORMATS: tuple[str, ...] = get_args(ExportFormat)
TABLE_FORMATS: tuple[str, ...] = ("csv", "parquet")  # models and edges as two files in a folder
GRAPH_FORMATS: tuple[str, ...] = ("graphml", "gexf", "json")  # one file: a directed multigraph

# The value types every graph format accepts, named as GraphML and GEXF name them.
AttrType = Literal["long", "double", "boolean", "string"]

# Columns of models.parquet that are the node's identity, not one of its attributes.
NODE_ID = "id"
EXTERNAL = "external"


# --------------------------------------------------------------------------------------------------
# Selection
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFilters:
    """Which models to export. Values within one filter are alternatives (OR); filters combine with AND."""

    communities: tuple[int, ...] = ()
    families: tuple[str, ...] = ()
    min_downloads: int | None = None  # a model whose downloads are unknown does not meet a minimum
    edge_kinds: tuple[str, ...] = EDGE_KINDS  # which kinds of edge to export at all

    def __post_init__(self) -> None:
        unknown = sorted(set(self.edge_kinds) - set(EDGE_KINDS))
        if unknown:
            raise ExportError(f"unknown edge kind(s) {unknown}; choose from {list(EDGE_KINDS)}")
        if self.min_downloads is not None and self.min_downloads < 0:
            raise ExportError(f"--min-downloads must be 0 or more, got {self.min_downloads}")

    def describe(self) -> str:
        parts = []
        if self.communities:
            parts.append("community " + " or ".join(str(c) for c in self.communities))
        if self.families:
            parts.append("family " + " or ".join(self.families))
        if self.min_downloads is not None:
            parts.append(f"downloads >= {self.min_downloads:,}")
        return " and ".join(parts) if parts else "all models"


@dataclass
class Selection:
    """The models and edges one export writes, with the counts of what the filters left out."""

    snapshot_id: str
    models: pd.DataFrame  # rows of models.parquet, every column, in atlas order
    edges: pd.DataFrame  # EDGE_COLUMNS plus `key` (a stable edge id, "e0", "e1", ...)
    external: list[str]  # ids of parents outside the snapshot that kept edges point from, sorted
    build: dict[str, Any] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)


def select(tables: AtlasTables, filters: ExportFilters | None = None) -> Selection:
    """The models that pass `filters`, and the edges whose two ends are both kept (or external)."""
    filters = filters or ExportFilters()
    models = tables.models
    if NODE_ID not in models.columns:
        raise ExportError(f"atlas {tables.snapshot_id} has no `{NODE_ID}` column in its models; rebuild it")
    keep = _model_mask(models, filters)
    chosen = restore_integers(models.loc[keep].reset_index(drop=True))
    if chosen.empty:
        raise ExportError(
            f"no model of atlas {tables.snapshot_id} matches {filters.describe()} "
            f"(the atlas holds {len(models):,} models); loosen the filters"
        )

    edges = tables.edges.reindex(columns=list(EDGE_COLUMNS))
    by_kind = edges["kind"].isin(list(filters.edge_kinds))
    edges = edges.loc[by_kind]
    everything = bool(keep.all())
    in_atlas = _id_set(models[NODE_ID])
    kept_ids = in_atlas if everything else _id_set(chosen[NODE_ID])
    source_in_atlas, source_kept = _membership(edges["source"], in_atlas, kept_ids, everything)
    target_in_atlas, target_kept = _membership(edges["target"], in_atlas, kept_ids, everything)
    both = (source_kept | ~source_in_atlas) & (target_kept | ~target_in_atlas) & (source_kept | target_kept)
    dropped = edges.loc[~both]
    kept = edges.loc[both].reset_index(drop=True)
    kept.insert(0, "key", _edge_keys(len(kept)))
    outside = pd.concat(
        [kept["source"][~source_in_atlas[both]], kept["target"][~target_in_atlas[both]]], ignore_index=True
    )
    external = sorted(set(outside.dropna().tolist()))

    report = {
        "filters": filters.describe(),
        "models_in_atlas": int(len(models)),
        "models": int(len(chosen)),
        "external_parents": len(external),
        "edges_in_atlas": int(len(tables.edges)),
        "edges_of_other_kinds": int((~by_kind).sum()),
        "edges": int(len(kept)),
        "edges_by_kind": {str(k): int(v) for k, v in kept["kind"].value_counts().sort_index().items()},
        "edges_dropped_by_filter": int(len(dropped)),
        "edges_dropped_by_kind": {str(k): int(v) for k, v in dropped["kind"].value_counts().sort_index().items()},
    }
    return Selection(tables.snapshot_id, chosen, kept, external, dict(tables.build), report)


def _id_set(ids: pd.Series) -> pa.Array:
    return pa.array(ids, type=pa.large_string(), from_pandas=True)


def _membership(
    ends: pd.Series, in_atlas: pa.Array, kept_ids: pa.Array, everything: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Which edge ends are models of the atlas, and which are kept models. Arrow's hash lookup, not pandas'
    `isin`: on millions of edges pandas hashes each Python string again (docs/benchmarks.md, exports).
    When every model is kept (a whole-atlas export) the two answers are one lookup."""
    values = pa.array(ends, type=pa.large_string(), from_pandas=True)
    in_atlas_mask = pc.is_in(values, value_set=in_atlas).to_numpy(zero_copy_only=False)
    kept = in_atlas_mask if everything else pc.is_in(values, value_set=kept_ids).to_numpy(zero_copy_only=False)
    return in_atlas_mask, kept


def _edge_keys(count: int) -> np.ndarray:
    """Stable edge ids "e0", "e1", ... (multigraph keys), built by numpy instead of a Python loop."""
    return np.char.add("e", np.arange(count).astype(str)).astype(object)


def _model_mask(models: pd.DataFrame, filters: ExportFilters) -> pd.Series:
    keep = pd.Series(True, index=models.index)
    if filters.communities:
        column = _required(models, "community", "--community")
        _check_known("community", filters.communities, column)
        keep &= column.isin(list(filters.communities))
    if filters.families:
        column = _required(models, "family", "--family")
        _check_known("family", filters.families, column)
        keep &= column.isin(list(filters.families))
    if filters.min_downloads is not None:
        column = _required(models, "downloads", "--min-downloads")
        keep &= column.fillna(-1) >= filters.min_downloads
    return keep


def _required(models: pd.DataFrame, column: str, option: str) -> pd.Series:
    if column not in models.columns:
        raise ExportError(f"this atlas has no `{column}` column, so {option} cannot apply; rebuild the atlas")
    return models[column]


def _check_known(what: str, wanted: Sequence[Any], column: pd.Series) -> None:
    """Every requested value must exist: a typo should not silently shrink the export."""
    known = set(column.dropna().tolist())
    unknown = [v for v in wanted if v not in known]
    if unknown:
        sample = ", ".join(str(v) for v in sorted(known, key=str)[:10])
        raise ExportError(
            f"no {what} {', '.join(map(str, unknown))} in this atlas ({len(known):,} {what} values, e.g. {sample})"
        )


# --------------------------------------------------------------------------------------------------
# Values for the files
# --------------------------------------------------------------------------------------------------

# XML 1.0 allows tab, newline, carriage return and everything from U+0020 except lone surrogates and
# U+FFFE/U+FFFF. Anything else cannot be written even as a character reference.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
REPLACEMENT = "\ufffd"


def xml_safe(text: str) -> str:
    """`text` with every character XML 1.0 cannot hold replaced by U+FFFD."""
    return _XML_ILLEGAL.sub(REPLACEMENT, text)


def attribute_type(column: pd.Series) -> AttrType:
    """The graph-format type of a column: integers are `long` (params exceed 2**31), floats `double`."""
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "long"
    if pd.api.types.is_float_dtype(dtype):
        return "double"
    return "string"


def attribute_types(frame: pd.DataFrame, exclude: Sequence[str] = ()) -> dict[str, AttrType]:
    return {name: attribute_type(frame[name]) for name in frame.columns if name not in exclude}


def plain(value: Any) -> Any:
    """A JSON-ready copy of a cell: numpy arrays and scalars become lists and Python scalars."""
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return value


def _is_nested(value: Any) -> bool:
    return isinstance(value, (np.ndarray, list, tuple, dict))


def _text(value: Any) -> str:
    if _is_nested(value):
        return json.dumps(plain(value), ensure_ascii=False)
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        return pd.Timestamp(value).isoformat()
    return str(value)


def graph_values(column: pd.Series, kind: AttrType, *, xml: bool) -> list[Any]:
    """The cells of `column` as values of `kind`, None where the cell is null (the writer omits it)."""
    cells = column.astype(object).tolist()
    missing = _missing_mask(column)
    if kind == "long":
        convert: Any = int
    elif kind == "double":
        # Infinity has no spelling in JSON and none Gephi reads back: treat it as unknown, like NaN.
        return [None if gone or not np.isfinite(v) else float(v) for v, gone in zip(cells, missing, strict=True)]
    elif kind == "boolean":
        convert = bool
    else:
        convert = (lambda v: xml_safe(_text(v))) if xml else _text
    return [None if gone else convert(v) for v, gone in zip(cells, missing, strict=True)]


def _missing_mask(column: pd.Series) -> list[bool]:
    if column.dtype == object:
        # isna on a list cell would compare elementwise; only scalars can be null here.
        return [(not _is_nested(v)) and bool(pd.isna(v)) for v in column.tolist()]
    return column.isna().tolist()


def table_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` ready for CSV: list and struct cells become JSON text, everything else is left as is."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if column.dtype == object and any(_is_nested(v) for v in column.head(1000).tolist() + _sample_tail(column)):
            out[name] = [None if v is None or (not _is_nested(v) and pd.isna(v)) else _text(v) for v in column]
    return out


def _sample_tail(column: pd.Series) -> list[Any]:
    # A column may be null for the first thousand rows and nested afterwards; look at its first non-null.
    valid = column.first_valid_index()
    return [] if valid is None else [column.loc[valid]]


def node_records(
    models: pd.DataFrame, types: dict[str, AttrType], *, xml: bool, chunk_rows: int = 50_000
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(id, attributes) for each model, converted a chunk at a time; null attributes are left out."""
    for start in range(0, len(models), chunk_rows):
        chunk = models.iloc[start : start + chunk_rows]
        ids = [xml_safe(str(v)) if xml else str(v) for v in chunk[NODE_ID].tolist()]
        columns = {name: graph_values(chunk[name], kind, xml=xml) for name, kind in types.items()}
        for i, node_id in enumerate(ids):
            attrs = {name: values[i] for name, values in columns.items() if values[i] is not None}
            attrs[EXTERNAL] = False
            yield node_id, attrs


def external_records(external: Sequence[str], *, xml: bool) -> Iterator[tuple[str, dict[str, Any]]]:
    for node_id in external:
        yield (xml_safe(node_id) if xml else node_id), {EXTERNAL: True}


EDGE_ATTRIBUTES: dict[str, AttrType] = {
    "kind": "string",
    "relation": "string",
    "confidence": "double",
    "weight": "double",
    "evidence": "string",
}


def edge_records(
    edges: pd.DataFrame, *, xml: bool, chunk_rows: int = 200_000
) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(key, source, target, attributes) for each edge; null attributes are left out."""
    for start in range(0, len(edges), chunk_rows):
        chunk = edges.iloc[start : start + chunk_rows]
        ends = {
            name: [xml_safe(str(v)) if xml else str(v) for v in chunk[name].tolist()] for name in ("source", "target")
        }
        keys = chunk["key"].tolist()
        columns = {name: graph_values(chunk[name], kind, xml=xml) for name, kind in EDGE_ATTRIBUTES.items()}
        for i, key in enumerate(keys):
            attrs = {name: values[i] for name, values in columns.items() if values[i] is not None}
            yield key, ends["source"][i], ends["target"][i], attrs
