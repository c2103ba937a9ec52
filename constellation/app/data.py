"""Loading the atlas the way the explorer needs it: lazily, only the columns a page shows, categorical dtypes
for repeated strings, rows sorted by id (so an id is found by binary search). A 3M-model atlas then takes
about a third of the memory of a plain `read_atlas`, and a page that needs three columns reads three. The
whole-atlas numbers of the landing views come from the build's site summary (constellation.site_summary),
so the overview of an unfiltered atlas reads no model at all.

Early atlases may lack columns, or hold them all-null, while the stages are being written: `Atlas.has`
tells a page whether to draw a view or say "not available in this atlas".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from constellation.app.memory import release_arrow_memory
from constellation.contract import ATLAS_FILES, ATLAS_MODEL_COLUMNS, ATLAS_MODEL_SCHEMA, EDGE_COLUMNS, DataLayout
from constellation.site_downloads import SnapshotDownloads, read_downloads
from constellation.site_lookup import ModelLookup, read_lookup
from constellation.site_summary import SiteSummary, read_summary, summarize
from constellation.site_trends import SiteTrends, read_trends
from constellation.site_views import FilterCounts, SiteViews, read_views
from constellation.store import complete_build_info, latest_atlas_id

log = logging.getLogger(__name__)

# The columns of models.parquet the explorer does not read (docs/data.md): at 3M models the tag lists alone
# cost gigabytes.
_LEFT_ON_DISK: tuple[str, ...] = (
    "downloads_all_time", "trending_score", "last_modified", "gated", "tags", "base_models",
    "params_safetensors", "params_gguf", "crawled_at",
)  # fmt: skip
MODEL_COLUMNS: tuple[str, ...] = tuple(c for c in ATLAS_MODEL_COLUMNS if c not in _LEFT_ON_DISK)

# Every string column but the unique ones (id, name) repeats values: read as dictionaries → pandas categoricals.
CATEGORICAL_COLUMNS: tuple[str, ...] = tuple(
    f.name
    for f in ATLAS_MODEL_SCHEMA
    if f.name in MODEL_COLUMNS and f.type == pa.string() and f.name not in ("id", "name")
)

LINEAGE_KINDS = ("declared", "inferred")


class ModelColumns:
    """models.parquet read a column at a time, on first use, each column kept once.

    The Atlas holding it lives in `st.cache_resource`, so every session shares these columns: a page
    that needs five columns reads five, the next page's extra columns are added beside them, and a frame
    of any of them (`frame`) is assembled without copying (pandas copy-on-write shares the arrays).
    Rows are sorted by id, so an id is found by binary search (`Atlas.position`).
    """

    def __init__(self, path: Path):
        self.path = path
        schema = pq.read_schema(path)
        self.present: tuple[str, ...] = tuple(c for c in MODEL_COLUMNS if c in schema.names)
        self.rows = pq.read_metadata(path).num_rows
        self._columns: dict[str, pd.Series] = {}
        self._order: np.ndarray | None = None  # the permutation that sorts the file's rows by id, when needed
        self._order_known = False
        # The build's permutation (site/row_order.npy, via the lookups), when it wrote one: then a column is
        # read without the id column and its sort (3M strings: seconds), e.g. a first filter change's.
        self.order_of: Callable[[], np.ndarray | None] | None = None
        self._lock = threading.Lock()

    def frame(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """The `columns` the file has (every explorer column when None), rows sorted by id."""
        wanted = [c for c in (self.present if columns is None else columns) if c in self.present]
        missing = [c for c in wanted if c not in self._columns]
        if missing:
            # Asked before taking the lock: the lookups open under the atlas's own lock, which a thread
            # reading columns for the atlas (its summary, say) may hold while it waits for this one.
            built = self.order_of() if not self._order_known and self.order_of is not None else None
            with self._lock:  # one reader per column, however many sessions ask at once
                self._read([c for c in missing if c not in self._columns], built)
        if not wanted:  # no column still has every row (a filter on absent columns keeps none of them)
            return pd.DataFrame(index=pd.RangeIndex(self.rows))
        return pd.DataFrame({c: self._columns[c] for c in wanted}, copy=False)

    def loaded(self) -> list[str]:
        return list(self._columns)

    def _read(self, columns: list[str], built: np.ndarray | None = None) -> None:
        if not columns:
            return
        if not self._order_known and built is not None and len(built) == self.rows:
            self._set_order(np.asarray(built, dtype=np.int64))
        if not self._order_known and "id" in self.present and "id" not in self._columns:
            columns = ["id", *[c for c in columns if c != "id"]]
        table = pq.read_table(
            self.path, columns=columns, read_dictionary=[c for c in columns if c in CATEGORICAL_COLUMNS]
        )
        if not self._order_known and "id" in columns:
            self._set_order(pc.sort_indices(table.column("id")).to_numpy())
        categorical = {
            c: categorical_series(table.column(c), self._order)
            for c in columns
            if c in CATEGORICAL_COLUMNS and _is_string_dictionary(table.schema.field(c).type)
        }
        table = table.drop_columns(list(categorical))
        if self._order is not None:
            table = table.take(self._order)
        frame = table.to_pandas(self_destruct=True, types_mapper=_nullable_integers)
        for column in columns:
            series = categorical[column] if column in categorical else frame[column]
            if column in ("x", "y"):
                series = series.astype("float32")
            self._columns[column] = series.rename(column)
        del table, frame
        release_arrow_memory()  # the file's pages and the sort's scratch space

    def _set_order(self, order: np.ndarray) -> None:
        self._order = None if bool((order == np.arange(len(order))).all()) else order
        self._order_known = True


def categorical_series(column: pa.ChunkedArray, order: np.ndarray | None = None) -> pd.Series:
    """A dictionary column of strings as a pandas categorical (rows in `order` when given), as
    `to_pandas` makes it: the same categories in the same order (first seen first), nulls as missing.

    Parquet gives a row group one dictionary, which its record batches share; pyarrow's `take` and
    `to_pandas` unify the dictionary of every batch, at 3M models ~820k family names 23 times over, and
    pandas then checks the ~2M categories are unique: seconds on the overview's first filter change.
    Here each distinct dictionary is hashed once, the codes are remapped and permuted with numpy, and the
    categories (unique by construction) are not checked again.
    """
    dictionaries: list[pa.Array] = []
    starts: dict[tuple[int, int, int], int] = {}
    parts: list[np.ndarray] = []
    total = 0
    for chunk in column.chunks:
        key = _dictionary_key(chunk.dictionary)
        if key not in starts:
            starts[key] = total
            dictionaries.append(chunk.dictionary)
            total += len(chunk.dictionary)
        local = chunk.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        parts.append(np.where(local >= 0, local + starts[key], -1))
    encoded = pc.dictionary_encode(pa.chunked_array(dictionaries, type=column.type.value_type).combine_chunks())
    remap = np.append(encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32), -1)
    codes = remap[np.concatenate(parts)] if parts else np.empty(0, dtype=np.int32)  # -1 picks the last: -1
    if order is not None:
        codes = codes[order]
    categories = pd.Index(encoded.dictionary.to_pandas())
    return pd.Series(pd.Categorical.from_codes(codes, dtype=_unique_categories(categories), validate=False))


def _unique_categories(categories: pd.Index) -> pd.CategoricalDtype:
    """A categorical dtype over `categories` known to be unique (a dictionary_encode's). pandas' private fast path
    skips the uniqueness check (1.6 s for the ~2M family names of a 3M atlas); the public constructor serves if
    a pandas release drops or changes it."""
    fast = getattr(pd.CategoricalDtype, "_from_fastpath", None)
    if fast is not None:
        try:
            dtype = fast(categories, ordered=False)
        except TypeError:
            pass
        else:
            if isinstance(dtype, pd.CategoricalDtype):
                return dtype
    return pd.CategoricalDtype(categories, ordered=False)


def _dictionary_key(dictionary: pa.Array) -> tuple[int, int, int]:
    # The batches of one row group hold the same dictionary buffers: the same key, hashed once.
    offsets, data = dictionary.buffers()[1:3]
    return (offsets.address if offsets else 0, data.address if data else 0, len(dictionary))


def _is_string_dictionary(arrow_type: pa.DataType) -> bool:
    return pa.types.is_dictionary(arrow_type) and arrow_type.value_type in (pa.string(), pa.large_string())


@dataclass
class Atlas:
    """One atlas as the explorer holds it in memory, read lazily: the models table a column at a time when
    a page asks (`frame`, or `models` for every column), lineage edges and hierarchy on first use, and the
    whole-atlas numbers from the build's site summary. `models` is sorted by id, index 0..n-1."""

    snapshot_id: str
    root: Path
    table: ModelColumns
    communities: pd.DataFrame
    build: dict[str, Any]
    folder: Path
    edges_path: Path | None = None  # similarity edges: indexed on first use (similarity.py)
    precomputed: SiteSummary | None = None  # site/summary.json, when the build wrote one
    _lazy: dict[str, Any] = field(default_factory=dict, repr=False)
    # Re-entrant: the summary of an atlas without site/ reads the models under it.
    _lazy_lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def _once(self, key: str, make: Any) -> Any:
        if key not in self._lazy:
            with self._lazy_lock:
                if key not in self._lazy:
                    self._lazy[key] = make()
        return self._lazy[key]

    @property
    def models(self) -> pd.DataFrame:
        """Every explorer column (the first call reads what no page has read yet)."""
        return self._once("models", self.table.frame)

    def frame(self, columns: Sequence[str]) -> pd.DataFrame:
        """Only `columns` (those the atlas has), sorted by id: what a page needs, without the rest."""
        return self.table.frame(columns)

    @property
    def size(self) -> int:
        return self.table.rows

    @property
    def lineage(self) -> pd.DataFrame:
        """Declared and inferred edges only."""
        path = self.edges_path
        return self._once("lineage", lambda: read_lineage_edges(path) if path is not None else _empty_edges())

    @property
    def hierarchy(self) -> dict[str, Any]:
        return self._once("hierarchy", lambda: read_hierarchy(self.folder / ATLAS_FILES.hierarchy))

    @property
    def summary(self) -> SiteSummary:
        """The whole atlas's numbers: the build's site/summary.json, else computed here once (older atlases)."""
        if self.precomputed is not None:
            return self.precomputed
        return self._once("summary", lambda: summarize(self.models))

    @property
    def lookup(self) -> ModelLookup | None:
        """The build's one-model lookups (site_lookup: ids, search keys, similar names, a model's row, its
        children and lineage edges), memory-mapped; None for an atlas built before them."""
        return self._once("lookup", lambda: read_lookup(self.folder / ATLAS_FILES.site))

    @property
    def views(self) -> SiteViews | None:
        """The build's precomputed views of the unfiltered atlas (site_views: the scatter's points, the
        dendrogram's trees, the communities' top members); None for an atlas built before them."""
        return self._once("views", lambda: read_views(self.folder / ATLAS_FILES.site))

    @property
    def trends(self) -> SiteTrends | None:
        """The build's Trends curves of the unfiltered atlas across its scope's snapshots (site_trends); None
        for an atlas built before them (the page then counts them on a visit, as it does for a filter)."""
        return self._once("trends", lambda: read_trends(self.folder / ATLAS_FILES.site))

    @property
    def snapshot_downloads(self) -> SnapshotDownloads | None:
        """The build's snapshots of the scope by the site's rows (site_downloads), for a filtered Trends view;
        None for an atlas built before them or whose file does not match its models."""
        found = self._once("downloads", lambda: read_downloads(self.folder / ATLAS_FILES.site))
        return found if found is not None and found.index.rows == self.size else None

    @property
    def filter_counts(self) -> FilterCounts | None:
        """The build's codes and numbers for the overview's counts of a filtered selection (site_views), so a
        filter change reads no family name; None for an atlas built before them."""
        views = self.views
        return views.filter_counts() if views is not None else None

    @property
    def synthetic(self) -> bool:
        return bool(self.build.get("synthetic", False))

    def has(self, column: str) -> bool:
        """True when models.parquet has `column` with at least one value."""
        if column not in self.table.present:
            return False
        known = self.summary.has.get(column)
        return bool(known) if known is not None else bool(self.frame([column])[column].notna().any())

    @property
    def lineage_in_similarity_graph(self) -> bool | None:
        """Whether the build added lineage edges to the similarity graph before finding communities."""
        config = self.build.get("config") or {}
        if "lineage_weight" in config and "add_lineage_edges" not in config:
            return bool(config["lineage_weight"] and config["lineage_weight"] > 0)
        # Builds from before issue 10 had an on/off switch (and a weight that only counted when it was on).
        return bool(config["add_lineage_edges"]) if "add_lineage_edges" in config else None

    @property
    def community_algorithm(self) -> str | None:
        """The algorithm that ran (build.json reports it; the config may only say "auto")."""
        ran = ((self.build.get("reports") or {}).get("atlas") or {}).get("communities") or {}
        if isinstance(ran.get("algorithm"), str):
            return ran["algorithm"]
        configured = (self.build.get("config") or {}).get("community_algorithm")
        return configured if isinstance(configured, str) else None

    def position(self, model_id: str) -> int | None:
        """Row of `model_id` in `models`, by binary search over the sorted ids."""
        if self.lookup is not None:  # the build's sorted ids, memory-mapped: no id column is read
            return self.lookup.row_of(model_id)
        ids = self.sorted_ids
        i = int(np.searchsorted(ids, model_id))
        return i if i < len(ids) and ids[i] == model_id else None

    @property
    def sorted_ids(self) -> np.ndarray:
        return self._once("ids", self._sorted_ids)

    def _sorted_ids(self) -> np.ndarray:
        if self.lookup is not None:
            return self.lookup.ids.to_numpy(zero_copy_only=False).astype(object)
        return self.frame(["id"])["id"].to_numpy(dtype=object)


def load_atlas(layout: DataLayout, snapshot_id: str | None = None) -> Atlas:
    """The atlas of `snapshot_id` (default: the one atlas/LATEST points at). Reads only build.json, the
    communities table, the site summary and the models file's schema: the rest waits for a page to ask."""
    snapshot_id = snapshot_id or latest_atlas_id(layout)
    build = complete_build_info(layout, snapshot_id)
    folder = layout.atlas(snapshot_id)
    table = ModelColumns(folder / ATLAS_FILES.models)
    edges_path = folder / ATLAS_FILES.edges
    communities_path = folder / ATLAS_FILES.communities
    communities = pq.read_table(communities_path).to_pandas() if communities_path.is_file() else pd.DataFrame()
    atlas = Atlas(
        snapshot_id=snapshot_id,
        root=layout.root,
        table=table,
        communities=communities,
        build=build,
        folder=folder,
        edges_path=edges_path if edges_path.is_file() else None,
        precomputed=read_summary(folder),
    )
    table.order_of = lambda: atlas.lookup.row_order if atlas.lookup is not None else None
    return atlas


def read_models(path: Path) -> pd.DataFrame:
    """models.parquet as the explorer holds it: the MODEL_COLUMNS it has, sorted by id, CATEGORICAL_COLUMNS
    as categoricals."""
    return ModelColumns(path).frame()


def _nullable_integers(arrow_type: pa.DataType) -> pd.api.extensions.ExtensionDtype | None:
    """pandas would turn an int64 column with nulls into float64 (7e9 for 7000000000); keep integers."""
    return pd.Int64Dtype() if pa.types.is_integer(arrow_type) else None


def read_lineage_edges(path: Path) -> pd.DataFrame:
    """Declared and inferred edges (similarity edges are indexed separately, see similarity.py)."""
    present = set(pq.read_schema(path).names)
    if not {"source", "target", "kind"} <= present:
        log.warning("%s lacks source/target/kind; showing no lineage edges", path)
        return _empty_edges()
    columns = [c for c in _empty_edges().columns if c in present]
    table = pq.read_table(
        path,
        columns=columns,
        filters=[("kind", "in", list(LINEAGE_KINDS))],  # row groups of similarity edges are skipped
        read_dictionary=[c for c in ("kind", "relation") if c in present],
    )
    edges = table.to_pandas().reindex(columns=list(_empty_edges().columns))
    del table
    release_arrow_memory()  # the row groups read to find them hold every similarity edge too
    return edges


def read_hierarchy(folder: Path) -> dict[str, Any]:
    """Every array or table under hierarchy/, by file stem (the atlas stage names them)."""
    out: dict[str, Any] = {}
    if not folder.is_dir():
        return out
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder).with_suffix(""))
        try:
            if path.suffix == ".npy":
                out[key] = np.load(path, allow_pickle=False)
            elif path.suffix == ".npz":
                with np.load(path, allow_pickle=False) as archive:
                    for name in archive.files:
                        out[f"{key}/{name}"] = archive[name]
            elif path.suffix == ".parquet":
                out[key] = pq.read_table(path).to_pandas()
        except (OSError, ValueError) as exc:  # one unreadable file must not take the site down
            log.warning("skipped %s: %s", path, exc)
    return out


def _empty_edges() -> pd.DataFrame:
    # Lineage edges carry no similarity weight.
    return pd.DataFrame(columns=[c for c in EDGE_COLUMNS if c != "weight"])
