"""Calibration of inferred lineage on a snapshot's own masked declarations: exact counts on a built snapshot."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from constellation.evaluate.lineage import hide_lineage
from constellation.genealogy.calibration import (
    MEASURED_NOTE,
    RULE_PRIOR_WEIGHT,
    _table,
    calibrate_lineage,
    confidence_band,
    declared_relations,
    fold_plan,
    isotonic,
    mask_children,
    nearest_band_value,
    score_masked,
    threshold_for,
    wilson_lower_bound,
)
from constellation.genealogy.declared import declared_lineage
from constellation.genealogy.stage import GenealogyConfig, annotate
from crawler.records import snapshot_frame_from_records

RIGHT, WRONG, UNDECLARED = 60, 20, 5


def calibration_snapshot(relation: str = "quantized") -> pd.DataFrame:
    """60 GGUF repos that declare the model whose name they copy (inference gets them right, dates known:
    hand-set 0.9) under `relation`, 20 that declare another parent (inference names the namesake: wrong; no
    creation date: hand-set 0.85), and 5 GGUFs that declare nothing."""
    records = []
    for i in range(RIGHT + WRONG):
        base = f"org{i}/Base-{i}-7B"
        records.append({"id": base, "downloads": 1000, "created_at": "2024-01-01T00:00:00Z", "tags": []})
        parent = base if i < RIGHT else f"other/Thing-{i}"
        created = "2024-02-01T00:00:00Z" if i < RIGHT else None
        records.append(
            {
                "id": f"quant/Base-{i}-7B-GGUF",
                "downloads": 10,
                "created_at": created,
                "tags": ["gguf", f"base_model:{relation if i < RIGHT else 'quantized'}:{parent}"],
            }
        )
    for i in range(UNDECLARED):
        records.append(
            {"id": f"u/Base-{i}-7B-GGUF", "downloads": 5, "created_at": "2024-03-01T00:00:00Z", "tags": ["gguf"]}
        )
    return snapshot_frame_from_records(pd.DataFrame(records))


def _calibrate(snapshot: pd.DataFrame, **kwargs):
    declared = declared_lineage(snapshot)
    declares = declared.columns["parent"].notna().to_numpy()
    return calibrate_lineage(snapshot, declared.edges, declares, fallback_threshold=0.6, **kwargs)


def test_table_counts_each_rule_and_evidence_kind_exactly() -> None:
    calibration = _calibrate(calibration_snapshot(), min_support=20)
    assert calibration.calibrated and calibration.masked == 80 and calibration.folds == 10
    assert (calibration.proposals, calibration.correct) == (80, 60)
    table = calibration.table.astype(object).where(calibration.table.notna(), None)
    assert table.to_dict(orient="records") == [
        {"level": "rule", "rule": "name match", "band": None, "proposals": 80, "correct": 60, "precision": 0.75,
         "wilson_low": 0.6452, "used": True, "calibrated": 0.75},
        {"level": "evidence", "rule": "name match", "band": 0.9, "proposals": 60, "correct": 60, "precision": 1.0,
         "wilson_low": 0.9398, "used": True, "calibrated": 0.9643},
        {"level": "evidence", "rule": "name match", "band": 0.8, "proposals": 20, "correct": 0, "precision": 0.0,
         "wilson_low": 0.0, "used": True, "calibrated": 0.25},
    ]  # fmt: skip
    # A kind is drawn towards its rule by 10 pseudo-proposals: (60 + 10 · 0.75) / 70 and (0 + 7.5) / 30.
    # Wilson at 60/80: (0.75 + 1.96²/160 − 1.96·√(0.75·0.25/80 + 1.96²/25600)) / (1 + 1.96²/80) = 0.6452.
    # Everything at or above 0.9643 is right; adding the 0.25 kind brings precision down to 0.75.
    assert calibration.threshold == 0.9643 and calibration.reached
    assert _calibrate(calibration_snapshot(), min_support=20, target_precision=0.75).threshold == 0.25


def test_unseen_kinds_take_the_nearest_seen_kind_and_unseen_rules_keep_the_hand_set_value() -> None:
    calibration = _calibrate(calibration_snapshot(), min_support=50)  # the default: the 80 proposals are enough
    proposals = pd.DataFrame(
        {"rule": ["name match", "name match", "name match", "tag prior"], "confidence": [0.9, 0.85, 0.55, 0.7]}
    )
    confidence, measured = calibration.confidences(proposals)
    # Two measured kinds; no name match was made in the 0.5 band, whose nearest seen kind is the 0.8 band
    # (0.25, not the rule's 0.75: weaker evidence is no surer than the weakest measured); no tag prior was made.
    assert confidence.tolist() == [0.9643, 0.25, 0.25, 0.7] and measured.tolist() == [True, True, True, False]
    assert calibration.threshold == 0.9643
    few = _calibrate(calibration_snapshot(), min_support=81)
    assert not few.calibrated and few.threshold == 0.6 and "fewer than 81" in few.note
    assert few.confidences(proposals)[0].tolist() == [0.9, 0.85, 0.55, 0.7]


def test_confidences_equal_the_nearest_seen_band_of_each_proposal() -> None:
    """Each distinct (rule, band) is looked up once: every proposal gets what a lookup of its own gives."""
    calibration = _calibrate(calibration_snapshot(), min_support=50)
    rng = np.random.default_rng(1)
    proposals = pd.DataFrame(
        {
            "rule": rng.choice(["name match", "tag prior", "prefix match"], 500),
            "confidence": rng.choice([0.0, 0.3, 0.55, 0.6, 0.75, 0.8, 0.85, 0.9, 0.97, 1.0], 500),
        }
    )
    kinds = calibration.table[calibration.table["level"] == "evidence"]
    seen = list(zip(kinds["band"].astype(float), kinds["calibrated"].astype(float)))  # all of one rule
    expected = [
        nearest_band_value(seen, band) if rule == "name match" else raw
        for rule, raw, band in zip(proposals["rule"], proposals["confidence"], confidence_band(proposals["confidence"]))
    ]
    confidence, measured = calibration.confidences(proposals)
    assert confidence.tolist() == expected and measured.tolist() == (proposals["rule"] == "name match").tolist()


def test_threshold_is_the_lowest_confidence_reaching_the_target() -> None:
    confidence = np.array([0.95, 0.95, 0.8, 0.8, 0.8, 0.8, 0.5, 0.5])
    correct = np.array([True, True, True, True, True, False, False, False])
    # At ≥ 0.95: 2/2; at ≥ 0.8: 5/6 = 0.833; at ≥ 0.5: 5/8.
    assert threshold_for(confidence, correct, 0.9) == 0.95
    assert threshold_for(confidence, correct, 0.8) == 0.8
    assert threshold_for(confidence, correct, 0.6) == 0.5
    assert threshold_for(confidence[2:], correct[2:], 0.9) is None
    assert threshold_for(np.array([]), np.array([]), 0.9) is None


def test_rules_are_drawn_to_the_overall_precision_and_kinds_rise_with_their_band() -> None:
    # Rule A: 100 proposals, 90 right; rule B: 5, all right. Overall 95/105. B's 0.9 band: 1/5 right; its
    # 0.7 band: 4/4 right, out of order with the stronger band until isotonic regression pools them.
    rows = [("A", 0.9, True)] * 90 + [("A", 0.9, False)] * 10 + [("B", 0.7, True)] * 5
    scored = pd.DataFrame(rows, columns=["rule", "confidence", "correct"])
    table = _table(scored).set_index(["level", "rule"])
    overall = 95 / 105
    assert RULE_PRIOR_WEIGHT == 20
    assert table.loc[("rule", "A"), "calibrated"] == round((90 + 20 * overall) / 120, 4)
    b = (5 + 20 * overall) / 25  # 5 lucky proposals do not make a rule sure: 0.9238, not 1.0
    assert table.loc[("rule", "B"), "calibrated"] == round(b, 4)
    assert table["used"].all()
    scored = pd.DataFrame(
        [("B", 0.9, True)] + [("B", 0.9, False)] * 4 + [("B", 0.7, True)] * 4, columns=["rule", "confidence", "correct"]
    )
    table = _table(scored)
    kinds = table[table["level"] == "evidence"].set_index("band")["calibrated"]
    rule = (5 + 20 * 5 / 9) / 29
    strong, weak = (1 + 10 * rule) / 15, (4 + 10 * rule) / 14
    pooled = round((5 * strong + 4 * weak) / 9, 4)  # weighted by proposals
    assert kinds.to_dict() == {0.9: pooled, 0.7: pooled}


def test_isotonic_and_nearest_band() -> None:
    assert isotonic(np.array([0.5, 0.7, 0.6, 0.9]), np.array([1, 1, 3, 1])).round(3).tolist() == [
        0.5, 0.625, 0.625, 0.9
    ]  # fmt: skip
    assert isotonic(np.array([0.9, 0.1]), np.array([1.0, 1.0])).tolist() == [0.5, 0.5]
    assert isotonic(np.array([]), np.array([])).tolist() == []
    seen = [(0.9, 0.95), (0.6, 0.7)]
    assert nearest_band_value(seen, 0.8) == 0.95 and nearest_band_value(seen, 0.3) == 0.7
    assert nearest_band_value(seen, 0.75) == 0.7  # a tie goes to the weaker evidence


def test_helpers() -> None:
    assert confidence_band([0.97, 1.0, 0.9, 0.8999, 0.05]).tolist() == [0.9, 0.9, 0.9, 0.8, 0.0]
    assert wilson_lower_bound(np.array([60, 0, 0]), np.array([60, 20, 0])).round(4).tolist() == [0.9398, 0.0, 0.0]
    # Small snapshots get up to 10 folds of 10 %; large ones one fold, capped at the sample.
    assert fold_plan(1653, 9715) == (166, 10)
    assert fold_plan(44_274, 100_000) == (4428, 1)
    assert fold_plan(1_326_299, 3_000_000) == (50_000, 1)
    assert fold_plan(0, 10) == (0, 0)
    # A snapshot that declares little for its size: folds up to 2,000 masked children, within 1M model-rows.
    assert fold_plan(3401, 40_387) == (341, 6)  # the model-card snapshot: 2 folds by WORK_ROWS alone
    assert fold_plan(16_530, 100_000) == (1653, 2)
    assert fold_plan(5_000, 1_000_000) == (500, 1)  # the wider budget allows one pass at 1M
    assert fold_plan(300, 5_000) == (30, 10)  # all of them, and never more than 10 folds


def test_masking_drops_what_hiding_the_declarations_drops() -> None:
    snapshot = calibration_snapshot()
    masked, truth = hide_lineage(snapshot, 0.3, seed=1)
    edges = declared_lineage(snapshot).edges
    visible, dropped = mask_children(edges, pd.Index(truth["child"].unique()))
    pairs = lambda e: sorted(zip(e["source"], e["target"]))  # noqa: E731
    assert pairs(visible) == pairs(declared_lineage(masked).edges)
    assert pairs(dropped) == sorted(zip(truth["parent"], truth["child"]))


def test_annotate_writes_calibrated_edges_and_the_table() -> None:
    genealogy = annotate(calibration_snapshot(), GenealogyConfig(calibration_min_support=20))
    report = genealogy.report["inferred"]
    assert report["calibration"]["calibrated"] and report["min_confidence"] == 0.9643
    assert len(report["calibration"]["table"]) == 3
    inferred = genealogy.edges[genealogy.edges["kind"] == "inferred"]
    assert sorted(inferred["target"]) == [f"u/Base-{i}-7B-GGUF" for i in range(UNDECLARED)]
    assert inferred["confidence"].tolist() == [0.9643] * UNDECLARED
    assert inferred["evidence"].str.endswith(MEASURED_NOTE).all()
    assert set(inferred["relation"]) == {"quantized"} and report["edges_by_relation"]["quantized"] == UNDECLARED
    off = annotate(calibration_snapshot(), GenealogyConfig(calibrate=False)).report["inferred"]
    assert off["min_confidence"] == 0.6 and off["calibration"] == {
        "calibrated": False,
        "note": "calibration switched off",
    }


def test_edges_carry_the_relation_the_snapshot_declares_for_their_kind_with_the_same_confidence() -> None:
    # The same snapshot, but its GGUFs declare fine-tunes (as hf-model-trees' do): the 60 masked right
    # parents all say so, 60 / 70 of the relation level with the rule's prior, above two thirds.
    genealogy = annotate(calibration_snapshot("finetune"), GenealogyConfig(calibration_min_support=20))
    report = genealogy.report["inferred"]
    relations = report["calibration"]["relations"]
    assert [(r["level"], r["right"], r["finetune"], r["share"], r["relation"]) for r in relations] == [
        ("relation", 60, 60, round(60 / 70, 4), "finetune"),
        ("format", 60, 60, round(60 / 70, 4), "finetune"),
        ("class", 60, 60, round(60 / 70, 4), "finetune"),
    ]
    inferred = genealogy.edges[genealogy.edges["kind"] == "inferred"]
    assert inferred["relation"].tolist() == ["finetune"] * UNDECLARED
    assert report["min_confidence"] == 0.9643 and inferred["confidence"].tolist() == [0.9643] * UNDECLARED
    why = (
        "; relation finetune, not quantized: 60 of 60 right parents of gguf names by name match in this "
        "snapshot's masked declarations are declared finetune"
    )
    assert inferred["evidence"].str.endswith(why + MEASURED_NOTE).all()
    assert genealogy.models["inferred_relation"].dropna().tolist() == ["finetune"] * UNDECLARED
    assert report["edges_by_relation"]["finetune"] == UNDECLARED


def test_declared_relations_are_those_of_the_edges_right_proposals_name() -> None:
    proposals = pd.DataFrame({"target": ["A/x-GGUF", "b/y", "c/z"], "source": ["P/One", "p/two", "p/three"]})
    truth = pd.DataFrame(
        {
            "target": ["a/X-gguf", "b/y", "b/y"],
            "source": ["p/one", "p/two", "p/four"],
            "relation": ["quantized", None, "merge"],
        }
    )
    assert declared_relations(proposals, np.array([True, True, False]), truth).tolist() == ["quantized", None, None]


@pytest.mark.parametrize("field, value", [("target_precision", 0.0), ("calibration_sample", 0)])
def test_bad_calibration_settings_are_one_clear_error(field: str, value: float) -> None:
    from constellation.build import BuildConfig
    from constellation.errors import BuildError

    with pytest.raises(BuildError, match=field):
        BuildConfig(genealogy=GenealogyConfig(**{field: value})).validate()


def test_a_snapshot_without_declarations_keeps_the_hand_set_values() -> None:
    snapshot = calibration_snapshot()
    plain = snapshot.assign(base_models=[[] for _ in range(len(snapshot))], tags=[["gguf"]] * len(snapshot))
    calibration = _calibrate(plain)
    assert (calibration.calibrated, calibration.masked, calibration.folds, calibration.threshold) == (False, 0, 0, 0.6)
    assert calibration.table.empty and list(calibration.table.columns)[-1] == "calibrated"
    assert calibration.as_dict()["table"] == [] and calibration.as_dict()["relations"] == []
    proposals = pd.DataFrame(
        {"target": ["u/Base-0-7B-GGUF"], "source": ["org0/Base-0-7B"], "rule": ["name match"],
         "relation": ["quantized"], "confidence": [0.9]}
    )  # fmt: skip
    applied = calibration.apply(proposals)
    assert applied[["relation", "confidence", "relation_note"]].to_numpy().tolist() == [["quantized", 0.9, ""]]


def _scored_in_python(proposals: pd.DataFrame, truth: pd.DataFrame) -> list[bool]:
    right = {(t.lower(), s.lower()) for t, s in zip(truth["target"], truth["source"])}
    return [(t.lower(), s.lower()) in right for t, s in zip(proposals["target"], proposals["source"])]


@pytest.mark.parametrize("dtype", [object, "string"])
def test_masked_proposals_are_scored_case_insensitively_in_arrow_and_python_alike(dtype) -> None:
    truth = pd.DataFrame({"target": ["Org/Child", "o/c2", "o/c2"], "source": ["Base/M", "x/p", "y/q"]}, dtype=dtype)
    proposals = pd.DataFrame(
        {"target": ["org/child", "o/c2", "o/c2", "o/c3", "Org/Child"], "source": ["BASE/m", "y/Q", "z/r", "x/p", "x"]},
        dtype=dtype,
    )
    assert score_masked(proposals, truth).tolist() == _scored_in_python(proposals, truth)
    assert score_masked(proposals, truth).tolist() == [True, True, False, False, False]
    # Outside ASCII, Python's lower-casing (pandas' on objects) decides, as before.
    other = proposals.assign(target=pd.Series(["İx/a", "o/c2", "o/c2", "o/c3", "Org/Child"], dtype=dtype))
    assert score_masked(other, truth.assign(target=pd.Series(["İx/a", "o/c2", "o/c2"], dtype=dtype))).tolist()[0]


def test_masking_keeps_the_edges_of_other_children_in_order() -> None:
    edges = pd.DataFrame({"source": ["p1", "p2", "p3", "p4"], "target": ["a/x", "b/y", "a/x", "A/X"]})
    visible, dropped = mask_children(edges, pd.Index(["a/x", "zz/none"]))
    assert visible["target"].tolist() == ["b/y", "A/X"] and dropped["source"].tolist() == ["p1", "p3"]
    assert visible.index.tolist() == [1, 3]
