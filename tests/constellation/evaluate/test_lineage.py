"""Lineage evaluation: exact scores on hand-made inputs, hiding, the orchestrator and the CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from constellation.cli import main
from constellation.contract import SNAPSHOT_SCHEMA, DataLayout
from constellation.errors import EvaluationError, NoDeclaredLineage
from constellation.evaluate.lineage import (
    calibration_error_floor,
    evaluate_lineage,
    hide_lineage,
    score_proposals,
)
from constellation.evaluate.report import (
    SECTIONS,
    EvaluationInput,
    Section,
    evaluate,
    lineage_section,
    lineage_shared_section,
    params_section,
    render,
)
from crawler.importer import load_reference_snapshots
from crawler.records import snapshot_frame_from_records


def test_scores_on_a_hand_made_tiny_case() -> None:
    truth = pd.DataFrame(
        [
            ("q/c1-GGUF", "org/P1", "quantized"),
            ("q/c2-GGUF", "org/P1", "quantized"),
            ("u/c3", "Org/P2", "finetune"),
            ("u/c4", "org/P3", "adapter"),
            ("u/c5", "org/P1", "merge"),
            ("u/c5", "Org/P2", "merge"),
        ],
        columns=["child", "parent", "relation"],
    )
    proposals = pd.DataFrame(
        [
            ("org/P1", "q/c1-GGUF", "quantized", 0.9),  # right
            ("org/X", "q/c2-GGUF", "quantized", 0.7),  # wrong
            ("org/p2", "u/c3", "finetune", 0.65),  # right (ids compare case-insensitively)
            ("org/P2", "u/c5", "merge", 0.5),  # right, but below the threshold
            ("org/P1", "u/not-hidden", "finetune", 0.9),  # no known answer: not scored
        ],
        columns=["source", "target", "relation", "confidence"],
    )
    # org/X is the declared parent of org/P1: proposing it for c2 names c2's grandparent.
    scores = score_proposals(
        proposals, truth, threshold=0.6, thresholds=(0.5, 0.8, 0.95), primary_parent={"org/p1": "org/x"}
    )
    assert scores.hidden == 5
    assert scores.overall == {
        "proposals": 3,
        "correct": 2,
        "precision": 0.6667,
        "recall": 0.4,
        "recall_findable": 0.4,
        "precision_same_line": 1.0,
        "precision_relation": 0.6667,  # c1 and c3: parent and relation right
    }
    # Every scored proposal, one per 0.1 band: |0.9 − 1| + |0.7 − 0| + |0.65 − 1| + |0.5 − 1|, over 4.
    assert scores.calibration_error == 0.4125
    # One proposal per band: a perfectly calibrated scorer is off by 2p(1 − p) on average in each.
    assert scores.calibration_error_floor == pytest.approx(2 * (0.09 + 0.21 + 0.2275 + 0.25) / 4, abs=1e-4)
    by = scores.by_relation.set_index("relation")
    assert by.loc["quantized"].tolist() == [2, 2, 1, 0.5, 1, 0.5, 2, 0.5]
    assert by.loc["finetune"].tolist() == [1, 1, 1, 1.0, 1, 1.0, 1, 1.0]
    assert (
        by.loc["adapter", "hidden"] == 1
        and math.isnan(by.loc["adapter", "precision"])
        and by.loc["adapter", "recall"] == 0
    )
    assert by.loc["merge", "hidden"] == 1 and by.loc["merge", "recall"] == 0
    curve = scores.curve.set_index("threshold")
    assert curve.loc[0.5].tolist() == [4, 3, 0.75, 0.6, 0.5]
    assert curve.loc[0.8].tolist() == [1, 1, 1.0, 0.2, 0.5]
    assert curve.loc[0.95, "proposals"] == 0 and math.isnan(curve.loc[0.95, "precision"])
    assert scores.relation_agreement == 1.0
    assert scores.examples == [{"child": "q/c2-GGUF", "proposed": "org/X", "confidence": 0.7, "truth": ["org/P1"]}]


def test_findable_recall_counts_only_reachable_children() -> None:
    truth = pd.DataFrame(
        [("a/x-GGUF", "o/x", "quantized"), ("a/y-GGUF", "gone/y", "quantized")], columns=["child", "parent", "relation"]
    )
    proposals = pd.DataFrame(
        [("o/x", "a/x-GGUF", "quantized", 0.9)], columns=["source", "target", "relation", "confidence"]
    )
    scores = score_proposals(proposals, truth, 0.6, findable_children={"a/x-GGUF"})
    assert (scores.overall["recall"], scores.overall["recall_findable"], scores.findable) == (0.5, 1.0, 1)
    quantized = scores.by_relation.set_index("relation").loc["quantized"]
    assert (quantized["recall"], quantized["findable"], quantized["recall_findable"]) == (0.5, 1, 1.0)


def test_no_proposal_for_a_hidden_child_scores_as_nothing_found() -> None:
    # Inference's proposals hold the relation as an Arrow string; none of them is for a hidden child here.
    truth = pd.DataFrame([("a/x-GGUF", "o/x", "quantized")], columns=["child", "parent", "relation"])
    proposals = pd.DataFrame(
        {
            "source": ["o/y"],
            "target": ["a/y-GGUF"],
            "relation": pd.array(["quantized"], dtype="string[pyarrow]"),
            "confidence": [0.9],
        }
    )
    scores = score_proposals(proposals, truth, 0.6)
    assert (scores.overall["proposals"], scores.overall["recall"]) == (0, 0.0)
    assert math.isnan(scores.overall["precision_relation"])


def tiny_snapshot() -> pd.DataFrame:
    records = []
    for i, base in enumerate(["Alpha-7B", "Beta-13B", "Gamma-2B", "Delta-70B"]):
        records.append({"id": f"org{i}/{base}", "downloads": 1000, "created_at": "2024-01-01T00:00:00Z", "tags": []})
        records.append(
            {
                "id": f"quant/{base}-GGUF",
                "downloads": 10,
                "created_at": "2024-02-01T00:00:00Z",
                "tags": ["gguf", f"base_model:org{i}/{base}", f"base_model:quantized:org{i}/{base}"],
            }
        )
    return snapshot_frame_from_records(pd.DataFrame(records))


def test_hide_lineage_removes_base_models_and_their_tags() -> None:
    snapshot = tiny_snapshot()
    masked, truth = hide_lineage(snapshot, 0.5, seed=3)
    assert len(truth) == 2 and set(truth["relation"]) == {"quantized"}
    hidden = masked[masked["id"].isin(truth["child"])]
    assert hidden["base_models"].map(len).tolist() == [0, 0]
    assert hidden["tags"].map(list).tolist() == [["gguf"], ["gguf"]]
    # The others are untouched; the same seed hides the same models.
    assert masked["base_models"].map(len).sum() == 2
    assert hide_lineage(snapshot, 0.5, seed=3)[1].equals(truth)


def test_end_to_end_on_a_tiny_snapshot() -> None:
    scores = evaluate_lineage(tiny_snapshot(), hide_share=0.5, seed=3)
    assert scores.hidden == 2
    assert scores.overall == {
        "proposals": 2,
        "correct": 2,
        "precision": 1.0,
        "recall": 1.0,
        "recall_findable": 1.0,
        "precision_same_line": 1.0,
        "precision_relation": 1.0,
    }
    assert scores.by_relation.set_index("relation").loc["quantized", "recall"] == 1.0
    # Two visible declarations are too few to measure anything: hand-set confidences and threshold stay.
    assert scores.calibration is not None and scores.calibration["calibrated"] is False
    assert scores.threshold == 0.6 and scores.before is not None and scores.before["precision"] == 1.0


def test_bad_share_and_no_lineage_are_clear_errors() -> None:
    with pytest.raises(EvaluationError, match="between 0 and 1"):
        hide_lineage(tiny_snapshot(), 1.5, 0)
    plain = tiny_snapshot().assign(base_models=lambda f: [[] for _ in range(len(f))])
    with pytest.raises(NoDeclaredLineage):
        evaluate_lineage(plain)


def test_reference_records_declare_parents_as_a_crawl_reads_them() -> None:
    tags = ["base_model:a/b", "base_model:merge:a/b", "base_model:c/d", "license:mit", "base_model:adapter:e/f"]
    odd = ["base_model:x/self", "base_model:bogus:g/h", "base_model:not an id", "base_model:quantized:i/j"]
    frame = snapshot_frame_from_records(pd.DataFrame({"id": ["x/main", "x/self"], "tags": [tags, odd]}))
    # The relation tag names the relation of a parent also named plainly; tag order is kept.
    assert frame.loc[0, "base_models"] == [
        {"id": "a/b", "relation": "merge"},
        {"id": "c/d", "relation": None},
        {"id": "e/f", "relation": "adapter"},
    ]
    # A self-reference, an unknown relation and a malformed id are left out, as the crawler leaves them out.
    assert frame.loc[1, "base_models"] == [{"id": "i/j", "relation": "quantized"}]


def test_orchestrator_takes_one_more_section_with_one_line() -> None:
    def extra(inp: EvaluationInput) -> Section:
        return Section("extra", "An extra section", {"models": len(inp.models)}, "n = 8")

    sections = evaluate(EvaluationInput(tiny_snapshot(), hide_share=0.5, seed=3), [lineage_section, extra])
    assert [s.name for s in sections] == ["lineage", "extra"]
    assert lineage_section in SECTIONS and params_section in SECTIONS
    assert "An extra section\n════════════════\nn = 8" in render(sections)


def test_a_reference_set_without_lineage_is_skipped_not_fatal(tmp_path: Path) -> None:
    folder = tmp_path / "hf-top-downloads-2024-09"
    folder.mkdir()
    pd.DataFrame(
        {
            "modelId": ["a/one", "b/two"],
            "downloads": [10, 20],
            "lastModified": ["2024-09-01T00:00:00Z", "2024-09-02T00:00:00Z"],
            "pipeline_tag": ["text-generation", None],
            "tags": ["['license:mit']", "[]"],
        }
    ).to_csv(folder / "hf_models.csv", index=False)
    references = load_reference_snapshots(tmp_path)
    section = lineage_shared_section(EvaluationInput(tiny_snapshot(), shared_data=tmp_path, references=references))
    assert list(section.result) == ["hf-top-downloads-2024-09"]
    assert section.result["hf-top-downloads-2024-09"]["skipped"].startswith("the snapshot declares no lineage")
    assert section.text.startswith("── hf-top-downloads-2024-09: skipped: the snapshot declares no lineage")


def write_snapshot(root: Path, frame: pd.DataFrame, snapshot_id: str = "20260101T000000Z") -> None:
    layout = DataLayout(root)
    layout.snapshots.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.Table.from_pandas(frame, schema=SNAPSHOT_SCHEMA, preserve_index=False), layout.snapshot(snapshot_id)
    )
    layout.manifest(snapshot_id).write_text(json.dumps({"snapshot_id": snapshot_id, "synthetic": False}))


def test_cli_prints_tables_and_writes_json(tmp_path: Path) -> None:
    write_snapshot(tmp_path, tiny_snapshot())
    out = tmp_path / "q.json"
    result = CliRunner().invoke(
        main, ["evaluate", "--data-dir", str(tmp_path), "--hide-share", "0.5", "--seed", "3", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "snapshot 20260101T000000Z: 8 models" in result.output
    assert "precision-recall over confidence" in result.output
    payload = json.loads(out.read_text())
    assert payload["lineage"]["overall"]["precision"] == 1.0
    targets = payload["lineage"]["targets"]
    assert targets["meets_precision"] is True
    # issue 10's targets, each with whether it is met (None: not measurable on this snapshot)
    assert (targets["precision"], targets["recall"], targets["recall_quantized"]) == (0.90, 0.35, 0.70)
    assert {"meets_recall", "meets_precision_relation", "meets_calibration_error"} <= set(targets)
    assert "target ≥ 0.8)" in result.output
    assert (payload["hide_share"], payload["seed"]) == (0.5, 3)


def test_cli_user_mistakes_are_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["evaluate", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1 and "Error: no snapshot in" in result.output and "Traceback" not in result.output
    write_snapshot(tmp_path, tiny_snapshot())
    result = CliRunner().invoke(main, ["evaluate", "--data-dir", str(tmp_path), "--hide-share", "1"])
    assert result.exit_code == 2 and "--hide-share" in result.output


@pytest.mark.shared_data
def test_targets_hold_on_real_top_downloads(shared_data: Path) -> None:
    from crawler.importer import load_top_downloads

    # Seed 0 was used while designing the rules; this checks another split (docs/quality.md has all five).
    scores = evaluate_lineage(load_top_downloads(shared_data / "hf-top-downloads-2024-09" / "hf_models.csv"), seed=1)
    assert scores.overall["precision"] >= 0.85
    # Over all hidden quantised children recall hovers at the target (0.55-0.62 by seed), held down by
    # parents missing from a 9,715-model list; over those whose parent is known it is well above.
    assert scores.by_relation.set_index("relation").loc["quantized", "recall_findable"] >= 0.7


@pytest.mark.shared_data
def test_model_trees_edges_carry_the_relation_its_copies_declare(shared_data: Path) -> None:
    from crawler.importer import load_model_trees

    # Every child of hf-model-trees declares a fine-tune, format-marked copies included: learned from the
    # masked declarations, the relation is right for nearly every right parent (0.75 with the rules' alone).
    trees = load_model_trees(shared_data / "hf-model-trees" / "model_trees_metadata.jsonl.gz")
    scores = evaluate_lineage(trees, seed=1)
    assert scores.relation_agreement is not None and scores.relation_agreement >= 0.95
    assert scores.overall["precision_relation"] >= 0.85


def test_synthetic_hub_scores() -> None:
    pytest.importorskip("fakehub.synthetic")
    from constellation.demo import synthetic_snapshot
    from constellation.evaluate.lineage import evaluate_lineage_on_synthetic

    scores = evaluate_lineage_on_synthetic(synthetic_snapshot(3000, seed=1), seed=1)
    assert scores.models == 3000
    # The generator's quantisers keep the parent's name, so nearly all are found; finetunes are harder.
    quantized = scores.hidden.by_relation.set_index("relation").loc["quantized"]
    assert quantized["recall"] >= 0.8 and quantized["precision"] >= 0.9
    assert scores.undeclared.hidden > scores.hidden.hidden


def test_the_report_prints_the_calibration_table() -> None:
    from constellation.evaluate.report import calibration_text

    calibration = {
        "note": "60 of 80 proposals right for 80 masked children (10 folds); threshold 1.0 reaches precision 0.9",
        "table": [
            {"level": "rule", "rule": "name match", "band": None, "proposals": 80, "correct": 60,
             "precision": 0.75, "wilson_low": 0.6452, "used": True, "calibrated": 0.75},
            {"level": "evidence", "rule": "name match", "band": 0.8, "proposals": 20, "correct": 0,
             "precision": 0.0, "wilson_low": 0.0, "used": True, "calibrated": 0.25},
            {"level": "rule", "rule": "tag prior", "band": None, "proposals": 3, "correct": 2,
             "precision": 0.6667, "wilson_low": 0.2077, "used": False, "calibrated": None},
        ],
    }  # fmt: skip
    assert calibration_text(calibration).splitlines() == [
        "calibration on the snapshot's own masked declarations: 60 of 80 proposals right for 80 masked children "
        "(10 folds); threshold 1.0 reaches precision 0.9",
        "      rule hand-set confidence proposals correct precision wilson_low rule measured confidence given",
        "name match                 all        80      60     0.750      0.645           yes            0.750",
        "name match             0.8–0.9        20       0     0.000      0.000           yes            0.250",
        " tag prior                 all         3       2     0.667      0.208       too few                –",
    ]


def test_the_lineage_section_reports_calibration_before_and_after() -> None:
    from tests.constellation.genealogy.test_calibration import calibration_snapshot

    section = lineage_section(EvaluationInput(calibration_snapshot(), hide_share=0.3, seed=0))
    assert section is not None
    # The 56 visible declarations, masked 6 at a time, give 41 right name matches out of 56; in the 0.9 band
    # all 41 are right: (41 + 10 · 0.7321) / 51 = 0.9475 is the threshold, and 19 of the 24 hidden are kept.
    calibration = section.result["calibration"]
    assert (calibration["calibrated"], calibration["reached"], calibration["threshold"]) == (True, True, 0.9475)
    assert (calibration["proposals"], calibration["correct"], calibration["folds"]) == (56, 41, 10)
    assert {k: section.result["overall"][k] for k in ("proposals", "correct")} == {"proposals": 19, "correct": 19}
    before = section.result["before_calibration"]
    assert (before["threshold"], before["proposals"], before["correct"], before["calibration_error"]) == (
        0.6,
        24,
        19,
        0.2562,
    )
    assert "before calibration (hand-set confidences, threshold 0.6): 24 proposals, precision 0.792" in section.text
    assert "name match             0.9–1.0        41      41     1.000      0.914           yes            0.948" in (
        section.text
    )


def test_the_calibration_error_floor_is_the_expected_binomial_noise_per_band() -> None:
    # 4 proposals at 0.5: |k/4 − 0.5| over Binomial(4, 0.5) is (0.5 + 4·0.25 + 0 + 4·0.25 + 0.5) / 16.
    assert calibration_error_floor([0.5] * 4) == 0.1875
    # Certain proposals carry no noise; bands are weighted by their proposals.
    assert calibration_error_floor([1.0] * 4 + [0.5] * 4) == round(0.1875 / 2, 4)
    # The floor falls as the sample grows (about √(2p(1−p)/πn)).
    assert calibration_error_floor([0.8] * 400) < 0.02 < calibration_error_floor([0.8] * 40)
    assert calibration_error_floor([]) is None


def test_learned_relations_are_scored_and_printed() -> None:
    from constellation.evaluate.report import relations_text
    from tests.constellation.genealogy.test_calibration import calibration_snapshot

    # GGUFs that declare fine-tunes: the rule says "quantized", the masked declarations say otherwise.
    scores = evaluate_lineage(calibration_snapshot("finetune"), 0.3, 0)
    assert scores.overall["correct"] == 19 and scores.overall["precision_relation"] == scores.relation_agreement == 1.0
    assert scores.before is not None and scores.before["precision_relation"] == 0.0
    assert relations_text(scores.calibration["relations"]).splitlines()[2:] == [
        "relation of inferred edges: what the right parents of masked declared children declare, per relation the "
        "rules give and format class (drawn towards the level above; classes by rule only where they change it)",
        "   level  inferred format       rule right finetune adapter quantized merge share relation switched",
        "relation quantized    all        all    41       41       0         0     0 0.804 finetune      yes",
        "  format quantized   gguf        all    41       41       0         0     0 0.804 finetune      yes",
        "   class quantized   gguf name match    41       41       0         0     0 0.804 finetune      yes",
    ]
    assert relations_text([]) == ""
