"""Name features: TF-IDF over word n-grams and character n-grams of the tokenised model names.

Both matrices are sparse float32 with L2-normalised rows, so a dot product is a cosine similarity. The
matrix the similarity graph uses stacks them side by side, each scaled by the square root of its weight,
so that cos(a, b) = w·cos_words + (1 − w)·cos_chars whenever both parts of both names are non-empty.

Word n-grams catch shared tokens (`llama`, `7b`, `instruct`) and name the communities; character n-grams
catch spelling variants the tokenizer cannot know (`wizardlm` / `wizard lm`, `vicuna` / `vicuña`).
Terms seen in fewer than `min_df` names are dropped: they can only ever match the name itself.
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
from constellation.atlas.tfidf import l2_normalize_rows, tfidf
from constellation.names import normalized_name

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NameFeatures:
    texts: list[str]  # the normalised names, tokens joined by spaces
    matrix: sp.csr_matrix  # words and chars stacked and weighted; rows L2-normalised (or all zero)
    words: sp.csr_matrix  # word n-gram TF-IDF; rows L2-normalised
    word_terms: np.ndarray  # the word n-gram of each column of `words`

    @property
    def empty_rows(self) -> np.ndarray:
        """Positions of names with no feature at all (no tokens, or only terms rarer than min_df)."""
        return np.flatnonzero(np.diff(self.matrix.indptr) == 0)


def name_features(ids: Sequence[str], config: AtlasConfig) -> NameFeatures:
    """TF-IDF features of the model ids, one row per id, in order.

    The vectorizers see each distinct normalised name once: re-uploads of one name (hundreds on the Hub)
    neither cost time nor make its terms look common. Rows of equal names are then equal."""
    names = tqdm(ids, desc="tokenize names", unit="name", unit_scale=True, mininterval=1.0, disable=None)
    texts = [normalized_name(model_id, include_owner=config.include_owner) for model_id in names]
    codes, distinct = pd.factorize(pd.Series(texts, dtype=object))
    distinct = distinct.tolist()
    # With fewer names than min_df, no term could survive; a tiny atlas still deserves features.
    min_df = min(config.min_df, max(1, len(distinct) // 2))
    words, terms = _tfidf(
        distinct, analyzer="word", ngram_range=config.word_ngram_range, min_df=min_df, token_pattern=r"\S+"
    )
    chars, _ = _tfidf(distinct, analyzer="char_wb", ngram_range=config.char_ngram_range, min_df=min_df)
    weight = float(config.word_weight)
    matrix = sp.hstack([words * np.float32(np.sqrt(weight)), chars * np.float32(np.sqrt(1.0 - weight))], format="csr")
    if matrix.shape[1]:
        matrix = l2_normalize_rows(matrix)
    if len(distinct) < len(texts):
        matrix, words = matrix[codes], words[codes]
    log.info(
        "name features: %d names (%d distinct), %d word terms, %d char n-grams, %.1f non-zeros per name",
        len(texts),
        len(distinct),
        words.shape[1],
        chars.shape[1],
        matrix.nnz / max(1, len(texts)),
    )
    return NameFeatures(texts=texts, matrix=matrix, words=words, word_terms=terms)


def _tfidf(texts: list[str], **options) -> tuple[sp.csr_matrix, np.ndarray]:
    # constellation/atlas/tfidf.py: sklearn's TfidfVectorizer(lowercase=False, sublinear_tf=True,
    # dtype=float32) bit for bit, without sklearn's 1 s import; no surviving term gives 0 columns.
    return tfidf(texts, **options)
