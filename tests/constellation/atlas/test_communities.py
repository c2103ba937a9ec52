"""Communities: determinism, renumbering, the catch-all community, declared families kept whole, lineage edges
and labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from constellation.atlas.communities import (
    UNMATCHED_LABEL,
    community_labels,
    community_terms,
    contract_graph,
    declared_families,
    detect_communities,
    igraph_graph,
    lineage_ends,
    lineage_links,
    representatives,
    resolve_algorithm,
    sorted_codes,
)
from constellation.atlas.features import name_features
from constellation.atlas.stage import AtlasConfig
from constellation.errors import CommunityError


def two_cliques_and_a_loner():
    # nodes 0-3 and 4-6 are cliques joined by one weak edge; node 7 has no edge
    pairs = [(a, b) for a in range(4) for b in range(a + 1, 4)] + [(a, b) for a in range(4, 7) for b in range(a + 1, 7)]
    src, dst = np.array([p[0] for p in pairs] + [3]), np.array([p[1] for p in pairs] + [4])
    return 8, src, dst, np.r_[np.ones(len(pairs)), 0.1]


@pytest.mark.parametrize("algorithm", ["louvain", "multilevel", "leiden"])
def test_finds_the_cliques_numbers_by_size_and_pools_the_unmatched(algorithm):
    n, src, dst, w = two_cliques_and_a_loner()
    partition = detect_communities(n, src, dst, w, algorithm=algorithm, seed=1)
    assert partition.membership.tolist() == [0, 0, 0, 0, 1, 1, 1, 2]
    assert partition.unmatched == 2
    assert partition.algorithm == algorithm
    assert partition.modularity > 0.3


def random_graph(seed: int, n: int = 300):
    rng = np.random.default_rng(seed)
    src = rng.integers(0, n, 1500)
    dst = (src + rng.integers(1, 25, 1500)) % n  # local edges: a ring of overlapping neighbourhoods
    return n, np.minimum(src, dst), np.maximum(src, dst), rng.uniform(0.2, 1.0, 1500)


@pytest.mark.parametrize("algorithm", ["louvain", "multilevel", "leiden"])
def test_same_seed_same_communities(algorithm):
    graph = random_graph(0)
    first = detect_communities(*graph, algorithm=algorithm, seed=7).membership
    again = detect_communities(*graph, algorithm=algorithm, seed=7).membership
    assert np.array_equal(first, again)
    assert first.max() >= 3


def test_resolution_changes_the_granularity():
    graph = random_graph(1)
    coarse = detect_communities(*graph, algorithm="multilevel", resolution=0.3).membership.max()
    fine = detect_communities(*graph, algorithm="multilevel", resolution=3.0).membership.max()
    assert fine > coarse


def test_auto_is_igraph_multilevel_at_every_size():
    assert resolve_algorithm("auto") == "multilevel"
    assert resolve_algorithm("louvain") == "louvain"
    with pytest.raises(CommunityError, match="unknown community algorithm 'kmeans'"):
        resolve_algorithm("kmeans")
    with pytest.raises(CommunityError, match="resolution must be positive"):
        detect_communities(2, np.array([0]), np.array([1]), np.array([1.0]), resolution=0)


def test_graph_without_edges():
    partition = detect_communities(3, np.empty(0), np.empty(0), np.empty(0))
    assert partition.membership.tolist() == [0, 0, 0] and partition.unmatched == 0


@pytest.mark.parametrize("algorithm", ["louvain", "multilevel", "leiden"])
def test_groups_are_never_split_and_modularity_is_the_original_graphs(algorithm):
    n, src, dst, w = two_cliques_and_a_loner()
    # One group reaches across the two cliques (nodes 0 and 6): the cliques can no longer be two communities
    # that split it, and the loner's group of one stays in the catch-all community.
    groups = np.array([0, 1, 2, 3, 4, 5, 0, 7])
    partition = detect_communities(n, src, dst, w, algorithm=algorithm, seed=1, groups=groups)
    assert partition.membership[0] == partition.membership[6]
    assert partition.unmatched is not None and partition.membership[7] == partition.unmatched
    graph = igraph_graph(n, src, dst)
    assert partition.modularity == pytest.approx(graph.modularity(partition.membership[:7].tolist() + [9], weights=w))


def test_groups_of_one_change_nothing():
    graph = random_graph(2)
    plain = detect_communities(*graph, seed=3).membership
    grouped = detect_communities(*graph, seed=3, groups=np.arange(graph[0])[::-1]).membership
    assert np.array_equal(plain, grouped)


def test_groups_need_one_id_per_node():
    with pytest.raises(CommunityError, match=r"one group per node \(2\), got shape \(3,\)"):
        detect_communities(2, np.array([0]), np.array([1]), np.array([1.0]), groups=np.zeros(3))


def test_contracting_sums_edges_between_groups_and_keeps_edges_inside_as_self_loops():
    node = np.array([0, 0, 1, 1, 2])
    m, a, b, w = contract_graph(
        node, np.array([0, 1, 0, 2, 3]), np.array([1, 2, 3, 3, 4]), np.array([1, 2, 4, 8, 16.0])
    )
    assert m == 3
    assert list(zip(a.tolist(), b.tolist(), w.tolist())) == [(0, 0, 1.0), (0, 1, 6.0), (1, 1, 8.0), (1, 2, 16.0)]


@pytest.mark.parametrize("few", [True, False])
def test_sorted_codes_are_numpys_unique_either_way(few):
    values = np.random.default_rng(3).integers(0, 50 if few else 10**9, 2_000).astype(np.int64)
    keys, inverse = sorted_codes(values, few=few)
    expected_keys, expected_inverse = np.unique(values, return_inverse=True)
    np.testing.assert_array_equal(keys, expected_keys)
    np.testing.assert_array_equal(inverse, expected_inverse.ravel())
    assert keys.dtype == np.int64 and inverse.dtype == np.int64


def test_contracting_into_few_groups_sums_as_contracting_into_many():
    rng = np.random.default_rng(4)
    sources, targets, weights = rng.integers(0, 400, 3_000), rng.integers(0, 400, 3_000), rng.random(3_000)
    node = rng.integers(0, 20, 400)  # 20 groups for 400 nodes: the keys are hashed (sorted_codes' `few`)
    m, a, b, w = contract_graph(node, sources, targets, weights)
    key = np.minimum(node[sources], node[targets]) * m + np.maximum(node[sources], node[targets])
    keys, codes = np.unique(key, return_inverse=True)
    np.testing.assert_array_equal(a * m + b, keys)
    np.testing.assert_array_equal(w, np.bincount(codes.ravel(), weights=weights))


def test_declared_families_are_the_components_of_declared_edges_without_merges():
    ids = pd.Series(
        ["a/root", "b/child", "c/grandchild", "d/guess", "e/alone", "f/other-root", "g/other-child", "h/merge"]
    )
    edges = pd.DataFrame(
        {
            "source": ["a/root", "b/child", "a/root", "f/other-root", "gone/parent", "a/root", "f/other-root"],
            "target": ["b/child", "c/grandchild", "d/guess", "g/other-child", "e/alone", "h/merge", "h/merge"],
            "kind": ["declared", "declared", "inferred", "declared", "declared", "declared", "declared"],
            "relation": ["finetune", "quantized", "finetune", "adapter", "finetune", "merge", "merge"],
        }
    )
    # The merge of a/root and f/other-root stays out of both families rather than fusing them.
    assert declared_families(ids, edges).tolist() == [0, 0, 0, 1, 2, 3, 3, 4]
    assert declared_families(ids, edges, lineage_ends(ids, edges)).tolist() == [0, 0, 0, 1, 2, 3, 3, 4]
    assert declared_families(ids, edges.drop(columns="relation")).tolist() == [0, 0, 0, 1, 2, 0, 0, 0]
    assert declared_families(ids, None).tolist() == list(range(8))


def test_lineage_links_keep_declared_edges_between_known_models():
    ids = pd.Series(["a/base", "b/child", "c/other"])
    edges = pd.DataFrame(
        {
            "source": ["a/base", "a/base", "gone/parent", "a/base"],
            "target": ["b/child", "c/other", "b/child", "a/base"],
            "kind": ["declared", "inferred", "declared", "declared"],
        }
    )
    parents, children, _ = lineage_links(ids, edges, 1.0)  # declared edges only
    assert parents.tolist() == [0] and children.tolist() == [1]


def test_lineage_ends_are_each_edge_ends_rows_and_links_read_them_as_they_would_look_them_up():
    ids = pd.Series(["a/base", "b/child", "c/other"], dtype="str")
    edges = pd.DataFrame(
        {
            "source": pd.array(["a/base", "a/base", "gone/parent", None, "c/other"], dtype="string"),
            "target": ["b/child", "c/other", "b/child", "a/base", "b/child"],
            "kind": ["declared", "inferred", "declared", "declared", "inferred"],
            "confidence": [None, 0.5, None, None, 0.0],
        }
    )
    ends = lineage_ends(ids, edges)
    assert ends[0].tolist() == [0, 0, -1, -1, 2] and ends[1].tolist() == [1, 2, 1, 0, 1]
    for inferred in (False, True):
        looked_up = lineage_links(ids, edges, 2.0, inferred=inferred)
        given = lineage_links(ids, edges, 2.0, inferred=inferred, ends=ends)
        for mine, theirs in zip(given, looked_up, strict=True):
            np.testing.assert_array_equal(mine, theirs)
    parents, children, strength = lineage_links(ids, edges, 2.0, inferred=True, ends=ends)
    assert parents.tolist() == [0, 0] and children.tolist() == [1, 2] and strength.tolist() == [2.0, 1.0]


def test_labels_name_the_distinctive_tokens_in_the_representative_order():
    ids = [
        "meta-llama/Llama-3.1-8B-Instruct",
        "x/llama-3.1-8b-instruct-gguf",
        "y/Llama-3.1-8B-Instruct-AWQ",
        "mistralai/Mistral-7B-v0.1",
        "z/mistral-7b-v0.1-sft",
        "w/mistral-7b-v0.1-dpo",
        "huggingtweets/elonmusk",
    ]
    features = name_features(ids, AtlasConfig())
    membership = np.array([0, 0, 0, 1, 1, 1, 2])
    terms = community_terms(features.words, features.word_terms, membership, 4)
    heads = representatives(membership, np.array([100, 5, 5, 50, 1, 1, 0.0]))
    assert heads.tolist() == [0, 3, 6]
    labels = community_labels(ids, membership, terms, heads, unmatched=2)
    assert labels[0] == "llama · 3.1 · 8b · instruct"
    assert labels[1] == "mistral · 7b · v0.1"
    assert labels[2] == UNMATCHED_LABEL
