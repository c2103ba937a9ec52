"""Hierarchy: drill-down consistency (every model in exactly one leaf of its community's tree), capped trees,
the atlas tree over models or communities, and clusters nested in communities."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy.cluster.hierarchy import fcluster, is_valid_linkage, leaves_list, linkage
from scipy.spatial.distance import squareform

from constellation.atlas.features import name_features
from constellation.atlas.hierarchy import (
    Tree,
    _community_pieces,
    _cut,
    as_tables,
    atlas_tree,
    build_hierarchy,
    capped_tree,
    community_tree,
    flat_clusters,
    leaf_order,
    model_order,
    prototype_priority,
    upper_similarities,
)
from constellation.atlas.stage import AtlasConfig
from constellation.errors import HierarchyError

FAMILIES = ["llama-2-7b", "mistral-7b-instruct-v0.2", "qwen2.5-1.5b-instruct", "gemma-2-9b-it"]
SUFFIXES = ["", "-gguf", "-awq", "-lora", "-sft", "-dpo", "-q4_k_m", "-medical", "-chat", "-v2", "-exl2", "-4bit"]


@pytest.fixture(scope="module")
def atlas_input():
    ids = [f"user{i}/{f}{s}" for i, (f, s) in enumerate((f, s) for f in FAMILIES for s in SUFFIXES)]
    features = name_features(ids, AtlasConfig())
    membership = np.repeat(np.arange(len(FAMILIES)), len(SUFFIXES))
    popularity = np.arange(len(ids), 0, -1, dtype=float)
    return ids, features.matrix, membership, popularity


def build(atlas_input, *, exact_max, leaf_cap):
    ids, matrix, membership, popularity = atlas_input
    hierarchy = build_hierarchy(
        matrix,
        membership,
        popularity,
        exact_max=exact_max,
        leaf_cap=leaf_cap,
        method="average",
        cut_levels=(0.3, 0.5),
        progress=False,
    )
    return hierarchy, as_tables(hierarchy, ids, membership, [f"family {c}" for c in range(len(FAMILIES))])


@pytest.mark.parametrize(("exact_max", "leaf_cap"), [(1000, 1000), (10, 1000), (10, 5)])
def test_every_model_lies_in_exactly_one_leaf_of_its_community_tree(atlas_input, exact_max, leaf_cap):
    ids, _, membership, _ = atlas_input
    _, tables = build(atlas_input, exact_max=exact_max, leaf_cap=leaf_cap)
    members = tables["members"]
    assert members["id"].tolist() == ids and members["community"].tolist() == membership.tolist()
    shown = []
    for community in range(len(FAMILIES)):
        linkage, labels = community_tree(tables, community)
        leaves = min(len(SUFFIXES), leaf_cap)
        assert len(labels) == leaves and linkage.shape == (leaves - 1, 4)
        assert is_valid_linkage(linkage)
        mine = members[members["community"] == community]
        # each model in one leaf; each leaf has exactly one prototype and together they hold every member
        assert mine["leaf"].between(0, leaves - 1).all()
        assert sorted(mine.loc[mine["prototype"], "leaf"]) == list(range(leaves))
        assert np.bincount(mine["leaf"], minlength=leaves).sum() == len(SUFFIXES)
        shown += [label.split(" (+")[0] for label in labels]
    assert set(shown) <= set(ids)
    if leaf_cap >= len(SUFFIXES):
        assert sorted(shown) == sorted(ids)  # uncapped: the leaves are exactly the models


def test_capped_atlas_tree_over_communities_counts_what_each_leaf_holds(atlas_input):
    _, tables = build(atlas_input, exact_max=10, leaf_cap=2)
    _, labels = atlas_tree(tables)
    assert len(labels) == 2
    assert sum(int(label.split("(")[1].split()[0]) for label in labels) == len(FAMILIES) * len(SUFFIXES)
    assert any("+" in label and "communities" in label for label in labels)


def test_capped_trees_say_how_many_models_share_a_leaf(atlas_input):
    _, tables = build(atlas_input, exact_max=10, leaf_cap=5)
    assert tables["community_trees"]["capped"].all()
    _, labels = community_tree(tables, 0)
    extra = sum(int(label.split("(+")[1].split()[0]) for label in labels if "(+" in label)
    assert extra == len(SUFFIXES) - 5


def test_atlas_tree_is_over_models_when_small_and_over_communities_above(atlas_input):
    ids = atlas_input[0]
    small, tables = build(atlas_input, exact_max=1000, leaf_cap=1000)
    assert small.atlas_level == "models"
    linkage, labels = atlas_tree(tables)
    assert labels == ids and is_valid_linkage(linkage)
    large, tables = build(atlas_input, exact_max=10, leaf_cap=1000)
    assert large.atlas_level == "communities"
    linkage, labels = atlas_tree(tables)
    assert sorted(labels) == [f"family {c} (12 models)" for c in range(len(FAMILIES))] and linkage.shape == (3, 4)
    assert tables["atlas_leaves"]["models"].sum() == len(ids)


def test_clusters_are_nested_in_communities_and_finer_at_lower_cuts(atlas_input):
    _, _, membership, _ = atlas_input
    hierarchy, tables = build(atlas_input, exact_max=1000, leaf_cap=1000)
    fine, coarse = hierarchy.clusters[0.3], hierarchy.clusters[0.5]
    for clusters in (fine, coarse):
        assert (pd.Series(membership).groupby(clusters).nunique() == 1).all()
    assert len(np.unique(fine)) >= len(np.unique(coarse)) > len(FAMILIES) - 1
    assert tables["members"]["cluster_0.3"].tolist() == fine.tolist()


def test_model_order_keeps_communities_contiguous(atlas_input):
    _, _, membership, _ = atlas_input
    hierarchy, _ = build(atlas_input, exact_max=10, leaf_cap=1000)
    order = model_order(hierarchy, membership)
    assert sorted(order.tolist()) == list(range(len(membership)))
    walked = membership[order]
    assert (np.diff(walked) != 0).sum() == len(FAMILIES) - 1


@pytest.mark.parametrize("leaf_cap", [3, 1000])
def test_model_order_is_the_lexsort_by_community_rank_then_leaf_rank(atlas_input, leaf_cap):
    _, _, membership, _ = atlas_input
    for exact_max in (10, 1000):
        hierarchy, _ = build(atlas_input, exact_max=exact_max, leaf_cap=leaf_cap)
        for leaf_rank in (hierarchy.leaf_rank, np.zeros_like(hierarchy.leaf_rank)):  # ties: by position
            hierarchy.leaf_rank = leaf_rank
            tree = hierarchy.atlas
            item_rank = np.argsort(leaf_order(tree.linkage) if len(tree.prototypes) > 1 else np.zeros(1))
            item_rank = item_rank[tree.leaf_of].astype(np.float64)
            if hierarchy.atlas_level == "models":
                item_rank = np.bincount(membership, weights=item_rank) / np.bincount(membership)
            community_rank = np.argsort(np.lexsort((np.arange(len(item_rank)), item_rank)))
            expected = np.lexsort((np.arange(len(membership)), leaf_rank, community_rank[membership]))
            assert model_order(hierarchy, membership).tolist() == expected.tolist()


def test_capped_tree_of_one_item_and_unknown_method():
    import scipy.sparse as sp

    tree = capped_tree(sp.csr_matrix(np.ones((1, 3), dtype=np.float32)), np.ones(1), cap=5, method="average")
    assert tree.linkage.shape == (0, 4) and tree.leaf_of.tolist() == [0]
    with pytest.raises(HierarchyError, match="unknown linkage method 'ward'"):
        capped_tree(sp.csr_matrix(np.ones((2, 3), dtype=np.float32)), np.ones(2), cap=5, method="ward")


def test_community_tree_of_a_missing_community(atlas_input):
    _, tables = build(atlas_input, exact_max=10, leaf_cap=1000)
    with pytest.raises(HierarchyError, match="community 99 is not in this atlas"):
        community_tree(tables, 99)


def test_copies_of_a_name_rank_below_every_distinct_name_but_their_most_popular():
    codes = np.array([0, 0, 1, 2, 2, 3, 3])  # the same code for the same name
    popularity = np.array([5.0, 9.0, 1.0, 3.0, 3.0, 2.0, 2.0])
    featureless = np.array([False, False, False, False, False, True, True])  # never copies of each other
    offset = 9.0 - 0.0 + 1.0  # the span of popularity and 0, and one more
    expected = [5.0 - offset, 9.0, 1.0, 3.0, 3.0 - offset, 2.0, 2.0]  # a tie goes to the first row
    assert prototype_priority(codes, popularity, featureless).tolist() == expected


def test_capped_trees_spend_leaves_on_distinct_names_before_copies():
    ids = [f"copier{i}/llama-2-7b-gguf" for i in range(6)] + ["a/mistral-7b", "b/qwen-7b", "c/phi-2"]
    features = name_features(ids, AtlasConfig(min_df=1))
    popularity = np.array([100, 90, 80, 70, 60, 50, 3, 2, 1], dtype=float)
    codes = pd.factorize(pd.Series(features.texts, dtype=object))[0]  # one code per name, as NameState.id_texts
    priority = prototype_priority(codes, popularity, np.zeros(len(ids), dtype=bool))
    tree = capped_tree(features.matrix, priority, cap=4, method="average")
    assert sorted(np.asarray(ids)[tree.prototypes].tolist()) == [
        "a/mistral-7b",
        "b/qwen-7b",
        "c/phi-2",
        "copier0/llama-2-7b-gguf",
    ]
    assert (tree.leaf_of[:6] == tree.leaf_of[0]).all()  # the copies share their first copy's leaf


def _partition(labels: np.ndarray) -> list[int]:
    """Cluster labels renumbered by first appearance: equal for two labellings of the same partition."""
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[inverse].tolist()


@pytest.mark.parametrize("method", ["average", "complete", "single", "weighted", "centroid", "median"])
def test_leaf_order_and_flat_clusters_are_scipys(method):
    # Points on a small integer grid: duplicates and equal distances everywhere, so merges tie and cuts
    # fall exactly on merge heights; centroid and median linkages are not monotone (a merge can be lower
    # than one below it), which fcluster handles through each subtree's largest merge.
    rng = np.random.default_rng(7)
    for _ in range(40):
        points = rng.integers(0, 4, size=(int(rng.integers(2, 40)), 3)).astype(np.float64)
        tree = linkage(points, method=method)
        assert leaf_order(tree).tolist() == leaves_list(tree).tolist()
        for cut in [0.0, 0.5, *np.unique(tree[:, 2])[:6].tolist(), 100.0]:
            assert _partition(flat_clusters(tree, cut)) == _partition(fcluster(tree, cut, criterion="distance"))


@pytest.mark.parametrize("method", ["average", "centroid"])
def test_a_big_trees_cut_is_the_partition_flat_clusters_finds(method):
    # Over _PYTHON_CUT_MAX leaves `_cut` asks scipy's fcluster: the same clusters, numbered as a small tree's.
    points = np.random.default_rng(11).integers(0, 6, size=(600, 3)).astype(np.float64)
    tree = linkage(points, method=method)
    wrapped = Tree(tree, np.arange(600), np.arange(600), capped=False)
    for cut in [0.0, 1.0, *np.unique(tree[:, 2])[::7][:8].tolist(), 100.0]:
        labels = _cut(wrapped, cut)
        assert _partition(labels) == _partition(flat_clusters(tree, cut))
        assert labels[np.sort(np.unique(labels, return_index=True)[1])].tolist() == list(range(labels.max() + 1))


@pytest.mark.parametrize("heads", [False, True])
def test_community_trees_built_in_worker_processes_equal_those_built_in_this_one(heads):
    rng = np.random.default_rng(7)
    ids = [f"user{i % 37}/{f}{s}-{i}" for i, (f, s) in enumerate((f, s) for f in FAMILIES * 9 for s in SUFFIXES)]
    matrix = name_features(ids, AtlasConfig()).matrix
    membership = rng.integers(0, 23, len(ids))  # communities of uneven size, some over the cap
    popularity = rng.random(len(ids))
    settings = {"exact_max": 10, "leaf_cap": 12, "method": "average", "cut_levels": (0.3, 0.5), "progress": False}
    if heads:  # a seeded night: each model's prototype in a first build
        first = build_hierarchy(matrix, membership, popularity, **settings)
        settings["heads"] = first.members_order[
            np.concatenate(
                [first.community_bounds[c] + t.prototypes[t.leaf_of] for c, t in enumerate(first.community_trees)]
            )
        ][np.argsort(first.members_order)]
    alone = build_hierarchy(matrix, membership, popularity, **settings)
    forked = build_hierarchy(matrix, membership, popularity, workers=2, fork_min=0, **settings)
    for level in (0.3, 0.5):
        np.testing.assert_array_equal(forked.clusters[level], alone.clusters[level])
    np.testing.assert_array_equal(forked.leaf_rank, alone.leaf_rank)
    assert len(forked.community_trees) == len(alone.community_trees) == 23
    for mine, theirs in zip(forked.community_trees, alone.community_trees, strict=True):
        np.testing.assert_array_equal(mine.linkage, theirs.linkage)
        np.testing.assert_array_equal(mine.prototypes, theirs.prototypes)
        np.testing.assert_array_equal(mine.leaf_of, theirs.leaf_of)
        assert mine.capped == theirs.capped
    assert any(tree.capped for tree in alone.community_trees)


def test_community_pieces_cover_every_community_once_in_order():
    bounds = np.r_[0, np.cumsum([5000, 1, 1, 300, 0, 2, 2, 2, 40, 7000, 3])]
    for workers in (1, 2, 3):
        pieces = _community_pieces(bounds, leaf_cap=1000, workers=workers)
        assert [c for piece in pieces for c in piece] == list(range(len(bounds) - 1))
    assert _community_pieces(np.array([0]), leaf_cap=10, workers=2) == [range(0)]


@pytest.mark.parametrize("block", [1, 3, 7, 48, 256])
def test_upper_similarities_are_the_whole_products_bit_for_bit(block):
    ids = [f"user{i % 13}/{f}{s}-{i}" for i, (f, s) in enumerate((f, s) for f in FAMILIES for s in SUFFIXES * 4)]
    vectors = name_features(ids, AtlasConfig()).matrix
    for rows in (np.arange(vectors.shape[0]), np.arange(0, vectors.shape[0], 3)[::-1], np.array([5, 2])):
        part = vectors[rows]
        whole = squareform((part @ part.T).toarray(), checks=False)
        upper = upper_similarities(part, block)
        assert upper.dtype == whole.dtype and upper.tobytes() == whole.tobytes()
    empty = vectors[[0, 1]].multiply(0).tocsr()
    empty.eliminate_zeros()
    assert upper_similarities(empty, block).tobytes() == squareform((empty @ empty.T).toarray(), checks=False).tobytes()


@pytest.mark.parametrize("dtype", ["str", "string", "object"])
def test_as_tables_of_an_id_column_writes_the_members_of_python_strings(atlas_input, dtype):
    """The atlas stage hands over its id column (in Arrow, several chunks at 3M models): members.parquet is
    the file a frame of Python strings wrote, bytes and pandas metadata alike."""
    ids, _, membership, _ = atlas_input
    hierarchy, _ = build(atlas_input, exact_max=10, leaf_cap=5)
    half = len(ids) // 2
    column = pd.Series(ids, dtype=dtype)
    if dtype != "object":  # in two chunks, as a snapshot of several row groups gives them
        chunks = pa.chunked_array([pa.array(ids[:half], pa.large_string()), pa.array(ids[half:], pa.large_string())])
        column = pd.Series(pd.array(chunks, dtype=dtype))
    tables = as_tables(hierarchy, column, membership, [f"family {c}" for c in range(len(FAMILIES))])
    written = {}
    strings = tables["members"].assign(id=np.asarray(ids, dtype=object))  # as as_tables made it before
    for name, frame in (("ids", tables["members"]), ("strings", strings)):
        written[name] = io.BytesIO()
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), written[name])
    assert written["ids"].getvalue() == written["strings"].getvalue()
    assert tables["members"]["id"].dtype == "str"
