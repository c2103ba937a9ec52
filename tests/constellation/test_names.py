"""The Hub's naming vocabulary: the tokenizer (real names from ../shared/data, tests/fixtures/tokenizer_cases.csv),
size tokens, quantisation / adapter / merge markers and name keys (real names from ../shared/data, sources named)."""

from __future__ import annotations

import csv

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import constellation.names as names_module
from constellation.names import (
    FORMAT_CLASSES,
    PACKED_WEIGHT_MARKER_RE2,
    NameSize,
    format_class,
    has_adapter_marker,
    has_merge_word,
    has_packed_weight_marker,
    has_quantization_marker,
    is_quantized_tag,
    is_size_token,
    is_version_token,
    loose_key,
    name_key,
    name_tail,
    normalized_name,
    read_size,
    read_sizes,
    size_tokens,
    split_id,
    states_active_size,
    states_size,
    tokenize_id,
    tokenize_name,
)
from tests.paths import FIXTURES

CASES = list(csv.DictReader((FIXTURES / "tokenizer_cases.csv").open(encoding="utf-8")))


def test_fixture_names_its_sources():
    assert len(CASES) >= 25
    assert {row["source"] for row in CASES} == {
        "constellation",
        "hf-top-downloads-2024-09",
        "interconnects-tracked-models",
    }


@pytest.mark.parametrize("row", CASES, ids=[row["id"] for row in CASES])
def test_real_names(row):
    assert tokenize_id(row["id"]) == row["tokens"].split()


@pytest.mark.parametrize(
    ("model_id", "owner", "name"),
    [("meta-llama/Llama-2-7b-hf", "meta-llama", "Llama-2-7b-hf"), ("gpt2", None, "gpt2"), ("a/b/c", "a", "b/c")],
)
def test_split_id(model_id, owner, name):
    assert split_id(model_id) == (owner, name)


@pytest.mark.parametrize(
    ("name", "tokens"),
    [
        ("Qwen2.5-7B-Instruct-Q4_K_M.gguf", ["qwen", "2.5", "7b", "instruct", "q4_k_m", "gguf"]),
        ("Meta-Llama-3.1-8B-Instruct-IQ2_XXS", ["meta", "llama", "3.1", "8b", "instruct", "iq2_xxs"]),
        ("Qwen3-30B-A3B", ["qwen", "3", "30b", "a3b"]),
        ("Llama-3-70B-4.0bpw-exl2", ["llama", "3", "70b", "4.0bpw", "exl2"]),
        ("model_V2", ["model", "v2"]),
        ("Mistral-7B-v0.1-bf16", ["mistral", "7b", "v0.1", "bf16"]),
        ("wizard7b", ["wizard", "7b"]),
        ("13bchat", ["13", "bchat"]),  # a size does not run into the next word
        ("HTMLParser", ["html", "parser"]),
        ("LLaMA-7b", ["llama", "7b"]),
        ("GPTNeoX", ["gptneox"]),
    ],
)
def test_hub_tokens(name, tokens):
    assert tokenize_name(name) == tokens


@pytest.mark.parametrize(
    ("name", "tokens"),
    [
        ("Café-Modèle_ÉTÉ", ["café", "modèle", "été"]),
        ("ÉtéModèle", ["été", "modèle"]),
        ("中文-llama-7b", ["中文", "llama", "7b"]),
        ("ｌｌａｍａ７ｂ", ["llama", "7b"]),  # full-width letters and digits (NFKC)
        ("🤗🤗", []),
        ("", []),
        ("---", []),
    ],
)
def test_unicode_and_empty(name, tokens):
    assert tokenize_name(name) == tokens


def test_owner_is_left_out_unless_asked():
    assert tokenize_id("TheBloke/Llama-2-7B-GGUF") == ["llama", "2", "7b", "gguf"]
    assert tokenize_id("TheBloke/Llama-2-7B-GGUF", include_owner=True) == ["@thebloke", "llama", "2", "7b", "gguf"]
    assert normalized_name("meta-llama/Llama-2-7b-hf") == "llama 2 7b hf"


