"""The model-card parents scorer (evaluate/card_parents.py) on a real excerpt, with hand-made proposals."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from constellation.evaluate.card_parents import CardParentsSet, evaluate_card_parents, score_card_parents, shares_name
from crawler.importer import card_parents_snapshot, load_card_parents

FIXTURES = Path(__file__).parents[2] / "fixtures"


def proposals(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source": [r[1] for r in rows],
            "target": [r[0] for r in rows],
            "relation": "quantized",
            "confidence": [r[2] for r in rows],
            "evidence": "",
            "rule": "name match",
        }
    )


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


def test_inference_on_an_id_only_snapshot_of_the_excerpt() -> None:
    truth = load_card_parents(FIXTURES)
    assert truth is not None
    snapshot = card_parents_snapshot({}, truth)
    assert len(snapshot) == len(set(truth["child"]) | set(truth["parent"].dropna()))
    result = evaluate_card_parents(CardParentsSet(snapshot, truth))
    # With ids alone (no downloads, no dates) the four quantisations are found by name; nothing is proposed
    # for the roots, and the fine-tunes named otherwise get nothing rather than a guess.
    assert (result["same_name"]["proposals"], result["same_name"]["correct"]) == (4, 4)
    assert result["negatives"]["with_edge"] == 0
    assert result["other_name"]["proposals"] == 0


def test_the_section_reports_targets() -> None:
    from constellation.evaluate.report import card_parents_section
    from constellation.evaluate.sections import EvaluationInput

    truth = load_card_parents(FIXTURES)
    assert truth is not None
    snapshot = card_parents_snapshot({}, truth)
    assert card_parents_section(EvaluationInput(snapshot)) is None  # no card set given: no section
    section = card_parents_section(EvaluationInput(snapshot, card_parents=CardParentsSet(snapshot, truth)))
    assert section is not None and section.name == "card_parents"
    assert section.result["targets"]["meets_same_name_precision"] is True
    assert section.result["targets"]["meets_negatives_no_edge"] is True
    assert 'roots and "no parent" rows: 3, with an edge 0, no edge 1.000' in section.text


@pytest.mark.shared_data
def test_targets_hold_on_the_real_card_set(shared_data: Path) -> None:
    from crawler.importer import load_reference_snapshots

    truth = load_card_parents(shared_data)
    assert truth is not None
    snapshot = card_parents_snapshot(load_reference_snapshots(shared_data), truth)
    result = evaluate_card_parents(CardParentsSet(snapshot, truth))
    # Issue 10's targets; docs/quality.md has the figures (0.990 and 0.958 when written).
    assert result["same_name"]["precision"] >= 0.85
    assert result["negatives"]["no_edge_share"] >= 0.9
