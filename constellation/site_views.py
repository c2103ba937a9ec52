"""What the site's heavier pages draw for every visitor of an unfiltered atlas, precomputed at build time.

The scatter page, the dendrogram and the graph of a community read columns of every model to draw their
first view (8.6 s, 3.1 s and more at 3M models), yet with no filter set that view is the same for every
visitor. The build holds the models and the hierarchy in memory already, so it writes those views once into
atlas/<id>/site/ (`write_views`), small and keyed, and the site opens them in milliseconds (`read_views`):

- scatter.parquet: the points each scatter plot shows (`scatter_sample`, the same sample the site draws
  from the whole atlas), the scatter's columns and each point's row in the site's id order; the counts the
  caption gives are in the file's metadata.
- dendrogram.npz: the atlas-level tree the dendrogram page draws (over community centroids).
- member_trees.parquet: the tree inside each of the largest communities (what the page's picker offers),
  keyed by community.
- community_top.parquet: the most-downloaded members of the largest communities with the graph's node
  columns, keyed by community (the graph of a community).
- filter_counts.arrow and family_names.arrow: what the overview counts of a filtered selection, one row per
  model in the site's id order (family and community as integer codes, downloads, likes, params), and the
  family of each code (`FilterCounts`): a filter change counts codes at the kept rows and names the top 15,
  instead of reading ~2M family names (2.5 s at 3M models).

With filters set (but for the filter counts), or for an atlas built before these files, the pages compute
from the models as before.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from constellation.errors import HierarchyError
from constellation.site_lookup import (
    KeyedParquet,
    id_order,
    read_mapped,
    single_array,
    stamp_current,
    write_sorted,
    write_stamp,
)

log = logging.getLogger(__name__)

VERSION = 1  # bump when a file's layout changes: an older folder is then ignored (the site computes instead)
VERSION_FILE = "views.version"
SCATTER_FILE = "scatter.parquet"
DENDROGRAM_FILE = "dendrogram.npz"
MEMBER_TREES_FILE = "member_trees.parquet"
COMMUNITY_TOP_FILE = "community_top.parquet"
FILTER_COUNTS_FILE = "filter_counts.arrow"
FAMILY_NAMES_FILE = "family_names.arrow"

# The scatter page's plots: kind → (x, y) columns (constellation.app.figures.SCATTERS draws them; a test
# holds the two equal).
SCATTER_AXES: dict[str, tuple[str, str]] = {
    "downloads-likes": ("likes", "downloads"),
    "params-downloads": ("params", "downloads"),
    "created-downloads": ("created_at", "downloads"),
}
# Above this many points one Scattergl trace stutters and the payload passes ~10 MB (scale-notes).
MAX_SCATTER_POINTS = 100_000
SCATTER_COLUMNS = (
    "id", "downloads", "likes", "params", "created_at", "community", "community_label", "family", "relation", "parent",
)  # fmt: skip
COMMUNITIES_N = 500  # communities with a precomputed tree and top list: those the pages' pickers offer
TOP_MEMBERS = 1500  # members kept per community: the graph's largest cap (constellation.app.graphs.HARD_CAP)
NODE_COLUMNS = ("id", "community", "downloads", "params", "family", "community_label")
TREES_PER_GROUP = 16  # communities per row group of member_trees.parquet: a tree holds up to 1,000 labels
MAX_COMMUNITIES = 300  # leaves of the atlas-level tree over layout centroids (the largest communities)
ATLAS_TREE_SOURCE = "the atlas's tree over community centroids (hierarchy/atlas_linkage)"
MEMBER_TREE_SOURCE = "the atlas's tree of this community (hierarchy/community_linkage)"
# The numbers the overview counts of a selection (site_summary.top_coded, app.overview.atlas_counts), and the
# filters that can read them instead of the models (app.filters.filter_mask: a missing download is 0 there too).
COUNT_NUMBERS = ("downloads", "likes", "params")
CODED_GROUPS = ("family", "community")


# --------------------------------------------------------------------------------------------------
# The views, computed (pure; the site computes the scatter sample the same way from filtered models)
# --------------------------------------------------------------------------------------------------


def plottable(models: pd.DataFrame, x: str, y: str) -> np.ndarray:
    """Rows with both coordinates known (and a positive parameter count on a params axis: a log axis)."""
    known = models[x].notna().to_numpy(dtype=bool) & models[y].notna().to_numpy(dtype=bool)
    if x == "params":
        known &= models["params"].fillna(0).to_numpy(dtype="float64") > 0
    return known


def sample_per_group(
    frame: pd.DataFrame, groups: pd.Series, cap: int, seed: int = 0, keep_top: int = 1000
) -> pd.DataFrame:
    """At most about `cap` rows: the `keep_top` most-downloaded, then the same fraction of every group,
    so small communities stay visible in proportion."""
    if len(frame) <= cap:
        return frame
    index = frame.index
    if not (index.is_monotonic_increasing and index.is_unique and groups.index.equals(index)):
        return _sample_by_labels(frame, groups, cap, seed, keep_top)
    # Sorted distinct labels (the build's and the site's frames): each label is one row, so the sample is
    # taken by positions, as _sample_by_labels takes it by labels without hashing millions of them (3 times
    # a build's scatter plots).
    top = np.empty(0, dtype=np.int64)
    if "downloads" in frame:
        top = frame["downloads"].reset_index(drop=True).nlargest(min(keep_top, cap)).index.to_numpy(dtype=np.int64)
    rest = np.ones(len(frame), dtype=bool)
    rest[top] = False
    rest_rows = np.flatnonzero(rest)
    fraction = max(0.0, (cap - len(top)) / max(len(rest_rows), 1))
    rng = np.random.default_rng(seed)
    draw = rng.random(len(rest_rows))
    rank, size = rank_in_groups(_group_codes(groups.iloc[rest_rows]), draw)
    quota = np.maximum(1, np.round(size.astype("float64") * fraction))
    return frame.iloc[np.r_[top, rest_rows[rank <= quota]]]


def _sample_by_labels(frame: pd.DataFrame, groups: pd.Series, cap: int, seed: int, keep_top: int) -> pd.DataFrame:
    """sample_per_group of any frame, by its index labels."""
    top = frame.nlargest(min(keep_top, cap), "downloads").index if "downloads" in frame else frame.index[:0]
    rest = frame.drop(index=top)
    fraction = max(0.0, (cap - len(top)) / max(len(rest), 1))
    rng = np.random.default_rng(seed)
    # Every group keeps round(fraction × size) rows, at least one: small communities stay visible.
    draw = rng.random(len(rest))
    codes = _group_codes(groups.reindex(rest.index))  # the groups `groupby(keys)` forms
    rank, size = rank_in_groups(codes, draw)
    quota = np.maximum(1, np.round(size.astype("float64") * fraction))
    picked = rest.index[rank <= quota]
    return frame.loc[top.append(picked)]


def _group_codes(groups: pd.Series) -> np.ndarray:
    """A code per row, equal for rows of one group and only for them (a missing group is one group): numbers
    are coded as numbers, other keys as Python objects (boxing millions of community numbers took seconds)."""
    if pd.api.types.is_numeric_dtype(groups.dtype) and not pd.api.types.is_bool_dtype(groups.dtype):
        values = groups.to_numpy(dtype="float64", na_value=np.nan)
        if bool((np.abs(values[np.isfinite(values)]) < 2**53).all()):  # every number exact as a float
            return pd.factorize(values, use_na_sentinel=False)[0]
    return pd.factorize(groups.astype("object").fillna("").to_numpy(), use_na_sentinel=False)[0]


def rank_in_groups(codes: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's rank (1, 2, …) by `values` inside its group (`codes`: 0..g-1), ties in row order, and its
    group's size: `Series(values).groupby(codes).rank(method="first")` and the group's `value_counts`, as one
    numpy sort (pandas' grouped rank took ~0.6 s a scatter plot at 1M models)."""
    codes = np.asarray(codes, dtype=np.int64)
    # By group, then value, ties in row order: `np.lexsort((values, codes))` as two stable sorts, the values'
    # then the groups' (about twice as fast at 3M rows). Fewer than 2**16 groups sort as uint16, by numpy's
    # radix sort: ten times faster than int64's, the same order (a stable sort's order is the keys').
    by_value = np.argsort(values, kind="stable")
    narrow = np.uint16 if len(codes) and int(codes.max()) < 2**16 else np.int64
    order = by_value[np.argsort(codes[by_value].astype(narrow, copy=False), kind="stable")]
    sizes = np.bincount(codes)
    starts = np.cumsum(sizes) - sizes
    rank = np.empty(len(codes), dtype=np.int64)
    rank[order] = np.arange(len(codes)) - starts[codes[order]] + 1
    return rank, sizes[codes]