def test_the_tokenizer_and_the_key_agree_on_total_sizes():
    # Both spell a size with the same fragment: every size the tokenizer keeps whole is a size token of a key,
    # except the active `a3b` (a key's remainder `a3b` names the MoE variant, not another size).
    tokens = {t for row in CASES for t in tokenize_id(row["id"])}
    sizes = {t for t in tokens if t[0].isdigit() and t[-1] in "bmkt" and not t.endswith("bit")}
    assert len(sizes) >= 10 and all(is_size_token(t) for t in sizes)
    assert not any(is_size_token(t) for t in tokens - sizes)
    assert tokenize_name("Qwen3-30B-A3B")[-1] == "a3b" and not is_size_token("a3b")


@pytest.mark.parametrize(
    ("token", "size", "version"),
    [("7b", True, False), ("8x7b", True, False), ("1.5b", True, False), ("350m", True, False), ("1t", True, False),
     ("a3b", False, False), ("7b1", False, False), ("7B", False, False), ("v0.2", False, True), ("v2", False, True),
     ("3.1", False, True), ("3", False, False), ("chat", False, False)],
)  # fmt: skip
def test_size_and_version_tokens_of_a_key(token: str, size: bool, version: bool) -> None:
    assert (is_size_token(token), is_version_token(token)) == (size, version)


def test_size_tokens_of_a_key():
    assert size_tokens(["mixtral", "8x7b", "v0.1", "instruct", "7b", "32k"]) == {"8x7b", "7b", "32k"}
    assert size_tokens(["qwen3", "30b", "a3b"]) == {"30b"}


# Moved from tests/constellation/evaluate/test_params.py with the patterns (the coverage denominator).
@pytest.mark.parametrize(
    ("name", "stated"),
    [("x/Llama-2-7b-hf", True), ("x/opt-350m", True), ("x/Mixtral-8x7B", True), ("x/bloom-7b1", True),
     ("x/Qwen-1_8B", True), ("x/gpt2", False), ("x/model-4bit", False), ("x/Phi-3-mini-4k", False),
     ("7b/gpt2", False), (None, False)],
)  # fmt: skip
def test_name_states_size(name: str | None, stated: bool) -> None:
    assert states_size(name) is stated  # type: ignore[arg-type]


def test_name_states_active() -> None:
    assert [
        states_active_size(n)
        for n in ("Q/Qwen3-30B-A3B", "Q/Qwen1.5-MoE-A2.7B", "m/Llama-4-Scout-17B-16E", "m/Llama-2-7b", "a/ama3b")
    ] == [True, True, True, False, False]


# name, a format copy (suffix marker)?, packed weights (marker anywhere)?, name key. Real names from
# ../shared/data (hf-model-trees, hf-top-downloads-2024-09) unless noted.
MARKERS = [
    ("Llama-2-7B-Chat-GGUF", True, True, "llama-2-7b-chat"),
    ("zephyr-7b-alpha.Q4_K_M", True, True, "zephyr-7b-alpha"),
    ("Athene-70B-Q35-EXL2", True, True, "athene-70b-q35"),
    ("Meta-Llama-3.1-8B-Instruct-4.65bpw-h6-exl2", True, True, "meta-llama-3.1-8b-instruct"),
    ("gemma-2b-it-kvc-AWQ-int4-onnx", True, True, "gemma-2b-it-kvc"),
    # Format conversions are copies, but hold every parameter: not packed.
    ("whisper-large-v3-mlx", True, False, "whisper-large-v3"),
    ("litv2-6B-rev2-fp16", True, False, "litv2-6b-rev2"),
    ("Labess-7b-chat-16bit", False, False, "labess-7b-chat-16bit"),
    # A marker before another word is packed weights, but not a suffix a key strips.
    ("Phi-3-mini-4k-instruct-bnb-4bit-Ita", False, True, "phi-3-mini-4k-instruct-bnb-4bit-ita"),
    # Export forms of the quantisation toolkits (issue 10), recognised as suffixes since then.
    ("Qwen2-VL-2B-Instruct-OpenVINO-INT4-SYM", True, True, "qwen2-vl-2b-instruct"),
    # The AutoRound export form issue 10 quotes (not in ../shared/data).
    ("Qwen2.5-7B-Instruct-autoawq-int4-gs128-asym", True, True, "qwen2.5-7b-instruct"),
    ("Qwen2.5-7B-Instruct-int4-sym-inc", True, True, "qwen2.5-7b-instruct"),  # Intel / OPEA form
    ("Llama-3.2-1B-Instruct-AutoRound-GPTQ-4bit", True, True, "llama-3.2-1b-instruct"),
    ("Llama-3.2-1B-Instruct-GPTQModel-4bit-128g", True, True, "llama-3.2-1b-instruct"),
    # `sym` only as a marker word: a name that merely contains it keeps its key.
    ("symbolic-llama-7b", False, False, "symbolic-llama-7b"),
    ("Llama-2-7b-chat-hf", False, False, "llama-2-7b-chat"),
]


