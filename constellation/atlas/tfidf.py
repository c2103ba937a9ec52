"""TF-IDF of short texts without scikit-learn: the part of `TfidfVectorizer` the name features use.

Importing scikit-learn costs about 1 s (it loads scipy.stats), a fifth of the paper's whole build; the
vectorizer itself is a few dozen lines. This one gives the same matrix as

    TfidfVectorizer(analyzer=..., ngram_range=..., min_df=..., token_pattern=r"\\S+",
                    lowercase=False, sublinear_tf=True, dtype=np.float32).fit_transform(texts)

bit for bit: same vocabulary (sorted terms), same entries in the same order within each row (the order in
which the terms were first met), same float32 arithmetic step by step (tests/constellation/atlas/test_tfidf.py
compares the two on real names). Keeping the entry order matters: a row's norm is a sequential sum, and
a different order would round differently, so the kNN downstream could see other ties.

Differences on purpose: no terms at all (every text empty, or every term rarer than `min_df`) gives a
matrix with 0 columns instead of sklearn's ValueError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

Analyzer = Literal["word", "char_wb"]
BLOCK_ROWS = 262_144  # rows at a time where a whole-matrix temporary would cost GBs at 3M names


@dataclass(frozen=True)
class _Terms:
    codes: np.ndarray  # every text's terms one after another, as positions in `vocabulary`
    lengths: np.ndarray  # how many of `codes` each text has
    vocabulary: list[str]  # the terms in the order they were first met


def tfidf(
    texts: list[str],
    *,
    analyzer: Analyzer,
    ngram_range: tuple[int, int],
    min_df: int,
    token_pattern: str = r"(?u)\b\w\w+\b",
) -> tuple[sp.csr_matrix, np.ndarray]:
    """(matrix, terms): L2-normalised sublinear TF-IDF rows (float32), one per text, and the term of each
    column (object array, sorted). `min_df` is a count of texts; terms in fewer texts are dropped."""
    counts, vocabulary = _count(_ngrams(texts, analyzer, ngram_range, token_pattern), len(texts), min_df)
    if counts.shape[1] == 0:
        return counts, vocabulary
    return _weigh(counts, smooth_idf(counts, len(texts))), vocabulary


def transform(
    texts: list[str],
    terms: np.ndarray,
    idf: np.ndarray,
    *,
    analyzer: Analyzer,
    ngram_range: tuple[int, int],
    token_pattern: str = r"(?u)\b\w\w+\b",
) -> sp.csr_matrix:
    """Rows of `texts` over a vocabulary `tfidf` learnt (its `terms` and their `smooth_idf`), as sklearn's
    `transform`: terms outside it are left out. Equal to the fitted rows up to float32 rounding (entries
    come in column order here, in first-met order from the fit, so a norm's sum may round differently)."""
    if not len(terms) or not texts:
        return sp.csr_matrix((len(texts), len(terms)), dtype=np.float32)
    found = _ngrams(texts, analyzer, ngram_range, token_pattern)
    column = pd.Index(terms).get_indexer(pd.Index(found.vocabulary, dtype=object)).astype(np.int64)
    codes = column[found.codes]
    rows = np.repeat(np.arange(len(texts), dtype=np.int64), found.lengths)
    known = codes >= 0
    counts = sp.csr_matrix(
        sp.coo_matrix(
            (np.ones(int(known.sum()), dtype=np.float32), (rows[known], codes[known])), shape=(len(texts), len(terms))
        )
    )
    counts.sum_duplicates()
    return _weigh(counts, idf.astype(np.float32, copy=False))


def smooth_idf(matrix: sp.csr_matrix, n_texts: int) -> np.ndarray:
    """sklearn's smooth IDF of each column (float32, as its TfidfTransformer computes it): a term's
    document frequency is its column's non-zeros, in counts or in TF-IDF rows alike."""
    df = np.bincount(matrix.indices, minlength=matrix.shape[1]).astype(np.float32)
    df += 1.0
    idf = np.full_like(df, fill_value=n_texts + 1, dtype=np.float32)
    idf /= df
    np.log(idf, out=idf)
    idf += 1.0
    return idf


def l2_normalize_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Divide each row by its L2 norm, in place; all-zero rows stay zero. As sklearn's `normalize`: the
    squares are float32, summed in double in the row's entry order, and the quotient rounded back."""
    data, indptr = matrix.data, matrix.indptr
    lengths = np.diff(indptr)
    norms = np.zeros(len(lengths), dtype=np.float64)
    # Sequential sums, one entry position at a time over the rows that still have one: numpy's own sums
    # are pairwise and would round differently from sklearn's loop. Rows longest first, so the rows with a
    # k-th entry are always a prefix of `order`.
    order = np.argsort(-lengths, kind="stable")
    starts = indptr[:-1][order].astype(np.int64)
    remaining = lengths[order]
    for k in range(int(remaining[0]) if len(remaining) else 0):
        active = int(np.searchsorted(-remaining, -k, side="left"))
        entries = data[starts[:active] + k]
        norms[order[:active]] += (entries * entries).astype(np.float64)  # squared here, not in a copy of data
    del order, starts, remaining
    norms = np.sqrt(norms)
    norms[norms == 0.0] = 1.0  # an all-zero row: x / 1 leaves its entries as they are
    # Divided a block of rows at a time: the float64 copies of a whole 3M-name matrix would be GBs.
    for first in range(0, len(lengths), BLOCK_ROWS):
        last = min(first + BLOCK_ROWS, len(lengths))
        block = slice(int(indptr[first]), int(indptr[last]))
        per_entry = np.repeat(norms[first:last], lengths[first:last])
        data[block] = (data[block].astype(np.float64) / per_entry).astype(data.dtype)
    return matrix


def _ngrams(texts: list[str], analyzer: Analyzer, ngram_range: tuple[int, int], token_pattern: str) -> _Terms:
    if analyzer == "word":
        return _word_ngrams(texts, ngram_range, re.compile(token_pattern))
    if analyzer == "char_wb":
        return _char_wb_ngrams(texts, ngram_range)
    raise ValueError(f"unknown analyzer {analyzer!r}; choose 'word' or 'char_wb'")


def _word_ngrams(texts: list[str], ngram_range: tuple[int, int], pattern: re.Pattern[str]) -> _Terms:
    """Every text's word n-grams in sklearn's order (all n-grams of the smallest n, then the next)."""
    low, high = ngram_range
    grams: list[str] = []
    lengths: list[int] = []
    for text in texts:
        tokens = pattern.findall(text)
        before = len(grams)
        for n in range(low, min(high, len(tokens)) + 1):
            grams.extend(tokens if n == 1 else [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)])
        lengths.append(len(grams) - before)
    codes, vocabulary = _first_met(grams)
    return _Terms(codes, np.array(lengths, dtype=np.int64), vocabulary)


