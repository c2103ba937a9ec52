"""Declared lineage: the parent → child edges that model authors state in `base_model` metadata.

    snapshot.base_models ─► validate entries ─► resolve ids ─► break cycles ─► primary parent per model
                               (rejected, with reason)  (externals)   (reported)    ─► family, depth, descendant counts

Scale: a full Hub crawl holds ~3M models and ~1.5M declared edges. Everything below is a dict lookup or a
numpy pass over arrays of node indices: strongly connected components (scipy) find cycles, pointer jumping
finds roots and depths, and a per-depth bincount sums descendants. No graph object is built.

Conventions (documented in docs/data.md and docs/quality.md):
- A model may declare several parents (a merge does). Its *primary* parent is the declared parent with the
  most downloads (a parent outside the snapshot counts as fewer than any inside it). `family`, `depth` and
  the descendant counts follow primary parents only, so each model sits on exactly one line and is counted
  once under each of its ancestors.
- A declared parent that the snapshot does not hold stays an external node: the edge is kept and may become
  a family root.
- Hub ids are case-insensitive; a declared parent id is resolved to the snapshot's spelling. When the
  snapshot holds ids that differ only in case, the exact spelling wins.
- An entry whose relation is missing (only the relation-less tag or cardData named the parent) gets the
  relation the Hub itself would give: "quantized" when the child's name marks a quantized format, else
  "finetune". Those are counted in the report.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from constellation.arrow_strings import string_values
from constellation.contract import LINEAGE_COLUMNS, RELATIONS
from constellation.genealogy.id_pairs import ascii_strings
from constellation.genealogy.id_rows import first_rows, last_rows, rows_among
from constellation.genealogy.list_columns import ListColumns, base_model_lists
from constellation.names import has_quantization_marker

# None as a 0-d object array: np.where's typed overloads take arrays, and the result is the same.
_NONE = np.array(None, dtype=object)

# How many examples of each problem the build report lists; the counts are always complete.
REPORT_EXAMPLES = 20

# Reasons a declared lineage value is kept out of the graph.
NOT_A_LIST = "base_models is not a list"
NOT_A_RECORD = "entry is not an {id, relation} record"
NOT_A_STRING = "parent id is not a string"
EMPTY_ID = "parent id is empty"
URL_ID = "parent id is a URL, not a Hub id"
BAD_CHARACTERS = "parent id has characters a Hub id cannot have"
UNKNOWN_RELATION = "unknown relation"
DUPLICATE = "duplicate entry"
REJECT_REASONS: tuple[str, ...] = (
    NOT_A_LIST,
    NOT_A_RECORD,
    NOT_A_STRING,
    EMPTY_ID,
    URL_ID,
    BAD_CHARACTERS,
    UNKNOWN_RELATION,
    DUPLICATE,
)

# Hub repo ids: an optional namespace and a name, each of [A-Za-z0-9_.-], at most 96 characters,
# no "--" or "..", not starting or ending with "-" or ".".
_PART = r"[A-Za-z0-9_](?:[A-Za-z0-9_.\-]{0,94}[A-Za-z0-9_])?"
_HUB_ID_RE = re.compile(rf"^(?:{_PART}/)?{_PART}$", re.ASCII)
_URL_RE = re.compile(r"^(?:https?://|www\.|huggingface\.co/|hf\.co/)", re.IGNORECASE)
# The same shape for pyarrow's RE2 engine (ASCII classes; `\z`: Python's `$` also matches before a final
# newline, which `classify_parent_id` strips first).
_HUB_ID_RE2 = rf"^(?:{_PART}/)?{_PART}\z"


@dataclass
class DeclaredLineage:
    """The declared lineage of a snapshot.

    `columns` is aligned with the snapshot's rows (contract.LINEAGE_COLUMNS). `edges` holds the kept edges
    (source, target, relation, external: whether the parent is outside the snapshot).
    """

    columns: pd.DataFrame
    edges: pd.DataFrame
    rejected: pd.DataFrame  # id (child), value (repr of the entry), reason
    report: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------
# Entries
# --------------------------------------------------------------------------------------------------


def _flatten_arrow(lists: pa.ListArray | None, ids: pd.Series) -> pd.DataFrame | None:
    """The fast path of flatten_entries, for a well-typed column (as read from a snapshot); None otherwise."""
    if lists is None:
        return None
    rows = pc.list_parent_indices(lists).to_numpy()
    starts = lists.offsets.to_numpy()[:-1]
    values = lists.flatten()
    at = pa.array(rows, type=pa.int64())
    children = string_values(ids).take(at) if isinstance(ids.dtype, pd.StringDtype) else None
    if children is None or children.null_count == len(children):
        children = ids.iloc[rows].to_numpy(dtype=object)
    return pd.DataFrame(
        {
            "child": _as_inferred(children) if isinstance(children, pa.Array) else children,
            "parent_raw": _as_inferred(values.field("id")),
            "relation_raw": _as_inferred(values.field("relation")),
            "position": (np.arange(len(rows)) - starts[rows]).astype(np.int64),
            "row": rows.astype(np.int64),
        }
    )


def _as_inferred(values: pa.Array) -> Any:
    """What a frame makes of `values` given as Python objects (`to_numpy`): when one of them is a string, the
    "str" dtype (NaN where missing), here over the Arrow buffers, without making 1M Python strings (0.6 s CPU
    at 3M models); else the objects."""
    text = pa.types.is_string(values.type) or pa.types.is_large_string(values.type)
    if text and values.null_count < len(values):
        return pd.arrays.ArrowStringArray(values, dtype=_STR)
    return values.to_numpy(zero_copy_only=False)


def flatten_entries(
    ids: pd.Series, base_models: pd.Series, lists: ListColumns | None = None
) -> tuple[pd.DataFrame, list[tuple[str, Any, str]]]:
    """One row per declared entry: child, parent_raw, relation_raw, position, row (the child's row). Entries
    that are not records are returned separately as (child, value, reason). `lists`: the column already in
    Arrow (`list_columns` of the same rows), else it is converted here."""
    fast = _flatten_arrow(lists.base_models if lists is not None else base_model_lists(base_models), ids)
    if fast is not None:
        return fast, []
    children: list[str] = []
    parents: list[Any] = []
    relations: list[Any] = []
    positions: list[int] = []
    rows: list[int] = []
    rejected: list[tuple[str, Any, str]] = []
    for row, (child, value) in enumerate(zip(ids.tolist(), base_models.tolist())):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
            rejected.append((child, value, NOT_A_LIST))
            continue
        for pos, entry in enumerate(value):
            if isinstance(entry, Mapping) and "id" in entry:
                children.append(child)
                parents.append(entry.get("id"))
                relations.append(entry.get("relation"))
                positions.append(pos)
                rows.append(row)
            else:
                rejected.append((child, entry, NOT_A_RECORD))
    frame = pd.DataFrame(
        {
            "child": pd.Series(children, dtype=object),
            "parent_raw": pd.Series(parents, dtype=object),
            "relation_raw": pd.Series(relations, dtype=object),
            "position": np.asarray(positions, dtype=np.int64),
            "row": np.asarray(rows, dtype=np.int64),
        }
    )
    return frame, rejected


def classify_parent_id(value: Any) -> str | None:
    """The reason a declared parent id is unusable, or None when it is a well-formed Hub id."""
    if not isinstance(value, str):
        return NOT_A_STRING
    text = value.strip()
    if not text:
        return EMPTY_ID
    if _URL_RE.match(text):
        return URL_ID
    if not _HUB_ID_RE.match(text) or "--" in text or ".." in text:
        return BAD_CHARACTERS
    return None


def _well_formed(values: np.ndarray) -> np.ndarray:
    """Whether each value is a string that `classify_parent_id` accepts as it is (no surrounding whitespace to
    strip). False only means "ask classify_parent_id"."""
    if not all(t is str for t in set(map(type, values.tolist()))):
        return np.zeros(len(values), dtype=bool)
    texts = pa.array(values, type=pa.large_string())
    shaped = pc.match_substring_regex(texts, _HUB_ID_RE2)
    clean = pc.invert(pc.or_(pc.match_substring(texts, "--"), pc.match_substring(texts, "..")))
    not_url = pc.invert(pc.match_substring_regex(texts, _URL_RE.pattern, ignore_case=True))
    return np.asarray(pc.and_(pc.and_(shaped, clean), not_url).to_numpy(zero_copy_only=False), dtype=bool)


def _id_reasons(parent_ids: pd.Series) -> pd.Series:
    """classify_parent_id of each value, called once per distinct value (children share parents: 120k
    distinct among 365k entries at 1M models)."""
    try:
        codes, distinct = pd.factorize(parent_ids.to_numpy(dtype=object))
    except TypeError:  # an unhashable value (a list where an id belongs)
        return parent_ids.map(classify_parent_id)
    # Code -1 is a missing value (None, NaN): not a string.
    reasons = np.full(len(distinct) + 1, None, dtype=object)
    reasons[-1] = NOT_A_STRING
    # Well-formed ids, the common case, are recognised in RE2 over the distinct values; only the others are
    # classified one by one.
    odd = np.flatnonzero(~_well_formed(distinct))
    reasons[odd] = [classify_parent_id(v) for v in distinct[odd].tolist()]
    # Built as Series.map builds its result, so the inferred dtype is the same.
    return pd.Series(reasons[codes], index=parent_ids.index)


def validate_entries(entries: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split entries into valid ones (child, parent, relation or None, position, row) and rejected ones
    (id, value, reason). Exact duplicates of an entry are rejected; an entry without relation is dropped
    silently when the same parent is also declared with one (the Hub writes both tags)."""
    id_reason = _id_reasons(entries["parent_raw"])
    relation = entries["relation_raw"]
    known_relation = relation.isna() | relation.isin(RELATIONS)
    rel_reason = pd.Series(np.where(known_relation.to_numpy(dtype=bool), _NONE, UNKNOWN_RELATION), index=entries.index)
    reason = id_reason.where(id_reason.notna(), rel_reason)
    bad = reason.notna()
    rejected = pd.DataFrame(
        {
            "id": entries.loc[bad, "child"],
            "value": [
                repr({"id": p, "relation": r})
                for p, r in zip(entries.loc[bad, "parent_raw"], entries.loc[bad, "relation_raw"])
            ],
            "reason": reason[bad],
        }
    )
    good = entries.loc[~bad].copy()
    good["parent"] = good["parent_raw"].astype(str).str.strip()
    good["relation"] = good["relation_raw"].where(good["relation_raw"].notna(), None)
    good["parent_key"] = good["parent"].str.lower()

    # Each (child, parent) pair as one integer, the strings hashed in Arrow: pandas' duplicated and groupby over
    # the three object columns hashed 1M Python strings each time (1.5 s CPU at 3M models).
    pair = pd.factorize(_codes(good["child"]) * np.int64(len(good) + 1) + _codes(good["parent_key"]))[0]
    relation_code = _codes(good["relation"])
    dup = pd.Series(pair * np.int64(len(good) + 1) + relation_code).duplicated(keep="first").to_numpy()
    dup_rows = good.loc[dup]
    rejected = pd.concat(
        [
            rejected,
            pd.DataFrame(
                {
                    "id": dup_rows["child"],
                    "value": [repr({"id": p, "relation": r}) for p, r in zip(dup_rows["parent"], dup_rows["relation"])],
                    "reason": DUPLICATE,
                }
            ),
        ],
        ignore_index=True,
    )
    pair = pair[~dup]
    # Same parent with and without a relation: the relation-less twin adds nothing.
    has_relation = good["relation"].notna().to_numpy(dtype=bool)[~dup]
    pair_has_relation = np.bincount(pair, weights=has_relation, minlength=1)[pair] > 0
    kept = has_relation | ~pair_has_relation
    # Same parent under two different relations: keep the first declared.
    kept[kept] = ~pd.Series(pair[kept]).duplicated(keep="first").to_numpy()
    good = good.loc[~dup].loc[kept]
    return good[["child", "parent", "parent_key", "relation", "position", "row"]].reset_index(drop=True), rejected


def _codes(values: pd.Series) -> np.ndarray:
    """A code per value, equal for equal values (missing ones too), hashed in Arrow when the values are strings."""
    try:
        strings = string_values(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # not one Arrow type (ids of mixed kinds): hashed in pandas
        return pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=False)[0].astype(np.int64)
    encoded = pc.dictionary_encode(strings, null_encoding="encode")
    return np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)


