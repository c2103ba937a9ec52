"""Name features: TF-IDF over word n-grams and character n-grams of the tokenised model names.

Both matrices are sparse float32 with L2-normalised rows, so a dot product is a cosine similarity. The
matrix the similarity graph uses stacks them side by side, each scaled by the square root of its weight,
so that cos(a, b) = w·cos_words + (1 − w)·cos_chars whenever both parts of both names are non-empty.

Word n-grams catch shared tokens (`llama`, `7b`, `instruct`) and name the communities; character n-grams
catch spelling variants the tokenizer cannot know (`wizardlm` / `wizard lm`, `vicuna` / `vicuña`).
Terms seen in fewer than `min_df` names are dropped: they can only ever match the name itself.

Fitting and transforming are separate steps, as in scikit-learn, so a nightly build can keep yesterday's
vocabulary (constellation/atlas/reuse.py): `fit_names` learns the vocabularies and IDF weights of a list of
distinct names and returns their rows, `transform_names` gives rows of other names with a learnt
vocabulary, equal to what the fit gave the names it saw. `name_features` is the two around tokenising.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from tqdm import tqdm

from constellation.atlas.config import AtlasConfig
from constellation.atlas.tfidf import l2_normalize_rows, smooth_idf, tfidf, transform
from constellation.names import normalized_name

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NameFeatures:
    texts: list[str]  # the normalised names, tokens joined by spaces
    matrix: sp.csr_matrix  # words and chars stacked and weighted; rows L2-normalised (or all zero)
    words: sp.csr_matrix  # word n-gram TF-IDF; rows L2-normalised
    word_terms: np.ndarray  # the word n-gram of each column of `words`
    vocabulary: NameVocabulary | None = None  # what the rows were computed with (kept for nightly reuse)

    @property
    def empty_rows(self) -> np.ndarray:
        """Positions of names with no feature at all (no tokens, or only terms rarer than min_df)."""
        return np.flatnonzero(np.diff(self.matrix.indptr) == 0)


@dataclass(frozen=True)
class TermWeights:
    """One learnt vocabulary: its terms (column order) and their IDF weights."""

    terms: np.ndarray  # str, one per column
    idf: np.ndarray  # float64, one per column


@dataclass(frozen=True)
class NameVocabulary:
    """What `fit_names` learnt: the word n-gram and the character n-gram vocabularies."""

    words: TermWeights
    chars: TermWeights


@dataclass(frozen=True)
class NameRows:
    """Feature rows of a list of names, one row per name, in order (see NameFeatures for each matrix)."""

    matrix: sp.csr_matrix
    words: sp.csr_matrix


def name_texts(ids: Sequence[str], config: AtlasConfig) -> list[str]:
    """The normalised name of every id, tokens joined by spaces: what the vectorizers read."""
    names = tqdm(ids, desc="tokenize names", unit="name", unit_scale=True, mininterval=1.0, disable=None)
    return [normalized_name(model_id, include_owner=config.include_owner) for model_id in names]


def name_features(ids: Sequence[str], config: AtlasConfig, texts: list[str] | None = None) -> NameFeatures:
    """TF-IDF features of the model ids, one row per id, in order (`texts`: their `name_texts`, when known).

    The vectorizers see each distinct normalised name once: re-uploads of one name (hundreds on the Hub)
    neither cost time nor make its terms look common. Rows of equal names are then equal."""
    texts = name_texts(ids, config) if texts is None else texts
    codes, distinct = pd.factorize(pd.Series(texts, dtype=object))
    rows, vocabulary = fit_names(distinct.tolist(), config)
    return expand_rows(texts, codes, rows, vocabulary)


def expand_rows(texts: list[str], codes: np.ndarray, rows: NameRows, vocabulary: NameVocabulary) -> NameFeatures:
    """The NameFeatures of `texts` from the rows of their distinct names (`codes`: each text's row)."""
    matrix, words = rows.matrix, rows.words
    if matrix.shape[0] < len(texts):
        matrix, words = matrix[codes], words[codes]
    log.info(
        "name features: %d names (%d distinct), %d word terms, %d char n-grams, %.1f non-zeros per name",
        len(texts),
        rows.matrix.shape[0],
        len(vocabulary.words.terms),
        len(vocabulary.chars.terms),
        matrix.nnz / max(1, len(texts)),
    )
    return NameFeatures(
        texts=texts, matrix=matrix, words=words, word_terms=vocabulary.words.terms, vocabulary=vocabulary
    )


def _word_options(config: AtlasConfig) -> dict:
    return {"analyzer": "word", "ngram_range": config.word_ngram_range, "token_pattern": r"\S+"}


def _char_options(config: AtlasConfig) -> dict:
    return {"analyzer": "char_wb", "ngram_range": config.char_ngram_range}


def fit_names(distinct: list[str], config: AtlasConfig) -> tuple[NameRows, NameVocabulary]:
    """Learn the vocabularies of `distinct` (each name once) and return their rows."""
    # With fewer names than min_df, no term could survive; a tiny atlas still deserves features.
    min_df = min(config.min_df, max(1, len(distinct) // 2))
    words, word_terms = tfidf(distinct, min_df=min_df, **_word_options(config))
    chars, char_terms = tfidf(distinct, min_df=min_df, **_char_options(config))
    vocabulary = NameVocabulary(
        TermWeights(word_terms, smooth_idf(words, len(distinct))),
        TermWeights(char_terms, smooth_idf(chars, len(distinct))),
    )
    return NameRows(_combine(words, chars, config), words), vocabulary


def transform_names(texts: list[str], vocabulary: NameVocabulary, config: AtlasConfig) -> NameRows:
    """Rows of `texts` with a vocabulary `fit_names` learnt: terms it does not hold are left out."""
    words = transform(texts, vocabulary.words.terms, vocabulary.words.idf, **_word_options(config))
    chars = transform(texts, vocabulary.chars.terms, vocabulary.chars.idf, **_char_options(config))
    return NameRows(_combine(words, chars, config), words)


def _combine(words: sp.csr_matrix, chars: sp.csr_matrix, config: AtlasConfig) -> sp.csr_matrix:
    weight = float(config.word_weight)
    # Stacked first, then each entry scaled by its block's factor in place: scaled copies of both matrices
    # would cost another matrix's worth at 3M names (the products are the same float32 ones).
    matrix = sp.hstack([words, chars], format="csr")  # new arrays: scaling them leaves `words` as it was
    matrix.data *= np.where(
        matrix.indices < words.shape[1], np.float32(np.sqrt(weight)), np.float32(np.sqrt(1.0 - weight))
    )
    if matrix.shape[1]:
        matrix = l2_normalize_rows(matrix)
    return sp.csr_matrix(matrix, dtype=np.float32)
