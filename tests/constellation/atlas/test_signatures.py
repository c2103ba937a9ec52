"""Base-model signatures (constellation/atlas/signatures.py) on real Hub names."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from constellation.atlas.signatures import (
    _OTHER_SPACES,
    NO_SIGNATURE,
    Signatures,
    _NameStarts,
    _tokens,
    base_signatures,
    learn_brands,
    name_signatures,
    signature_conflicts,
    signature_edges,
    signature_label,
    signature_of,
)
from constellation.names import normalized_name

# Real ids from the Hub (hf-top-downloads-2024-09 and the Constellation paper's list).
IDS = [
    "Qwen/Qwen2.5-7B-Instruct",
    "unsloth/Qwen2.5-7B",
    "bartowski/Qwen2.5-72B-Instruct-GGUF",
    "meta-llama/Meta-Llama-3.1-8B-Instruct",
    "unsloth/Meta-Llama-3.1-8B",
    "unsloth/Llama-3.1-8B",
    "ContactDoctor/Llama-3.1-8B-medical",
    "mistralai/Mistral-7B-v0.1",
    "TheBloke/mistral-7b-instruct-v0.2-GGUF",
    "HuggingFaceH4/zephyr-7b-beta",
]
TEXTS = [normalized_name(i) for i in IDS]


def test_brands_are_first_tokens_of_many_owners_without_vendor_prefixes():
    # "meta" starts names under two owners, but always before the brand "llama": a vendor, not a brand.
    assert learn_brands(IDS, TEXTS, min_owners=2) == {"qwen", "llama", "mistral"}
    assert learn_brands(IDS, TEXTS, min_owners=3) == {"qwen"}


def test_brands_count_owners_over_rows_and_codes_follow_the_rows():
    # One name under two owners starts names under both; ids without an owner count as one owner, "".
    ids = ["a/Phi-2B", "b/Phi-2B", "Phi-3B", "c/Gemma-2B", "d/phi-4b"]
    texts = [normalized_name(i) for i in ids]
    assert learn_brands(ids, texts, min_owners=3) == {"phi"}
    assert learn_brands(ids, texts, min_owners=5) == set()
    sigs = base_signatures(ids, texts, min_owners=2)
    assert sigs.keys == [("phi", "", "2b"), ("phi", "", "3b"), ("phi", "", "4b")]
    assert sigs.codes.tolist() == [0, 0, 1, NO_SIGNATURE, 2]
    assert sigs.brand.tolist() == [0, 0, 0, -1, 0]


def test_known_names_keep_their_signature_when_the_brands_are_the_same():
    sigs = base_signatures(IDS, TEXTS, min_owners=2)
    names = np.array(sorted(set(TEXTS)), dtype=object)
    kept = name_signatures(sigs, names, np.array([TEXTS.index(t) for t in names]))
    assert kept.brands == frozenset({"qwen", "llama", "mistral"})
    assert [kept.keys[c] if c >= 0 else None for c in kept.codes] == [
        sigs.keys[sigs.codes[TEXTS.index(t)]] if sigs.codes[TEXTS.index(t)] >= 0 else None for t in names
    ]
    # What was known is taken as it was (a planted key shows it was not read again); new names are read.
    planted = replace(kept, keys=[("qwen", "9", "1b") if k == ("qwen", "2.5", "7b") else k for k in kept.keys])
    ids, texts = [*IDS, "x/Qwen2.5-14B"], [*TEXTS, normalized_name("x/Qwen2.5-14B")]
    again = base_signatures(ids, texts, min_owners=2, known=planted)
    assert again.keys[0] == ("qwen", "9", "1b") and again.keys[-1] == ("qwen", "2.5", "14b")
    assert again.codes.tolist()[:-1] == sigs.codes.tolist()
    # Brands lost (min_owners 3: "qwen" alone): names holding "llama" or "mistral" are read again and have
    # no signature now; the others keep what was known.
    fewer = base_signatures(ids, texts, min_owners=3, known=planted)
    assert fewer.keys[0] == ("qwen", "9", "1b")
    assert fewer.codes[3:9].tolist() == [NO_SIGNATURE] * 6


def test_signature_reads_brand_version_and_size():
    brands = {"qwen", "llama", "mistral"}
    assert signature_of(normalized_name("unsloth/Meta-Llama-3.1-8B").split(), brands) == ("llama", "3.1", "8b")
    assert signature_of(normalized_name("mistralai/Mistral-7B-v0.1").split(), brands) == ("mistral", "0.1", "7b")
    assert signature_of(normalized_name("x/Mixtral-8x7B").split(), {"mixtral"}) == ("mixtral", "", "8x7b")
    assert signature_of(normalized_name("a/llama-3.1-medical").split(), brands) is None  # no size
    assert signature_of(normalized_name("a/my-qwen-7b-tune").split(), brands) == ("qwen", "", "7b")
    assert signature_of(normalized_name("a/a-fine-tune-of-qwen-7b").split(), brands) is None  # brand too late


def test_signature_reads_a_version_after_the_release_stage_words_that_follow_the_size():
    brands = {"mistral", "solar", "llama", "yi", "deepseek"}
    for name, key in [
        ("mistralai/Mistral-7B-Instruct-v0.2", ("mistral", "0.2", "7b")),
        ("TheBloke/Mistral-7B-Instruct-v0.1-GGUF", ("mistral", "0.1", "7b")),
        ("upstage/SOLAR-10.7B-Instruct-v1.0", ("solar", "1.0", "10.7b")),
        ("TinyLlama/TinyLlama-1.1B-Chat-v1.0", ("llama", "1.0", "1.1b")),
        ("a/Mistral-7B-Instruct-chat-v0.3", ("mistral", "0.3", "7b")),  # two release stage words
        ("a/Mistral-7B-Instruct-v0.2-medical-v3", ("mistral", "0.2", "7b")),  # the first one only
        ("a/Mistral-7B-medical-v3", ("mistral", "", "7b")),  # not a stage word: the fine-tune's own version
        # After a training-method word the `v…` is the fine-tuner's run, not the base's version.
        ("GAI-LLM/Yi-Ko-6B-dpo-v5", ("yi", "", "6b")),
        ("a/mistral-7b-instruct-dpo-v0.3", ("mistral", "", "7b")),
        ("deepseek-ai/deepseek-coder-7b-base-v1.5", ("deepseek", "", "7b")),  # `base` is left out (measured)
        ("a/Mistral-7B-Instruct-0.2", ("mistral", "", "7b")),  # a bare number after the size is no version
        ("a/Mistral-7B-Instruct", ("mistral", "", "7b")),
        ("meta-llama/Llama-2-7b-chat-v2", ("llama", "2", "7b")),  # a version before the size comes first
    ]:
        assert signature_of(normalized_name(name).split(), brands) == key, name
    assert signature_of(["yi", "ko", "6b", "dpo", "v5"], brands) == ("yi", "", "6b")  # the tokens of the issue


def test_base_signatures_codes_and_conflicts():
    sigs = base_signatures(IDS, TEXTS, min_owners=2)
    assert sigs.keys == [
        ("qwen", "2.5", "7b"),
        ("qwen", "2.5", "72b"),
        ("llama", "3.1", "8b"),
        ("mistral", "0.1", "7b"),
        ("mistral", "0.2", "7b"),
    ]
    assert sigs.codes.tolist() == [0, 0, 1, 2, 2, 2, 2, 3, 4, NO_SIGNATURE]
    # 7B against 72B of one brand conflicts, and so do v0.1 and (instruct) v0.2; brands differ: no.
    conflicts = signature_conflicts(sigs, np.array([0, 0, 7, 0, 9]), np.array([1, 2, 8, 3, 0]))
    assert conflicts.tolist() == [False, True, True, False, False]
    # A stated against an unstated version does not conflict ("mistral 7b v0.1" / "my mistral 7b tune").
    unstated = Signatures(np.array([0, 1]), np.array([0, 0]), [("mistral", "0.1", "7b"), ("mistral", "", "7b")])
    assert signature_conflicts(unstated, np.array([0]), np.array([1])).tolist() == [False]


def test_signature_edges_join_members_to_the_most_popular_few():
    sigs = base_signatures(IDS, TEXTS, min_owners=2)
    popularity = np.array([10, 5, 1, 100, 3, 50, 2, 9, 8, 7], dtype=float)
    sources, targets = signature_edges(sigs, popularity, representatives=2)
    pairs = sorted(zip(sources.tolist(), targets.tolist()))
    # llama 3.1 8b: rows 3 (100) and 5 (50) are the representatives; qwen 2.5 7b: rows 0 and 1.
    assert pairs == [(0, 1), (1, 0), (3, 5), (4, 3), (4, 5), (5, 3), (6, 3), (6, 5)]


def test_labels_spell_the_family_as_its_names_do():
    assert signature_label(("qwen", "2.5", "7b"), ["Qwen2.5-7B-Instruct"]) == "Qwen2.5 · 7B"
    assert signature_label(("llama", "3.1", "8b"), ["Meta-Llama-3.1-8B-Instruct"]) == "Llama 3.1 · 8B"
    assert signature_label(("mixtral", "", "8x7b"), ["Mixtral-8x7B-v0.1"]) == "Mixtral · 8x7B"
    assert signature_label(("mistral", "0.1", "7b"), ["Mistral-7B-v0.1"]) == "Mistral · 7B v0.1"
    assert signature_label(("mistral", "0.2", "7b"), ["Mistral-7B-Instruct-v0.2"]) == "Mistral · 7B v0.2"
    assert signature_label(("llama", "3.1", "8b"), ["llama-3.1-8b-medical"]) == "Llama 3.1 · 8B"
    assert signature_label(("phi", "3", "14b"), ["nothing-alike"]) == "Phi 3 · 14B"


def test_brand_windows_split_in_arrow_read_as_python_splits_them():
    characters = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    matched = pc.match_substring_regex(pa.array(characters), f"^[{_OTHER_SPACES}]$").to_numpy(zero_copy_only=False)
    assert {c for c, hit in zip(characters, matched, strict=True) if hit} == {
        c for c in characters if c.isspace() and c != " "
    }
    texts = ["", "a", "@o a b c d e", "@o", "@o x", "a b", " a b", "a b ", "a  b c", "a\tb c d", "a\u3000b c"]
    texts += ["@x\u00a0y z w", "qwen 2.5 7b instruct", "@ a b c", "a b c d", "x y z w v u", "@a @b c d"]
    starts = _NameStarts.of(np.array(texts, dtype=object))
    for i, text in enumerate(texts):
        tokens = _tokens(text)[:3]
        window = [starts.tokens[codes[i]] for codes in (starts.first, starts.second, starts.third)]
        assert window == [tokens[j] if len(tokens) > j else "" for j in range(3)], text


def test_signatures_read_the_same_given_the_distinct_names_in_another_order():
    codes, distinct = pd.factorize(pd.Series(TEXTS, dtype=object))
    order = np.arange(len(distinct))[::-1]
    position = np.empty_like(order)
    position[order] = np.arange(len(order))
    for known in (None, name_signatures(base_signatures(IDS, TEXTS, 2), np.asarray(distinct), np.arange(len(IDS)))):
        plain = base_signatures(IDS, TEXTS, 2, known)
        given = base_signatures(IDS, TEXTS, 2, known, names=(position[codes], np.asarray(distinct)[order]))
        assert (plain.codes == given.codes).all() and (plain.brand == given.brand).all()
        assert plain.keys == given.keys and plain.brands == given.brands
