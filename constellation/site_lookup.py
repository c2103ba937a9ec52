"""One model at a time, as the site's model page and search ask: lookups the build writes into atlas/<id>/site/.

The model page shows one model (its row, its parents and children, its lineage edges, its nearest names) and
search finds it by id. Answered from the whole atlas, that means reading and sorting every id, the page's
columns of every model, every lineage edge and every similarity edge: ~10 s at 1M models before the first
model page draws. The build holds all of it in memory already, so it writes it once, keyed for one-model
reads (`write_lookup`), and the site opens it in milliseconds (`read_lookup`):

- ids.arrow: every id, sorted (a model's row is its place here, the site's row order), and lowercased for the
  substring search; search.arrow: the type-ahead's sorted keys (`search_arrays`). Arrow IPC files,
  memory-mapped: a page touches the pages it reads, nothing more.
- similar_offsets/targets/weights.npy: each row's similarity edges (CSR over rows, strongest first),
  memory-mapped.
- models.parquet, children.parquet, lineage.parquet: the page's columns by id, the models by primary
  declared parent, the lineage edges by target; sorted by that key in small row groups whose key ranges the
  reader keeps, so one key reads one row group (or the few its rows span).
"""

from __future__ import annotations

import logging
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from constellation.arrow_strings import rows_of
from constellation.contract import ATLAS_FILES

log = logging.getLogger(__name__)

VERSION = 1  # bump when a file's layout changes: an older folder is then ignored (the site computes instead)
ROW_GROUP = 4096  # rows per row group of the keyed Parquet files: a lookup reads one, a few ms
WRITE_CHUNK = 262_144  # sorted rows taken and written at a time: a sorted copy of every row would double memory
IDS_FILE = "ids.arrow"
SEARCH_FILE = "search.arrow"
MODELS_FILE = "models.parquet"
CHILDREN_FILE = "children.parquet"
LINEAGE_FILE = "lineage.parquet"
LINEAGE_FROM_FILE = "lineage_from.parquet"  # the same edges by source: a model's children edges, one keyed read
SIMILAR = ("similar_offsets.npy", "similar_targets.npy", "similar_weights.npy")
ROW_ORDER_FILE = "row_order.npy"  # the row of atlas models.parquet at each sorted position: the site's row order
VERSION_FILE = "lookup.version"
LINEAGE_KINDS = ("declared", "inferred")
# models.parquet of the lookup leaves out what the model page never shows: list columns (tags, base models:
# gigabytes at 3M) and the layout.
_NOT_ON_PAGE = ("tags", "base_models", "x", "y", "cluster", "author", "name")
CHILD_COLUMNS = ("parent", "relation", "downloads", "id")


@dataclass(frozen=True)
class SearchArrays:
    keys: pa.Array  # lowercased ids and bare names ("name" of "owner/name"), sorted
    targets: pa.Array  # the id each key stands for
    lower: pa.Array  # every id lowercased, in the order of the ids given (large_string: one data buffer)


def bisect_strings(values: pa.Array, value: str) -> int:
    """Where `value` goes in the sorted string array `values` (bisect_left), touching ~log2(n) values: no
    Python string per element."""
    lo, hi = 0, len(values)
    while lo < hi:
        mid = (lo + hi) // 2
        if values[mid].as_py() < value:
            lo = mid + 1
        else:
            hi = mid
    return lo


def search_arrays(ids: pa.Array) -> SearchArrays:
    """The type-ahead's arrays for `ids` (constellation.app.search.IdIndex), made once by the build or the site."""
    arr = ids.cast(pa.string())
    lower = pc.utf8_lower(arr)
    # Also index "name" of "owner/name": people type "llama-3" more often than "meta-llama/llama-3".
    has_owner = pc.match_substring(lower, "/")
    names = pc.list_element(pc.split_pattern(pc.filter(lower, has_owner), "/", max_splits=1), 1)
    keys = pa.concat_arrays([lower, names])
    targets = pa.concat_arrays([arr, pc.filter(arr, has_owner)])
    order = pc.sort_indices(keys)
    # One contiguous buffer of the lowercased ids: Arrow's data buffer once the array is compacted.
    flat = pa.concat_arrays([lower.cast(pa.large_string())]) if len(lower) else pa.array([], pa.large_string())
    return SearchArrays(pc.take(keys, order), pc.take(targets, order), flat)


