"""Inferred lineage: name keys and markers on real names, and each rule on a small hand-made snapshot."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from constellation.genealogy.features import model_features
from constellation.genealogy.inferred import (
    RuleConfidence,
    _exploded_tags,
    _features,
    _names_sibling,
    _names_siblings,
    infer_lineage,
)
from constellation.genealogy.key_index import KeyIndex
from constellation.names import has_adapter_marker, has_quantization_marker, loose_key, name_key

# Real child names with their real declared parents (hf-top-downloads-2024-09): both sides share a key.
SAME_KEY = [
    ("bartowski/gemma-2-27b-it-GGUF", "google/gemma-2-27b-it", "gemma-2-27b-it"),
    ("TheBloke/Mistral-7B-Instruct-v0.1-GPTQ", "mistralai/Mistral-7B-Instruct-v0.1", "mistral-7b-instruct-v0.1"),
    ("TheBloke/Llama-2-13B-chat-GGUF", "meta-llama/Llama-2-13b-chat-hf", "llama-2-13b-chat"),
    (
        "mradermacher/Nous-Capybara-limarpv3-34B-i1-GGUF",
        "Doctor-Shotgun/Nous-Capybara-limarpv3-34B",
        "nous-capybara-limarpv3-34b",
    ),
    ("mlc-ai/gemma-2b-it-q4f32_1-MLC", "google/gemma-2b-it", "gemma-2b-it"),
    ("hugging-quants/Meta-Llama-3.1-405B-BNB-NF4-BF16", "meta-llama/Meta-Llama-3.1-405B", "meta-llama-3.1-405b"),
    ("Lewdiculous/mini-magnum-12b-v1.1-GGUF-IQ-Imatrix", "intervitens/mini-magnum-12b-v1.1", "mini-magnum-12b-v1.1"),
    ("TheBloke/openchat_3.5-16k-AWQ", "NurtureAI/openchat_3.5-16k", "openchat-3.5-16k"),
    ("legraphista/gemma-2-27b-it-IMat-GGUF", "google/gemma-2-27b-it", "gemma-2-27b-it"),
    (
        "byroneverson/glm-4-9b-chat-abliterated-gguf",
        "byroneverson/glm-4-9b-chat-abliterated",
        "glm-4-9b-chat-abliterated",
    ),
    (
        "Alex01837178373/Qwen2-1.5B-Instruct-Abliterated-Q5_K_M-GGUF",
        "trollek/Qwen2-1.5B-Instruct-Abliterated",
        "qwen2-1.5b-instruct-abliterated",
    ),
    ("unsloth/Meta-Llama-3.1-8B-bnb-4bit", "meta-llama/Meta-Llama-3.1-8B", "meta-llama-3.1-8b"),
    ("astronomer/Llama-3-8B-Instruct-GPTQ-8-Bit", "unsloth/llama-3-8b-Instruct", "llama-3-8b-instruct"),
]


@pytest.mark.parametrize(("child", "parent", "key"), SAME_KEY)
def test_quantized_child_and_parent_share_a_key(child: str, parent: str, key: str) -> None:
    names = pd.Series([child.split("/")[1], parent.split("/")[1]])
    assert name_key(names).tolist() == [key, key]
    assert has_quantization_marker(names).tolist() == [True, False]


# Real quantised names (hf-top-downloads-2024-09, hf-model-trees) whose markers an earlier marker list missed.
MORE_MARKERS = [
    ("magnum-v2-72b-FP8-Dynamic", "magnum-v2-72b"),
    ("Meta-Llama-3-8B-Instruct-FP8-KV", "meta-llama-3-8b-instruct"),
    ("Meta-Llama-3.1-70B-Instruct-AQLM-PV-2Bit-1x16", "meta-llama-3.1-70b-instruct"),
    ("Llama-2-7b-AQLM-2Bit-1x16-hf", "llama-2-7b"),
    ("bge-base-en-v1.5-onnx-Q", "bge-base-en-v1.5"),
    ("Phi-3-mini-4k-instruct-GGUF-Imatrix-smashed", "phi-3-mini-4k-instruct"),
    ("google-gemma-7b-it-HQQ-2bit-smashed", "google-gemma-7b-it"),
    ("microsoft-phi-2-QUANTO-float8bit-smashed", "microsoft-phi-2"),
    ("tinyllama-24-gptq-4bit-g128", "tinyllama-24"),
    ("FLUX.1-dev-qint8", "flux.1-dev"),
    ("distilbert-base-uncased-finetuned-sst-2-english-int8-dynamic", "distilbert-base-uncased-finetuned-sst-2-english"),
    (
        "DarkIdol-Llama-3.1-8B-Instruct-1.1-Uncensored-GGUF-IQ-Imatrix-Request",
        "darkidol-llama-3.1-8b-instruct-1.1-uncensored",
    ),
    ("deepseek-r1-distill-llama-8b-unsloth-bnb-4bit", "deepseek-r1-distill-llama-8b"),
    # Issue 10's export forms: toolkit names, ARM repacks, exllama head bits, act-order, AWQ kernels, vLLM.
    ("Phi-3.5-mini-instruct-autoawq-int4-gs128-asym", "phi-3.5-mini-instruct"),
    ("Qwen2.5-7B-Instruct-int4-sym-inc", "qwen2.5-7b-instruct"),
    ("Qwen2-VL-2B-Instruct-OpenVINO-INT4-ASYM-64", "qwen2-vl-2b-instruct"),
    ("Llama-3.2-1B-Instruct-Q4_0-Arm-AArch64-GGUF", "llama-3.2-1b-instruct"),
    ("Magicoder-S-CL-7B-6.0bpw-hb6-exl2", "magicoder-s-cl-7b"),
    ("llama-3-70B-Instruct-abliterated-exl-3.3bpw8h", "llama-3-70b-instruct-abliterated"),
    ("SambaLingo-Hungarian-Chat-bpw4.4", "sambalingo-hungarian-chat"),
    ("SOLAR-10.7B-Instruct-v1.0-gptq-8bit-32g-actorder_True", "solar-10.7b-instruct-v1.0"),
    ("aya-23-8B-AWQ-GEMM", "aya-23-8b"),
    ("Yi-6B-200K-AWQ-VLLM", "yi-6b-200k"),
]


@pytest.mark.parametrize(("name", "key"), MORE_MARKERS)
def test_more_quantisation_markers(name: str, key: str) -> None:
    names = pd.Series([name])
    assert has_quantization_marker(names).iloc[0]
    assert name_key(names).iloc[0] == key


@pytest.mark.parametrize(
    "name",
    [
        "OLMo-Bitnet-1B",  # a 1-bit architecture, not a quantised copy
        "bitnet_b1_58-3B",
        "bit-50",  # Google's BiT image model
        "vit-hybrid-base-bit-384",
        "falcon-mamba-7b-instruct",
    ],
)
def test_bit_words_that_are_not_markers(name: str) -> None:
    assert not has_quantization_marker(pd.Series([name])).iloc[0]


@pytest.mark.parametrize(
    ("child", "parent"),
    [
        ("magnum-12b-v2-GGUF", "magnum-v2-12b"),  # bartowski reordered anthracite-org's name
        ("magnum-72b-v1-i1-GGUF", "magnum-v1-72b"),
        ("E5-Mistral-7B-Instruct-Embedding-GGUF", "e5-mistral-7b-instruct"),  # second-state's packaging word
        ("All-MiniLM-L6-v2-Embedding-GGUF", "all-MiniLM-L6-v2"),
        ("Mistral-Nemo-Instruct-2407-SOTA-GGUF", "Mistral-Nemo-Instruct-2407"),  # CISCai
        ("granite-20b-code-base-i1-GGUF", "granite-20b-code-base-8k"),  # the original names its context
    ],
)
def test_loose_key_ignores_word_order_and_packaging_words(child: str, parent: str) -> None:
    keys = name_key(pd.Series([child, parent]))
    assert loose_key(keys.iloc[:1]).iloc[0] == loose_key(keys.iloc[1:], drop_context=True).iloc[0]


def test_a_context_length_is_dropped_on_the_original_side_only() -> None:
    # TheBloke/openchat_3.5-16k-AWQ quantises NurtureAI/openchat_3.5-16k, not openchat/openchat_3.5; and
    # leafspark's -4194k GGUF is not gradientai's -1048k model.
    child = loose_key(name_key(pd.Series(["openchat_3.5-16k-AWQ", "Llama-3-8B-Instruct-Gradient-4194k-GGUF"])))
    originals = loose_key(
        name_key(pd.Series(["openchat_3.5", "Llama-3-8B-Instruct-Gradient-1048k"])), drop_context=True
    )
    assert child.tolist() == ["16k-3.5-openchat", "3-4194k-8b-gradient-instruct-llama"]
    assert originals.tolist() == ["3.5-openchat", "3-8b-gradient-instruct-llama"]


def test_loose_key_keeps_sizes_and_versions_apart() -> None:
    names = pd.Series(
        ["magnum-12b-v2", "magnum-12b-v2.5", "magnum-72b-v2", "Phi-3-mini-4k-instruct", "Phi-3-mini-128k-instruct"]
    )
    keys = loose_key(name_key(names))
    # A context length inside the name tells variants apart; only a trailing one is packaging.
    assert keys.tolist() == [
        "12b-magnum-v2",
        "12b-magnum-v2.5",
        "72b-magnum-v2",
        "3-4k-instruct-mini-phi",
        "128k-3-instruct-mini-phi",
    ]


@pytest.mark.parametrize(
    "name",
    [
        "Qwen2.5-7B-Instruct",  # a version, not a marker
        "Llama-2-7b-chat-hf",
        "gpt2",
        "bert-base-uncased",
        "phi-2",
        "Mixtral-8x7B-Instruct-v0.1",
        "stable-diffusion-v1-5",
        "whisper-large-v3",
        "Hermes-3-Llama-3.1-8B-lorablated",  # "lorablated" is a fine-tune method, not a LoRA adapter
    ],
)
def test_plain_names_carry_no_marker(name: str) -> None:
    assert not has_quantization_marker(pd.Series([name])).iloc[0]
    assert not has_adapter_marker(pd.Series([name])).iloc[0]


def test_adapter_markers_and_timestamps() -> None:
    names = pd.Series(["zephyr-7b-beta-lora", "01-ai-Yi-1.5-9B-1726291449", "lcm-lora-sdv1-5"])
    assert has_adapter_marker(names).tolist() == [True, True, False]
    assert name_key(names).tolist() == ["zephyr-7b-beta", "01-ai-yi-1.5-9b", "lcm-lora-sdv1-5"]


def models(rows: list[tuple[str, int, str | None]], tags: dict[str, list[str]] | None = None) -> pd.DataFrame:
    ids = [r[0] for r in rows]
    return pd.DataFrame(
        {
            "id": ids,
            "author": [i.split("/")[0] for i in ids],
            "name": [i.split("/")[1] for i in ids],
            "downloads": [r[1] for r in rows],
            "created_at": pd.to_datetime([r[2] for r in rows], utc=True),
            "tags": [(tags or {}).get(i, []) for i in ids],
            "library_name": None,
        }
    )


NO_EDGES = pd.DataFrame({"source": pd.Series(dtype=str), "target": pd.Series(dtype=str)})


def test_each_rule_on_a_small_snapshot() -> None:
    frame = models(
        [
            ("meta-llama/Llama-2-7b-chat-hf", 1_000_000, "2023-07-13"),
            ("TheBloke/Llama-2-7B-Chat-GGUF", 50_000, "2023-09-01"),  # name match, quantized
            ("early/Llama-2-7B-Chat-AWQ", 10, "2023-07-01"),  # older than its only candidate: no proposal
            ("google-bert/bert-base-uncased", 5_000_000, "2018-11-01"),
            ("fan/bert-base-uncased-finetuned-sst2", 300, "2022-01-01"),  # prefix match + "finetuned"
            ("fan/bert-base-uncased-v2-x", 30, "2022-01-01"),  # remainder starts with a version: no proposal
            ("mistralai/Mistral-7B-v0.1", 900_000, "2023-09-20"),
            ("q1/Zephyr-Beta-GGUF", 100, "2023-11-01"),  # sibling votes only
            ("q2/Zephyr-Beta-AWQ", 100, "2023-11-01"),
            ("q3/Zephyr-Beta-exl2", 100, "2023-11-01"),
            ("u1/test", 5, "2024-01-01"),  # namesakes: neither is the other's parent
            ("u2/test", 3, "2024-02-01"),
        ]
    )
    declared = pd.DataFrame(
        {
            "source": ["mistralai/Mistral-7B-v0.1", "mistralai/Mistral-7B-v0.1"],
            "target": ["q2/Zephyr-Beta-AWQ", "q3/Zephyr-Beta-exl2"],
        }
    )
    needs = ~frame["id"].isin(["q2/Zephyr-Beta-AWQ", "q3/Zephyr-Beta-exl2"]).to_numpy()
    out = infer_lineage(frame, needs, declared).proposals.set_index("target")
    rules = RuleConfidence()
    assert sorted(out.index) == [
        "TheBloke/Llama-2-7B-Chat-GGUF",
        "fan/bert-base-uncased-finetuned-sst2",
        "q1/Zephyr-Beta-GGUF",
    ]
    gguf = out.loc["TheBloke/Llama-2-7B-Chat-GGUF"]
    assert (gguf["source"], gguf["relation"], gguf["confidence"]) == (
        "meta-llama/Llama-2-7b-chat-hf",
        "quantized",
        rules.quantized_name_match,
    )
    assert "llama-2-7b-chat" in gguf["evidence"]
    sst2 = out.loc["fan/bert-base-uncased-finetuned-sst2"]
    assert (sst2["source"], sst2["relation"]) == ("google-bert/bert-base-uncased", "finetune")
    assert sst2["confidence"] == pytest.approx(rules.prefix_match + rules.prefix_finetune_word + rules.popular_parent)
    zephyr = out.loc["q1/Zephyr-Beta-GGUF"]
    # Two unanimous votes: 0.9 × share 1.0 × (0.75 + 0.125).
    assert (zephyr["source"], zephyr["relation"]) == ("mistralai/Mistral-7B-v0.1", "quantized")
    assert zephyr["confidence"] == pytest.approx(0.9 * 0.875)
    assert zephyr["rule"] == "sibling vote"


def test_same_clean_name_is_a_reupload_only_of_a_far_more_used_model() -> None:
    frame = models(
        [
            ("mistralai/Mistral-7B-Instruct-v0.2", 2_000_000, "2023-12-11"),
            ("someone/Mistral-7B-Instruct-v0.2", 40, "2024-01-05"),
            ("u1/my_awesome_model", 3, "2024-01-05"),
            ("u2/my_awesome_model", 900, "2024-01-04"),  # not 10× more used than u1's: namesakes
        ]
    )
    out = infer_lineage(frame, np.array([False, True, True, True]), NO_EDGES).proposals
    rules = RuleConfidence()
    assert out[["source", "target", "relation"]].values.tolist() == [
        ["mistralai/Mistral-7B-Instruct-v0.2", "someone/Mistral-7B-Instruct-v0.2", "finetune"]
    ]
    assert out["confidence"].iloc[0] == pytest.approx(rules.reupload_name_match + rules.popular_parent)


def test_two_comparable_repos_make_a_name_ambiguous() -> None:
    frame = models(
        [
            ("mistralai/Mixtral-8x22B-v0.1", 2_000_000, "2024-04-10"),
            ("mistral-community/Mixtral-8x22B-v0.1", 900_000, "2024-04-10"),
            ("q/Mixtral-8x22B-v0.1-AWQ", 10, "2024-05-01"),
            ("someone/Mixtral-8x22B-v0.1", 40, "2024-05-01"),
        ]
    )
    out = infer_lineage(frame, np.array([False, False, True, True]), NO_EDGES).proposals
    # The quantised child keeps the most-downloaded match with less trust; the clean one gets none.
    assert out["target"].tolist() == ["q/Mixtral-8x22B-v0.1-AWQ"]
    assert out["source"].iloc[0] == "mistralai/Mixtral-8x22B-v0.1"
    assert out["confidence"].iloc[0] == pytest.approx(
        RuleConfidence().quantized_name_match + RuleConfidence().ambiguous_name
    )


def test_a_parent_known_only_from_declarations_can_be_proposed() -> None:
    frame = models([("TheBloke/Kunoichi-7B-GGUF", 5_000, "2024-01-10"), ("x/merge-7b", 10, "2024-02-01")])
    declared = pd.DataFrame({"source": ["SanjiWatsuki/Kunoichi-7B"], "target": ["x/merge-7b"]})
    out = infer_lineage(frame, np.array([True, False]), declared).proposals
    assert out[["source", "target", "relation"]].values.tolist() == [
        ["SanjiWatsuki/Kunoichi-7B", "TheBloke/Kunoichi-7B-GGUF", "quantized"]
    ]
    # No date for an external parent, so the creation order is unchecked.
    assert out["confidence"].iloc[0] == pytest.approx(
        RuleConfidence().quantized_name_match + RuleConfidence().dates_unknown
    )


def test_adapter_relation_from_tags_and_brand_key() -> None:
    frame = models(
        [
            ("meta-llama/Meta-Llama-3-8B-Instruct", 2_000_000, "2024-04-17"),
            ("someone/Llama-3-8B-Instruct-lora", 10, "2024-05-01"),
        ],
        tags={"someone/Llama-3-8B-Instruct-lora": ["peft", "safetensors"]},
    )
    out = infer_lineage(frame, np.array([False, True]), NO_EDGES).proposals
    # "meta-" repeats the owner, so Meta-Llama-3-8B-Instruct is also indexed as llama-3-8b-instruct.
    assert out[["source", "target", "relation"]].values.tolist() == [
        ["meta-llama/Meta-Llama-3-8B-Instruct", "someone/Llama-3-8B-Instruct-lora", "adapter"]
    ]


def test_nothing_to_infer() -> None:
    frame = models([("a/b", 1, None)])
    assert infer_lineage(frame, np.array([False]), NO_EDGES).proposals.empty
    assert infer_lineage(frame.iloc[:0], np.array([], dtype=bool), NO_EDGES).proposals.empty
    assert infer_lineage(frame, np.array([True]), NO_EDGES).proposals.empty
    lone_quantized = models([("q/X-7B-GGUF", 1, None)])  # no clean repo at all: no candidates
    assert infer_lineage(lone_quantized, np.array([True]), NO_EDGES).proposals.empty


def test_tag_prior_for_adapters_learned_from_declarations() -> None:
    rows = [("black-forest-labs/FLUX.1-dev", 1_000_000, "2024-08-01")]
    rows += [(f"artist{i}/style-{i}", 100, "2024-09-01") for i in range(12)]
    rows += [("runwayml/stable-diffusion-v1-5", 2_000_000, "2022-10-01")]
    rows += [(f"old{i}/sd-style-{i}", 100, "2023-09-01") for i in range(14)]
    rows += [("painter/watercolor", 50, "2024-09-10"), ("other/odd-style", 50, "2024-09-10")]
    tags = {f"artist{i}/style-{i}": ["lora", "flux", "diffusers"] for i in range(12)}
    tags |= {f"old{i}/sd-style-{i}": ["lora", "diffusers"] for i in range(14)}
    tags["artist0/style-0"] = ["lora", "flux", "diffusers", "rare"]
    tags["painter/watercolor"] = ["lora", "flux", "diffusers"]
    tags["other/odd-style"] = ["lora", "diffusers", "sketch"]  # only tags that most adapters carry
    frame = models(rows, tags)
    # 11 of the 12 declared adapters with `flux` adapt FLUX.1-dev (share 0.917 ≥ 0.85, support 12 ≥ 10,
    # and 12 of 26 adapters ≤ half carry it); `lora` and `diffusers` are on all 26 and predict nothing.
    declared = pd.DataFrame(
        {
            "source": ["black-forest-labs/FLUX.1-dev"] * 11
            + ["someone/flux-schnell"]
            + ["runwayml/stable-diffusion-v1-5"] * 14,
            "target": [f"artist{i}/style-{i}" for i in range(12)] + [f"old{i}/sd-style-{i}" for i in range(14)],
            "relation": ["adapter"] * 26,
        }
    )
    needs = frame["id"].isin(["painter/watercolor", "other/odd-style"]).to_numpy()
    out = infer_lineage(frame, needs, declared).proposals
    assert out[["source", "target", "relation", "rule"]].values.tolist() == [
        ["black-forest-labs/FLUX.1-dev", "painter/watercolor", "adapter", "tag prior"]
    ]
    assert out["confidence"].iloc[0] == pytest.approx(round(RuleConfidence().tag_prior_max * 11 / 12, 4))


def test_loose_name_match_for_a_quantised_child_only() -> None:
    # Real names and downloads (hf-top-downloads-2024-09); the clean namesake is made up.
    frame = models(
        [
            ("anthracite-org/magnum-v2-12b", 1_453, "2024-08-03"),
            ("bartowski/magnum-12b-v2-GGUF", 1_541, "2024-08-06"),
            ("someone/magnum-12b-v2", 10, "2024-08-10"),  # clean: loose keys are for quantised children only
        ]
    )
    out = infer_lineage(frame, np.array([False, True, True]), NO_EDGES).proposals
    rules = RuleConfidence()
    assert out[["source", "target", "relation", "rule"]].values.tolist() == [
        ["anthracite-org/magnum-v2-12b", "bartowski/magnum-12b-v2-GGUF", "quantized", "loose name match"]
    ]
    assert out["confidence"].iloc[0] == pytest.approx(rules.quantized_loose_match)
    assert "word order" in out["evidence"].iloc[0]


LLAMA_2_13B = [  # real downloads (hf-top-downloads-2024-09)
    ("meta-llama/Llama-2-13b-hf", 76_636, "2023-07-13"),
    ("NousResearch/Llama-2-13b-hf", 10_717, "2023-07-18"),
    ("TheBloke/Llama-2-13B-GGUF", 1_920, "2023-09-05"),
]


def test_a_namesake_with_a_clear_lead_costs_less_trust() -> None:
    # 76,636 / 10,717 = 7.2: not 10× (ambiguous), but a clear lead (≥ 3×).
    out = infer_lineage(models(LLAMA_2_13B), np.array([False, False, True]), NO_EDGES).proposals
    rules = RuleConfidence()
    assert out["source"].tolist() == ["meta-llama/Llama-2-13b-hf"]
    assert out["confidence"].iloc[0] == pytest.approx(rules.quantized_name_match + rules.ambiguous_name_clear_lead)
    assert "several repos carry that name" in out["evidence"].iloc[0]


def test_the_namesake_others_declare_as_parent_is_the_original() -> None:
    frame = models(LLAMA_2_13B + [("ft/Llama-2-13b-sft", 50, "2023-10-01")])
    declared = pd.DataFrame({"source": ["meta-llama/Llama-2-13b-hf"], "target": ["ft/Llama-2-13b-sft"]})
    out = infer_lineage(frame, np.array([False, False, True, False]), declared).proposals
    # One declaration against none: no longer ambiguous.
    assert out[["source", "target"]].values.tolist() == [["meta-llama/Llama-2-13b-hf", "TheBloke/Llama-2-13B-GGUF"]]
    assert out["confidence"].iloc[0] == pytest.approx(RuleConfidence().quantized_name_match)


def test_a_dominant_declared_parent_outranks_more_downloaded_reuploads() -> None:
    # runwayml/stable-diffusion-v1-5 is outside the snapshot, but three models declare it; its re-uploads
    # have the downloads (real figures) and no declarations.
    frame = models(
        [
            ("stable-diffusion-v1-5/stable-diffusion-v1-5", 361_969, None),
            ("crynux-ai/stable-diffusion-v1-5", 151_330, None),
            ("second-state/stable-diffusion-v1-5-GGUF", 2_254, None),
        ]
        + [(f"artist{i}/sd-style-{i}", 100, None) for i in range(3)]
    )
    declared = pd.DataFrame(
        {"source": ["runwayml/stable-diffusion-v1-5"] * 3, "target": [f"artist{i}/sd-style-{i}" for i in range(3)]}
    )
    needs = frame["id"].eq("second-state/stable-diffusion-v1-5-GGUF").to_numpy()
    out = infer_lineage(frame, needs, declared).proposals
    rules = RuleConfidence()
    assert out["source"].tolist() == ["runwayml/stable-diffusion-v1-5"]
    assert out["confidence"].iloc[0] == pytest.approx(rules.quantized_name_match + rules.dates_unknown)


def hermes_snapshot(hidden: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Real NousResearch repos: each GGUF declares the base of the fine-tune it quantises."""
    rows = [
        ("mistralai/Mistral-7B-v0.1", 900_000, "2023-09-20"),
        ("NousResearch/Hermes-2-Pro-Mistral-7B", 20_000, "2024-03-11"),
        ("NousResearch/Hermes-2-Pro-Mistral-7B-GGUF", 9_000, "2024-03-12"),
        ("01-ai/Yi-34B", 30_000, "2023-11-01"),
        ("NousResearch/Nous-Hermes-2-Yi-34B", 5_000, "2023-12-23"),
        ("NousResearch/Nous-Hermes-2-Yi-34B-GGUF", 2_000, "2023-12-24"),
        ("meta-llama/Meta-Llama-3.1-8B", 800_000, "2024-07-14"),
        ("NousResearch/Hermes-3-Llama-3.1-8B", 40_000, "2024-08-05"),
        ("NousResearch/Hermes-3-Llama-3.1-8B-GGUF", 30_000, "2024-08-05"),
        ("bartowski/Hermes-3-Llama-3.1-8B-GGUF", 3_000, "2024-08-16"),
    ]
    declared = pd.DataFrame(
        [
            ("mistralai/Mistral-7B-v0.1", "NousResearch/Hermes-2-Pro-Mistral-7B"),
            ("mistralai/Mistral-7B-v0.1", "NousResearch/Hermes-2-Pro-Mistral-7B-GGUF"),
            ("01-ai/Yi-34B", "NousResearch/Nous-Hermes-2-Yi-34B"),
            ("01-ai/Yi-34B", "NousResearch/Nous-Hermes-2-Yi-34B-GGUF"),
            ("meta-llama/Meta-Llama-3.1-8B", "NousResearch/Hermes-3-Llama-3.1-8B"),
            ("meta-llama/Meta-Llama-3.1-8B", "NousResearch/Hermes-3-Llama-3.1-8B-GGUF"),
        ],
        columns=["source", "target"],
    )
    declared = declared[~declared["target"].isin(hidden)].reset_index(drop=True)
    frame = models(rows)
    return frame, declared, frame["id"].isin(hidden).to_numpy()