@dataclass(frozen=True)
class ScatterSample:
    points: pd.DataFrame  # the rows shown, in draw order
    plottable: int  # rows with both coordinates known
    total: int  # rows passed in


def scatter_sample(
    models: pd.DataFrame, kind: str, groups: pd.Series, cap: int = MAX_SCATTER_POINTS, seed: int = 0
) -> ScatterSample:
    """The points the scatter `kind` shows of `models`: the plottable rows, sampled per group of `groups`
    (the community) above `cap`."""
    x, y = SCATTER_AXES[kind]
    frame = models.loc[plottable(models, x, y)]
    return ScatterSample(sample_per_group(frame, groups.reindex(frame.index), cap, seed), len(frame), len(models))


@dataclass(frozen=True)
class TreeView:
    linkage: np.ndarray  # scipy format, (n-1) × 4
    labels: list[str]  # one per leaf, in the linkage's order
    keys: list[Any]  # the community number or model id of each leaf
    source: str  # where it came from, shown to the visitor


def atlas_community_tree(hierarchy: dict[str, Any]) -> TreeView | None:
    """The atlas's saved tree when it is over communities (one leaf per community); None otherwise (a small
    atlas's tree is over models: the site then draws community centroids of the layout)."""
    if "atlas_linkage" not in hierarchy or "atlas_leaves" not in hierarchy:
        return None
    from constellation.atlas import hierarchy as saved  # on use: the site's cold start imports this module

    try:
        z, labels = saved.atlas_tree(hierarchy)
    except (HierarchyError, KeyError) as exc:
        log.warning("atlas tree unreadable: %s", exc)
        return None
    leaves = hierarchy["atlas_leaves"]
    if is_linkage(z) and "community" in leaves and len(leaves) and leaves["community"].is_unique:
        return TreeView(np.asarray(z, dtype="float64"), labels, leaves["community"].tolist(), ATLAS_TREE_SOURCE)
    return None