@pytest.mark.parametrize(("name", "copy", "packed", "key"), MARKERS, ids=[m[0] for m in MARKERS])
def test_quantisation_markers(name: str, copy: bool, packed: bool, key: str) -> None:
    names = pd.Series([name])
    assert has_quantization_marker(names).tolist() == [copy]
    assert has_packed_weight_marker(name) is packed
    assert name_key(names).tolist() == [key]


def test_the_packed_weight_marker_reads_the_same_in_re2() -> None:
    # genealogy.params runs the RE2 form over whole columns; it must flag exactly what the Python form flags.
    names = [m[0] for m in MARKERS] + ["Mistral-7B-int4", "x/m-exl2-4.0bpw", "OLMo-Bitnet-1B", "gguf", "4bits-model"]
    re2 = pc.match_substring_regex(pa.array(names), PACKED_WEIGHT_MARKER_RE2, ignore_case=True).to_pylist()
    assert re2 == [has_packed_weight_marker(n) for n in names]
    assert re2[-5:] == [True, True, False, True, True]


def test_format_classes_group_the_quantisation_markers_by_the_kind_of_copy() -> None:
    names = {
        "TheBloke/Llama-2-7B-Chat-GGUF": "gguf",
        "x/M-i1-GGUF": "gguf",  # the whole tail is read, whatever comes first
        "x/M-q4f16_1-MLC": "mlx",
        "mlx-community/M-4bit-mlx": "mlx",
        "x/M-mlx-4Bit": "mlx",
        "x/M-AWQ": "packed",
        "x/M-GPTQ-4bit-128g": "packed",
        "x/M-exl2": "packed",
        "x/M-6.0bpw-h6": "packed",
        "x/M-QUANTO-int8bit-smashed": "packed",
        "x/M-Q4_K_M": "packed",
        "x/M-bf16": "conversion",
        "x/M-fp16-ov": "conversion",
        "x/M-onnx": "conversion",
        "x/M-lora": "adapter",
        "x/M-GGUF-chat": "none",  # a marker inside the name is no tail
        "x/M-hf": "none",
        "x/M": "none",
    }
    classes = format_class(pd.Series(list(names) + [None]))
    assert dict(zip(names, classes.tolist())) == names and classes[-1] == "none"
    assert set(names.values()) == set(FORMAT_CLASSES)


def test_adapter_markers_are_whole_suffixes() -> None:
    names = pd.Series(
        [
            "zephyr-7b-beta-lora",
            "01-ai-Yi-1.5-9B-1726291449",  # AutoTrain's timestamp
            "Meta-Llama-3-8B-job-bias-qlora-seq-cls",  # 2024-mcm-everitt-ryan: the method, then the task
            "llama3-pre1-ds-lora1",  # 4yo1: a numbered run, not the marker
            "Hermes-3-Llama-3.1-8B-lorablated",
        ]
    )
    assert has_adapter_marker(names).tolist() == [True, True, False, False, False]


