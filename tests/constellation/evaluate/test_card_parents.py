"""The model-card parents scorer (evaluate/card_parents.py) on a real excerpt, with hand-made proposals."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from constellation.evaluate.card_parents import (
    CardParentsSet,
    confidence_check,
    evaluate_card_parents,
    score_card_parents,
    shares_name,
)
from constellation.genealogy.stage import annotate
from crawler.importer import card_parents_snapshot, load_card_parents
from tests.constellation.genealogy.test_calibration import UNDECLARED, calibration_snapshot

FIXTURES = Path(__file__).parents[2] / "fixtures"


def proposals(rows: list[tuple[str, str, float]], rules: list[str] | None = None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source": [r[1] for r in rows],
            "target": [r[0] for r in rows],
            "relation": "quantized",
            "confidence": [r[2] for r in rows],
            "evidence": "",
            "rule": rules if rules is not None else "name match",
        }
    )


def calibrated_card_set() -> CardParentsSet:
    """calibration_snapshot (80 declared GGUFs to calibrate on, 5 that declare nothing) as a card set: the
    cards of the first three name the model whose name they copy, the fourth's another model; the fifth is
    a "no parent" row."""
    parents = ["org0/Base-0-7B", "org1/Base-1-7B", "org2/Base-2-7B", "other/Thing-3", None]
    truth = pd.DataFrame(
        {
            "child": [f"u/Base-{i}-7B-GGUF" for i in range(UNDECLARED)],
            "parent": parents,
            "label": ["card"] * 4 + ["unknown"],
        }
    )
    return CardParentsSet(calibration_snapshot(), truth)


def test_the_loader_reads_card_rows_and_hand_labels() -> None:
    truth = load_card_parents(FIXTURES)
    assert truth is not None
    assert truth["label"].value_counts().to_dict() == {
        "card": 6,
        "merge": 3,
        "source": 2,
        "unknown_annotated": 1,
        "unknown": 1,
    }
    roots = truth[truth["label"] == "source"]
    assert roots["parent"].isna().all() and sorted(roots["child"]) == ["01-ai/Yi-Coder-1.5B", "albert/albert-base-v2"]
    assert load_card_parents(FIXTURES / "nowhere") is None


def test_children_that_carry_their_parents_name() -> None:
    truth = load_card_parents(FIXTURES)
    assert truth is not None
    card = truth[truth["label"] == "card"]
    same = dict(zip(card["child"], shares_name(card)))
    assert same == {
        "saiffff/distilbert-imdb-sentiment": False,
        "lemon-mint/gemma-2b-translation-v0.140": False,
        "bartowski/gemma-2-9b-it-GGUF": True,
        "RichardErkhov/lemon-mint_-_gemma-2b-translation-v0.140-gguf": True,  # owner_-_name
        "RichardErkhov/Qwen_-_Qwen2-0.5B-Instruct-8bits": True,
        "RichardErkhov/Qwen_-_Qwen2-0.5B-4bits": True,
    }


def test_scores_on_the_excerpt() -> None:
    truth = load_card_parents(FIXTURES)
    assert truth is not None
    made = proposals(
        [
            ("bartowski/gemma-2-9b-it-GGUF", "google/gemma-2-9b-it", 0.9),  # right
            ("RichardErkhov/Qwen_-_Qwen2-0.5B-Instruct-8bits", "qwen/qwen2-0.5b-instruct", 0.9),  # right, any case
            ("RichardErkhov/Qwen_-_Qwen2-0.5B-4bits", "Qwen/Qwen2-0.5B-Instruct", 0.9),  # wrong
            ("lemon-mint/gemma-2b-translation-v0.140", "google/gemma-2b", 0.5),  # below the threshold
            ("albert/albert-base-v2", "google-bert/bert-base-uncased", 0.7),  # a root given a parent
            ("bunnycore/Cognitron-8B", "Weyaxi/Einstein-v6.1-Llama3-8B", 0.8),  # one of a merge's parents
        ]
    )
    result = score_card_parents(made, truth, threshold=0.6)
    assert result["same_name"] == {"children": 4, "proposals": 3, "correct": 2, "precision": 0.6667, "recall": 0.5}
    assert result["other_name"] == {
        "children": 2,
        "proposals": 0,
        "correct": 0,
        "precision": pytest.approx(float("nan"), nan_ok=True),
        "recall": 0.0,
    }
    assert result["card"]["precision"] == 0.6667 and result["card"]["recall"] == 0.3333
    assert result["negatives"] == {"children": 3, "with_edge": 1, "no_edge_share": 0.6667}
    assert result["annotated"] == {"children": 2, "proposals": 1, "correct": 1, "precision": 1.0, "recall": 0.5}
    assert result["by_rule"] == {"name match": {"proposals": 3, "correct": 2, "precision": 0.6667}}


def test_the_confidence_check_counts_every_proposal_for_a_card_child() -> None:
    truth = load_card_parents(FIXTURES)
    assert truth is not None
    made = proposals(
        [
            ("bartowski/gemma-2-9b-it-GGUF", "google/gemma-2-9b-it", 0.95),  # right
            ("RichardErkhov/Qwen_-_Qwen2-0.5B-Instruct-8bits", "Qwen/Qwen2-0.5B-Instruct", 0.91),  # right
            ("RichardErkhov/Qwen_-_Qwen2-0.5B-4bits", "Qwen/Qwen2-0.5B-Instruct", 1.0),  # wrong; 1.0 in the top band
            ("lemon-mint/gemma-2b-translation-v0.140", "google/gemma-1.1-2b-it", 0.3),  # right, below any threshold
            ("saiffff/distilbert-imdb-sentiment", "google-bert/bert-base-uncased", 0.35),  # wrong
            ("albert/albert-base-v2", "google-bert/bert-base-uncased", 0.7),  # a root: not a card child
        ],
        rules=["name match", "name match", "name match", "prefix match", "prefix match", "name match"],
    )
    check = confidence_check(made, truth)
    assert (check["proposals"], check["correct"], check["precision"]) == (5, 3, 0.6)
    # band 0.9: mean 0.9533, 2 of 3 right (0.2867 off); band 0.3: mean 0.325, 1 of 2 right (0.175 off)
    assert check["calibration_error"] == 0.2420
    assert check["calibration_error_floor"] == 0.167  # (3 × 0.0809 + 2 × 0.2962) / 5
    assert check["by_band"] == [
        {"band": 0.3, "proposals": 2, "correct": 1, "precision": 0.5, "mean_confidence": 0.325},
        {"band": 0.9, "proposals": 3, "correct": 2, "precision": 0.6667, "mean_confidence": 0.9533},
    ]
    assert check["by_rule"] == [
        {"rule": "name match", "proposals": 3, "correct": 2, "precision": 0.6667, "mean_confidence": 0.9533},
        {"rule": "prefix match", "proposals": 2, "correct": 1, "precision": 0.5, "mean_confidence": 0.325},
    ]
    empty = confidence_check(made.iloc[:0], truth)
    assert empty["proposals"] == 0 and empty["calibration_error"] is None and empty["by_band"] == []


def test_the_card_set_is_scored_as_the_build_writes_it() -> None:
    data = calibrated_card_set()
    result = evaluate_card_parents(data, threshold=0.98)
    # Calibrated on the 80 declared GGUFs (60 right): the five name matches get 0.9643, the threshold that
    # reaches 0.90 there; the build of the same snapshot writes exactly these edges.
    assert result["calibration"]["calibrated"] and result["threshold"] == 0.9643
    built = annotate(data.snapshot).edges
    assert sorted(built.loc[built["kind"] == "inferred", "target"]) == [f"u/Base-{i}-7B-GGUF" for i in range(5)]
    assert result["card"] == {"children": 4, "proposals": 4, "correct": 3, "precision": 0.75, "recall": 0.75}
    assert result["same_name"] == {"children": 3, "proposals": 3, "correct": 3, "precision": 1.0, "recall": 1.0}
    assert result["negatives"] == {"children": 1, "with_edge": 1, "no_edge_share": 0.0}
    assert result["confidence"]["calibration_error"] == 0.2143  # 0.9643 said, 0.75 right
    assert result["confidence"]["calibration_error_floor"] == 0.0617
    assert result["confidence"]["by_band"] == [
        {"band": 0.9, "proposals": 4, "correct": 3, "precision": 0.75, "mean_confidence": 0.9643}
    ]
    # The hand-set confidences (0.97) at the fixed threshold, 0.98, keep nothing.
    hand_set = result["hand_set"]
    assert hand_set["threshold"] == 0.98 and hand_set["card"]["proposals"] == 0
    assert hand_set["negatives"]["with_edge"] == 0
    assert hand_set["confidence"]["calibration_error"] == 0.22
    assert "hand_set" not in evaluate_card_parents(data, target_precision=None)


def test_inference_on_an_id_only_snapshot_of_the_excerpt(excerpt_card_set: CardParentsSet) -> None:
    snapshot, truth = excerpt_card_set.snapshot, excerpt_card_set.truth
    assert len(snapshot) == len(set(truth["child"]) | set(truth["parent"].dropna()))
    result = evaluate_card_parents(excerpt_card_set)
    # With ids alone (no downloads, no dates) the four quantisations are found by name; nothing is proposed
    # for the roots, and the fine-tunes named otherwise get nothing rather than a guess.
    assert (result["same_name"]["proposals"], result["same_name"]["correct"]) == (4, 4)
    assert result["negatives"]["with_edge"] == 0
    assert result["other_name"]["proposals"] == 0


def test_the_section_reports_targets(excerpt_card_set: CardParentsSet) -> None:
    from constellation.evaluate.report import card_parents_section
    from constellation.evaluate.sections import EvaluationInput

    snapshot = excerpt_card_set.snapshot
    assert card_parents_section(EvaluationInput(snapshot)) is None  # no card set given: no section
    section = card_parents_section(EvaluationInput(snapshot, card_parents=excerpt_card_set))
    assert section is not None and section.name == "card_parents"
    # Nothing declared to calibrate on: the build keeps the hand-set confidences and threshold.
    assert section.result["calibration"]["calibrated"] is False and section.result["threshold"] == 0.6
    assert section.result["targets"]["meets_same_name_precision"] is True
    assert section.result["targets"]["meets_negatives_no_edge"] is True
    assert section.result["hand_set"]["targets"]["meets_same_name_precision"] is True
    assert 'roots and "no parent" rows: 3, with an edge 0, no edge 1.000' in section.text


def test_the_section_prints_both_scorings_with_the_targets() -> None:
    from constellation.evaluate.report import card_parents_section
    from constellation.evaluate.sections import EvaluationInput

    data = calibrated_card_set()
    section = card_parents_section(EvaluationInput(data.snapshot, card_parents=data, threshold=0.98))
    assert section is not None
    targets = section.result["targets"]
    assert targets["meets_same_name_precision"] is True and targets["meets_negatives_no_edge"] is False
    assert targets["meets_calibration_error"] is False and targets["calibration_error"] == 0.03
    assert section.result["hand_set"]["targets"]["meets_negatives_no_edge"] is True
    text = section.text
    assert "── as the build ships it: calibrated confidences, threshold 0.964" in text
    assert "── hand-set confidences, threshold 0.980" in text
    assert "calibration error 0.214 (target ≤ 0.03; floor 0.062 from sampling noise alone)" in text
    assert "0.9–1.0         4       3     0.750           0.964" in text
    assert "same_name        3         3       3     1.000  1.000 precision ≥ 0.85" in text
    assert "calibration on the snapshot's own masked declarations: 60 of 80 proposals right" in text


@pytest.mark.shared_data
def test_targets_hold_on_the_real_card_set(shared_data: Path) -> None:
    from crawler.importer import load_reference_snapshots

    truth = load_card_parents(shared_data)
    assert truth is not None
    snapshot = card_parents_snapshot(load_reference_snapshots(shared_data), truth)
    result = evaluate_card_parents(CardParentsSet(snapshot, truth))
    # Issue 10's targets; docs/quality.md has the figures (calibrated: 0.923 and 0.987 at the build's seed;
    # hand-set at 0.6: 0.990 and 0.958, when written).
    for scoring in (result, result["hand_set"]):
        assert scoring["same_name"]["precision"] >= 0.85
        assert scoring["negatives"]["no_edge_share"] >= 0.9