def test_owner_habit_proposes_the_base_of_the_repo_a_quantisation_names() -> None:
    frame, declared, needs = hermes_snapshot(
        ["NousResearch/Hermes-3-Llama-3.1-8B-GGUF", "bartowski/Hermes-3-Llama-3.1-8B-GGUF"]
    )
    out = infer_lineage(frame, needs, declared).proposals.set_index("target")
    habit = out.loc["NousResearch/Hermes-3-Llama-3.1-8B-GGUF"]
    # NousResearch's two visible GGUFs both declare the base of the repo they name: 0.9 × 1.0 × (0.75 + 0.125).
    assert (habit["source"], habit["relation"], habit["rule"]) == (
        "meta-llama/Meta-Llama-3.1-8B",
        "quantized",
        "owner habit",
    )
    assert habit["confidence"] == pytest.approx(0.9 * 0.875)
    assert "NousResearch/Hermes-3-Llama-3.1-8B" in habit["evidence"] and "'nousresearch'" in habit["evidence"]
    # bartowski shows no such habit here: its GGUF keeps the repo its name copies.
    other = out.loc["bartowski/Hermes-3-Llama-3.1-8B-GGUF"]
    assert (other["source"], other["rule"]) == ("NousResearch/Hermes-3-Llama-3.1-8B", "name match")