def test_the_tail_is_what_the_key_drops_word_by_word() -> None:
    # Real names (model-atlas-card-parents): a copy's tail starts with the tail of the repo it copies.
    names = pd.Series(
        [
            "mamba-2.8b-hf-GGUF",
            "mamba-2.8b-hf",
            "unsloth_-_gemma-7b-bnb-4bit-4bits",
            "SambaLingo-Hungarian-Chat-bpw3.5",  # one word, where a dot is no separator
            "Yi-6B-200K-AWQ-VLLM",
            "miner_id_1729787147-awq",
            "Mistral-7B-v0.1",
        ]
    )
    assert name_tail(names).tolist() == [
        " hf gguf",
        " hf",
        " bnb 4bit 4bits",
        " bpw3.5",
        " awq vllm",
        " 1729787147 awq",
        "",
    ]
    assert (name_key(names) + name_tail(names).str.replace(" ", "-")).tolist()[:3] == [
        "mamba-2.8b-hf-gguf",
        "mamba-2.8b-hf",
        "unsloth-gemma-7b-bnb-4bit-4bits",
    ]
    # An id gives its name's tail: no tail word holds a "/", and an owner's own markers are not the name's.
    assert name_tail("TheBloke-GGUF/" + names).tolist() == name_tail(names).tolist()
    assert name_tail(pd.Series(["TheBloke-GGUF/Llama-2-7b", "a/b/c-hf", None])).tolist() == ["", " hf", ""]


def test_merge_words() -> None:
    names = pd.Series(
        ["YiSM-blossom5.1-34B-SLERP", "KoSOLAR_merge_test_v0.1", "robbertje-1-gb-merged", "EmergencyNews_BERT_Base"]
    )
    assert has_merge_word(names).tolist() == [True, True, True, False]


@pytest.mark.parametrize(
    ("tag", "quantized"),
    [("4-bit", True), ("gguf", True), ("compressed-tensors", True), ("quantized:x/y", True),
     ("base_model:quantized:meta-llama/Llama-2-7b-hf", True), ("base_model:finetune:meta-llama/Llama-2-7b-hf", False),
     ("16-bit", False), ("lora", False), ("GGUF", False)],
)  # fmt: skip
def test_quantized_tags(tag: str, quantized: bool) -> None:
    assert is_quantized_tag(tag) is quantized


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # The size belongs to another version of the family the name opens with: no size of its own.
        ("llama_2_sft_on_llama_3_70B_outputs", NameSize(None, None, "70B")),
        ("Llama-2-sft-on-Llama-3-70B", NameSize(None, None, "70B")),
        # Another family, or the first of two sizes: the model's own.
        ("DeepSeek-R1-Distill-Qwen-7B", NameSize(7_000_000_000, None, "7B")),
        ("Llama-2-7b-Llama-3-8b", NameSize(7_000_000_000, None, "7b")),
        ("Qwen3-30B-A3B", NameSize(30_000_000_000, 3_000_000_000, "30B-A3B")),
    ],
)
def test_read_size_reads_the_models_own_size(name: str, expected: NameSize) -> None:
    assert read_size(name) == expected


# Names at the edges of the plain pass of `read_sizes`: each reads in Arrow or in Python as `read_size` reads it.
EDGE_NAMES = [
    "Llama-2-7b", "llama-2-7b-chat-hf", "Pulse3-125m", "x-7b-y", "x_7B_y", "_7b", "-7b", "7b", "7B-", "7b-",
    "Qwen-1_8B", "llama_2_7b", "Llama2_7B", "llama3_1_8b", "x1_5b", "gpt-neo-2.7B", "0.5B", "Qwen2.5-0.5B-Instruct",
    "x-0.05b", "x-0.0b", "x-0.10b", "x-0b", "x-00b", "x-07b", "x-2021b", "x-1234b", "x-1.2345b", "opt-350m", "x-9m",
    "x-9.5M", "bert-base-5M", "bert-base-50M", "x-12k", "x-1t", "x-3T", "nv1t", "esm1b", "llama7b", "x-7bit",
    "Zephyrus-7B-6bit", "x-7b-4bit", "x-7b1", "bloom-7b1", "x-7b1b", "x-7bv5", "x-7Bv5", "Llama-4-Scout-17B-16E",
    "x-17B-16E-Instruct", "x-17b-16e", "x-17B-16Ex", "x-17B-16", "Qwen3-30B-A3B", "x-30b-a3b", "x-30B-a3bx",
    "x-7b-a", "Mixtral-8x7B", "x-2x7b", "x-8×7b", "llama_2_sft_on_llama_3_70B_outputs", "Llama-2-sft-on-Llama-3-70B",
    "Llama-2-7b-Llama-3-8b", "llama-2-llama-7b", "qwen-2-qwen3-7b", "olmolmo-2-7b", "gptgpt-3-7b",
    "DeepSeek-R1-Distill-Qwen-7B", "GPTNeo350MInformal", "x-350MInformal", "x-7BChat", "x-7B-Chat", "x 7b chat",
    "x.7b", "x.7b.gguf", "v1.7b", "x-1.7.7b", "x-7b-params", "tiny-500k-params", "x-7b_param", "x-7ｂ", "x-７b",
    "x-7b-\u0130", "İ-7b", "x-7b-2024", "x-7b-2024E", "x-7b-v0.1-q4_k_m", "x-7b-Q4_K_M", "x-2p7b", "x-7b-1_5b",
    "x-7b-1.5b", "x-7b--13b", "x--7b", "x- 7b", "x-7b_", "x-125m-4k", "x-125m-4K", "x-1-7b", "x-1 7b", "x-7b-13",
]  # fmt: skip