# --------------------------------------------------------------------------------------------------
# Writing (the build)
# --------------------------------------------------------------------------------------------------


def id_order(models: pd.DataFrame) -> np.ndarray:
    """The site's row order: the rows of `models` sorted by id (in UTF-8 bytes, as numpy sorts Python strings),
    from the ids' own Arrow buffers. The build sorts once and hands the order to each site file it writes: a
    sort of 3M ids takes about 3 s."""
    return np.asarray(pc.sort_indices(string_array(models["id"])).to_numpy(), dtype=np.int64)


def write_lookup(
    folder: Path,
    models: pd.DataFrame,
    edges: pd.DataFrame,
    order: np.ndarray | None = None,
    similar: SimilarRows | None = None,
) -> None:
    """Write the lookups of `models` and `edges` (the atlas's tables as the build holds them) into `folder`
    (atlas/<id>/site/) and stamp them for the atlas files beside it: `write_lookup_files`, then `stamp_lookup`."""
    write_lookup_files(folder, models, edges, order, similar)
    stamp_lookup(folder)


def stamp_lookup(site: Path) -> None:
    """Mark the lookups in `site` (atlas/<id>/site/) as written for the atlas files beside it (`read_lookup`
    checks it): the last step, once every lookup file is in `site`."""
    write_stamp(site, VERSION_FILE, VERSION)


def write_lookup_files(
    folder: Path,
    models: pd.DataFrame,
    edges: pd.DataFrame,
    order: np.ndarray | None = None,
    similar: SimilarRows | None = None,
) -> None:
    """The lookups' files of `models` and `edges` into `folder`, without the stamp: any folder, the atlas's
    not written yet (the build writes them beside the atlas write, then moves them into site/ and stamps them).
    `order`: `id_order(models)` when the caller has it; `similar`: the similarity edges of `edges` as rows of
    `models` when the caller has them (the atlas stage does: AtlasMap.similar), else they are found by id.
    The files of the ids alone (`write_id_lookups`), then those of the model page (`write_page_lookups`)."""
    order = id_order(models) if order is None else order
    write_id_lookups(folder, models["id"], order, similar, edges)
    write_page_lookups(folder, models, edges, order)


def write_id_lookups(
    folder: Path,
    ids: pd.Series,
    order: np.ndarray,
    similar: SimilarRows | None,
    edges: pd.DataFrame | None = None,
) -> None:
    """The lookups' files that read only the models' `ids`, their `order` (`id_order`) and the `similar` rows
    (AtlasMap.similar) into `folder`: the sorted and lowercased ids, the row order, the search keys and the
    similar names' CSR. A build can write them before the atlas's other columns exist. Without `similar`,
    the similarity edges of `edges` are found by id."""
    folder.mkdir(parents=True, exist_ok=True)
    sorted_ids = pc.take(string_array(ids), order)
    search = search_arrays(sorted_ids)
    _write_ipc(folder / IDS_FILE, pa.table({"id": sorted_ids, "lower": search.lower}))
    np.save(folder / ROW_ORDER_FILE, order, allow_pickle=False)
    _write_ipc(folder / SEARCH_FILE, pa.table({"key": search.keys, "target": search.targets}))
    if similar is not None:
        _save_similar(folder, similar_csr(similar.sorted_rows(order), len(order)))
    elif edges is not None:
        _write_similar(folder, sorted_ids, edges)
    else:
        raise ValueError("the similar names' CSR needs the similar rows or the edges to find them in")


