from collections import Counter

import pandas as pd

from constellation.name_ngrams import name_ngrams, ngram_counts, top_ngrams


def test_name_ngrams_count_each_gram_once_per_name_and_skip_owners():
    counts = name_ngrams(["meta-llama/Llama-3-8B", "TheBloke/Llama-3-8B-GGUF", "Qwen/Qwen2.5-7B"])
    assert counts["llama"] == 2 and counts["llama 3"] == 2 and counts["8b gguf"] == 1
    assert counts["meta"] == 0 and counts["thebloke"] == 0
    assert counts["qwen"] == 1  # "Qwen2.5" → qwen · 2.5, counted once per name
    assert counts["3"] == 0 and counts["2.5"] == 1  # bare integers only inside n-grams


def test_sampling_above_cap_is_seeded():
    ids = pd.Series([f"o/model-{i % 10}-x" for i in range(1000)])
    a = ngram_counts(ids, max_names=100, seed=1)
    b = ngram_counts(ids, max_names=100, seed=1)
    assert a.sampled and a.names_used == 100 and a.names_total == 1000 and a.counts == b.counts
    assert not ngram_counts(ids, max_names=5000).sampled


def test_top_ngrams_order_ties_by_text_whatever_order_they_were_counted_in():
    # most_common would list "b" before "a" here: it keeps the order the n-grams were first counted in, which
    # for a name's set of n-grams changes with the process's hash seed.
    counted = Counter({"b": 2, "c": 5, "a": 2, "d": 1})
    assert top_ngrams(counted, 3) == [("c", 5), ("a", 2), ("b", 2)]
    assert top_ngrams(Counter(dict(reversed(list(counted.items())))), 3) == top_ngrams(counted, 3)