def centroid_tree(models: pd.DataFrame, labels: dict[Any, str], largest: int = MAX_COMMUNITIES) -> TreeView | None:
    """Ward linkage over the layout centroids of the `largest` communities (for an atlas whose saved tree is
    over models, or with filters set); None with fewer than two communities or no layout."""
    if not {"community", "x", "y"} <= set(models.columns) or not models["community"].notna().any():
        return None
    from scipy.cluster.hierarchy import linkage as scipy_linkage  # on use: the site's cold start imports this module

    # The site holds the layout as float32 (app.data): the same numbers here give the same tree.
    frame = models[["community", "x", "y"]].astype({"x": "float32", "y": "float32"}).dropna()
    grouped = frame.groupby("community", observed=True).agg(x=("x", "mean"), y=("y", "mean"), size=("x", "size"))
    grouped = grouped.sort_values("size", ascending=False).head(largest)
    if len(grouped) < 2:
        return None
    z = scipy_linkage(grouped[["x", "y"]].to_numpy(dtype="float64"), method="ward")
    keys = grouped.index.tolist()
    source = f"the layout centroids of the {len(keys):,} largest communities (computed by the build)"
    return TreeView(z, [_community_label(k, labels) for k in keys], keys, source)


def _community_label(key: Any, labels: dict[Any, str]) -> str:
    label = labels.get(key)
    return f"{key}: {label}" if label else str(key)


