"""The own TF-IDF is sklearn's TfidfVectorizer, as features.py used it, bit for bit.

Names: the ids of tests/fixtures/param_names.csv and tokenizer_cases.csv (real Hub and paper ids, sources
in the .md beside them), normalised as the atlas normalises them.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from constellation.atlas.tfidf import l2_normalize_rows, smooth_idf, tfidf, transform
from constellation.names import normalized_name

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
WORDS = {"analyzer": "word", "ngram_range": (1, 2), "token_pattern": r"\S+"}
CHARS = {"analyzer": "char_wb", "ngram_range": (3, 5)}


def _fixture_names() -> list[str]:
    ids: list[str] = []
    for name, column in (("param_names.csv", "name"), ("tokenizer_cases.csv", "id")):
        with open(FIXTURES / name, newline="", encoding="utf-8") as f:
            ids += [row[column] for row in csv.DictReader(f)]
    texts = [normalized_name(i, include_owner=False) for i in ids]
    return list(dict.fromkeys(texts))  # distinct, as features.py feeds them


def _sklearn(texts: list[str], min_df: int, **options) -> tuple[sp.csr_matrix, np.ndarray]:
    vectorizer = TfidfVectorizer(lowercase=False, sublinear_tf=True, dtype=np.float32, min_df=min_df, **options)
    matrix = vectorizer.fit_transform(texts)
    return sp.csr_matrix(matrix, dtype=np.float32), vectorizer.get_feature_names_out()


def _assert_identical(ours: sp.csr_matrix, theirs: sp.csr_matrix) -> None:
    assert ours.shape == theirs.shape
    assert ours.dtype == theirs.dtype == np.float32
    assert ours.indices.dtype == theirs.indices.dtype and ours.indptr.dtype == theirs.indptr.dtype
    assert np.array_equal(ours.indptr, theirs.indptr)
    assert np.array_equal(ours.indices, theirs.indices)  # same entries in the same order within each row
    assert ours.data.tobytes() == theirs.data.tobytes()  # bit for bit, not approximately


@pytest.mark.parametrize("options", [WORDS, CHARS], ids=["words", "chars"])
@pytest.mark.parametrize("min_df", [1, 2, 3])
def test_real_names_match_sklearn_bit_for_bit(options, min_df):
    texts = _fixture_names()
    assert len(texts) > 200
    ours, terms = tfidf(texts, min_df=min_df, **options)
    theirs, their_terms = _sklearn(texts, min_df, **options)
    _assert_identical(ours, theirs)
    assert terms.dtype == object and terms.tolist() == their_terms.tolist()


@pytest.mark.parametrize(
    "options", [WORDS, CHARS, {"analyzer": "word", "ngram_range": (2, 3), "token_pattern": r"\S+"}]
)
def test_edge_cases_match_sklearn(options):
    texts = [
        "",  # a name with no token
        "llama 2 7b",
        "vicuña 13b",  # non-ASCII letters
        "🤗 llama",  # a symbol outside the BMP
        "a",  # a word shorter than every n-gram
        "ab abc abcd",  # words of exactly n − 2 characters (n-gram == the padded word)
        "llama  2   7b\tchat",  # runs of whitespace
        "llama 2 7b",  # a repeat: its terms count twice in the document frequency
        "",
    ]
    ours, terms = tfidf(texts, min_df=2, **options)
    theirs, their_terms = _sklearn(texts, 2, **options)
    _assert_identical(ours, theirs)
    assert terms.tolist() == their_terms.tolist()
    assert ours[0].nnz == 0 and ours[8].nnz == 0


@pytest.mark.parametrize("texts", [["a b", "c d", "e f"], ["", ""], []], ids=["all-rare", "all-empty", "none"])
def test_no_surviving_term_gives_zero_columns(texts):
    # sklearn raises ValueError here; the atlas wants a featureless matrix with one row per name.
    matrix, terms = tfidf(texts, min_df=2, **WORDS)
    assert matrix.shape == (len(texts), 0) and matrix.dtype == np.float32
    assert terms.dtype == object and len(terms) == 0


def test_terms_are_sorted_and_counted_once_per_name():
    matrix, terms = tfidf(["b a a", "a c", "b"], min_df=2, analyzer="word", ngram_range=(1, 1), token_pattern=r"\S+")
    assert terms.tolist() == ["a", "b"]
    dense = matrix.toarray()
    # "a" twice in the first name: sublinear tf 1 + ln 2 against "b"'s 1, both with idf ln(4/3) + 1.
    assert dense[0, 0] / dense[0, 1] == pytest.approx(1 + np.log(2), rel=1e-6)
    assert dense[1].tolist() == [1.0, 0.0] and dense[2].tolist() == [0.0, 1.0]


def test_unknown_analyzer_is_refused():
    with pytest.raises(ValueError, match="unknown analyzer 'char'"):
        tfidf(["a"], analyzer="char", ngram_range=(1, 1), min_df=1)  # type: ignore[arg-type]


def test_l2_normalize_rows_matches_sklearn_normalize_bit_for_bit():
    texts = [*_fixture_names(), "", "qqqq"]  # an empty name and one whose every term is too rare
    words, _ = tfidf(texts, min_df=2, **WORDS)
    chars, _ = tfidf(texts, min_df=2, **CHARS)
    # As features.py stacks them: unequal weights, so rows are no longer unit vectors; some rows empty.
    stacked = sp.hstack([words * np.float32(np.sqrt(0.3)), chars * np.float32(np.sqrt(0.7))], format="csr")
    theirs = normalize(stacked.copy(), copy=False).astype(np.float32, copy=False)
    ours = l2_normalize_rows(stacked)
    _assert_identical(ours, theirs)
    assert (np.diff(ours.indptr) == 0).any()  # all-zero rows stay zero, without a division by 0


@pytest.mark.parametrize("options", [WORDS, CHARS], ids=["words", "chars"])
def test_transform_with_the_fitted_terms_gives_the_fitted_rows(options):
    texts = _fixture_names()
    fitted, terms = tfidf(texts, min_df=2, **options)
    again = transform(texts, terms, smooth_idf(fitted, len(texts)), **options)
    assert again.shape == fitted.shape and again.dtype == np.float32
    # Same entries; only the summation order of a row's norm may differ (column order here, first-met there).
    assert abs(again - fitted).max() < 1e-6
    # sklearn's transform with the same vocabulary, as the reference
    vectorizer = TfidfVectorizer(lowercase=False, sublinear_tf=True, dtype=np.float32, min_df=2, **options)
    vectorizer.fit(texts)
    assert (
        abs(
            sp.csr_matrix(vectorizer.transform(texts[:50])) - transform(texts[:50], terms, vectorizer.idf_, **options)
        ).max()
        < 1e-6
    )


def test_transform_leaves_out_unknown_terms_and_handles_empty_inputs():
    fitted, terms = tfidf(["llama 2 7b", "mistral 7b"], min_df=1, **WORDS)
    idf = smooth_idf(fitted, 2)
    rows = transform(["llama 3 70b", "zzzz", ""], terms, idf, **WORDS)
    assert list(terms[rows[0].indices]) == ["llama"] and rows[0].data.tolist() == [1.0]
    assert rows[1].nnz == 0 and rows[2].nnz == 0
    assert transform([], terms, idf, **WORDS).shape == (0, len(terms))
    assert transform(["llama"], np.array([], dtype=object), np.array([]), **WORDS).shape == (1, 0)