def test_owner_habit_needs_support() -> None:
    hidden = ["NousResearch/Hermes-3-Llama-3.1-8B-GGUF", "NousResearch/Nous-Hermes-2-Yi-34B-GGUF"]
    frame, declared, needs = hermes_snapshot(hidden)
    out = infer_lineage(frame, needs, declared).proposals.set_index("target")
    # One visible example is not a habit: both GGUFs keep the fine-tune their names copy.
    assert out.loc[hidden, "source"].tolist() == [
        "NousResearch/Hermes-3-Llama-3.1-8B",
        "NousResearch/Nous-Hermes-2-Yi-34B",
    ]
    assert set(out["rule"]) == {"name match"}


# Real names (google/gemma-7b and fine-tunes named after it, hf-model-trees); the declarations are hand-made.
GEMMA_7B = [
    ("google/gemma-7b", 400_000, "2024-02-08"),
    ("google/gemma-7b-it", 300_000, "2024-02-08"),
    ("hyokwan/gemma_7b_hkcode20241126", 10, "2024-11-26"),
    ("AmberYifan/Gemma-7B-sft-SPIN-gpt4o", 20, "2024-07-01"),
    ("wandb/gemma-7b-zephyr-dpo", 30, "2024-03-01"),
    ("Columbia-NLP/gemma-7b-zephyr-sft", 40, "2024-03-01"),
    ("cloudyu/google-gemma-7b-chinese-sft-v1", 50, "2024-03-01"),
]