def is_linkage(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.ndim == 2 and value.shape[1] == 4 and value.shape[0] >= 1


def member_trees(hierarchy: dict[str, Any], communities: list[int]) -> pd.DataFrame:
    """community, labels, linkage (flattened) of each of `communities` the hierarchy has a tree of, as
    `saved.community_tree` gives them; grouped once, not filtered per community (500 scans of 3M rows)."""
    out = pd.DataFrame({"community": pd.Series(dtype="int64"), "labels": [], "linkage": []})
    if not {"community_linkage", "community_trees", "members"} <= set(hierarchy):
        return out
    trees = hierarchy["community_trees"].set_index("community")
    members = hierarchy["members"]
    wanted = [c for c in communities if c in trees.index]
    mine = members[members["community"].isin(wanted).to_numpy(dtype=bool)]
    per_leaf = mine.groupby(["community", "leaf"]).size()
    heads = mine[mine["prototype"].to_numpy(dtype=bool)].sort_values(["community", "leaf"], kind="stable")
    counts = per_leaf.reindex(pd.MultiIndex.from_arrays([heads["community"], heads["leaf"]])).to_numpy()
    # The ids as one list (not a Python string per element drawn from the Arrow column), and the few leaves
    # of several models renamed in place: ~1M heads at 3M models.
    names = heads["id"].astype(str).tolist()
    many = counts.tolist()
    for at in np.flatnonzero(counts > 1).tolist():
        names[at] = f"{names[at]} (+{many[at] - 1} similar)"
    # The heads are sorted by community: each community's labels are one slice of them.
    head_community = heads["community"].to_numpy()
    linkage = np.asarray(hierarchy["community_linkage"], dtype="float64")
    rows = []
    for community in wanted:
        start, leaves = int(trees.at[community, "start"]), int(trees.at[community, "leaves"])
        z = linkage[start : start + max(leaves - 1, 0)]
        lo, hi = np.searchsorted(head_community, community, "left"), np.searchsorted(head_community, community, "right")
        rows.append((community, names[lo:hi], z.ravel().tolist()))
    return pd.DataFrame(rows, columns=["community", "labels", "linkage"]) if rows else out


def community_top(
    models: pd.DataFrame, communities: list[int], id_rank: np.ndarray, n: int = TOP_MEMBERS
) -> pd.DataFrame:
    """The `n` most-downloaded members of each of `communities`, NODE_COLUMNS; ties in id order, given as
    `id_rank` (each model's place among the ids sorted: a sort of numbers, not of millions of strings)."""
    columns = [c for c in NODE_COLUMNS if c in models]
    inside = models["community"].isin(communities).to_numpy(dtype=bool)
    downloads = pd.to_numeric(models["downloads"], errors="coerce").fillna(-1).to_numpy(dtype="float64")
    community = models["community"].to_numpy(dtype="float64", na_value=np.nan)
    rows = np.flatnonzero(inside)
    rows = rows[np.lexsort((id_rank[rows], -downloads[rows], community[rows]))]
    # The first `n` of each community (a run of the sorted rows): only those rows' columns are taken.
    runs = community[rows]
    first = np.flatnonzero(np.r_[True, runs[1:] != runs[:-1]]) if len(rows) else np.empty(0, dtype=np.int64)
    place = np.arange(len(rows)) - np.repeat(first, np.diff(np.r_[first, len(rows)]))
    frame = models[columns].take(rows[place < n]).reset_index(drop=True)
    return frame.assign(id=frame["id"].astype(str), community=frame["community"].astype("int64"))


def largest_communities(models: pd.DataFrame, n: int = COMMUNITIES_N) -> list[int]:
    """The `n` largest communities, largest first (as the site summary's size list orders them)."""
    counts = models["community"].value_counts()
    return [int(c) for c in counts.index[:n]]


# --------------------------------------------------------------------------------------------------
# Writing (the build)
# --------------------------------------------------------------------------------------------------


def write_views(
    folder: Path,
    models: pd.DataFrame,
    communities: pd.DataFrame,
    hierarchy: dict[str, Any],
    scatter_cap: int = MAX_SCATTER_POINTS,
    order: np.ndarray | None = None,
) -> None:
    """Write the views of `models`, `communities` (the atlas's tables as the build holds them) and `hierarchy`
    (its saved tables) into `folder` (atlas/<id>/site/) and stamp them for the atlas files beside it:
    `write_view_files`, then `stamp_views`."""
    write_view_files(folder, models, communities, hierarchy, scatter_cap, order)
    stamp_views(folder)


def stamp_views(site: Path) -> None:
    """Mark the views in `site` (atlas/<id>/site/) as written for the atlas files beside it (`read_views`
    checks it): the last step, once every view file is in `site`."""
    write_stamp(site, VERSION_FILE, VERSION)


def write_view_files(
    folder: Path,
    models: pd.DataFrame,
    communities: pd.DataFrame,
    hierarchy: dict[str, Any],
    scatter_cap: int = MAX_SCATTER_POINTS,
    order: np.ndarray | None = None,
) -> None:
    """The views' files (`write_views`) into `folder`, without the stamp: the views of every model
    (`write_row_views`), then those of the largest communities (`write_community_views`). `scatter_cap`:
    points per scatter plot at most; `order`: `site_lookup.id_order(models)` when the caller has it."""
    # The site's rows are sorted by id: its samples draw, and its ties break, in that order.
    order = id_order(models) if order is None else order
    write_row_views(folder, models, order, scatter_cap)
    write_community_views(folder, models, communities, hierarchy, order)


def write_row_views(
    folder: Path, models: pd.DataFrame, order: np.ndarray, scatter_cap: int = MAX_SCATTER_POINTS
) -> None:
    """The views read by the site's rows (`order`: `site_lookup.id_order(models)`) into `folder`, unstamped:
    the filter counts and the scatter sample. The build writes them while its second process writes the
    community views (build.py)."""
    folder.mkdir(parents=True, exist_ok=True)
    write_filter_counts(folder, models, order)
    if has_communities(models):
        _write_scatter(folder / SCATTER_FILE, models, order, scatter_cap)


def write_community_views(
    folder: Path, models: pd.DataFrame, communities: pd.DataFrame, hierarchy: dict[str, Any], order: np.ndarray
) -> None:
    """The views of the atlas's communities into `folder`, unstamped: the dendrogram, the trees of the
    largest communities and their most-downloaded members (ties in id `order`); none without communities."""
    folder.mkdir(parents=True, exist_ok=True)
    if not has_communities(models):
        return
    id_rank = np.empty(len(order), dtype=np.int64)
    id_rank[order] = np.arange(len(order))
    largest = largest_communities(models)
    tree = atlas_community_tree(hierarchy) or centroid_tree(
        models, community_labels(models, communities).dropna().astype(str).to_dict()
    )
    if tree is not None:
        np.savez(
            folder / DENDROGRAM_FILE,
            linkage=tree.linkage,
            labels=np.asarray(tree.labels, dtype=str),
            keys=np.asarray(tree.keys, dtype=np.int64),
            source=np.asarray(tree.source),
        )
    trees = member_trees(hierarchy, largest)
    if len(trees):
        table = pa.Table.from_pandas(trees, preserve_index=False)
        write_sorted(folder / MEMBER_TREES_FILE, table, np.argsort(trees["community"].to_numpy()), TREES_PER_GROUP)
    top = community_top(models, largest, id_rank)
    table = pa.Table.from_pandas(top, preserve_index=False)
    write_sorted(folder / COMMUNITY_TOP_FILE, table, np.arange(len(top)))  # already by community


def has_communities(models: pd.DataFrame) -> bool:
    """Whether any model has a community: the scatter and the community views need one."""
    return "community" in models and bool(models["community"].notna().any())


def community_labels(models: pd.DataFrame, communities: pd.DataFrame) -> pd.Series:
    """community → label, from communities.parquet, else from the models' community_label (the build's
    dendrogram and the site's pages name communities alike)."""
    if {"community", "label"} <= set(communities.columns):
        return communities.set_index("community")["label"].astype("object")
    if {"community", "community_label"} <= set(models.columns):
        pairs = models[["community", "community_label"]].dropna().drop_duplicates("community")
        return pairs.set_index("community")["community_label"].astype("object")
    return pd.Series(dtype="object")


def _write_scatter(path: Path, models: pd.DataFrame, order: np.ndarray, cap: int) -> None:
    # `order` sorts the models by id, the site's row order, in which its sample draws: sorted so, the sample
    # is the one the site would draw from the whole atlas. Only the numbers the sample looks at are sorted
    # (a copy of the string columns at 3M models would cost the build hundreds of MB).
    sampled = [*(c for pair in SCATTER_AXES.values() for c in pair), "downloads", "community"]
    numbers = models[[c for c in dict.fromkeys(sampled) if c in models]].take(order).reset_index(drop=True)
    shown: dict[str, np.ndarray] = {}
    counts: dict[str, int] = {}
    for kind, (x, y) in SCATTER_AXES.items():
        if x not in numbers or y not in numbers:
            continue
        sample = scatter_sample(numbers, kind, numbers["community"], cap)
        shown[kind], counts[kind] = sample.points.index.to_numpy(), sample.plottable
    # Every row some plot shows, ascending: marked among all rows (a hash of the 300k picks took 0.25 s).
    marked = np.zeros(len(numbers), dtype=bool)
    del numbers
    for picked in shown.values():
        marked[picked] = True
    rows = np.flatnonzero(marked).astype(np.int64)
    columns = [c for c in SCATTER_COLUMNS if c in models]
    points = models[columns].take(order[rows]).reset_index(drop=True).assign(row=rows)
    for kind, picked in shown.items():
        # Draw order: the sample's own (the most-downloaded first), so a redraw matches the site's exactly.
        points[_order_column(kind)] = pd.Series(np.arange(len(picked)), index=picked).reindex(rows).to_numpy()
    table = pa.Table.from_pandas(points, preserve_index=False)
    meta = {"total": len(models), "plottable": counts, "cap": cap}
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), b"constellation": json.dumps(meta)})
    pq.write_table(table, path)


