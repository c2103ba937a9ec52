"""Hub-aware name tokenizer: real names from ../shared/data (tests/fixtures/tokenizer_cases.md)."""

from __future__ import annotations

import csv

import pytest

from constellation.names import normalized_name, split_id, tokenize_id, tokenize_name
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
