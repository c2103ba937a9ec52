"""N-gram counts of model names, the words of the site's word clouds (tokens from constellation.names,
the same the atlas uses).

Tokenizing is Python-speed (~20 µs per name with the counting), so counts over more than `MAX_NAMES`
names use a seeded sample of them; the counts of a sample have the same shape and the cloud says so.
The build counts the whole atlas once for its site summary; the site counts a filtered selection.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from constellation.names import split_id, tokenize_name

MAX_NAMES = 200_000


@dataclass
class NgramCounts:
    counts: Counter[str]
    names_used: int
    names_total: int

    @property
    def sampled(self) -> bool:
        return self.names_used < self.names_total


def name_ngrams(ids: Iterable[str], n_max: int = 2) -> Counter[str]:
    """Counts of the 1..n_max-grams of the names (owner left out), each n-gram once per name. A bare
    integer is no word on its own ("3", "27": versions and run numbers) but stays inside n-grams ("llama 3")."""
    counts: Counter[str] = Counter()
    for model_id in ids:
        tokens = tokenize_name(split_id(str(model_id))[1])
        grams = {t for t in tokens if not t.isdigit()}
        for n in range(2, n_max + 1):
            grams.update(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
        counts.update(grams)
    return counts


def top_ngrams(counts: Counter[str], n: int) -> list[tuple[str, int]]:
    """The `n` most frequent n-grams, equal counts in the n-grams' alphabetical order. Not `most_common`: it
    breaks ties by the order the n-grams were first counted in, and a name's n-grams are a set, whose order
    changes with each process's hash seed, so two builds of one atlas listed different words."""
    return heapq.nsmallest(n, counts.items(), key=lambda item: (-item[1], item[0]))


def ngram_counts(ids: pd.Series, n_max: int = 2, max_names: int = MAX_NAMES, seed: int = 0) -> NgramCounts:
    total = len(ids)
    if total > max_names:
        picked = np.sort(np.random.default_rng(seed).choice(total, size=max_names, replace=False))
        ids = ids.iloc[picked]
    return NgramCounts(name_ngrams(ids.astype(str), n_max), len(ids), total)