def write_page_lookups(folder: Path, models: pd.DataFrame, edges: pd.DataFrame, order: np.ndarray) -> None:
    """The lookups' files of the model page into `folder`: its columns by id (`order`: `id_order(models)`),
    the models by declared parent, and the lineage edges of `edges` by target and by source."""
    folder.mkdir(parents=True, exist_ok=True)
    page = [c for c in models.columns if c not in _NOT_ON_PAGE]
    table = pa.Table.from_pandas(models[page], preserve_index=False)
    write_sorted(folder / MODELS_FILE, table, order)
    if "parent" in models:
        children = table.select([c for c in CHILD_COLUMNS if c in table.column_names])
        has_parent = pc.is_valid(children.column("parent"))
        children = children.filter(has_parent)
        by_parent = pc.sort_indices(
            children, sort_keys=[("parent", "ascending"), ("downloads", "descending"), ("id", "ascending")]
        )
        write_sorted(folder / CHILDREN_FILE, children, by_parent.to_numpy())
    del table
    lineage = edges[edges["kind"].isin(LINEAGE_KINDS).to_numpy(dtype=bool)] if len(edges) else edges
    lineage_table = pa.Table.from_pandas(lineage.drop(columns=["weight"], errors="ignore"), preserve_index=False)
    if lineage_table.num_rows:
        lineage_table = lineage_table.cast(
            pa.schema(
                [pa.field(f.name, pa.string() if pa.types.is_null(f.type) else f.type) for f in lineage_table.schema]
            )
        )
    by_target = pc.sort_indices(lineage_table.column("target")) if lineage_table.num_rows else pa.array([], pa.int64())
    write_sorted(folder / LINEAGE_FILE, lineage_table, np.asarray(by_target.to_numpy(), dtype=np.int64))
    by_source = pc.sort_indices(lineage_table.column("source")) if lineage_table.num_rows else pa.array([], pa.int64())
    write_sorted(folder / LINEAGE_FROM_FILE, lineage_table, np.asarray(by_source.to_numpy(), dtype=np.int64))


def string_array(column: pd.Series) -> pa.Array:
    """`column` as one Arrow string array, from its own Arrow buffers when it has them (the build's id column
    does): no Python string per model."""
    values = pa.array(column.astype(str).array)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return values.cast(pa.string())


def _write_ipc(path: Path, table: pa.Table) -> None:
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def write_sorted(path: Path, table: pa.Table, order: np.ndarray, row_group: int = ROW_GROUP) -> None:
    """`table`'s rows in `order`, written a chunk at a time in row groups of `row_group` rows (a keyed file
    for `KeyedParquet`)."""
    with pq.ParquetWriter(path, table.schema) as writer:
        for start in range(0, len(order), WRITE_CHUNK):
            writer.write_table(table.take(pa.array(order[start : start + WRITE_CHUNK])), row_group_size=row_group)
        if not len(order):
            writer.write_table(table.slice(0, 0))