def test_read_sizes_reads_every_name_as_read_size() -> None:
    names = EDGE_NAMES + [
        row["name"].rsplit("/", 1)[-1] for row in csv.DictReader((FIXTURES / "param_names.csv").open())
    ]
    names = list(dict.fromkeys(names))
    total, active = read_sizes(pa.array(names, type=pa.large_string()))
    expected = [read_size(name) for name in names]
    assert total.tolist() == [-1 if e.total is None else e.total for e in expected]
    assert active.tolist() == [-1 if e.active is None else e.active for e in expected]
    assert read_sizes(pa.array([], type=pa.string()))[0].tolist() == []


def test_read_sizes_reads_plain_names_in_arrow(monkeypatch: pytest.MonkeyPatch) -> None:
    import constellation.names as names_module

    asked: list[str] = []

    def counted(name: str) -> NameSize:
        asked.append(name)
        return read_size(name)

    monkeypatch.setattr(names_module, "read_size", counted)
    total, _ = read_sizes(pa.array(["Llama-2-7b-chat", "Pulse3-125m", "Qwen3-30B-A3B", "opt-350m-v1.2"]))
    assert total.tolist() == [7_000_000_000, 125_000_000, 30_000_000_000, 350_000_000]
    # The plain names' tokens are read once each; the MoE name is left to Python.
    assert sorted(asked) == ["125m", "350m", "7b", "Qwen3-30B-A3B"]


def test_name_key_unifies_separators_as_the_regular_expression_does() -> None:
    names = pd.Series(
        [
            "Llama-2-7B-Chat-GGUF",
            "a - _ b",
            "a--b",
            "__x__",
            " x ",
            "a_b c-d",
            None,
            "",
            "-",
            "x\u00a0y",
            "İ_x",
            "a---b-",
        ],
        index=[3, 3, 1, 0, 2, 5, 6, 7, 8, 9, 10, 11],
        name="n",
    )
    text = names.astype("string").str.replace(names_module._ANY_TAIL_RE, "", regex=True).str.lower()
    expected = text.str.replace(r"[-_ ]+", "-", regex=True).str.strip("-.")
    pd.testing.assert_series_equal(name_key(names), expected)
    assert name_key(names).tolist()[:6] == ["llama-2-7b-chat", "a-b", "a-b", "x", "x", "a-b-c-d"]
    no_runs = names.iloc[[0, 5]]
    pd.testing.assert_series_equal(name_key(no_runs), expected.iloc[[0, 5]])


def test_loose_key_is_blind_to_word_order_and_packaging_words():
    keys = pd.Series(["magnum-v2-12b", "granite-20b-code-8k", "t5-xxl-encoder", ""], index=[10, 11, 12, 13], name="key")
    loose = loose_key(keys)
    assert loose.tolist() == ["12b-magnum-v2", "20b-8k-code-granite", "t5-xxl", ""]
    assert loose.index.tolist() == [10, 11, 12, 13] and loose.name == "key" and loose.dtype == object
    assert loose_key(keys, drop_context=True).tolist()[1] == "20b-code-granite"
