import pyarrow as pa

from constellation.app.search import IdIndex

IDS = [
    "meta-llama/Llama-3-8B",
    "TheBloke/Llama-3-8B-GGUF",
    "gpt2",
    "openai/gpt2-large",
    "x/abc-gpt2",
    "Qwen/Qwen2.5-7B",
    "alice/qwen-tuned",
]


def test_prefix_of_id_and_of_name_case_insensitive_shortest_first():
    index = IdIndex.build(IDS)
    assert index.prefix("LLAMA-3") == ["meta-llama/Llama-3-8B", "TheBloke/Llama-3-8B-GGUF"]
    assert index.prefix("gpt") == ["gpt2", "openai/gpt2-large"]
    assert index.prefix("qwen") == ["Qwen/Qwen2.5-7B", "alice/qwen-tuned"]
    assert index.prefix("meta-llama/") == ["meta-llama/Llama-3-8B"]


def test_search_adds_substring_matches_after_prefixes_without_repeats():
    index = IdIndex.build(IDS)
    assert index.search("gpt2") == ["gpt2", "openai/gpt2-large", "x/abc-gpt2"]
    assert index.search("8b-gg") == ["TheBloke/Llama-3-8B-GGUF"]
    assert index.search("gpt2", limit=2) == ["gpt2", "openai/gpt2-large"]


def test_empty_and_unmatched_queries():
    index = IdIndex.build(IDS)
    assert index.search("") == [] and index.search("   ") == []
    assert index.search("zzz") == []
    assert index.prefix("gpt", limit=0) == []


def test_scales_without_python_strings():
    ids = pa.array([f"owner{i % 97}/model-{i:07d}" for i in range(200_000)])
    index = IdIndex.build(ids)
    assert len(index) == 200_000
    assert index.search("model-0123456") == ["owner72/model-0123456"]
    assert index.containing("l-019999", limit=3) == [
        "owner73/model-0199990",
        "owner74/model-0199991",
        "owner75/model-0199992",
    ]


def test_substrings_never_span_two_ids_and_count_each_id_once():
    index = IdIndex.build(["x/ab", "y/bx", "z/abab", "w/ÄBC-llama"])
    assert index.containing("abx") == []  # "x/ab" + "y/bx" joined in the buffer, but no id holds it
    assert index.containing("ab") == ["x/ab", "z/abab"]
    assert index.containing("ab", limit=1) == ["x/ab"]
    assert index.containing("äbc") == ["w/ÄBC-llama"]  # lowercased beyond ASCII
    assert IdIndex.build([]).containing("a") == []


def test_a_sliced_arrow_array_is_indexed_from_its_own_offset():
    index = IdIndex.build(pa.array(["skip/me", "a/one", "b/two"]).slice(1))
    assert index.containing("o") == ["a/one", "b/two"] and index.containing("skip") == []
