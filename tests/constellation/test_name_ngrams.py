import pandas as pd

from constellation.name_ngrams import name_ngrams, ngram_counts


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