def gemma_declared(parents: list[str]) -> pd.DataFrame:
    voters = ["AmberYifan/Gemma-7B-sft-SPIN-gpt4o", "wandb/gemma-7b-zephyr-dpo", "Columbia-NLP/gemma-7b-zephyr-sft"]
    return pd.DataFrame({"source": parents, "target": voters[: len(parents)]})


def test_a_prefix_vote_proposes_what_the_models_under_the_prefix_declare() -> None:
    frame = models(GEMMA_7B)
    needs = frame["id"].eq("hyokwan/gemma_7b_hkcode20241126").to_numpy()
    out = infer_lineage(frame, needs, gemma_declared(["google/gemma-7b-it"] * 3)).proposals
    # The prefix `gemma-7b` names google/gemma-7b, but all three models named `gemma-7b-…` declare the
    # instruct model: 0.9 × share 1.0 × (0.75 + 0.125 × 2).
    assert out[["target", "source", "rule"]].values.tolist() == [
        ["hyokwan/gemma_7b_hkcode20241126", "google/gemma-7b-it", "prefix vote"]
    ]
    assert out["confidence"].iloc[0] == pytest.approx(0.9)
    assert "3 model(s) named 'gemma-7b-…' declare google/gemma-7b-it (100 %" in out["evidence"].iloc[0]


