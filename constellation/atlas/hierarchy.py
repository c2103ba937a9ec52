"""Hierarchical clustering (scipy linkage) that scales: a tree of the whole atlas and a tree per community.

scipy's linkage holds a condensed n² distance matrix (twice): 1.7 GB at 15k items, a ceiling near 40k. So:

- The atlas tree: exact linkage over every model when there are at most `exact_max` of them; above, linkage
  over community centroids (the L2-normalised mean of the members' feature rows).
- One tree per community, exact over its members, so the app can drill down to model names.
- Any tree over more than `leaf_cap` items is built over `leaf_cap` prototypes (the most popular items;
  `prototype_priority` ranks the copies of a name below every distinct name, so leaves are not wasted on
  re-uploads) and every other item joins the leaf of its most similar prototype (the first prototype when it resembles
  none). A leaf then holds several models; every model still lies in exactly one leaf of its community's
  tree. Which trees were capped is recorded (`community_trees.capped`, and the report).

Distances are cosine distances (1 − cosine similarity); linkage "average" by default. Cutting each
community's tree at a distance gives flat clusters nested in the communities (`cluster` ids).

Saved under atlas/<id>/hierarchy/ (see `as_tables`): `atlas_linkage.npy` and `atlas_leaves.parquet`;
`community_linkage.npy` (all community trees stacked) with `community_trees.parquet` (which rows belong to
which community); `members.parquet` (id, community, leaf, prototype, cluster at each cut level). Read a
tree back with `atlas_tree` and `community_tree`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse import _sparsetools
from scipy.spatial.distance import squareform
from sparse_dot_topn import sp_matmul_topn
from tqdm import tqdm

from constellation.arrow_strings import string_values
from constellation.atlas.workers import forked_map
from constellation.errors import HierarchyError

log = logging.getLogger(__name__)

LINKAGE_METHODS: tuple[str, ...] = ("average", "complete", "single", "weighted")
# Below it the community trees take well under a second, less than starting worker processes would cost.
FORK_MIN_MODELS = 100_000
_EMPTY_LINKAGE = np.empty((0, 4), dtype=np.float64)
# Rows of the similarity square multiplied at a time (`upper_similarities`): the bands right of the diagonal
# hold the upper triangle in 5/8 of the square's work at a thousand leaves (4 bands); narrower bands save
# less than their own cost (measured on the 300k synthetic atlas's largest communities).
_BLOCK_ROWS = 256


@dataclass(frozen=True)
class Tree:
    """One capped linkage: `linkage` over `prototypes` (leaf i is item prototypes[i]); `leaf_of` gives the
    leaf of every item."""

    linkage: np.ndarray  # (leaves − 1, 4) scipy linkage matrix
    prototypes: np.ndarray  # (leaves,) item positions
    leaf_of: np.ndarray  # (items,) leaf of each item
    capped: bool


@dataclass
class AtlasHierarchy:
    atlas: Tree  # over models (exact) or over communities
    atlas_level: str  # "models" or "communities"
    community_trees: list[Tree]  # one per community, items in member order (see `members_order`)
    members_order: np.ndarray  # model positions sorted by community, then position
    community_bounds: np.ndarray  # (communities + 1,) slice of members_order of each community
    clusters: dict[float, np.ndarray]  # cut level → cluster id of every model
    leaf_rank: np.ndarray  # (n,) rank of each model's leaf in its community's dendrogram order


def capped_tree(
    vectors: sp.csr_matrix, popularity: np.ndarray, *, cap: int, method: str, heads: np.ndarray | None = None
) -> Tree:
    """Linkage of the rows of `vectors` (L2-normalised), over at most `cap` prototype rows. `heads` (the row
    each row was nearest to when they were prototypes before, −1 when unknown; seeds.previous_heads) spares
    comparing every row with every prototype: see `_nearest_prototype`."""
    if method not in LINKAGE_METHODS:
        raise HierarchyError(f"unknown linkage method {method!r}; choose one of {', '.join(LINKAGE_METHODS)}")
    n = vectors.shape[0]
    if n <= cap:
        prototypes = np.arange(n)
        leaf_of = np.arange(n)
        capped = False
    else:
        prototypes = np.sort(np.lexsort((np.arange(n), -popularity))[:cap])
        leaf_of = _nearest_prototype(vectors, prototypes, heads)
        capped = True
    return Tree(_linkage(vectors[prototypes], method), prototypes, leaf_of, capped)


def _nearest_prototype(vectors: sp.csr_matrix, prototypes: np.ndarray, heads: np.ndarray | None = None) -> np.ndarray:
    """The leaf of each row: its most similar prototype. With `heads`, a row whose head (its nearest among
    yesterday's prototypes) is still a prototype is compared with its head and the prototypes that are new
    only: the others were farther than its head yesterday, and rows do not change. At 3M models that is a
    few new prototypes per community instead of a thousand (ties between equally similar prototypes may
    resolve to another leaf than a whole search's)."""
    n = vectors.shape[0]
    leaf_of = np.zeros(n, dtype=np.int64)
    leaf = np.full(n, -1, dtype=np.int64)
    leaf[prototypes] = np.arange(len(prototypes))
    known = np.zeros(n, dtype=bool)
    if heads is not None:
        head_leaf = np.where(heads >= 0, leaf[np.maximum(heads, 0)], -1)
        was = np.zeros(n, dtype=bool)
        was[heads[heads >= 0]] = True  # rows that were prototypes (heads of some row)
        fresh = prototypes[~was[prototypes]]
        rows = np.flatnonzero(head_leaf >= 0)
        head_similarity = np.asarray(vectors[rows].multiply(vectors[heads[rows]]).sum(axis=1)).ravel()
        rows, head_similarity = rows[head_similarity > 0], head_similarity[head_similarity > 0]
        leaf_of[rows] = head_leaf[rows]
        known[rows] = True
        if len(fresh) and len(rows):
            best = sp_matmul_topn(vectors[rows], vectors[fresh].T.tocsr(), top_n=1, threshold=0.0)
            found = np.repeat(np.arange(len(rows)), np.diff(best.indptr))
            closer = best.data > head_similarity[found]
            leaf_of[rows[found[closer]]] = leaf[fresh[best.indices[closer]]]
    rest = np.flatnonzero(~known)
    if len(rest):  # resembling none: the first prototype
        best = sp_matmul_topn(vectors[rest], vectors[prototypes].T.tocsr(), top_n=1, threshold=0.0)
        leaf_of[rest[np.repeat(np.arange(len(rest)), np.diff(best.indptr))]] = best.indices
    leaf_of[prototypes] = np.arange(len(prototypes))
    return leaf_of


def _linkage(vectors: sp.csr_matrix, method: str) -> np.ndarray:
    m = vectors.shape[0]
    if m < 2:
        return _EMPTY_LINKAGE.copy()
    condensed = np.clip(1.0 - upper_similarities(vectors).astype(np.float64), 0.0, 2.0)
    return linkage(condensed, method=method)


def upper_similarities(vectors: sp.csr_matrix, block: int = _BLOCK_ROWS) -> np.ndarray:
    """The dot products of every pair of rows i < j, condensed (squareform's order), bit for bit those of
    `squareform((vectors @ vectors.T).toarray(), checks=False)`.

    That product was most of the trees' time (2 × 1000² at each capped tree): it computed the lower triangle,
    never read, and counted the product's entries in a pass of its own before computing them. Here each band
    of `block` rows is multiplied by the rows from its first on only, by scipy's own kernel (csr_matmat) into
    room for every entry: each pair's sum runs over the same terms in the same order as in the whole product,
    so every value is the same float."""
    m = vectors.shape[0]
    vectors = sp.csr_matrix(vectors)
    square = np.zeros((m, m), dtype=vectors.dtype)
    for start in range(0, m, block):
        stop = min(start + block, m)
        rows, right = vectors[start:stop], vectors[start:].T.tocsr()
        square[start:stop, start:] = _product(rows, right)
    return squareform(square, checks=False)


def _product(a: sp.csr_matrix, b: sp.csr_matrix) -> np.ndarray:
    """`(a @ b).toarray()` for CSR `a` and `b`, by the kernel `@` runs, without its counting pass: room is made
    for every entry of the dense result."""
    rows, columns = a.shape[0], b.shape[1]
    index = np.int64 if rows * columns >= 2**31 or max(a.nnz, b.nnz) >= 2**31 else np.int32
    indptr = np.empty(rows + 1, dtype=index)
    indices = np.empty(rows * columns, dtype=index)
    data = np.empty(rows * columns, dtype=np.result_type(a.dtype, b.dtype))
    _sparsetools.csr_matmat(
        rows,
        columns,
        a.indptr.astype(index, copy=False),
        a.indices.astype(index, copy=False),
        a.data,
        b.indptr.astype(index, copy=False),
        b.indices.astype(index, copy=False),
        b.data,
        indptr,
        indices,
        data,
    )
    out = np.zeros((rows, columns), dtype=data.dtype)
    # Into zeros, as `.toarray()` puts a product's entries (one per place): no index arrays of every entry.
    _sparsetools.csr_todense(rows, columns, indptr, indices, data, out)
    return out


def prototype_priority(codes: np.ndarray, popularity: np.ndarray, featureless: np.ndarray) -> np.ndarray:
    """Popularity, except that every copy of a name but its most popular one ranks below all distinct
    names (names without features are never copies of each other). `codes`: each model's name as an integer,
    the same for the same name (reuse.NameState.id_texts): at 3M models, hashing the names again took 3 s."""
    n = len(codes)
    codes = np.asarray(codes, dtype=np.int64)
    codes = np.where(featureless, int(codes.max(initial=-1)) + 1 + np.arange(n), codes)
    order = np.lexsort((np.arange(n), -popularity, codes))
    head = np.zeros(n, dtype=bool)
    head[order[np.r_[True, codes[order][1:] != codes[order][:-1]]]] = True
    offset = float(np.max(popularity, initial=0.0)) - float(np.min(popularity, initial=0.0)) + 1.0
    return np.where(head, popularity, popularity - offset)


def group_rows(membership: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions sorted by group (stable) and the bounds of each group's slice."""
    order = np.argsort(membership, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(membership, minlength=n_groups))]
    return order, bounds


def centroids(matrix: sp.csr_matrix, membership: np.ndarray, n_groups: int) -> sp.csr_matrix:
    """L2-normalised mean feature row of each group."""
    n = matrix.shape[0]
    indicator = sp.csr_matrix((np.ones(n, dtype=np.float32), (membership, np.arange(n))), shape=(n_groups, n))
    summed = (indicator @ matrix).tocsr()
    norms = np.sqrt(np.asarray(summed.multiply(summed).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms.astype(np.float32)) @ summed, dtype=np.float32)


def build_hierarchy(
    matrix: sp.csr_matrix,
    membership: np.ndarray,
    popularity: np.ndarray,
    *,
    exact_max: int,
    leaf_cap: int,
    method: str,
    cut_levels: Sequence[float],
    progress: bool = True,
    heads: np.ndarray | None = None,
    workers: int = 1,
    fork_min: int = FORK_MIN_MODELS,
) -> AtlasHierarchy:
    """The atlas tree, a tree per community and flat clusters at each cut level. `heads` (a model position
    per model, −1 when unknown; seeds.previous_heads): see `capped_tree`. With `fork_min` models or more, the
    atlas tree and the community trees are built in `workers` forked processes (workers.forked_map), merged in
    community order: the same hierarchy for any number of workers."""
    n = matrix.shape[0]
    if n < fork_min:
        workers = 1
    n_communities = int(membership.max(initial=-1)) + 1
    order, bounds = group_rows(membership, n_communities)
    # Each model's head as a position in community order, when it lies in the model's community today.
    sorted_heads = None
    if heads is not None:
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n)
        head = heads[order]
        same = (head >= 0) & (membership[np.maximum(head, 0)] == membership[order])
        sorted_heads = np.where(same, rank[np.maximum(head, 0)], -1)
    rows = _HierarchyInputs(
        matrix, popularity, membership, order, sorted_heads, bounds, exact_max, leaf_cap, method, tuple(cut_levels)
    )
    trees: list[Tree] = []
    clusters = {float(level_): np.empty(n, dtype=np.int64) for level_ in cut_levels}
    leaf_rank = np.empty(n, dtype=np.int64)
    next_cluster = dict.fromkeys(clusters, 0)
    atlas: Tree | None = None
    bar = tqdm(total=n_communities, desc="hierarchy", unit="community", disable=not progress or None)
    # The atlas tree is one more piece: a worker builds it while the other starts on the communities.
    pieces: list[range | None] = [None, *_community_pieces(bounds, leaf_cap, workers)]
    for piece in forked_map(_hierarchy_piece, rows, pieces, workers, what="the atlas and community trees"):
        if isinstance(piece, Tree):
            atlas = piece
            continue
        for c, (tree, ranks, flats) in enumerate(piece.trees, start=piece.first):
            members = order[bounds[c] : bounds[c + 1]]
            trees.append(tree)
            leaf_rank[members] = ranks
            for level_, out in clusters.items():
                out[members] = next_cluster[level_] + flats[level_]
                next_cluster[level_] += int(flats[level_].max(initial=-1)) + 1
        bar.update(len(piece.trees))
    bar.close()
    assert atlas is not None  # the first piece
    level = "models" if n <= exact_max else "communities"
    return AtlasHierarchy(atlas, level, trees, order, bounds, clusters, leaf_rank)


@dataclass(frozen=True)
class _HierarchyInputs:
    """What the trees read: the feature rows, popularity and communities, the models in community order
    (`order`, `bounds`) and their heads in that order."""

    matrix: sp.csr_matrix
    popularity: np.ndarray
    membership: np.ndarray
    order: np.ndarray
    heads: np.ndarray | None
    bounds: np.ndarray
    exact_max: int
    leaf_cap: int
    method: str
    cut_levels: tuple[float, ...]


@dataclass(frozen=True)
class _Trees:
    first: int  # the first community of the piece
    # per community: its tree, each member's leaf rank, each member's flat cluster per cut level
    trees: list[tuple[Tree, np.ndarray, dict[float, np.ndarray]]]


def _hierarchy_piece(rows: _HierarchyInputs, piece: range | None) -> Tree | _Trees:
    """The atlas tree (piece None), or the trees of a run of communities."""
    return _atlas_tree(rows) if piece is None else _community_trees(rows, piece)


def _atlas_tree(rows: _HierarchyInputs) -> Tree:
    """Exact over every model when there are at most `exact_max` of them; else over community centroids."""
    matrix, membership = rows.matrix, rows.membership
    if matrix.shape[0] <= rows.exact_max:
        return capped_tree(matrix, rows.popularity, cap=max(rows.exact_max, 1), method=rows.method)
    n_communities = len(rows.bounds) - 1
    sizes = np.bincount(membership, minlength=n_communities).astype(np.float64)
    return capped_tree(centroids(matrix, membership, n_communities), sizes, cap=rows.leaf_cap, method=rows.method)


def _community_pieces(bounds: np.ndarray, leaf_cap: int, workers: int) -> list[range]:
    """Runs of consecutive communities of about equal work, several per worker so that a worker given the
    largest trees does not hold up the others. A tree's work grows with its leaves squared (the linkage)
    plus its members times its leaves (the nearest prototype of each)."""
    n_communities = len(bounds) - 1
    if workers <= 1 or n_communities == 0:
        return [range(n_communities)]
    size = np.diff(bounds).astype(np.float64)
    leaves = np.minimum(size, leaf_cap)
    work = np.cumsum(leaves * leaves + size * leaves)
    targets = work[-1] * np.arange(1, 8 * workers) / (8 * workers)
    cuts = np.unique(np.r_[0, np.searchsorted(work, targets, side="right"), n_communities])
    return [range(int(a), int(b)) for a, b in zip(cuts[:-1], cuts[1:], strict=True) if b > a]


def _community_trees(rows: _HierarchyInputs, communities: range) -> _Trees:
    out = []
    for c in communities:
        lo, hi = rows.bounds[c], rows.bounds[c + 1]
        members = rows.order[lo:hi]  # each worker gathers its own communities' rows: no sorted copy of them all
        local = None if rows.heads is None else np.where(rows.heads[lo:hi] >= 0, rows.heads[lo:hi] - lo, -1)
        tree = capped_tree(
            rows.matrix[members], rows.popularity[members], cap=rows.leaf_cap, method=rows.method, heads=local
        )
        flats = {float(level): _cut(tree, level)[tree.leaf_of] for level in rows.cut_levels}
        out.append((tree, _dendrogram_rank(tree)[tree.leaf_of], flats))
    return _Trees(communities.start, out)


def _dendrogram_rank(tree: Tree) -> np.ndarray:
    """Rank of each leaf in the left-to-right order of the dendrogram."""
    leaves = len(tree.prototypes)
    rank = np.empty(leaves, dtype=np.int64)
    rank[leaf_order(tree.linkage) if leaves > 1 else np.arange(leaves)] = np.arange(leaves)
    return rank


# scipy's leaves_list and fcluster, for the one use each has here: called once per community and cut level
# (471 calls on the paper's list), their argument checks cost more than the work on small trees (~0.1 s).
# On a thousand-leaf tree fcluster's C takes a quarter of flat_clusters' time (0.37 against 1.6 ms; three
# cuts of each of a 300k atlas's 78 capped trees: 1.1 s), so `_cut` leaves it the big trees.
_PYTHON_CUT_MAX = 200


def leaf_order(linkage_: np.ndarray) -> np.ndarray:
    """Leaves of a scipy linkage matrix from left to right, as `scipy.cluster.hierarchy.leaves_list`: the
    first child (column 0) of every merge left of its second."""
    leaves = len(linkage_) + 1
    children = linkage_[:, :2].astype(np.int64).tolist()
    size = [1] * leaves + linkage_[:, 3].astype(np.int64).tolist()
    start = [0] * (2 * leaves - 1)  # position of each node's leftmost leaf
    for i in range(leaves - 2, -1, -1):  # top down: a merge's row comes after its children's
        first, second = children[i]
        start[first] = start[leaves + i]
        start[second] = start[leaves + i] + size[first]
    order = np.empty(leaves, dtype=np.int64)
    order[start[:leaves]] = np.arange(leaves)
    return order


def flat_clusters(linkage_: np.ndarray, distance: float) -> np.ndarray:
    """Flat cluster of each leaf (an arbitrary label per cluster), as `fcluster(..., criterion="distance")`
    groups them: two leaves share a cluster when every merge below their common ancestor, that one
    included, is at most `distance` apart (the subtree's largest merge, so that a non-monotone linkage
    cuts as scipy cuts it)."""
    leaves = len(linkage_) + 1
    children = linkage_[:, :2].astype(np.int64)
    height = linkage_[:, 2].tolist()
    highest = [0.0] * (2 * leaves - 1)  # largest merge distance in each node's subtree (0 for a leaf)
    for i, (first, second) in enumerate(children.tolist()):
        highest[leaves + i] = max(height[i], highest[first], highest[second])
    # Top down (a merge's row is after its children's): a merge within the cut labels its whole subtree
    # with its own label, unless a merge above it already did.
    label = np.arange(2 * leaves - 1, dtype=np.int64)
    within = np.array(highest[leaves:]) <= distance
    for i in range(leaves - 2, -1, -1):
        if within[i]:
            label[children[i]] = label[leaves + i]
    return label[:leaves]


def model_order(hierarchy: AtlasHierarchy, membership: np.ndarray) -> np.ndarray:
    """Every model position, communities in the atlas dendrogram's order (over models: by their members'
    mean rank), and inside each community in its own dendrogram's order. The layout walks this order."""
    tree = hierarchy.atlas
    n_communities = len(hierarchy.community_trees)
    item_rank = _dendrogram_rank(tree)[tree.leaf_of].astype(np.float64)
    if hierarchy.atlas_level == "models":
        sizes = np.maximum(np.bincount(membership, minlength=n_communities), 1)
        item_rank = np.bincount(membership, weights=item_rank, minlength=n_communities) / sizes
    community_rank = np.empty(n_communities, dtype=np.int64)
    community_rank[np.lexsort((np.arange(n_communities), item_rank))] = np.arange(n_communities)
    # By community rank, then leaf rank, ties by position: one stable sort of a single integer key, the
    # lexsort of the three keys it replaces taking three passes over every model.
    leaf_rank = np.asarray(hierarchy.leaf_rank, dtype=np.int64)
    span = int(leaf_rank.max(initial=0)) + 1
    if leaf_rank.min(initial=0) < 0 or n_communities * span >= 2**62:
        return np.lexsort((np.arange(len(membership)), leaf_rank, community_rank[membership]))
    return np.argsort(community_rank[membership] * span + leaf_rank, kind="stable")


def _cut(tree: Tree, distance: float) -> np.ndarray:
    """Flat cluster (0-based, numbered in leaf order of first appearance) of each leaf of `tree`."""
    leaves = len(tree.prototypes)
    if leaves < 2:
        return np.zeros(leaves, dtype=np.int64)
    raw = (
        flat_clusters(tree.linkage, distance)
        if leaves <= _PYTHON_CUT_MAX
        else fcluster(tree.linkage, distance, "distance")
    )
    _, first, inverse = np.unique(raw, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[inverse]


# ------------------------------------------------------------------------------------------------
# Saved form (hierarchy/ folder) and readers for the app
# ------------------------------------------------------------------------------------------------


def cluster_column(level: float) -> str:
    return f"cluster_{level:g}"


def as_tables(
    hierarchy: AtlasHierarchy, ids: Sequence[str] | pd.Series, membership: np.ndarray, community_labels: Sequence[str]
) -> dict[str, np.ndarray | pd.DataFrame]:
    """The hierarchy as named arrays and frames, for atlas/<id>/hierarchy/."""
    # members.parquet's ids from their Arrow buffers, in one chunk as a frame of Python strings made them (the
    # file's pages follow the chunks): at 3M models, a Python string per id cost 0.5 s.
    ids = pd.Series(string_values(ids if isinstance(ids, pd.Series) else pd.Series(ids, dtype=object)), dtype="str")
    atlas = hierarchy.atlas
    if hierarchy.atlas_level == "models":  # at most exact_max models
        leaf_items = atlas.prototypes
        leaves = pd.DataFrame(
            {
                "leaf": np.arange(len(leaf_items), dtype=np.int64),
                "label": ids.to_numpy(dtype=object)[leaf_items],
                "community": membership[leaf_items].astype(np.int64),
                "models": np.bincount(atlas.leaf_of, minlength=len(leaf_items)).astype(np.int64),
                "communities": np.ones(len(leaf_items), dtype=np.int64),
            }
        )
    else:
        sizes = np.bincount(membership, minlength=len(hierarchy.community_trees))
        leaf_items = atlas.prototypes
        leaves = pd.DataFrame(
            {
                "leaf": np.arange(len(leaf_items), dtype=np.int64),
                "label": np.asarray(community_labels, dtype=object)[leaf_items],
                "community": leaf_items.astype(np.int64),
                "models": np.bincount(atlas.leaf_of, weights=sizes, minlength=len(leaf_items)).astype(np.int64),
                "communities": np.bincount(atlas.leaf_of, minlength=len(leaf_items)).astype(np.int64),
            }
        )
    leaves["over"] = hierarchy.atlas_level
    stacked, starts, counts, capped = [], [], [], []
    offset = 0
    for tree in hierarchy.community_trees:
        stacked.append(tree.linkage)
        starts.append(offset)
        counts.append(len(tree.prototypes))
        capped.append(tree.capped)
        offset += len(tree.linkage)
    community_linkage = np.vstack(stacked) if stacked else _EMPTY_LINKAGE.copy()
    trees = pd.DataFrame(
        {
            "community": np.arange(len(starts), dtype=np.int64),
            "start": np.asarray(starts, dtype=np.int64),
            "leaves": np.asarray(counts, dtype=np.int64),
            "capped": np.asarray(capped, dtype=bool),
        }
    )
    order, bounds = hierarchy.members_order, hierarchy.community_bounds
    leaf = np.empty(len(ids), dtype=np.int64)
    prototype = np.zeros(len(ids), dtype=bool)
    for c, tree in enumerate(hierarchy.community_trees):
        members = order[bounds[c] : bounds[c + 1]]
        leaf[members] = tree.leaf_of
        prototype[members[tree.prototypes]] = True
    members = pd.DataFrame({"id": ids, "community": membership.astype(np.int64), "leaf": leaf, "prototype": prototype})
    for level, clusters in hierarchy.clusters.items():
        members[cluster_column(level)] = clusters
    return {
        "atlas_linkage": atlas.linkage,
        "atlas_leaves": leaves,
        "community_linkage": community_linkage,
        "community_trees": trees,
        "members": members,
    }


def atlas_tree(tables: dict[str, np.ndarray | pd.DataFrame]) -> tuple[np.ndarray, list[str]]:
    """(linkage, leaf labels) of the whole-atlas dendrogram. Leaves are models in a small atlas ("id", or
    "id (+N similar)" when capped), else communities ("label (N models)", "label (N models, +M communities)")."""
    leaves = _frame(tables, "atlas_leaves")
    if (leaves["over"] == "models").all():
        labels = [
            label if models <= 1 else f"{label} (+{models - 1} similar)"
            for label, models in zip(leaves["label"], leaves["models"])
        ]
    else:
        labels = [
            f"{label} ({models} models)" if groups <= 1 else f"{label} ({models} models, +{groups - 1} communities)"
            for label, models, groups in zip(leaves["label"], leaves["models"], leaves["communities"])
        ]
    return np.asarray(tables["atlas_linkage"]), labels


def community_tree(tables: dict[str, np.ndarray | pd.DataFrame], community: int) -> tuple[np.ndarray, list[str]]:
    """(linkage, leaf labels) of one community's dendrogram, for scipy's `dendrogram(linkage, labels=...)`.
    A leaf is a model id, or "id (+N similar)" when a capped tree put N more models in that leaf."""
    trees = _frame(tables, "community_trees")
    members = _frame(tables, "members")
    row = trees[trees["community"] == community]
    if row.empty:
        raise HierarchyError(f"community {community} is not in this atlas (it has {len(trees)}: 0–{len(trees) - 1})")
    start, leaves = int(row["start"].iloc[0]), int(row["leaves"].iloc[0])
    linkage_ = np.asarray(tables["community_linkage"])[start : start + max(leaves - 1, 0)]
    mine = members[members["community"] == community]
    per_leaf = np.bincount(mine["leaf"].to_numpy(), minlength=leaves)
    heads = mine[mine["prototype"]].sort_values("leaf", kind="stable")
    labels = [
        model_id if per_leaf[leaf] <= 1 else f"{model_id} (+{per_leaf[leaf] - 1} similar)"
        for model_id, leaf in zip(heads["id"], heads["leaf"])
    ]
    return linkage_, labels


def _frame(tables: dict[str, np.ndarray | pd.DataFrame], name: str) -> pd.DataFrame:
    value = tables.get(name)
    if not isinstance(value, pd.DataFrame):
        raise HierarchyError(
            f"the hierarchy has no {name!r} table; rebuild the atlas with `constellation build --force`"
        )
    return value
