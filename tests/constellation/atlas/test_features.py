"""TF-IDF name features: sparse, float32, normalised, and words vs characters weighted as configured."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from constellation.atlas.features import fit_names, name_features, transform_names
from constellation.atlas.stage import AtlasConfig
from constellation.names import normalized_name

IDS = [
    "meta-llama/Llama-2-7b-hf",
    "TheBloke/Llama-2-7B-GGUF",
    "someone/llama-2-7b-chat",
    "mistralai/Mistral-7B-v0.1",
    "TheBloke/Mistral-7B-v0.1-GGUF",
    "gpt2",
    "someone/🤗",
]


def test_rows_are_sparse_float32_unit_vectors():
    features = name_features(IDS, AtlasConfig())
    assert sp.isspmatrix_csr(features.matrix) and features.matrix.dtype == np.float32
    assert features.words.dtype == np.float32
    assert features.matrix.shape[0] == len(IDS)
    norms = np.sqrt(np.asarray(features.matrix.multiply(features.matrix).sum(axis=1)).ravel())
    assert np.allclose(norms[:-1], 1.0, atol=1e-5)
    assert list(features.empty_rows) == [6]  # the emoji-only name has no feature
    assert features.texts[1] == "llama 2 7b gguf"


def test_similar_names_score_higher_than_unrelated_ones():
    m = name_features(IDS, AtlasConfig()).matrix
    sim = (m @ m.T).toarray()
    assert sim[0, 1] > sim[0, 3] and sim[0, 2] > sim[0, 5]
    assert sim[3, 4] > sim[3, 0]


def test_word_weight_one_means_word_cosine_only():
    features = name_features(IDS, AtlasConfig(word_weight=1.0))
    assert np.allclose(
        (features.matrix @ features.matrix.T).toarray(), (features.words @ features.words.T).toarray(), atol=1e-5
    )


def test_terms_rarer_than_min_df_are_dropped():
    features = name_features(IDS, AtlasConfig(min_df=2))
    assert "llama" in set(features.word_terms) and "hf" not in set(features.word_terms)
    assert "llama 2" in set(features.word_terms)  # word bigrams


@pytest.mark.parametrize(
    "ids, texts, empty",
    [(["gpt2"], ["gpt 2"], []), (["🤗"], [""], [0]), (["a/b", "c/d"], ["b", "d"], [])],
)
def test_tiny_or_featureless_inputs_do_not_fail(ids, texts, empty):
    features = name_features(ids, AtlasConfig())
    assert features.matrix.shape[0] == len(ids)
    assert features.texts == texts and features.empty_rows.tolist() == empty
    norms = np.sqrt(np.asarray(features.matrix.multiply(features.matrix).sum(axis=1)).ravel())
    assert np.allclose(norms, [0.0 if i in empty else 1.0 for i in range(len(ids))], atol=1e-6)


def test_transform_with_a_learnt_vocabulary_gives_the_rows_the_fit_gave():
    config = AtlasConfig(min_df=1)
    distinct = sorted({normalized_name(i) for i in IDS})
    rows, vocabulary = fit_names(distinct, config)
    again = transform_names(distinct, vocabulary, config)
    assert abs(again.matrix - rows.matrix).max() < 1e-6 and abs(again.words - rows.words).max() < 1e-6
    assert again.matrix.shape == rows.matrix.shape and again.matrix.dtype == np.float32


def test_transform_leaves_out_terms_the_vocabulary_never_saw():
    config = AtlasConfig(min_df=1)
    _, vocabulary = fit_names(["llama 2 7b", "mistral 7b"], config)
    rows = transform_names(["llama 3 70b", "zzzz", ""], vocabulary, config)
    assert list(vocabulary.words.terms[rows.words[0].indices]) == ["llama"]
    assert rows.matrix[1].nnz == 0 and rows.matrix[2].nnz == 0
    assert transform_names([], vocabulary, config).matrix.shape == (0, rows.matrix.shape[1])