def test_split_prefix_votes_propose_nothing() -> None:
    frame = models(GEMMA_7B)
    needs = frame["id"].eq("hyokwan/gemma_7b_hkcode20241126").to_numpy()
    split = gemma_declared(["google/gemma-7b-it", "google/gemma-7b", "google/gemma-7b-it"])
    assert infer_lineage(frame, needs, split).proposals.empty  # 2 of 3 agree: below the 0.7 share


def test_without_votes_the_plain_prefix_match_stands() -> None:
    frame = models(GEMMA_7B)
    needs = frame["id"].eq("hyokwan/gemma_7b_hkcode20241126").to_numpy()
    out = infer_lineage(frame, needs, NO_EDGES).proposals
    assert out[["source", "rule"]].values.tolist() == [["google/gemma-7b", "prefix match"]]
    # One vote that agrees with the prefix's own model keeps the plain match too.
    out = infer_lineage(frame, needs, gemma_declared(["google/gemma-7b"])).proposals
    assert out[["source", "rule"]].values.tolist() == [["google/gemma-7b", "prefix match"]]


def test_a_prefix_vote_never_names_the_child_itself() -> None:
    # Real names (hf-top-downloads-2024-09): the instruct model's own name extends `qwen2-0.5b`.
    frame = models(
        [
            ("Qwen/Qwen2-0.5B", 900_000, "2024-06-01"),
            ("Qwen/Qwen2-0.5B-Instruct", 800_000, "2024-06-02"),
            ("a/Qwen2-0.5B-Instruct-ft", 10, "2024-07-01"),
            ("b/Qwen2-0.5B-Instruct-sft", 10, "2024-07-01"),
            ("c/Qwen2-0.5B-Instruct-dpo", 10, "2024-07-01"),
        ]
    )
    declared = pd.DataFrame(
        {
            "source": ["Qwen/Qwen2-0.5B-Instruct"] * 3,
            "target": ["a/Qwen2-0.5B-Instruct-ft", "b/Qwen2-0.5B-Instruct-sft", "c/Qwen2-0.5B-Instruct-dpo"],
        }
    )
    needs = frame["id"].eq("Qwen/Qwen2-0.5B-Instruct").to_numpy()
    assert infer_lineage(frame, needs, declared).proposals.empty


def test_among_namesakes_the_one_same_key_siblings_declare() -> None:
    # Real names: a re-upload (NousResearch) has more downloads than the original; two of TheBloke's other
    # quantisations declare the original, which is the leader by declarations but not yet dominant.
    frame = models(
        [
            ("NousResearch/Llama-2-7b-hf", 2_000_000, "2023-07-18"),
            ("meta-llama/Llama-2-7b-hf", 1_000_000, "2023-07-13"),
            ("TheBloke/Llama-2-7B-GGUF", 50_000, "2023-09-01"),
            ("TheBloke/Llama-2-7B-GPTQ", 40_000, "2023-07-18"),
            ("TheBloke/Llama-2-7B-AWQ", 30_000, "2023-09-19"),
        ]
    )
    declared = pd.DataFrame(
        {"source": ["meta-llama/Llama-2-7b-hf"] * 2, "target": ["TheBloke/Llama-2-7B-GPTQ", "TheBloke/Llama-2-7B-AWQ"]}
    )
    needs = frame["id"].eq("TheBloke/Llama-2-7B-GGUF").to_numpy()
    out = infer_lineage(frame, needs, declared).proposals
    assert out[["source", "rule"]].values.tolist() == [["meta-llama/Llama-2-7b-hf", "name match"]]
    assert out["confidence"].iloc[0] == pytest.approx(RuleConfidence().name_and_siblings_agree)
    assert "same-key siblings declare this parent" in out["evidence"].iloc[0]


MAMBA = [  # real names (model-atlas-card-parents, whose cards name the `-hf` conversion); downloads made up
    ("state-spaces/mamba-2.8b", 20_000, "2023-12-01"),
    ("state-spaces/mamba-2.8b-hf", 5_000, "2024-03-05"),
    ("bartowski/mamba-2.8b-hf-GGUF", 300, "2024-04-01"),
    ("someone/mamba-2.8b-GGUF", 100, "2024-04-01"),
]


def test_among_namesakes_the_one_whose_full_name_the_child_carries() -> None:
    # The key drops `-hf`, so both state-spaces repos are namesakes and the more used one is the name match's
    # pick; a child that carries `-hf` before its own format words quantises the conversion.
    frame = models(MAMBA)
    needs = frame["id"].isin(["bartowski/mamba-2.8b-hf-GGUF", "someone/mamba-2.8b-GGUF"]).to_numpy()
    out = infer_lineage(frame, needs, NO_EDGES).proposals
    assert out[["source", "target", "rule"]].values.tolist() == [
        ["state-spaces/mamba-2.8b-hf", "bartowski/mamba-2.8b-hf-GGUF", "name match"],
        ["state-spaces/mamba-2.8b", "someone/mamba-2.8b-GGUF", "name match"],
    ]
    assert out["evidence"].str.contains("carries this one whole").tolist() == [True, False]


def test_a_format_copy_whose_full_name_the_child_carries_is_its_parent() -> None:
    # Real names (model-atlas-card-parents): RichardErkhov's copies name the owner and the whole repo they
    # quantise, here unsloth's 4-bit copy (a namesake under its owner key); downloads made up.
    frame = models(
        [
            ("unsloth/gemma-7b", 10_000, "2024-02-21"),
            ("unsloth/gemma-7b-bnb-4bit", 3_000, "2024-02-21"),
            ("RichardErkhov/unsloth_-_gemma-7b-bnb-4bit-4bits", 10, "2024-05-01"),
            ("RichardErkhov/unsloth_-_gemma-7b-4bits", 10, "2024-05-01"),
        ]
    )
    out = infer_lineage(frame, np.array([False, False, True, True]), NO_EDGES).proposals
    assert out[["source", "target"]].values.tolist() == [
        ["unsloth/gemma-7b-bnb-4bit", "RichardErkhov/unsloth_-_gemma-7b-bnb-4bit-4bits"],
        ["unsloth/gemma-7b", "RichardErkhov/unsloth_-_gemma-7b-4bits"],
    ]


def test_a_packed_copy_is_carried_only_when_the_child_names_its_owner() -> None:
    # Real names (hf-top-downloads-2024-09, which declares the original for the imatrix export); downloads made
    # up. A new GGUF export appends its words to another GGUF's name but quantises the original.
    frame = models(
        [
            ("NeverSleep/Lumimaid-v0.2-8B", 5_000, "2024-07-25"),
            ("NeverSleep/Lumimaid-v0.2-8B-GGUF", 2_000, "2024-07-25"),
            ("Lewdiculous/Lumimaid-v0.2-8B-GGUF-IQ-Imatrix", 1_000, "2024-07-27"),
        ]
    )
    out = infer_lineage(frame, np.array([False, False, True]), NO_EDGES).proposals
    assert out["source"].tolist() == ["NeverSleep/Lumimaid-v0.2-8B"]


def test_a_namesake_younger_than_the_child_is_not_carried() -> None:
    frame = models(MAMBA[:2] + [("early/mamba-2.8b-hf-GGUF", 10, "2024-01-01")])
    out = infer_lineage(frame, np.array([False, False, True]), NO_EDGES).proposals
    assert out["source"].tolist() == ["state-spaces/mamba-2.8b"]