def _char_wb_ngrams(texts: list[str], ngram_range: tuple[int, int]) -> _Terms:
    """Every text's character n-grams within words padded by one space, in sklearn's order.

    A word's n-grams depend on the word alone, and names repeat their words (`llama`, `7b`, `gguf`), so
    each distinct word is cut once, when first met (which also meets its n-grams in sklearn's order), and
    the texts are then put together from their words' n-grams with numpy."""
    words: dict[str, int] = {}
    word_grams: list[str] = []
    word_lengths: list[int] = []
    tokens: list[int] = []
    tokens_per_text: list[int] = []
    for text in texts:
        split = text.split()
        for word in split:
            if word not in words:
                words[word] = len(words)
                grams = _word_char_ngrams(word, ngram_range)
                word_grams.extend(grams)
                word_lengths.append(len(grams))
        tokens.extend([words[word] for word in split])
        tokens_per_text.append(len(split))
    word_codes, vocabulary = _first_met(word_grams)
    per_word = np.array(word_lengths, dtype=np.int64)
    word_start = np.concatenate([[0], np.cumsum(per_word)])[:-1]
    token = np.array(tokens, dtype=np.int64)
    per_token = per_word[token]
    token_ends = np.cumsum(per_token)
    # Each n-gram's place in word_codes: its word's start plus its position among its token's n-grams, i.e.
    # its own place in `codes` minus its token's first one's. A block of tokens at a time: whole, the places
    # and their parts are three more N-long arrays (~1 GB at 1M names).
    token_first = token_ends - per_token
    codes = np.empty(int(token_ends[-1]) if len(token_ends) else 0, dtype=np.int64)
    for first in range(0, len(token), BLOCK_ROWS):
        last = min(first + BLOCK_ROWS, len(token))
        lo, hi = int(token_first[first]), int(token_ends[last - 1])
        position = np.repeat(word_start[token[first:last]] - token_first[first:last], per_token[first:last])
        position += np.arange(lo, hi, dtype=np.int64)
        codes[lo:hi] = word_codes[position]
    text_ends = np.cumsum(np.array(tokens_per_text, dtype=np.int64))
    ends = np.concatenate([[0], token_ends])[text_ends]
    lengths = np.diff(np.concatenate([[0], ends]))
    return _Terms(codes, lengths, vocabulary)


