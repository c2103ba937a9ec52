"""Parameter counts: the name table (tests/fixtures/param_names.csv) and the best-estimate rules."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest

from constellation.errors import ParamsError
from constellation.genealogy.params import (
    PARAMS_SOURCES,
    NameSize,
    estimate_params,
    is_quantized_repo,
    params_from_name,
    quantized_rows,
)
from tests.paths import FIXTURES

FIXTURE = FIXTURES / "param_names.csv"


def _table() -> list[dict[str, str]]:
    with FIXTURE.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


TABLE = _table()


def _int_or_none(text: str) -> int | None:
    return int(text) if text else None


def test_the_name_table_is_large_and_covers_every_rule() -> None:
    assert len(TABLE) >= 150
    rules = " ".join(row["rule"] for row in TABLE)
    for needle in (
        "M unit", "decimal", "underscore decimal", "bloom style", "MoE 8x7B", "MoE total-active",
        "active only", "T unit", "training tokens", "context length", "dataset 7M", "is a date",
        "version only", "4bit is not a size", "Q4_K_M", "epoch", "lr", "bs256", "ctx",
    ):  # fmt: skip
        assert needle in rules, needle
    assert {row["source"] for row in TABLE} >= {
        "constellation", "hf-top-downloads-2024-09", "hf-model-trees", "interconnects",
    }  # fmt: skip
    assert sum(1 for row in TABLE if not row["expected_total"] and not row["expected_active"]) >= 40


@pytest.mark.parametrize("row", TABLE, ids=[row["name"] for row in TABLE])
def test_params_from_name_on_real_names(row: dict[str, str]) -> None:
    got = params_from_name(row["name"])
    assert (got.total, got.active) == (_int_or_none(row["expected_total"]), _int_or_none(row["expected_active"]))


@pytest.mark.parametrize(
    ("name", "total"),
    [
        ("1.3b", 1_300_000_000), ("1.3B", 1_300_000_000), ("350M", 350_000_000), ("350m", 350_000_000),
        ("0.5B", 500_000_000), ("1_5B", 1_500_000_000), ("x-7b-y", 7_000_000_000), ("x_7B_y", 7_000_000_000),
        ("x.7b.gguf", 7_000_000_000), ("x-1T", 1_000_000_000_000), ("tiny-500k-params", 500_000),
        ("tiny-100K-param", 100_000),
    ],
)  # fmt: skip
def test_units_decimals_separators_and_case(name: str, total: int) -> None:
    assert params_from_name(name).total == total


@pytest.mark.parametrize(
    "name",
    ["v0.1", "llama-2", "gpt-3.5-turbo", "Qwen2.5", "2024-05-13", "20240101", "4bit", "Q4_K_M", "4.0bpw",
     "epoch3", "lr1e-4", "bs256", "ctx8k", "32k", "", "model"],
)  # fmt: skip
def test_should_not_fire(name: str) -> None:
    assert params_from_name(name) == NameSize(None, None, None)


def test_owner_is_ignored_and_the_token_is_evidence() -> None:
    assert params_from_name("7b-owner/opt-350m") == NameSize(350_000_000, None, "350m")
    assert params_from_name("Qwen/Qwen3-30B-A3B").token == "30B-A3B"
    assert params_from_name("moonshotai/Kimi-VL-A3B-Instruct").token == "A3B"


def test_non_strings_state_nothing() -> None:
    assert params_from_name(None) == NameSize(None, None, None)  # type: ignore[arg-type]
    assert params_from_name(float("nan")) == NameSize(None, None, None)  # type: ignore[arg-type]


def test_is_quantized_repo() -> None:
    assert is_quantized_repo("TheBloke/Llama-2-7B-GPTQ")
    assert is_quantized_repo("x/Llama-3-8B-Instruct-exl2")
    assert is_quantized_repo("x/y", ["transformers", "4-bit"])
    assert is_quantized_repo("x/y", [], relation="quantized")
    assert is_quantized_repo("x/y", ["base_model:quantized:meta-llama/Llama-2-7b-hf"])
    assert not is_quantized_repo("meta-llama/Llama-2-7b-hf", ["transformers", "llama"])
    assert not is_quantized_repo("x/y", None)
    assert not is_quantized_repo("linagora/Labess-7b-chat-16bit")  # 16-bit is not quantized
    assert is_quantized_repo("x/Llama-2-7b.Q4_K_M") and is_quantized_repo("x/m-exl2-4.0bpw")


# --------------------------------------------------------------------------------------------------
# estimate_params. Rows marked "real" are records of ../shared/data/hf-model-trees (April 2025).
# --------------------------------------------------------------------------------------------------

EXAONE = "LGAI-EXAONE/EXAONE-Deep-32B"


def _models(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for column in ("params_safetensors", "params_gguf"):
        if column not in frame:
            frame[column] = None
        frame[column] = pd.array(frame[column], dtype="Int64")
    frame["name"] = frame["id"].str.split("/").str[-1]
    return frame


def _row(id_: str, safetensors=None, gguf=None, tags=(), base_models=None) -> dict:
    return {
        "id": id_,
        "tags": list(tags),
        "params_safetensors": safetensors,
        "params_gguf": gguf,
        "base_models": base_models,
        "library_name": None,
    }


def test_source_precedence_safetensors_gguf_name_base_model_none() -> None:
    models = _models(
        [
            _row(EXAONE, safetensors=32003200000, gguf=32003200064),  # real safetensors; gguf added
            _row("BlackBeenie/EXAONE-Deep-32B-Q4_K_M-GGUF", gguf=32003200064, tags=["gguf"]),  # real
            _row("someone/EXAONE-Deep-32B-notes"),  # the name only
            _row("someone/exaone-deep-lora"),  # nothing: the parent's estimate
            _row("someone/untitled"),  # nothing, no parent
        ]
    )
    parent = pd.Series([None, EXAONE, None, EXAONE, None], index=models.index)
    out = estimate_params(models, parent)
    assert out["params_source"].tolist() == ["safetensors", "gguf", "name", "base_model", "none"]
    assert out["params"].tolist() == [32003200000, 32003200064, 32_000_000_000, 32003200000, pd.NA]
    assert out["params_from_name"].tolist() == [32_000_000_000] * 3 + [pd.NA, pd.NA]
    assert out["params_flag"].tolist() == [None] * 5
    assert set(out["params_source"]) <= set(PARAMS_SOURCES)


def test_packed_quantized_weights_yield_to_the_name_and_are_flagged() -> None:
    models = _models(
        [
            # real: an MLX 4-bit repo reports its packed tensors (1.0B F16 + 4.0B U32) as 5.0B
            _row("mlx-community/EXAONE-Deep-32B-4bit", safetensors=5001057280, tags=["mlx", "4-bit"]),
            # real: Mol-Llama-2-7b-chat holds 171M parameters, but is not quantized: metadata stands
            _row("DongkiKim/Mol-Llama-2-7b-chat", safetensors=170913880, tags=["safetensors"]),
        ]
    )
    out = estimate_params(models)
    assert out["params"].tolist() == [32_000_000_000, 170913880]
    assert out["params_source"].tolist() == ["name", "safetensors"]
    assert out["params_flag"].tolist() == [
        "safetensors total 5B disagrees with name 32B (packed quantized weights?)",
        None,
    ]


def test_packed_weights_yield_to_the_base_model_when_the_name_says_nothing() -> None:
    models = _models(
        [
            _row(EXAONE, safetensors=32003200000),
            _row("someone/exaone-deep-awq", safetensors=5001057280,
                 base_models=[{"id": EXAONE, "relation": "quantized"}]),
        ]
    )  # fmt: skip
    out = estimate_params(models, pd.Series([None, EXAONE], index=models.index))
    assert out["params"].tolist() == [32003200000, 32003200000]
    assert out["params_source"].tolist() == ["safetensors", "base_model"]
    assert out["params_flag"].iloc[1] == (
        "safetensors total 5B disagrees with base model 32B (packed quantized weights?)"
    )


def test_metadata_close_to_the_name_is_kept() -> None:
    # real: Llama-2-7b-chat-hf-fp8 counts all 6.74B weights (I8), and gemma-7b has 8.54B
    models = _models(
        [
            _row("FriendliAI/Llama-2-7b-chat-hf-fp8", safetensors=6738415616, tags=["8-bit"]),
            _row("google/gemma-7b", safetensors=8537680896),
        ]
    )
    out = estimate_params(models)
    assert out["params"].tolist() == [6738415616, 8537680896]
    assert out["params_source"].tolist() == ["safetensors", "safetensors"]


def test_base_model_fallback_follows_chains_and_survives_cycles() -> None:
    models = _models(
        [
            _row("org/base-7b"),
            _row("a/finetune"),
            _row("b/finetune-of-finetune"),
            _row("c/loop-one"),
            _row("d/loop-two"),
            _row("e/orphan"),
        ]
    )
    parent = pd.Series(["", "org/base-7b", "a/finetune", "d/loop-two", "c/loop-one", "not/in-snapshot"],
                       index=models.index)  # fmt: skip
    out = estimate_params(models, parent)
    assert out["params"].tolist() == [7_000_000_000, 7_000_000_000, 7_000_000_000, pd.NA, pd.NA, pd.NA]
    assert out["params_source"].tolist() == ["name", "base_model", "base_model", "none", "none", "none"]


def test_unknown_stays_null_never_zero() -> None:
    models = _models([_row("x/tiny", safetensors=0, gguf=0), _row("x/nothing")])
    out = estimate_params(models)
    assert out["params"].isna().all()
    assert out["params_source"].tolist() == ["none", "none"]
    assert not (out["params"].fillna(-1) == 0).any()


def test_moe_active_params_and_dtypes() -> None:
    models = _models([_row("Qwen/Qwen3-30B-A3B", safetensors=30532122624)])
    out = estimate_params(models)
    assert out["active_params"].tolist() == [3_000_000_000]
    assert out["params_from_name"].tolist() == [30_000_000_000]
    assert {c: str(t) for c, t in out.dtypes.items()} == {
        "params": "Int64", "params_source": "object", "params_from_name": "Int64",
        "active_params": "Int64", "params_flag": "object",
    }  # fmt: skip


def test_aligned_with_the_input_index_and_empty_or_one_model_frames() -> None:
    models = _models([_row("x/a-1b"), _row("x/b-2b")]).set_index(pd.Index([10, 3]))
    out = estimate_params(models, pd.Series({3: "x/a-1b", 10: None}))
    assert out.index.tolist() == [10, 3]
    assert out.loc[3, "params_from_name"] == 2_000_000_000
    assert len(estimate_params(models.iloc[:0])) == 0
    assert estimate_params(models.iloc[:1])["params"].tolist() == [1_000_000_000]


def test_id_only_frame_works_and_bad_input_raises_a_clear_error() -> None:
    out = estimate_params(pd.DataFrame({"id": ["TheBloke/Llama-2-7B-GPTQ"]}))
    assert out["params"].tolist() == [7_000_000_000]
    with pytest.raises(ParamsError, match="'name' or an 'id' column"):
        estimate_params(pd.DataFrame({"downloads": [1]}))
    with pytest.raises(ParamsError, match="DataFrame"):
        estimate_params([{"id": "x"}])  # type: ignore[arg-type]


def test_quantized_rows_reads_names_tags_and_relations() -> None:
    models = _models(
        [
            _row("a/Model-GGUF"),
            _row("b/model", tags=np.array(["4-bit"])),
            _row("c/model", base_models=[{"id": "a/b", "relation": "quantized"}]),
            _row("d/model", tags=["transformers"], base_models=[{"id": "a/b", "relation": "finetune"}]),
            _row("e/model", tags=[3, "gptq"]),  # a malformed tag list is read row by row
            _row("f/model", tags=[3, "llama"]),
            _row("g/model-16bit"),
            _row("h/model-8bit"),
        ]
    )
    assert quantized_rows(models).tolist() == [True, True, True, False, True, False, False, True]