def test_siblings_declaring_another_namesake_outvote_the_carried_name() -> None:
    frame = models(MAMBA[:3] + [("bartowski/mamba-2.8b-hf-exl2", 300, "2024-04-01")])
    declared = pd.DataFrame({"source": ["state-spaces/mamba-2.8b"], "target": ["bartowski/mamba-2.8b-hf-exl2"]})
    needs = frame["id"].eq("bartowski/mamba-2.8b-hf-GGUF").to_numpy()
    out = infer_lineage(frame, needs, declared).proposals
    assert out[["source", "target"]].values.tolist() == [["state-spaces/mamba-2.8b", "bartowski/mamba-2.8b-hf-GGUF"]]
    assert "same-key siblings declare this parent" in out["evidence"].iloc[0]
    assert "carries this one whole" not in out["evidence"].iloc[0]


def test_siblings_voting_for_a_format_copy_do_not_replace_the_original() -> None:
    # Real names (hf-top-downloads-2024-09): two quantisations declare leafspark's bf16 conversion, whose key
    # is the original's; it is a format copy, so the name match keeps the original.
    frame = models(
        [
            ("mattshumer/Reflection-Llama-3.1-70B", 10_000, None),
            ("leafspark/Reflection-Llama-3.1-70B-bf16", 500, None),
            ("legraphista/Reflection-Llama-3.1-70B-IMat-GGUF", 300, None),
            ("mradermacher/Reflection-Llama-3.1-70B-bf16-GGUF", 200, None),
            ("mradermacher/Reflection-Llama-3.1-70B-bf16-i1-GGUF", 100, None),
        ]
    )
    declared = pd.DataFrame(
        {
            "source": ["leafspark/Reflection-Llama-3.1-70B-bf16"] * 2,
            "target": [
                "mradermacher/Reflection-Llama-3.1-70B-bf16-GGUF",
                "mradermacher/Reflection-Llama-3.1-70B-bf16-i1-GGUF",
            ],
        }
    )
    needs = frame["id"].eq("legraphista/Reflection-Llama-3.1-70B-IMat-GGUF").to_numpy()
    out = infer_lineage(frame, needs, declared).proposals
    assert out[["source", "rule"]].values.tolist() == [["mattshumer/Reflection-Llama-3.1-70B", "name match"]]


def test_an_owners_export_of_its_own_model_names_that_model() -> None:
    frame = models(
        [
            ("Qwen/Qwen2-7B-Instruct", 500_000, "2024-06-01"),
            ("unsloth/Qwen2-7B-Instruct", 900_000, "2024-06-02"),  # a more downloaded re-upload
            ("Qwen/Qwen2-7B-Instruct-AWQ", 50_000, "2024-06-03"),
            ("Qwen/Qwen2-7B-Instruct-GGUF", 50_000, None),  # no date: the rule's dates_unknown cost
            ("someone/Qwen2-7B-Instruct-GGUF", 10, "2024-06-04"),  # another owner: not this rule
            ("mlabonne/Llama-3-8B-abliterated", 5_000, "2024-05-01"),  # a fine-tune of another owner's model
            ("mlabonne/Llama-3-8B-abliterated-GGUF", 500, "2024-05-02"),
        ]
    )
    declared = pd.DataFrame({"source": ["meta-llama/Meta-Llama-3-8B"], "target": ["mlabonne/Llama-3-8B-abliterated"]})
    needs = frame["id"].str.contains("AWQ|GGUF").to_numpy()
    out = infer_lineage(frame, needs, declared).proposals.set_index("target")
    rules = RuleConfidence()
    own = out.loc[["Qwen/Qwen2-7B-Instruct-AWQ", "Qwen/Qwen2-7B-Instruct-GGUF"]]
    assert own["source"].tolist() == ["Qwen/Qwen2-7B-Instruct"] * 2
    assert set(own["rule"]) == {"own export"} and set(own["relation"]) == {"quantized"}
    assert own["confidence"].tolist() == [rules.own_export, pytest.approx(rules.own_export + rules.dates_unknown)]
    assert out.loc["someone/Qwen2-7B-Instruct-GGUF", "rule"] == "name match"
    # A fine-tuner's own GGUF declares the upstream base about as often as its own model: other rules decide.
    assert out.loc["mlabonne/Llama-3-8B-abliterated-GGUF", "rule"] != "own export"


def test_an_own_copy_of_another_owners_original_is_no_own_export() -> None:
    frame = models(
        [
            ("mistralai/Mistral-7B-Instruct-v0.3", 900_000, "2024-05-22"),
            ("MaziyarPanahi/Mistral-7B-Instruct-v0.3", 1_000, "2024-05-23"),
            ("MaziyarPanahi/Mistral-7B-Instruct-v0.3-GGUF", 5_000, "2024-05-23"),
        ]
    )
    needs = frame["id"].str.endswith("GGUF").to_numpy()
    out = infer_lineage(frame, needs, NO_EDGES).proposals.set_index("target")
    row = out.loc["MaziyarPanahi/Mistral-7B-Instruct-v0.3-GGUF"]
    assert (row["source"], row["rule"]) == ("mistralai/Mistral-7B-Instruct-v0.3", "name match")


def test_a_prefix_of_the_childs_own_owner_is_its_own_rule() -> None:
    # Real names (hf-top-downloads-2024-09): rinna's instruct model declares rinna's base; a stranger's
    # fine-tune of a bert is a plain prefix match.
    frame = models(
        [
            ("rinna/nekomata-7b", 5_000, "2023-12-19"),
            ("rinna/nekomata-7b-instruction", 3_000, "2023-12-19"),
            ("google-bert/bert-base-uncased", 5_000_000, "2018-11-01"),
            ("joshuaphua/bert-base-uncased-conll2003", 300, "2022-01-01"),
        ]
    )
    needs = frame["id"].isin(["rinna/nekomata-7b-instruction", "joshuaphua/bert-base-uncased-conll2003"]).to_numpy()
    out = infer_lineage(frame, needs, NO_EDGES).proposals.set_index("target")
    own = out.loc["rinna/nekomata-7b-instruction"]
    assert (own["source"], own["rule"], own["relation"]) == ("rinna/nekomata-7b", "own prefix match", "finetune")
    assert own["evidence"].endswith("; same owner")
    # The hand-set confidence is the prefix match's: only the calibration tells the two rules apart.
    assert own["confidence"] == pytest.approx(RuleConfidence().prefix_match)
    other = out.loc["joshuaphua/bert-base-uncased-conll2003"]
    assert (other["source"], other["rule"]) == ("google-bert/bert-base-uncased", "prefix match")