def filter_counts_tables(models: pd.DataFrame, order: np.ndarray) -> tuple[pa.Table, pa.Table]:
    """The filter counts of `models` with rows in `order` (the site's id order): one row per model with
    CODED_GROUPS as int32 codes (-1: none; a community is its own code) and COUNT_NUMBERS (downloads and
    likes as int64 with missing as 0, params as float64 with missing as NaN), and the family of each code.
    Columns the models lack are left out, and communities that are no such codes (the site then reads the
    models for them)."""
    columns: dict[str, np.ndarray] = {}
    names = pa.table({"family": pa.array([], pa.string())})  # the family of each code
    if "family" in models:
        # Coded in build order, then the codes put in id order: no copy of ~3M strings (any code order gives
        # the same top lists: ties break by the names themselves, site_summary.top_coded).
        codes, uniques = pd.factorize(models["family"], use_na_sentinel=True)
        columns["family"] = codes.astype(np.int32)[order]
        names = pa.table({"family": pa.array(np.asarray(uniques, dtype=object), pa.string())})
    if "community" in models:
        community = models["community"].to_numpy(dtype="float64", na_value=np.nan)[order]
        known = community[~np.isnan(community)]
        # Community numbers are 0, 1, … (the largest first): their own codes. Any other number is left to the models.
        if not len(known) or (known.min() >= 0 and known.max() < 2**31 - 1 and bool((known == np.round(known)).all())):
            columns["community"] = np.where(np.isnan(community), -1, community).astype(np.int32)
    for column in ("downloads", "likes"):
        if column in models:
            columns[column] = models[column].to_numpy(dtype="int64", na_value=0)[order]
    if "params" in models:
        columns["params"] = models["params"].to_numpy(dtype="float64", na_value=np.nan)[order]
    return pa.table(columns), names


