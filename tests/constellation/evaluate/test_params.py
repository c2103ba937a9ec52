"""Evaluation of params_from_name: the scoring math on hand-made tables, the loaders, the real data."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from constellation.evaluate.params import (
    TARGET_COVERAGE,
    TARGET_PRECISION,
    agreement_with_paper,
    evaluate_params_on_shared_data,
    evaluate_params_on_snapshot,
    load_tree_truths,
    score_params_from_name,
    score_sizes,
    wilson_lower,
    within,
)

# Six models with a known size. Stated: rows 0-4. Parsed: 0, 1, 2, 4. Correct: 0, 2, 4.
# So precision = 3 / 4 and coverage = 4 / 5.
TINY = pd.DataFrame(
    {
        "name": [
            "a/model-7b",  # 7B vs 7B: correct
            "a/model-13b",  # 13B vs 10B: 30 % off, wrong
            "a/model-1.3b",  # 1.3B vs 1.4B: correct
            "a/llama_2_sft_on_llama_3_70B",  # the 70B is another model's: stated, not parsed
            "a/bloom-7b1",  # 7.1B vs 7.07B: correct
            "a/gpt2",  # states nothing
            "a/unknown-7b",  # no truth: not counted
            "a/zero-350m",  # a truth of 0 is no truth: not counted
        ],
        "truth": [7e9, 10e9, 1.4e9, 7e9, 7.07e9, 124e6, None, 0],
    }
)


def test_score_params_from_name_on_a_tiny_table() -> None:
    score = score_params_from_name(TINY["name"], TINY["truth"])
    assert (score.known, score.stated, score.parsed, score.parsed_stated, score.correct) == (6, 5, 4, 4, 3)
    assert score.precision == 0.75
    assert score.coverage == 0.8
    assert (score.precision_low95, score.coverage_low95) == (0.3006, 0.3755)
    assert score.misses == [{"name": "a/model-13b", "truth": 10_000_000_000, "predicted": 13_000_000_000}]


def test_score_sizes_counts_a_prediction_the_name_does_not_state() -> None:
    names = pd.Series(["x/gpt2", "x/model-7b", "x/model-3b"])
    truth = pd.Series([124e6, 7e9, 3e9])
    predicted = pd.Series([124e6, None, 6e9])  # e.g. a lookup table, not the name
    score = score_sizes(names, truth, predicted)
    assert (score.known, score.stated, score.parsed, score.parsed_stated, score.correct) == (3, 2, 2, 1, 1)
    assert (score.precision, score.coverage) == (0.5, 0.5)


def test_wilson_lower_bound() -> None:
    assert wilson_lower(0, 0) is None
    assert wilson_lower(10, 10) == 0.7225
    assert wilson_lower(241, 244) == 0.9645


def test_tolerance_is_inclusive_and_relative_to_the_truth() -> None:
    assert within(10e9, 8e9) and within(6e9, 8e9)
    assert not within(10.01e9, 8e9) and not within(5.99e9, 8e9)
    names = pd.Series(["x/a-10b", "x/b-6b", "x/c-11b"])
    score = score_sizes(names, pd.Series([8e9, 8e9, 8e9]), pd.Series([10e9, 6e9, 11e9]))
    assert score.correct == 2


def test_empty_input_scores_none() -> None:
    score = score_params_from_name(pd.Series([], dtype=object), pd.Series([], dtype=float))
    assert (score.known, score.precision, score.coverage) == (0, None, None)


def test_snapshot_evaluation_skips_quantized_repos() -> None:
    models = pd.DataFrame(
        {
            "id": ["a/m-7b", "b/m-7b-GPTQ", "c/m-13b", "d/m-3b", "e/gpt2", "f/m-1b"],
            "tags": [[], ["gptq"], [], ["4-bit"], [], []],
            "base_models": [None, None, None, None, None, [{"id": "a/m-7b", "relation": "quantized"}]],
            "params_safetensors": pd.array([6738415616, 1125703680, 13015864320, 500000000, 124439808, None],
                                           dtype="Int64"),
        }
    )  # fmt: skip
    report = evaluate_params_on_snapshot(models)
    assert report["skipped_quantized"] == 2
    assert (report["known"], report["stated"], report["parsed"], report["correct"]) == (3, 2, 2, 2)
    assert (report["precision"], report["coverage"]) == (1.0, 1.0)
    assert report["meets_targets"] is True


def test_snapshot_evaluation_of_an_empty_frame() -> None:
    report = evaluate_params_on_snapshot(pd.DataFrame(columns=["id", "params_safetensors"]))
    assert (report["known"], report["precision"], report["coverage"], report["meets_targets"]) == (0, None, None, None)


def _write_shared(root: Path) -> None:
    trees = root / "hf-model-trees"
    trees.mkdir(parents=True)
    records = [
        {"id": "a/Llama-2-7b-chat-x", "safetensors": {"total": 6738415616, "parameters": {"BF16": 6738415616}}},
        # MLX 4-bit: U32 holds packed weights, so the total is not a parameter count
        {"id": "b/EXAONE-Deep-32B-4bit", "safetensors": {"total": 5001057280,
                                                          "parameters": {"F16": 1000739840, "U32": 4000317440}}},
        {"id": "c/phi2-2B-slerp", "safetensors": {"total": 2779683840, "parameters": {"BF16": 2779683840}}},
        {"id": "d/no-safetensors-7b", "safetensors": None},
    ]  # fmt: skip
    with gzip.open(trees / "model_trees_metadata.jsonl.gz", "wt", encoding="utf-8") as handle:
        for meta in records:
            handle.write(json.dumps({"tree_file": "t", "metadata": meta}) + "\n")
    inter = root / "interconnects-tracked-models"
    inter.mkdir()
    (inter / "model_parameters.csv").write_text(
        "model_id,total_params_b,active_params_b,is_moe,notes\n"
        "Qwen/Qwen3-30B-A3B,30.5,3.3,true,\n"
        "mistralai/Mixtral-8x7B-v0.1,46.7,12.9,,\n"
        "a/Llama-2-7b-chat-x,6.74,,,\n"
    )
    paper = root / "constellation"
    paper.mkdir()
    (paper / "HuggingFaceLLMsWithParamsAndReadmeLinks.csv").write_text(
        ",Unnamed: 0,rank,model_name,link,downloads,likes,ReadMeLink,params_millions\n"
        "0,0,1,Llama-2-7b-chat-x,https://huggingface.co/a/Llama-2-7b-chat-x,1.0,1.0,r,7000.0\n"
        "1,1,2,bloom-1b7,https://huggingface.co/bigscience/bloom-1b7,1.0,1.0,r,1000.0\n"
        "2,2,3,gpt2-4bit,https://huggingface.co/x/gpt2-4bit,1.0,1.0,r,4000.0\n"
    )


def test_shared_data_evaluation_on_a_hand_made_folder(tmp_path: Path) -> None:
    _write_shared(tmp_path)
    report = evaluate_params_on_shared_data(tmp_path)
    assert report is not None
    assert report["skipped_sources"] == []
    trees = report["hf_model_trees"]
    assert trees["skipped_quantized"] == 1
    assert trees["params_from_name"]["known"] == 2
    assert trees["params_from_name"]["correct"] == 1  # phi2-2B is 2.78B: 28 % off
    assert trees["paper_params_millions"]["parsed"] == 1
    inter = report["interconnects"]
    assert (inter["params_from_name"]["parsed"], inter["params_from_name"]["correct"]) == (3, 3)
    active = inter["active_params"]
    assert (active["stated"], active["parsed"], active["correct"], active["coverage"]) == (1, 1, 1, 1.0)
    combined = report["combined"]["params_from_name"]
    assert combined["known"] == 4  # a/Llama-2-7b-chat-x counted once
    assert report["paper_overlap"]["ids"] == 1
    agreement = report["paper_agreement"]
    assert (agreement["both"], agreement["agree"], agreement["differ"], agreement["only_paper"]) == (2, 1, 1, 1)


def test_shared_data_evaluation_when_absent(tmp_path: Path) -> None:
    assert evaluate_params_on_shared_data(tmp_path / "missing") is None
    report = evaluate_params_on_shared_data(tmp_path)
    assert report is not None and len(report["skipped_sources"]) == 3
    assert "combined" not in report


def test_agreement_with_paper_counts_each_case() -> None:
    paper = pd.DataFrame({"id": ["a/x-7b", "a/y-1b7", "a/z", "a/w-3b"], "paper": [7e9, 1e9, 2e9, None]})
    agreement = agreement_with_paper(paper)
    assert {k: agreement[k] for k in ("both", "agree", "differ", "only_ours", "only_paper")} == {
        "both": 2, "agree": 1, "differ": 1, "only_ours": 1, "only_paper": 1,
    }  # fmt: skip


@pytest.mark.shared_data
def test_targets_are_met_on_the_real_truths(shared_data: Path) -> None:
    report = evaluate_params_on_shared_data(shared_data)
    assert report is not None
    combined = report["combined"]["params_from_name"]
    assert combined["known"] >= 900
    assert combined["precision"] >= TARGET_PRECISION
    assert combined["coverage"] >= TARGET_COVERAGE
    trees, skipped = load_tree_truths(shared_data / "hf-model-trees" / "model_trees_metadata.jsonl.gz")
    assert skipped > 0 and len(trees) > 600