def bartowski_snapshot(hidden: str, copied: set[str]) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Real bartowski GGUFs of fine-tunes (hf-top-downloads-2024-09) and what they declare there: G, the
    fine-tune's base, for those whose tags carry the fine-tune's datasets; `copied` says which children carry
    them (the real set: all but Hermes-3)."""
    finetunes = [
        ("cognitivecomputations/dolphin-2.9.3-mistral-7B-32k", "mistralai/Mistral-7B-v0.3"),
        ("bigcode/starcoder2-15b-instruct-v0.1", "bigcode/starcoder2-15b"),
        ("NousResearch/Hermes-2-Pro-Mistral-7B", "mistralai/Mistral-7B-v0.1"),
        ("jondurbin/bagel-8b-v1.0", "meta-llama/Meta-Llama-3-8B"),
        ("NousResearch/Hermes-3-Llama-3.1-8B", "meta-llama/Meta-Llama-3.1-8B"),
    ]
    datasets = {p: [f"dataset:{p.split('/')[1].lower()}-data", "dataset:teknium/OpenHermes-2.5"] for p, _ in finetunes}
    rows: list[tuple[str, int, str | None]] = []
    declared, tags = [], dict(datasets)
    for parent, base in finetunes:
        child = "bartowski/" + parent.split("/")[1] + "-GGUF"
        rows += [(base, 900_000, "2023-09-01"), (parent, 20_000, "2024-03-01"), (child, 2_000, "2024-06-01")]
        tags[child] = ["gguf", *(datasets[parent] if child in copied else [])]
        declared.append((base, parent))
        if child != hidden:
            declared.append((base if child in copied else parent, child))
    frame = models(rows, tags)
    edges = pd.DataFrame(declared, columns=["source", "target"])
    return frame, edges, frame["id"].eq(hidden).to_numpy()


def test_a_copied_card_habit_proposes_the_base_for_quantisations_that_copy_the_datasets() -> None:
    copied = {
        "bartowski/dolphin-2.9.3-mistral-7B-32k-GGUF",
        "bartowski/starcoder2-15b-instruct-v0.1-GGUF",
        "bartowski/Hermes-2-Pro-Mistral-7B-GGUF",
        "bartowski/bagel-8b-v1.0-GGUF",
    }
    # bartowski's visible GGUFs: 3 that copy the datasets declare G, Hermes-3 (no datasets) declares P: 3 of 4
    # is no owner habit (0.8), but 3 of 3 among the copies is.
    frame, declared, needs = bartowski_snapshot("bartowski/bagel-8b-v1.0-GGUF", copied)
    out = infer_lineage(frame, needs, declared).proposals
    assert out[["source", "rule"]].values.tolist() == [["meta-llama/Meta-Llama-3-8B", "copied card habit"]]
    assert "copy its dataset tags" in out["evidence"].iloc[0]
    # A child that does not copy the datasets keeps the repo its name copies.
    frame, declared, needs = bartowski_snapshot(
        "bartowski/bagel-8b-v1.0-GGUF", copied - {"bartowski/bagel-8b-v1.0-GGUF"}
    )
    out = infer_lineage(frame, needs, declared).proposals
    assert out[["source", "rule"]].values.tolist() == [["jondurbin/bagel-8b-v1.0", "name match"]]


def test_a_copied_card_habit_needs_support() -> None:
    # Only one visible copy: no habit, the name match stands.
    copied = {"bartowski/bagel-8b-v1.0-GGUF", "bartowski/Hermes-2-Pro-Mistral-7B-GGUF"}
    frame, declared, needs = bartowski_snapshot("bartowski/bagel-8b-v1.0-GGUF", copied)
    out = infer_lineage(frame, needs, declared).proposals
    assert out[["source", "rule"]].values.tolist() == [["jondurbin/bagel-8b-v1.0", "name match"]]


def test_an_owners_copied_card_of_its_own_fine_tune_declares_the_base() -> None:
    # Real names (hf-top-downloads-2024-09): owners exporting their own fine-tune with its card (its dataset
    # tags) declare the fine-tune's base; learned over owners, none of which has two such exports itself.
    pairs = [
        ("cognitivecomputations/dolphin-2.9.3-mistral-nemo-12b", "mistralai/Mistral-Nemo-Base-2407"),
        ("ibm-granite/granite-20b-code-instruct-8k", "ibm-granite/granite-20b-code-base-8k"),
        ("cognitivecomputations/dolphin-2.9-llama3-8b", "meta-llama/Meta-Llama-3-8B"),
    ]
    rows: list[tuple[str, int, str | None]] = []
    declared, tags = [], {}
    for parent, base in pairs:
        child = parent + "-GGUF"
        rows += [(base, 900_000, "2023-09-01"), (parent, 20_000, "2024-03-01"), (child, 2_000, "2024-06-01")]
        tags[parent] = [f"dataset:{parent.split('/')[1].lower()}-data"]
        tags[child] = ["gguf", *tags[parent]]
        declared += [(base, parent), (base, child)]
    hidden = "cognitivecomputations/dolphin-2.9-llama3-8b-GGUF"
    edges = pd.DataFrame([d for d in declared if d[1] != hidden], columns=["source", "target"])
    frame = models(rows, tags)
    out = infer_lineage(frame, frame["id"].eq(hidden).to_numpy(), edges).proposals
    assert out[["source", "rule"]].values.tolist() == [["meta-llama/Meta-Llama-3-8B", "own card habit"]]
    assert "any owner" in out["evidence"].iloc[0]
    # Without the datasets, the owner's own export names its own model.
    tags[hidden] = ["gguf"]
    frame = models(rows, tags)
    out = infer_lineage(frame, frame["id"].eq(hidden).to_numpy(), edges).proposals
    assert out["source"].tolist() == ["cognitivecomputations/dolphin-2.9-llama3-8b"]
    assert out["rule"].iloc[0] != "own card habit"


def _index(keys: list[str]) -> KeyIndex:
    return KeyIndex(pa.array(keys, type=pa.large_string()))


def test_candidate_pairs_come_in_the_order_of_an_inner_merge_on_the_key() -> None:
    """Children are joined to candidates on key codes; the pairs are the ones, in the order, of a pandas inner
    merge on the key strings (which the name match's tie-breaking relied on)."""
    from constellation.genealogy.inferred import _Candidates, _KeyCodes

    keys = _KeyCodes(_index(["a", "b", "c"]), _index(["d"]))
    codes = np.array([0, 0, 1, 1, 1, 3])  # sorted by key code, as _candidates_by_key keeps them
    rows, flags = np.array([10, 11, 12, 13, 14, 15]), np.zeros(6, dtype=bool)
    cands = _Candidates(keys, codes, rows, np.arange(6), flags, np.zeros(6), flags, flags)
    asked = np.array(["b", "z", "a", "d", "b", "c"], dtype=object)
    assert keys.codes_of(asked).tolist() == [1, -1, 0, 3, 1, 2]
    left, right = cands.pairs(keys.codes_of(asked))
    merged = pd.DataFrame({"i": np.arange(6), "lookup": asked}).merge(cands.frame, on="lookup", how="inner")
    assert left.tolist() == merged["i"].tolist() == [0, 0, 0, 2, 2, 3, 4, 4, 4]
    assert rows[right].tolist() == merged["cand"].tolist() == [12, 13, 14, 10, 11, 15, 12, 13, 14]


def test_rows_without_others_equal_setdiff1d() -> None:
    from constellation.genealogy.inferred import _without

    rows = np.array([1, 3, 4, 8, 9])
    assert _without(rows, np.array([9, 3, 100])).tolist() == np.setdiff1d(rows, [9, 3, 100]).tolist() == [1, 4, 8]
    assert _without(rows, np.array([], dtype=object)).tolist() == rows.tolist()
    assert _without(np.array([], dtype=np.int64), np.array([1])).tolist() == []


def test_the_prefix_search_over_distinct_keys_answers_as_the_one_key_search() -> None:
    """`_longest_prefixes` (every key at once, in Arrow) says what `_longest_prefix` says of each key: the first
    model met from the longest prefix down, and the match (parent, remainder, prefix) or none."""
    from constellation.genealogy.inferred import _NOT_MET, _KeyCodes, _longest_prefix, _longest_prefixes, _PrefixTable

    known = {"llama-3-8b": 1, "llama": 2, "qwen2-7b": -1, "mistral-7b": 3, "ab": 4, "a-": 5, "phi-2": 6, "gemma": 7}
    keys = _KeyCodes(_index([*known, "", "unseen"]), _index(["yi-6b"]))
    table = _PrefixTable(keys, np.array([*known.values(), _NOT_MET, _NOT_MET, 8]))  # an external parent's key last
    assert table.get("yi-6b") == 8 and table.get("unseen") is None and table.get("llama-3") is None
    asked = [
        "llama-3-8b-instruct-ft",  # a prefix of three tokens
        "llama-3-8b",  # the key itself is no proper prefix; "llama" is a bare family word
        "llama-3-70b-chat",  # no "llama-3" model; "llama" is a bare family word
        "qwen2-7b-chat",  # an ambiguous prefix
        "mistral-7b-v0.2",  # a version: a sibling
        "mistral-7b-13b",  # another size: a sibling
        "ab-c",  # a prefix under 3 characters
        "a--b",  # an empty token
        "phi-2-dpo",
        "gemma-ft",  # one token without a digit
        "yi-6b-chat",  # a key only an external parent carries
        "t1-t2-t3-t4-t5-t6-t7-t8-t9-t10-llama",  # more tokens than max_tokens
        "nodash",
        "mistral-7b-a-b-c-d-e-f-g-h",
    ]
    met, matched, remainder, prefix = _longest_prefixes(np.array(asked, dtype=object), table, 8)
    for i, key in enumerate(asked):
        first, match = _longest_prefix(key, table, None, 8, {})
        assert (first if first is not None else -2) == met[i], key
        assert (match is not None) == matched[i], key
        assert (match[1:] if match is not None else (None, None)) == (remainder[i], prefix[i]), key
    assert [k for k, m in zip(asked, matched) if m] == ["llama-3-8b-instruct-ft", "phi-2-dpo", "yi-6b-chat", asked[-1]]
    assert (remainder[0], prefix[0]) == ("instruct-ft", "llama-3-8b")


def test_the_declared_leader_among_namesakes_is_the_one_a_sort_of_every_candidate_finds() -> None:
    """Leaders are looked for only under keys with a declared candidate; they are those a sort of all the
    candidates by key, declarations (most first) and rank finds: the first of its key, with at least one
    declaration and `declared_parent_ratio` times the second's."""
    from datetime import UTC, datetime

    from constellation.genealogy.declared import declared_lineage
    from constellation.genealogy.features import model_features
    from constellation.genealogy.inferred import _candidates_by_key, _features
    from crawler.records import convert_items
    from fakehub.synthetic import generate, to_records

    snapshot = convert_items(list(to_records(generate(3_000, 0))), datetime(2026, 11, 1, tzinfo=UTC)).table
    snapshot = snapshot.to_pandas()
    edges = declared_lineage(snapshot).edges
    features = model_features(snapshot)
    f = _features(features, features, np.arange(len(snapshot)), edges)
    rules = RuleConfidence()
    cands = _candidates_by_key(f, rules, per_key=10**6)  # every candidate kept
    codes, indeg = cands.codes, f.declared_in[cands.cand]
    starts = np.r_[0, np.flatnonzero(np.diff(codes)) + 1]
    sizes = np.diff(np.r_[starts, len(codes)])
    by_indeg = np.lexsort((cands.rank, -indeg, codes))
    first = by_indeg[starts]
    second = np.where(sizes >= 2, indeg[by_indeg[np.minimum(starts + 1, len(codes) - 1)]], 0)
    expected = np.zeros(len(codes), dtype=bool)
    expected[first[indeg[first] >= np.maximum(1, rules.declared_parent_ratio * second)]] = True
    assert 10 < expected.sum() < len(set(codes.tolist())) and (second > 0).any()
    assert cands.declared_leader.tolist() == expected.tolist()


def test_sibling_tails_tested_per_token_equal_the_one_by_one_test():
    tails = np.array(
        ["7b", "instruct", "v2-chat", "12", "chat-7b", "x--7b", "-", "", "٣-x", "instruct-v0.2", "1.5-b", "8x7b-it"],
        dtype=object,
    )
    memo: dict[str, bool] = {}
    expected = [_names_sibling(tail, memo) for tail in tails.tolist()]
    assert _names_siblings(tails).tolist() == expected == [
        True, False, True, True, True, True, False, False, True, False, True, True,
    ]  # fmt: skip
    assert _names_siblings(np.array([], dtype=object)).tolist() == []


def test_rows_of_ids_are_the_first_row_of_each_id_then_the_external_ones():
    snapshot = pd.DataFrame({"id": ["a/x", "b/y", "a/x", "c/z"], "name": None, "downloads": 0})
    features = model_features(snapshot)
    outside = model_features(pd.DataFrame({"id": ["ext/p"], "name": None, "downloads": 0}))
    f = _features(features, features.extended(outside), np.array([1]), None)
    asked = pd.Series(["c/z", "a/x", "nope/n", "ext/p", "A/X"], index=[4, 3, 2, 1, 0])
    found = f.rows_of(asked)
    assert found.index.tolist() == [4, 3, 2, 1, 0]
    assert found.tolist()[:2] == [3.0, 0.0] and np.isnan(found.iloc[2]) and found.iloc[3] == 4.0
    assert np.isnan(found.iloc[4]) and found.dtype == np.float64


def test_exploded_tags_are_what_pandas_explode_and_dropna_give():
    tags = [["a", "b"], None, [], ["c", None, "a"], np.array(["d"], dtype=object), ("e", "f")]
    frame = pd.DataFrame({"id": [f"o/m{i}" for i in range(6)], "name": None, "downloads": 0, "tags": tags})
    features = model_features(frame)
    assert "_tag_lists" in features.__dict__
    f = _features(features, features, np.arange(6), None)
    rows = np.array([3, 0, 1, 5, 2, 4, 0])
    at, found = _exploded_tags(f, rows)
    expected = pd.DataFrame({"at": np.arange(len(rows)), "tag": pd.Series(tags, dtype=object).iloc[rows].to_numpy()})
    expected = expected.explode("tag").dropna(subset=["tag"])
    assert at.tolist() == expected["at"].tolist() and found.tolist() == expected["tag"].tolist()
    assert found.dtype == object and _exploded_tags(f, np.zeros(0, dtype=np.int64))[1].tolist() == []
    # A column with other values (a bare string explodes to itself in pandas) keeps pandas' explode.
    odd = model_features(frame.assign(tags=[["a"], "solo", None, [], ["b"], None]))
    assert "_tag_lists" not in odd.__dict__ and _exploded_tags(_features(odd, odd, np.arange(6), None), rows) is None


def test_exploded_tags_can_leave_out_tags_by_their_start():
    tags = [["license:mit", "flux", None], ["dataset:x", "lora"], None]
    frame = pd.DataFrame({"id": ["o/a", "o/b", "o/c"], "name": None, "downloads": 0, "tags": tags})
    features = model_features(frame)
    f = _features(features, features, np.arange(3), None)
    at, found = _exploded_tags(f, np.array([0, 1, 2]), ("license:", "dataset:"))
    assert at.tolist() == [0, 1] and found.tolist() == ["flux", "lora"]


def test_keys_among_by_key_codes_equals_the_arrow_membership() -> None:
    """`_Features.keys_among` compares the snapshot's key codes; an external row's key is compared in Arrow."""
    import pyarrow.compute as pc

    snapshot = models(
        [("a/Tiny-1B", 10, None), ("b/Tiny-1B-GGUF", 1, None), ("c/Other-2B", 5, None), ("d/Lone-3B-GGUF", 1, None)]
    )
    features = model_features(snapshot)
    outside = model_features(pd.DataFrame({"id": ["x/Other-2B"], "name": ["Other-2B"], "downloads": [0]}))
    f = _features(features, features.extended(outside), np.arange(4), None)
    rows, among = np.array([0, 1, 2, 3, 4]), np.array([1, 2])
    expected = pc.is_in(f.keys_at(rows), value_set=f.keys_at(among)).to_numpy(zero_copy_only=False).tolist()
    assert f.keys_among(rows, among).tolist() == expected == [True, True, True, False, True]