@dataclass(frozen=True)
class SimilarRows:
    """The similarity edges of an atlas as rows of its models frame (`sources[i]` → `targets[i]` at
    `weights[i]`), in the order edges.parquet holds them: what the atlas stage had before it named their ends
    (frames.similarity_frame). Looking each end up again by id hashed ~20M strings at 3M models (10 s)."""

    sources: np.ndarray
    targets: np.ndarray
    weights: np.ndarray

    def sorted_rows(self, order: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The edges' ends as rows of the site's id order (`order`: `id_order(models)`), int32, and the
        weights as the CSR holds them (float32, a missing weight 0), as `_write_similar` finds them by id."""
        rank = np.empty(len(order), dtype=np.int32)
        rank[order] = np.arange(len(order), dtype=np.int32)
        weights = np.asarray(self.weights, dtype=np.float64).astype(np.float32)
        weights[np.isnan(weights)] = 0.0
        return rank[self.sources], rank[self.targets], weights


def _write_similar(folder: Path, sorted_ids: pa.Array, edges: pd.DataFrame) -> None:
    n = len(sorted_ids)
    similar = (edges["kind"] == "similarity").to_numpy(dtype=bool) if len(edges) else np.zeros(0, dtype=bool)
    # Every edge's ends are looked up and the lineage edges masked out of the integer rows afterwards: filtering
    # the frame first copied its string columns (3.6 s of the lookups' 8.4 s at 300k models).
    # Hashed in Arrow over the frame's own buffers: no Python string per edge (~1.3 GB a column at 3M).
    sources = rows_of(edges["source"], sorted_ids, np.int32)
    targets = rows_of(edges["target"], sorted_ids, np.int32)
    known = similar & (sources >= 0) & (targets >= 0)
    weights = edges["weight"].to_numpy(dtype=np.float32, na_value=0.0)[known]
    _save_similar(folder, similar_csr((sources[known], targets[known], weights), n))


def similar_csr(edges: tuple[np.ndarray, np.ndarray, np.ndarray], n: int) -> tuple[np.ndarray, ...]:
    """The CSR over `n` rows of `edges` (source rows, target rows, weights): each row's offset (int64), then
    the targets and weights of its edges, strongest first (`strongest_first`)."""
    s, t, weights = edges
    order = strongest_first(s, weights)
    offsets = np.r_[0, np.cumsum(np.bincount(s, minlength=n))].astype(np.int64)
    return offsets, t[order], weights[order]


def _save_similar(folder: Path, csr: tuple[np.ndarray, ...]) -> None:
    for name, values in zip(SIMILAR, csr, strict=True):
        np.save(folder / name, values, allow_pickle=False)


def strongest_first(rows: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The order of edges by row, then weight descending, ties in their given order: `np.lexsort((-weights,
    rows))` for finite float32 weights, as one stable sort of an int64 key (the row, then the weight's bits
    made to sort as the floats do), 6x faster than lexsort's two passes over ~20M edges at 3M models."""
    bits = (np.asarray(weights, dtype=np.float32) + np.float32(0.0)).view(np.uint32)  # + 0.0: -0.0 is 0.0
    # IEEE floats sort as unsigned integers once negative ones have every bit flipped and positive ones their
    # sign bit set; subtracting that from the largest key puts the strongest first.
    ascending = np.where(bits >> 31 == 1, ~bits, bits | np.uint32(0x80000000))
    descending = (np.uint32(0xFFFFFFFF) - ascending).astype(np.int64)
    rows = np.asarray(rows)
    change = rows[1:] != rows[:-1]
    starts = np.flatnonzero(np.r_[True, change]) if len(rows) else np.empty(0, dtype=np.int64)
    by_row = _distinct_in_order(rows[starts])
    if by_row is None:
        return np.argsort((rows.astype(np.int64) << 32) | descending, kind="stable")
    # The atlas stage's edges come grouped by their source: each row's edges are one run. Each run is sorted
    # in place (its number, already ascending, is the key's high part: a nearly sorted key sorts 4x faster),
    # then the runs are put in row order whole, so ties keep their given order as the one sort kept them.
    # Each step writes into the array before it (at 18M edges, a fresh array costs its page faults).
    key = np.zeros(len(rows), dtype=np.int64)
    key[1:] = change
    np.cumsum(key, out=key)
    key <<= 32
    key |= descending
    del descending, change
    inside = np.argsort(key, kind="stable")
    del key
    lengths = np.diff(np.r_[starts, len(rows)])[by_row]
    begins = starts[by_row]
    # The places of the runs in row order, as the running sum of steps: 1 inside a run, a jump at its start.
    steps = np.ones(len(rows), dtype=np.int64)
    steps[np.cumsum(lengths) - lengths] = np.r_[begins[0], begins[1:] - (begins[:-1] + lengths[:-1]) + 1]
    np.cumsum(steps, out=steps)
    return inside[steps]


def _distinct_in_order(values: np.ndarray) -> np.ndarray | None:
    """The positions of `values` (non-negative integers) in ascending order when no value repeats, by a
    scatter over their range instead of a sort; None when one repeats (or there are none)."""
    if not len(values) or values.min() < 0:
        return None
    slot = np.full(int(values.max()) + 1, -1, dtype=np.int64)
    slot[values] = np.arange(len(values))
    found = slot[slot >= 0]
    return found if len(found) == len(values) else None


# --------------------------------------------------------------------------------------------------
# Reading (the site)
# --------------------------------------------------------------------------------------------------


class KeyedParquet:
    """A Parquet file sorted by `key`, read a key at a time: its row groups' key ranges are kept in memory
    (from the footer, once), so a lookup reads only the row groups that can hold the key."""

    def __init__(self, path: Path, key: str):
        self.file = pq.ParquetFile(path, memory_map=True)
        # Sessions run in threads and share this reader; pyarrow does not promise a ParquetFile is thread-safe.
        self._lock = threading.Lock()
        self.key = key
        at = self.file.schema_arrow.get_field_index(key)
        meta = self.file.metadata
        self.mins: list[Any] = []
        self.maxs: list[Any] = []
        for g in range(meta.num_row_groups):
            stats = meta.row_group(g).column(at).statistics
            if stats is None or not stats.has_min_max:  # no ranges: every group is read (never at our writer)
                self.mins, self.maxs = [], []
                break
            self.mins.append(stats.min)
            self.maxs.append(stats.max)
        # The first row number of each row group (and the file's length last): `rows_at` finds a row's group.
        self.starts = np.cumsum([0, *[meta.row_group(g).num_rows for g in range(meta.num_row_groups)]])

    @property
    def columns(self) -> list[str]:
        return list(self.file.schema_arrow.names)

    def rows(self, value: Any, columns: list[str] | None = None) -> pd.DataFrame:
        """The rows whose key equals `value` (their file order), `columns` only (every column when None)."""
        return self.rows_in([value], columns)

    def rows_in(self, values: Sequence[Any], columns: list[str] | None = None) -> pd.DataFrame:
        """The rows whose key is one of `values` (file order), `columns` only: each row group that can hold
        one of them is read once, however many of the values it holds."""
        wanted = None if columns is None else list(dict.fromkeys([self.key, *columns]))
        groups: set[int] = set()
        for value in dict.fromkeys(values):
            if self.mins:  # groups whose [min, max] holds value: a run, the key being sorted
                groups.update(range(bisect_left(self.maxs, value), bisect_right(self.mins, value)))
            else:
                groups.update(range(self.file.metadata.num_row_groups))
        return _frame(self._read(sorted(groups), wanted, pa.array(list(dict.fromkeys(values)))), columns)

    def rows_at(self, positions: Sequence[int], columns: list[str] | None = None) -> pd.DataFrame:
        """The rows at `positions` (row numbers of the file), in the order given, `columns` only."""
        wanted = None if columns is None else list(columns)
        at = np.asarray(positions, dtype=np.int64)
        group_of = np.searchsorted(self.starts, at, side="right") - 1
        groups = np.unique(group_of)
        tables = []
        for g in groups.tolist():
            with self._lock:
                tables.append(self.file.read_row_group(g, columns=wanted))
        if not tables:
            return _frame(self._schema(wanted).empty_table(), columns)
        # A row's place in the groups read: the rows of the groups before its own, then its place in its group.
        first = np.cumsum([0, *[t.num_rows for t in tables[:-1]]])
        inside = first[np.searchsorted(groups, group_of)] + at - self.starts[group_of]
        return _frame(pa.concat_tables(tables).take(pa.array(inside)), columns)

    def _read(self, groups: list[int], wanted: list[str] | None, values: pa.Array) -> pa.Table:
        tables = []
        for g in groups:
            with self._lock:
                table = self.file.read_row_group(g, columns=wanted)
            table = table.filter(pc.is_in(table.column(self.key), value_set=values.cast(table.column(self.key).type)))
            if table.num_rows:
                tables.append(table)
        return pa.concat_tables(tables) if tables else self._schema(wanted).empty_table()

    def _schema(self, wanted: list[str] | None) -> pa.Schema:
        schema = self.file.schema_arrow
        return schema if wanted is None else pa.schema([schema.field(c) for c in wanted])


def _frame(table: pa.Table, columns: list[str] | None) -> pd.DataFrame:
    frame = table.to_pandas(types_mapper=lambda t: pd.Int64Dtype() if pa.types.is_integer(t) else None)
    return frame if columns is None else frame[[c for c in columns if c in frame.columns]]


@dataclass(frozen=True)
class ModelLookup:
    """The lookups of one atlas, opened (memory-mapped; nothing is read until a page asks)."""

    ids: pa.Array  # every id, sorted
    lower: pa.Array  # the same, lowercased (large_string)
    search_keys: pa.Array
    search_targets: pa.Array
    similar_offsets: np.ndarray
    similar_targets: np.ndarray
    similar_weights: np.ndarray
    models: KeyedParquet
    children: KeyedParquet | None
    lineage: KeyedParquet
    lineage_from: KeyedParquet | None = None  # absent in lookups written before it: lineage_touching says None
    row_order: np.ndarray | None = None  # models.parquet's row at each sorted position; absent before it

    @property
    def size(self) -> int:
        return len(self.ids)

    def row_of(self, model_id: str) -> int | None:
        """The row of `model_id` (binary search over the memory-mapped sorted ids), None when absent."""
        lo = bisect_strings(self.ids, model_id)
        return lo if lo < len(self.ids) and self.ids[lo].as_py() == model_id else None

    def id_of(self, row: int) -> str:
        return str(self.ids[row].as_py())

    def model(self, model_id: str, columns: list[str] | None = None) -> dict[str, Any] | None:
        """The row of `model_id` as a dict (nulls as None), `columns` only; None when the atlas lacks it."""
        frame = self.models.rows(model_id, columns)
        if not len(frame):
            return None
        return {c: (None if is_missing(v) else v) for c, v in frame.iloc[0].items()}

    def children_of(self, model_id: str) -> pd.DataFrame:
        """Models whose primary declared parent is `model_id`: id, relation, downloads (most downloaded first)."""
        if self.children is None:
            return pd.DataFrame(columns=["id", "relation", "downloads"])
        return self.children.rows(model_id, [c for c in ("id", "relation", "downloads") if c in self.children.columns])

    def lineage_into(self, model_id: str) -> pd.DataFrame:
        """The declared and inferred edges whose child (target) is `model_id`."""
        return self.lineage.rows(model_id)

    def lineage_touching(self, model_id: str) -> pd.DataFrame | None:
        """Every declared or inferred edge into or out of `model_id` (for merges: all parents, not only the
        primary); None for lookups written before lineage_from."""
        if self.lineage_from is None:
            return None
        frames = [f for f in (self.lineage.rows(model_id), self.lineage_from.rows(model_id)) if len(f)]
        if not frames:
            return self.lineage.rows(model_id)
        edges = pd.concat(frames, ignore_index=True)
        self_loops = (edges["source"] == edges["target"]).to_numpy(dtype=bool)  # read from both files
        return pd.concat([edges[~self_loops], edges[self_loops].drop_duplicates()], ignore_index=True)

    def lineage_among(self, model_ids: Sequence[str]) -> pd.DataFrame:
        """The declared and inferred edges from one of `model_ids` to another (each row group read once)."""
        ids = list(dict.fromkeys(model_ids))
        into = self.lineage.rows_in(ids)
        return into[into["source"].isin(set(ids)).to_numpy(dtype=bool)].reset_index(drop=True)

    def models_of(self, model_ids: Sequence[str], columns: list[str]) -> pd.DataFrame:
        """`columns` of the models `model_ids` that the atlas has, in the order given (id first)."""
        found = [(i, r) for i, r in ((i, self.row_of(i)) for i in model_ids) if r is not None]
        frame = self.models.rows_at([r for _, r in found], [c for c in columns if c != "id"])
        frame.insert(0, "id", [i for i, _ in found])
        return frame

    def neighbours(self, model_id: str, k: int = 10) -> pd.DataFrame:
        """The `k` most similar names to `model_id`: id, weight (strongest first), as SimilarityIndex gives them."""
        row = self.row_of(model_id)
        if row is None:
            return pd.DataFrame({"id": pd.Series(dtype=object), "weight": pd.Series(dtype="float64")})
        lo, hi = int(self.similar_offsets[row]), int(self.similar_offsets[row + 1])
        targets = np.asarray(self.similar_targets[lo:hi])
        weights = np.asarray(self.similar_weights[lo:hi])
        keep = targets != row
        targets, weights = targets[keep][:k], weights[keep][:k]
        return pd.DataFrame({"id": self.ids_at(targets), "weight": weights.astype("float64")})

    def ids_at(self, rows: np.ndarray) -> np.ndarray:
        """The ids of `rows` (the site's row numbers), as Python strings."""
        return pc.take(self.ids, pa.array(rows, pa.int64())).to_numpy(zero_copy_only=False).astype(object)


def read_lookup(site: Path) -> ModelLookup | None:
    """The lookups in `site` (atlas/<id>/site/), or None when absent, of another version, or written for other
    models.parquet and edges.parquet files than those beside it (a folder rewritten by hand): the site then
    answers from the whole atlas, as before."""
    if not stamp_current(site, VERSION_FILE, VERSION, "lookups"):
        return None
    try:
        ids = read_mapped(site / IDS_FILE)
        search = read_mapped(site / SEARCH_FILE)
        similar = [np.load(site / name, mmap_mode="r", allow_pickle=False) for name in SIMILAR]
        children = site / CHILDREN_FILE
        lineage_from, row_order = site / LINEAGE_FROM_FILE, site / ROW_ORDER_FILE
        return ModelLookup(
            ids=single_array(ids.column("id")),
            lower=single_array(ids.column("lower")),
            search_keys=single_array(search.column("key")),
            search_targets=single_array(search.column("target")),
            similar_offsets=similar[0],
            similar_targets=similar[1],
            similar_weights=similar[2],
            models=KeyedParquet(site / MODELS_FILE, "id"),
            children=KeyedParquet(children, "parent") if children.is_file() else None,
            lineage=KeyedParquet(site / LINEAGE_FILE, "target"),
            lineage_from=KeyedParquet(lineage_from, "source") if lineage_from.is_file() else None,
            row_order=np.load(row_order, mmap_mode="r", allow_pickle=False) if row_order.is_file() else None,
        )
    except (OSError, ValueError, KeyError, pa.ArrowException) as exc:  # a damaged folder costs speed, not the site
        log.warning("ignored the lookups in %s: %s", site, exc)
        return None


def write_stamp(folder: Path, name: str, version: int) -> None:
    """Mark the files in `folder` (atlas/<id>/site/) as written at `version` for the atlas files beside it."""
    (folder / name).write_text(f"{version}\n{files_stamp(folder.parent)}\n", encoding="utf-8")


def stamp_current(site: Path, name: str, version: int, what: str) -> bool:
    """Whether the stamp `name` in `site` (write_stamp) says `version` and the atlas files beside it now.
    A missing stamp is quietly False; a damaged or stale one is False with a warning naming `what`."""
    try:
        written, stamp = (site / name).read_text(encoding="utf-8").split("\n", 1)
        now = files_stamp(site.parent)
    except FileNotFoundError:
        return False
    except (OSError, ValueError) as exc:
        log.warning("ignored the %s in %s: %s", what, site, exc)
        return False
    if written != str(version) or stamp.strip() != now:
        log.warning("ignored the %s in %s: written for files of %s bytes, now %s", what, site, stamp.strip(), now)
        return False
    return True


def files_stamp(atlas_folder: Path) -> str:
    """The sizes of the atlas files the lookups are made of: a file rewritten since voids them."""
    return " ".join(str((atlas_folder / name).stat().st_size) for name in (ATLAS_FILES.models, ATLAS_FILES.edges))


def single_array(column: pa.ChunkedArray) -> pa.Array:
    """The column as one array, without a copy when it is one chunk (a memory-mapped file's column)."""
    # combine_chunks copies even one chunk: a copy of the memory-mapped file, 0.5 s at 3M models.
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def read_mapped(path: Path) -> pa.Table:
    """An Arrow IPC file, memory-mapped: every session of the site shares its pages."""
    return pa.ipc.open_file(pa.memory_map(str(path), "r")).read_all()


def is_missing(value: Any) -> bool:
    """A null cell (None, NaN, NA) of a page's row; lists are values, never missing."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or an array: a value
        return False