def write_filter_counts(folder: Path, models: pd.DataFrame, order: np.ndarray) -> None:
    """Write the filter counts of `models` (rows in `order`: the site's id order) into `folder` (site/)."""
    counts, names = filter_counts_tables(models, order)
    # Arrow files uncompressed: the site memory-maps them, so every session shares the same pages.
    for path, table in ((folder / FILTER_COUNTS_FILE, counts), (folder / FAMILY_NAMES_FILE, names)):
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)


def _order_column(kind: str) -> str:
    return f"order_{kind.replace('-', '_')}"


# --------------------------------------------------------------------------------------------------
# Reading (the site)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FilterCounts:
    """The overview's counts of any selection without reading the models (filter_counts_tables): codes and
    numbers memory-mapped, one row per model in the site's id order, so a selection's rows index them."""

    codes: dict[str, np.ndarray]  # CODED_GROUPS present → int32 code per row, -1 for none
    numbers: dict[str, np.ndarray]  # COUNT_NUMBERS present → one value per row
    family_names: pa.Array  # the family of each family code

    def names(self, column: str, codes: np.ndarray) -> pd.Index:
        """The values of `column` that `codes` stand for, as the site's models hold them (a categorical's
        categories for family, nullable integers for community)."""
        if column == "family":
            return pd.Index(self.family_names.take(pa.array(codes, pa.int64())).to_pandas())
        return pd.Index(pd.array(codes, dtype="Int64"))


