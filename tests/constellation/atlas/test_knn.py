"""kNN graph: the chunked exact search and the windowed one, against brute force on a small set."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from constellation.atlas.features import name_features
from constellation.atlas.knn import KnnGraph, exact_knn, knn_graph, knn_recall, sort_keys, windowed_knn
from constellation.atlas.stage import AtlasConfig


@pytest.fixture(scope="module")
def features():
    ids = pd.read_csv("tests/fixtures/tokenizer_cases.csv")["id"].tolist()
    families = ["llama-2-7b", "mistral-7b-instruct-v0.2", "qwen2.5-1.5b-instruct", "gemma-2-9b-it", "phi-3-mini"]
    suffixes = ["", "-gguf", "-awq", "-lora", "-sft", "-dpo", "-q4_k_m", "-medical", "-chat", "-v2"]
    ids += [f"user{i}/{f}{s}" for i, (f, s) in enumerate((f, s) for f in families for s in suffixes)]
    return name_features(ids, AtlasConfig())


def brute_force(matrix, k):
    sim = (matrix @ matrix.T).toarray()
    np.fill_diagonal(sim, -np.inf)
    return sim, np.sort(sim, axis=1)[:, ::-1][:, :k]


@pytest.mark.parametrize("block_rows", [1, 7, 4096])
def test_exact_knn_matches_brute_force(features, block_rows):
    k = 5
    sim, best = brute_force(features.matrix, k)
    graph = exact_knn(features.matrix, k, block_rows=block_rows, progress=False)
    found = graph.neighbors >= 0
    expected = np.where(best > 0, best, 0.0)
    assert np.allclose(graph.similarities, expected, atol=1e-5)
    rows = np.nonzero(found)[0]
    assert np.allclose(sim[rows, graph.neighbors[found]], graph.similarities[found], atol=1e-5)
    assert not (graph.neighbors == np.arange(len(graph.neighbors))[:, None]).any()  # never itself


def test_min_similarity_drops_weak_neighbours(features):
    graph = exact_knn(features.matrix, 5, min_similarity=0.5, progress=False)
    assert (graph.similarities[graph.neighbors >= 0] > 0.5).all()
    assert (graph.similarities[graph.neighbors < 0] == 0).all()


def test_windowed_equals_exact_when_the_window_covers_everything(features):
    n = features.matrix.shape[0]
    exact = exact_knn(features.matrix, 5, progress=False)
    approx = windowed_knn(features.matrix, 5, sort_keys(features.texts), window=4 * n, progress=False)
    assert np.allclose(exact.similarities, approx.similarities, atol=1e-5)
    assert knn_recall(features.matrix, approx, np.arange(n)) == 1.0


def test_small_windows_lose_some_neighbours_and_recall_says_so(features):
    n = features.matrix.shape[0]
    keys = sort_keys(features.texts, features.words, features.word_terms)
    approx = windowed_knn(features.matrix, 5, keys[:1], window=4, progress=False)
    recall = knn_recall(features.matrix, approx, np.arange(n))
    assert 0.0 < recall < 1.0
    full = windowed_knn(features.matrix, 5, keys, window=16, progress=False)
    assert knn_recall(features.matrix, full, np.arange(n)) > recall


def test_pairs_are_undirected_and_unique():
    graph = KnnGraph(
        neighbors=np.array([[1, 2], [0, -1], [0, 1]], dtype=np.int32),
        similarities=np.array([[0.9, 0.5], [0.9, 0.0], [0.5, 0.4]], dtype=np.float32),
        method="exact",
    )
    src, dst, w = graph.pairs()
    assert list(zip(src.tolist(), dst.tolist())) == [(0, 1), (0, 2), (1, 2)]
    assert np.allclose(w, [0.9, 0.5, 0.4])


def test_twins_are_searched_once_and_joined_to_their_first_copy():
    ids = ["a/llama-7b", "b/llama-7b", "c/Llama-7B", "d/llama-7b-chat", "e/mistral-7b", "f/🤗", "g/🤗"]
    features = name_features(ids, AtlasConfig(min_df=1))
    graph = knn_graph(features.matrix, features.texts, 3, exact_max=100, window=8)
    assert graph.distinct.tolist() == [0, 3, 4, 5, 6]  # the emoji names have no features: never twins
    assert graph.neighbors[1].tolist() == [0, -1, -1] and graph.neighbors[2].tolist() == [0, -1, -1]
    assert graph.similarities[1, 0] == 1.0
    assert 3 in graph.neighbors[0] and 1 not in graph.neighbors[0]
    assert (graph.neighbors[5] == -1).all() and (graph.neighbors[6] == -1).all()
    src, dst, _ = graph.pairs()
    assert {(0, 1), (0, 2)} <= set(zip(src.tolist(), dst.tolist()))


def test_windowed_above_exact_max_uses_the_distinct_rows(features):
    graph = knn_graph(
        features.matrix, features.texts, 5, words=features.words, terms=features.word_terms, exact_max=10, window=64
    )
    assert graph.method == "windowed" and graph.searched is not None
    sub = features.matrix[graph.distinct]
    assert knn_recall(sub, graph.searched, np.arange(sub.shape[0])) > 0.9
