"""The Constellation baseline: all-pairs similarities, single linkage cuts, thresholded-graph Louvain."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import pdist

from constellation.errors import BaselineTooLarge
from constellation.evaluate.baseline import (
    BaselineConfig,
    cluster_counts,
    cut_into,
    name_tfidf,
    pairwise_similarities,
    single_linkage,
    threshold_louvain,
)

NAMES = ["llama-7b", "llama-7b-chat", "llama-13b-chat", "mistral-7b", "mistral-7b-instruct", "gpt2", "?"]


def test_condensed_distances_match_scipy_cosine_and_dense_equals_sparse():
    features = name_tfidf(NAMES)
    sparse = pairwise_similarities(features, BaselineConfig(block_rows=3), min_similarity=0.2)
    dense = pairwise_similarities(features, BaselineConfig(block_rows=5, dense=True), min_similarity=0.2)
    expected = pdist(features.toarray()[:5], "cosine")  # rows 5 and 6 share no token: scipy gives nan
    n = len(NAMES)
    first_five = [i * n - i * (i + 1) // 2 + (j - i - 1) for i in range(5) for j in range(i + 1, 5)]
    np.testing.assert_allclose(sparse.condensed_distances[first_five], expected, atol=1e-12)
    np.testing.assert_allclose(sparse.condensed_distances, dense.condensed_distances, atol=1e-12)
    np.testing.assert_array_equal(sparse.pairs, dense.pairs)
    # a name without tokens is at distance 1 from everything
    last = [i * n - i * (i + 1) // 2 + (6 - i - 1) for i in range(6)]
    assert sparse.condensed_distances[last].tolist() == [1.0] * 6


def test_pairs_are_upper_triangle_above_the_threshold():
    sims = pairwise_similarities(name_tfidf(NAMES), BaselineConfig(block_rows=2), min_similarity=0.5)
    assert all(i < j for i, j in sims.pairs.tolist())
    assert (sims.similarities >= 0.5).all()
    assert (0, 1) in set(map(tuple, sims.pairs.tolist()))  # llama-7b ~ llama-7b-chat


def test_single_linkage_cut_separates_the_two_families():
    sims = pairwise_similarities(name_tfidf(NAMES[:5]), BaselineConfig(), min_similarity=0.0)
    labels = cut_into(single_linkage(sims.condensed_distances), 2)
    assert labels[0] == labels[1] == labels[2] != labels[3] == labels[4]


def test_threshold_louvain_gives_isolated_models_their_own_community():
    pairs = np.array([[0, 1], [1, 2], [0, 2], [3, 4]], dtype=np.int32)
    sims = np.array([0.9, 0.9, 0.9, 0.8], dtype=np.float32)
    labels = threshold_louvain(6, pairs, sims, threshold=0.5, seed=1)
    assert labels[0] == labels[1] == labels[2]
    assert labels[3] == labels[4] != labels[0]
    assert len(set(labels.tolist())) == 3
    # above 0.85 the pair (3, 4) is gone, so 3 and 4 split
    assert len(set(threshold_louvain(6, pairs, sims, threshold=0.85, seed=1).tolist())) == 4


def test_too_many_models_is_refused_before_any_allocation():
    with pytest.raises(BaselineTooLarge, match=r"5 models would take .* above the cap of 4 models"):
        pairwise_similarities(name_tfidf(NAMES[:5]), BaselineConfig(max_models=4), min_similarity=0.5)


def test_cluster_counts_grid():
    assert cluster_counts(1) == [1]
    assert cluster_counts(10, steps=4) == [2, 3, 6, 10]