class SiteViews:
    """The precomputed views of one atlas, opened lazily (each file on first use, then kept)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._scatter: tuple[pd.DataFrame, dict[str, Any]] | None = None
        self._tree: TreeView | None | bool = False
        self._counts: FilterCounts | None | bool = False
        trees, top = folder / MEMBER_TREES_FILE, folder / COMMUNITY_TOP_FILE
        self.trees = KeyedParquet(trees, "community") if trees.is_file() else None
        self.top = KeyedParquet(top, "community") if top.is_file() else None

    @property
    def has_scatter(self) -> bool:
        return (self.folder / SCATTER_FILE).is_file()

    def _scatter_table(self) -> tuple[pd.DataFrame, dict[str, Any]]:
        if self._scatter is None:
            table = pq.read_table(
                self.folder / SCATTER_FILE,
                read_dictionary=["community_label", "family", "relation", "parent"],
            )
            meta = json.loads((table.schema.metadata or {}).get(b"constellation", b"{}"))
            frame = table.to_pandas(types_mapper=lambda t: pd.Int64Dtype() if pa.types.is_integer(t) else None)
            self._scatter = (frame.set_index(frame["row"].astype("int64").to_numpy()).rename_axis(None), meta)
        return self._scatter

    def scatter_points(self) -> pd.DataFrame:
        """Every precomputed point (of any plot), indexed by its row in the site's id order."""
        return self._scatter_table()[0]

    def scatter(self, kind: str) -> ScatterSample | None:
        """The points the plot `kind` shows of the whole atlas, in draw order; None when not precomputed."""
        frame, meta = self._scatter_table()
        column = _order_column(kind)
        if column not in frame or kind not in meta.get("plottable", {}):
            return None
        shown = frame[frame[column].notna().to_numpy(dtype=bool)]
        shown = shown.iloc[np.argsort(shown[column].to_numpy(dtype="int64"), kind="stable")]
        return ScatterSample(
            shown[[c for c in frame.columns if c in SCATTER_COLUMNS]], meta["plottable"][kind], meta["total"]
        )

    def community_tree(self) -> TreeView | None:
        """The atlas-level tree over communities, None when the build had none to save."""
        if self._tree is False:
            path = self.folder / DENDROGRAM_FILE
            if not path.is_file():
                self._tree = None
            else:
                with np.load(path, allow_pickle=False) as archive:
                    self._tree = TreeView(
                        archive["linkage"], archive["labels"].tolist(), archive["keys"].tolist(), str(archive["source"])
                    )
        return self._tree if isinstance(self._tree, TreeView) else None

    def filter_counts(self) -> FilterCounts | None:
        """The overview's codes and numbers (FilterCounts), None when the build wrote none (an older atlas)."""
        if self._counts is False:
            self._counts = read_filter_counts(self.folder)
        return self._counts if isinstance(self._counts, FilterCounts) else None

    def member_tree(self, community: int) -> tuple[np.ndarray, list[str]] | None:
        """(linkage, labels) of `community`'s saved tree; None when not precomputed (not among the largest)."""
        if self.trees is None:
            return None
        rows = self.trees.rows(int(community))
        if not len(rows):
            return None
        labels = [str(v) for v in rows["labels"].iloc[0]]
        z = np.asarray(rows["linkage"].iloc[0], dtype="float64").reshape(-1, 4)
        return z, labels

    def community_members(self, community: int) -> pd.DataFrame | None:
        """The most-downloaded members of `community` (TOP_MEMBERS at most), NODE_COLUMNS; None when not
        precomputed."""
        if self.top is None:
            return None
        rows = self.top.rows(int(community))
        return rows if len(rows) else None


def read_filter_counts(folder: Path) -> FilterCounts | None:
    """The filter counts in `folder` (site/), memory-mapped; None when the build wrote none or they are damaged
    (the site then reads the models' columns). `read_views` checks the folder's stamp before."""
    counts, names = folder / FILTER_COUNTS_FILE, folder / FAMILY_NAMES_FILE
    if not counts.is_file() or not names.is_file():
        return None
    try:
        table = read_mapped(counts)
        family_names = read_mapped(names).column("family")
        arrays = {c: single_array(table.column(c)).to_numpy(zero_copy_only=True) for c in table.column_names}
    except (OSError, ValueError, KeyError, pa.ArrowException) as exc:  # a damaged file costs speed, not the site
        log.warning("ignored the filter counts in %s: %s", folder, exc)
        return None
    return FilterCounts(
        codes={c: arrays[c] for c in CODED_GROUPS if c in arrays},
        numbers={c: arrays[c] for c in COUNT_NUMBERS if c in arrays},
        family_names=single_array(family_names),
    )


def read_views(site: Path) -> SiteViews | None:
    """The views in `site` (atlas/<id>/site/), or None when absent, of another version, or written for other
    models.parquet and edges.parquet files than those beside it: the site then computes them."""
    if not stamp_current(site, VERSION_FILE, VERSION, "views"):
        return None
    try:
        return SiteViews(site)
    except (OSError, ValueError, KeyError, pa.ArrowException) as exc:  # a damaged folder costs speed, not the site
        log.warning("ignored the views in %s: %s", site, exc)
        return None