def _first_met(grams: list[str]) -> tuple[np.ndarray, list[str]]:
    """(code of each gram, distinct grams): codes number the grams in the order they are first met, as
    sklearn's vocabulary does before it sorts."""
    codes, distinct = pd.factorize(np.array(grams, dtype=object), sort=False)
    return codes.astype(np.int64, copy=False), distinct.tolist()


def _word_char_ngrams(word: str, ngram_range: tuple[int, int]) -> list[str]:
    padded = f" {word} "
    grams: list[str] = []
    for n in range(ngram_range[0], ngram_range[1] + 1):
        if len(padded) <= n:
            grams.append(padded)  # sklearn counts a word shorter than n once, whole, and stops there
            break
        grams.extend([padded[i : i + n] for i in range(len(padded) - n + 1)])
    return grams


def _count(terms: _Terms, n_texts: int, min_df: int) -> tuple[sp.csr_matrix, np.ndarray]:
    """Term counts (float32 CSR) of the terms in at least `min_df` texts, columns in sorted term order,
    entries of a row in the order their terms were first met anywhere (sklearn's)."""
    size = max(len(terms.vocabulary), 1)
    vocabulary, lengths, keys = terms.vocabulary, terms.lengths, terms.codes
    # `tfidf` hands _ngrams' result straight in, so once this frame lets go of it, `keys` holds the only
    # reference to the codes, and they become the keys in place: at whole-Hub size there are ~10⁸ of them,
    # 0.8 GB per int64 copy.
    del terms
    # One key per (text, term): sorting the keys groups a text's terms in the order they were first met.
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    for first in range(0, n_texts, BLOCK_ROWS):  # keys += repeat(row × size, lengths), a block of rows at a time
        last = min(first + BLOCK_ROWS, n_texts)
        rows = np.arange(first, last, dtype=np.int64) * size
        keys[offsets[first] : offsets[last]] += np.repeat(rows, lengths[first:last])
    entries = len(keys)
    del offsets
    # np.unique(keys, return_counts=True) with less held at once: sorted in place, not in a copy, and the
    # N-long keys let go before the counts are made. Rows stay in order, so a row's entries are where its
    # keys fall (searchsorted below).
    keys.sort()
    is_first = np.ones(len(keys), dtype=bool)
    np.not_equal(keys[1:], keys[:-1], out=is_first[1:])
    keys = keys[is_first]
    starts = np.flatnonzero(is_first)
    del is_first
    counts = np.diff(starts, append=entries).astype(np.float32)  # small whole numbers: exact in float32
    del starts
    term_of = keys % size
    df = np.bincount(term_of, minlength=len(vocabulary))
    kept = df >= min_df
    if not kept.any():
        return sp.csr_matrix((n_texts, 0), dtype=np.float32), np.array([], dtype=object)
    names = [vocabulary[i] for i in np.flatnonzero(kept)]
    # Python's string order, as sklearn's sorted(): numpy's unicode arrays would drop trailing NULs.
    order = np.array(sorted(range(len(names)), key=names.__getitem__), dtype=np.int64)
    keep_entry = kept[term_of]
    nnz = int(keep_entry.sum())
    index_dtype = np.int32 if nnz <= np.iinfo(np.int32).max else np.int64
    column = np.full(len(kept), -1, dtype=index_dtype)
    column[np.flatnonzero(kept)[order]] = np.arange(len(order))
    indices = column[term_of]  # each entry's column, as the matrix stores it
    del term_of
    if nnz < len(keys):  # one array at a time, so each unfiltered one is let go before the next is copied
        keys = keys[keep_entry]
        indices = indices[keep_entry]
        counts = counts[keep_entry]
    del keep_entry
    indptr = np.searchsorted(keys, np.arange(n_texts + 1, dtype=np.int64) * size)  # entries of rows before each
    del keys
    matrix = sp.csr_matrix((counts, indices, indptr.astype(index_dtype)), shape=(n_texts, len(order)))
    return matrix, np.array(names, dtype=object)[order]


def _weigh(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear tf × idf, rows L2-normalised, in float32 as sklearn's TfidfTransformer computes it."""
    data = counts.data
    np.log(data, out=data)
    data += 1.0
    data *= idf[counts.indices]
    return l2_normalize_rows(counts)
