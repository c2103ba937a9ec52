"""Word clouds of name n-grams: the picture of counts from constellation.name_ngrams (the whole atlas's
are in the build's site summary)."""

from __future__ import annotations

from collections import Counter

import numpy as np
from wordcloud import WordCloud

from constellation.name_ngrams import MAX_NAMES, NgramCounts, name_ngrams, ngram_counts, top_ngrams

__all__ = ["MAX_NAMES", "NgramCounts", "cloud_image", "name_ngrams", "ngram_counts", "top_ngrams"]


def cloud_image(
    counts: Counter[str], width: int = 800, height: int = 400, seed: int = 0, max_words: int = 150
) -> np.ndarray:
    """An RGB image (height × width × 3) of the cloud; a blank one when there are no words."""
    if not counts:
        return np.full((height, width, 3), 255, dtype=np.uint8)
    cloud = WordCloud(
        width=width,
        height=height,
        background_color="white",
        random_state=seed,
        max_words=max_words,
        collocations=False,  # the counts already hold the bigrams we want
        prefer_horizontal=0.9,
    )
    cloud.generate_from_frequencies(dict(top_ngrams(counts, max_words)))
    return cloud.to_array()