# --------------------------------------------------------------------------------------------------
# Graph passes over node indices
# --------------------------------------------------------------------------------------------------


def break_cycles(src: np.ndarray, dst: np.ndarray, order_key: np.ndarray, n_nodes: int) -> np.ndarray:
    """A mask of the edges to keep so that the graph has no cycle.

    Cycles live inside strongly connected components. Inside each, nodes are ranked by `order_key`
    (creation time, then popularity): an edge is kept only when it runs from a lower rank to a higher one,
    i.e. a parent must be older than its child. Edges between components never form a cycle.
    """
    keep = np.ones(len(src), dtype=bool)
    if len(src) == 0:
        return keep
    keep &= src != dst
    graph = csr_matrix((np.ones(int(keep.sum()), dtype=np.int8), (src[keep], dst[keep])), shape=(n_nodes, n_nodes))
    n_comp, labels = connected_components(graph, directed=True, connection="strong")
    if n_comp == n_nodes:
        return keep
    intra = keep & (labels[src] == labels[dst])
    keep[intra] = order_key[src[intra]] < order_key[dst[intra]]
    return keep


def ancestry(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Root and depth of every node of a forest given as parent indices (-1 for a root).

    Pointer jumping: each pass doubles the distance every node has climbed, so a forest of depth d
    takes log2(d) vectorised passes.
    """
    n = len(parent)
    anc = np.where(parent >= 0, parent, np.arange(n))
    dist = (parent >= 0).astype(np.int32)
    for _ in range(64):
        nxt = anc[anc]
        if np.array_equal(nxt, anc):
            return anc, dist
        dist = dist + dist[anc]
        anc = nxt
    raise RuntimeError("primary-parent graph still has a cycle after cycle breaking")  # a bug, not user input


def descendant_counts(parent: np.ndarray, depth: np.ndarray, own: np.ndarray) -> np.ndarray:
    """Per node, the number of descendants whose own edge has each relation.

    `own` is (n_nodes, n_relations) with a 1 where a node's edge to its parent has that relation. Levels
    are summed bottom-up, one bincount per level and relation.
    """
    n, k = own.shape
    below = np.zeros((n, k), dtype=np.int64)
    if n == 0:
        return below
    order = np.argsort(-depth, kind="stable")
    sorted_depth = depth[order]
    bounds = np.flatnonzero(np.diff(sorted_depth)) + 1
    for level in np.split(order, bounds):
        if depth[level[0]] == 0:
            break
        up = parent[level]
        add = below[level] + own[level]
        for r in range(k):
            below[:, r] += np.bincount(up, weights=add[:, r], minlength=n).astype(np.int64)
    return below


# --------------------------------------------------------------------------------------------------
# The stage
# --------------------------------------------------------------------------------------------------


def _cyclic_nodes(src: np.ndarray, dst: np.ndarray, n_nodes: int) -> np.ndarray:
    """Whether each node lies in a strongly connected component of several nodes (self-loops left out), as
    `break_cycles` finds them: the only nodes whose order it reads."""
    cyclic = np.zeros(n_nodes, dtype=bool)
    edges = src != dst
    if not edges.any():
        return cyclic
    graph = csr_matrix((np.ones(int(edges.sum()), dtype=np.int8), (src[edges], dst[edges])), shape=(n_nodes, n_nodes))
    n_comp, labels = connected_components(graph, directed=True, connection="strong")
    if n_comp == n_nodes:
        return cyclic
    return np.bincount(labels, minlength=n_comp)[labels] > 1


def _order_key(snapshot: pd.DataFrame, n_nodes: int, ids: pd.Series, cyclic: np.ndarray) -> np.ndarray:
    """Rank of each node for cycle breaking: older first, then more downloads, then id. Only the nodes in a
    cycle (`cyclic`) are ranked, among themselves, which keeps their order: `break_cycles` compares no other
    (ranking every id sorted 1M strings, 0.9 s). Every other node is -1."""
    n = len(snapshot)
    key = np.full(n_nodes, -1, dtype=np.int64)  # external parents have no parents of their own: never in a cycle
    rows = np.flatnonzero(cyclic[:n])
    if len(rows) == 0:
        return key
    # Converted whole, as before: a column of text is parsed in the format its first values show.
    created = snapshot["created_at"] if "created_at" in snapshot else pd.Series(pd.NaT, index=snapshot.index)
    created_ns = pd.to_datetime(created, utc=True).astype("int64").to_numpy(copy=True)
    created_ns[pd.isna(created).to_numpy()] = np.iinfo(np.int64).max
    downloads = pd.to_numeric(snapshot["downloads"], errors="coerce").fillna(-1).to_numpy()
    ranks = np.lexsort((_dense_rank(ids.iloc[rows]), -downloads[rows], created_ns[rows]))
    key[rows[ranks]] = np.arange(len(rows))
    return key


def _texts(node_ids: pa.Array, nodes: np.ndarray) -> list[str]:
    return [str(x) for x in node_ids.take(pa.array(nodes, type=pa.int64())).to_pylist()]


# The two string dtypes of the outputs: lineage columns are nullable "string", edge columns pandas' "str".
_NULLABLE = pd.StringDtype("pyarrow")
_STR = pd.StringDtype("pyarrow", na_value=np.nan)
_RELATION_NAMES = pa.array(list(RELATIONS), type=pa.large_string())


def _strings(
    node_ids: pa.Array, nodes: np.ndarray, dtype: pd.StringDtype, missing: np.ndarray | None = None
) -> pd.arrays.ArrowStringArray:
    """The ids of `nodes` (null where `missing`) as a pandas string array over Arrow buffers."""
    taken = node_ids.take(pa.array(nodes, type=pa.int64(), mask=missing))
    return pd.arrays.ArrowStringArray(taken, dtype=dtype)


def _limited(items: list[Any]) -> dict[str, Any]:
    return {"count": len(items), "examples": items[:REPORT_EXAMPLES]}


def _dense_rank(ids: pd.Series) -> np.ndarray:
    """1 for the smallest id, then one more for each next distinct id."""
    if len(ids) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.asarray(pc.rank(string_values(ids), sort_keys="ascending", tiebreaker="dense"), dtype=np.int64)


def _lower(texts: pa.Array) -> pa.Array:
    """`str.lower` of each id: in Arrow for ASCII ids (Hub ids are), where its lower-casing is Python's."""
    ascii_ids = ascii_strings(texts)
    if ascii_ids is not None:
        return pc.ascii_lower(ascii_ids)
    return string_values(pd.Series(texts.to_numpy(zero_copy_only=False), dtype=object).str.lower())


@dataclass
class _Nodes:
    """Snapshot rows first (0..n-1), then external parents (n..)."""

    ids: pa.Array  # large_string
    n_models: int
    src: np.ndarray  # per valid entry: node index of the parent
    dst: np.ndarray  # per valid entry: node index of the child


def _resolve_nodes(ids: pd.Series, valid: pd.DataFrame) -> _Nodes:
    """Map parent ids to snapshot rows or to external nodes numbered after them. The exact id wins; only
    a parent id that matches no row exactly is resolved case-insensitively (a listing can hold `Org/Model`
    and `org/model` side by side: a child naming one must not be attached to the other)."""
    n = len(ids)
    identity = string_values(ids)
    children = identity.take(pa.array(valid["row"].to_numpy(dtype=np.int64), type=pa.int64()))
    # The ids as text are the column's own Arrow values for a string column without missing values: no 3M
    # Python strings made and converted back (1 s CPU at 3M models), and the parents and the children looked
    # up in one pass over the ids.
    plain = isinstance(ids.dtype, pd.StringDtype) and not ids.hasnans
    id_values = identity if plain else string_values(ids.astype(object).astype(str))
    if plain:
        first, last = rows_among(pa.concat_arrays([string_values(valid["parent"]), children]), id_values)
        src, dst = first[: len(valid)], last[len(valid) :]
    else:
        src, dst = first_rows(valid["parent"], id_values), last_rows(children, identity)
    unmatched = src < 0
    src[unmatched] = first_rows(valid["parent_key"][unmatched], _lower(id_values))
    external = src < 0
    _, ext_first, ext_codes = np.unique(
        valid.loc[external, "parent_key"].to_numpy(dtype=str), return_index=True, return_inverse=True
    )
    ext_names = string_values(valid.loc[external, "parent"]).take(pa.array(ext_first, type=pa.int64()))
    src[external] = n + ext_codes
    # A child id listed twice is the last of its rows (as a dict built over the rows would hold it); missing
    # ids are equal to each other (a child without an id is the last row without one).
    missing = dst < 0
    if missing.any():
        dst[missing] = np.flatnonzero(pc.is_null(identity).to_numpy(zero_copy_only=False))[-1]
    return _Nodes(ids=pa.concat_arrays([id_values, ext_names]), n_models=n, src=src, dst=dst)


def _default_relations(
    valid: pd.DataFrame, names: pd.Series, dst: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Relations with the Hub's default for missing ones; and masks (missing, defaulted to quantized)."""
    missing = valid["relation"].isna().to_numpy()
    quantized = np.zeros(0, dtype=bool)
    if missing.any():
        quantized = has_quantization_marker(names.iloc[dst[missing]]).to_numpy()
    relation = valid["relation"].to_numpy(dtype=object).copy()
    relation[missing] = np.where(quantized, "quantized", "finetune")
    return relation, missing, quantized


def _primary_edges(
    src: np.ndarray, dst: np.ndarray, position: np.ndarray, downloads: np.ndarray, n_models: int
) -> np.ndarray:
    """Index of each child's primary edge: the most-downloaded parent (external ones last), then the first
    listed."""
    parent_dl = np.full(len(src), -1.0)
    inside = src < n_models
    parent_dl[inside] = downloads[src[inside]]
    order = np.lexsort((position, -parent_dl, dst))
    first = np.ones(len(order), dtype=bool)
    first[1:] = dst[order][1:] != dst[order][:-1]
    return order[first]


def declared_lineage(snapshot: pd.DataFrame, lists: ListColumns | None = None) -> DeclaredLineage:
    """Declared lineage columns, edges and the report for a snapshot frame (SNAPSHOT_SCHEMA columns).
    `lists`: `list_columns(snapshot)` when the caller has it already (stage.annotate), else converted here."""
    snapshot_rows = snapshot.reset_index(drop=True)
    n = len(snapshot_rows)
    ids = snapshot_rows["id"]
    names = snapshot_rows["name"] if "name" in snapshot_rows else ids.astype(object).astype(str).str.split("/").str[-1]
    entries, not_records = flatten_entries(ids, snapshot_rows["base_models"], lists)
    valid, rejected = validate_entries(entries)
    rejected = pd.concat(
        [
            pd.DataFrame(not_records, columns=["id", "value", "reason"]).assign(value=lambda f: f["value"].map(repr)),
            rejected,
        ],
        ignore_index=True,
    )
    nodes = _resolve_nodes(ids, valid)
    n_nodes, node_ids = len(nodes.ids), nodes.ids
    relation, missing_rel, quantized_name = _default_relations(valid, names, nodes.dst)

    self_loop = nodes.src == nodes.dst
    order_key = _order_key(snapshot_rows, n_nodes, ids, _cyclic_nodes(nodes.src, nodes.dst, n_nodes))
    keep = break_cycles(nodes.src, nodes.dst, order_key, n_nodes)
    cycle_dropped = ~keep & ~self_loop
    self_loops = _texts(node_ids, nodes.dst[self_loop])
    cycles = [
        f"{s} -> {d}"
        for s, d in zip(_texts(node_ids, nodes.src[cycle_dropped]), _texts(node_ids, nodes.dst[cycle_dropped]))
    ]

    src_k, dst_k, rel_k = nodes.src[keep], nodes.dst[keep], relation[keep]
    downloads = pd.to_numeric(snapshot_rows["downloads"], errors="coerce").fillna(0).to_numpy(dtype=np.float64)
    primary = _primary_edges(src_k, dst_k, valid["position"].to_numpy()[keep], downloads, n)
    parent = np.full(n_nodes, -1, dtype=np.int64)
    parent[dst_k[primary]] = src_k[primary]
    own = np.zeros((n_nodes, len(RELATIONS)), dtype=np.int64)
    rel_code = pd.Categorical(rel_k[primary], categories=list(RELATIONS)).codes
    own[dst_k[primary], rel_code] = 1

    root, depth = ancestry(parent)
    below = descendant_counts(parent, depth, own)

    # The relation's position in RELATIONS (every relation is one, once defaulted), taken in Arrow: a frame of
    # 3M Python values (None mostly) cost 0.3 s CPU to convert.
    relation_of = np.full(n_nodes, -1, dtype=np.int64)
    relation_of[dst_k[primary]] = rel_code
    has_parent = parent[:n] >= 0
    columns = pd.DataFrame(
        {
            "parent": pd.Series(_strings(node_ids, parent[:n], _NULLABLE, missing=~has_parent)),
            "relation": pd.Series(_strings(_RELATION_NAMES, relation_of[:n], _NULLABLE, missing=relation_of[:n] < 0)),
            "family": pd.Series(_strings(node_ids, root[:n], _NULLABLE)),
            "depth": depth[:n].astype(np.int32),
            **{f"n_{r}": below[:n, i] for i, r in enumerate(RELATIONS)},
            "n_descendants": below[:n].sum(axis=1),
        },
        index=snapshot.index,
        columns=list(LINEAGE_COLUMNS),
    )
    edges = pd.DataFrame(
        {
            "source": _strings(node_ids, src_k, _STR),
            "target": _strings(node_ids, dst_k, _STR),
            "relation": rel_k.astype(str),
            "external": src_k >= n,
        }
    )

    ext_children = Counter(edges.loc[edges["external"], "source"].tolist())
    report = {
        "declared_edges": int(len(edges)),
        "declared_edges_by_relation": {r: int((rel_k == r).sum()) for r in RELATIONS},
        "models_with_declared_parent": int(has_parent.sum()),
        "relation_defaulted": {
            "count": int(missing_rel.sum()),
            "to_quantized": int(quantized_name.sum()),
            "to_finetune": int(missing_rel.sum() - quantized_name.sum()),
        },
        "rejected_lineage": {
            "count": int(len(rejected)),
            "by_reason": {str(k): int(v) for k, v in rejected["reason"].value_counts().sort_index().items()},
            "examples": rejected.head(REPORT_EXAMPLES).to_dict(orient="records"),
        },
        "self_loops": _limited(self_loops),
        "cycles_broken": _limited(cycles),
        "external_parents": {
            "count": int(n_nodes - n),
            "edges": int(edges["external"].sum()),
            "most_children": [{"id": k, "children": int(v)} for k, v in ext_children.most_common(REPORT_EXAMPLES)],
        },
        "max_depth": int(depth.max()) if n_nodes else 0,
    }
    return DeclaredLineage(columns=columns, edges=edges, rejected=rejected, report=report)
