"""`constellation evaluate`: collect quality sections from pure functions and render them.

    EvaluationInput ─► each function in SECTIONS ─► Section(title, result dict, readable text) ─► report

A section is a function `(EvaluationInput) -> Section | None` (None: not applicable to this input). To add
one (e.g. atlas quality, issue 5), write the function and append it to SECTIONS; the CLI, the JSON output
and the printed report pick it up.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from constellation.errors import EvaluationError, NoDeclaredLineage
from constellation.evaluate.lineage import (
    DEFAULT_HIDE_SHARE,
    DEFAULT_SEED,
    LineageScores,
    evaluate_lineage,
    evaluate_lineage_on_synthetic,
    load_reference_snapshots,
)
from constellation.evaluate.params import evaluate_params_on_shared_data, evaluate_params_on_snapshot
from constellation.genealogy.inferred import DEFAULT_MIN_CONFIDENCE

# The targets of issue 4, shown beside the measured figures.
TARGET_LINEAGE_PRECISION = 0.85
TARGET_QUANTIZED_RECALL = 0.6


@dataclass(frozen=True)
class EvaluationInput:
    models: pd.DataFrame  # a snapshot frame (SNAPSHOT_SCHEMA columns)
    snapshot_id: str | None = None
    hide_share: float = DEFAULT_HIDE_SHARE
    seed: int = DEFAULT_SEED
    threshold: float = DEFAULT_MIN_CONFIDENCE
    shared_data: Path | None = None  # ../shared/data, for the sections that score on reference data
    synthetic: int = 0  # models of a synthetic Hub to score on as well (0: none)


@dataclass
class Section:
    name: str  # key in the JSON output
    title: str
    result: dict[str, Any]
    text: str  # readable tables


SectionFunction = Callable[[EvaluationInput], "Section | None"]


# --------------------------------------------------------------------------------------------------
# Rendering helpers
# --------------------------------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def table(frame: pd.DataFrame) -> str:
    """A plain fixed-width table (no index)."""
    if frame.empty:
        return "(no rows)"
    return frame.map(_fmt).to_string(index=False)


def _size_rows(result: dict[str, Any], prefix: str = "") -> list[dict[str, Any]]:
    """Flatten nested params-evaluation blocks (dicts holding precision and coverage) into table rows."""
    rows = []
    for key, value in result.items():
        if not isinstance(value, dict):
            continue
        label = f"{prefix}{key}"
        if "precision" in value and "coverage" in value:
            rows.append(
                {
                    "block": label,
                    **{k: value.get(k) for k in ("known", "stated", "parsed", "correct", "precision", "coverage")},
                    "meets targets": value.get("meets_targets"),
                }
            )
        else:
            rows.extend(_size_rows(value, f"{label} / "))
    return rows


def _lineage_text(scores: LineageScores) -> str:
    overall = scores.overall
    head = (
        f"children with a known answer: {scores.hidden} (findable: {scores.findable}); threshold {scores.threshold}\n"
        f"overall: {overall['proposals']} proposals, {overall['correct']} correct, precision "
        f"{_fmt(overall['precision'])} (target ≥ {TARGET_LINEAGE_PRECISION}), recall {_fmt(overall['recall'])}, "
        f"recall of findable {_fmt(overall['recall_findable'])}; relation agrees on "
        f"{_fmt(scores.relation_agreement)} of correct parents"
    )
    return (
        head
        + "\n\nby relation (precision by inferred relation, recall by true relation):\n"
        + table(scores.by_relation)
        + f"\n\nprecision-recall over confidence (target: recall_quantized ≥ {TARGET_QUANTIZED_RECALL}):\n"
        + table(scores.curve)
    )


def _lineage_result(scores: LineageScores) -> dict[str, Any]:
    quantized = scores.by_relation.set_index("relation").loc["quantized", "recall"]
    precision = scores.overall["precision"]
    return {
        **scores.as_dict(),
        "targets": {
            "precision": TARGET_LINEAGE_PRECISION,
            "recall_quantized": TARGET_QUANTIZED_RECALL,
            "meets_precision": None if math.isnan(precision) else bool(precision >= TARGET_LINEAGE_PRECISION),
            "meets_recall_quantized": None if math.isnan(quantized) else bool(quantized >= TARGET_QUANTIZED_RECALL),
        },
    }


# --------------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------------


def params_section(inp: EvaluationInput) -> Section | None:
    """params_from_name against the snapshot's own safetensors totals."""
    result = evaluate_params_on_snapshot(inp.models)
    rows = _size_rows({"snapshot": result})
    return Section("params", "Parameters from names, on this snapshot", result, table(pd.DataFrame(rows)))


def params_shared_section(inp: EvaluationInput) -> Section | None:
    """params_from_name against the true counts in ../shared/data."""
    if inp.shared_data is None:
        return None
    result = evaluate_params_on_shared_data(inp.shared_data)
    if result is None:
        return Section("params_shared_data", "Parameters from names, on shared data", {}, "(no shared data)")
    return Section(
        "params_shared_data",
        f"Parameters from names, on {inp.shared_data}",
        result,
        table(pd.DataFrame(_size_rows(result))),
    )


def lineage_section(inp: EvaluationInput) -> Section | None:
    """Inferred lineage against a hidden share of this snapshot's declared lineage."""
    title = f"Inferred lineage, {inp.hide_share:.0%} of declared lineage hidden (seed {inp.seed})"
    try:
        scores = evaluate_lineage(inp.models, inp.hide_share, inp.seed, inp.threshold)
    except NoDeclaredLineage as exc:
        return Section("lineage", title, {"skipped": str(exc)}, f"skipped: {exc}")
    return Section("lineage", title, _lineage_result(scores), _lineage_text(scores))


def lineage_shared_section(inp: EvaluationInput) -> Section | None:
    """The same lineage evaluation on each reference set of ../shared/data."""
    if inp.shared_data is None:
        return None
    results, texts = {}, []
    for name, snapshot in load_reference_snapshots(inp.shared_data).items():
        try:
            scores = evaluate_lineage(snapshot, inp.hide_share, inp.seed, inp.threshold)
        except NoDeclaredLineage as exc:  # one set without lineage must not sink the others
            results[name] = {"skipped": str(exc)}
            texts.append(f"── {name}: skipped: {exc}")
            continue
        results[name] = {"models": int(len(snapshot)), **_lineage_result(scores)}
        texts.append(f"── {name} ({len(snapshot):,} models)\n{_lineage_text(scores)}")
    return Section("lineage_shared_data", f"Inferred lineage on {inp.shared_data}", results, "\n\n".join(texts))


def lineage_synthetic_section(inp: EvaluationInput) -> Section | None:
    """Lineage on a synthetic Hub, whose generator also knows the parents of models that declare none."""
    if inp.synthetic <= 0:
        return None
    scores = evaluate_lineage_on_synthetic(inp.synthetic, inp.seed, inp.hide_share, inp.threshold)
    result = {
        "models": scores.models,
        "hidden_declared": _lineage_result(scores.hidden),
        "undeclared": _lineage_result(scores.undeclared),
    }
    text = (
        f"── hidden declared lineage\n{_lineage_text(scores.hidden)}\n\n"
        f"── models that declare nothing (true parents from the generator)\n{_lineage_text(scores.undeclared)}"
    )
    return Section(
        "lineage_synthetic",
        f"Inferred lineage on a SYNTHETIC Hub of {inp.synthetic:,} models (seed {inp.seed})",
        result,
        text,
    )


def _atlas_sections() -> list[SectionFunction]:
    """The atlas-quality sections (issue 5, constellation/evaluate/atlas.py)."""
    from constellation.evaluate.atlas import (
        atlas_quality_section,
        atlas_quality_shared_section,
        atlas_quality_synthetic_section,
    )

    return [atlas_quality_section, atlas_quality_shared_section, atlas_quality_synthetic_section]


# One line per section.
SECTIONS: list[SectionFunction] = [
    params_section,
    params_shared_section,
    lineage_section,
    lineage_shared_section,
    lineage_synthetic_section,
    *_atlas_sections(),
]


def evaluate(inp: EvaluationInput, sections: list[SectionFunction] | None = None) -> list[Section]:
    """Run every applicable section on the input."""
    if not 0 < inp.hide_share < 1:
        raise EvaluationError(f"--hide-share must be between 0 and 1 (exclusive); got {inp.hide_share}")
    out = []
    for function in sections if sections is not None else SECTIONS:
        section = function(inp)
        if section is not None:
            out.append(section)
    return out


def render(sections: list[Section]) -> str:
    """The readable report: one titled block per section."""
    blocks = []
    for section in sections:
        rule = "═" * len(section.title)
        blocks.append(f"{section.title}\n{rule}\n{section.text}")
    return "\n\n".join(blocks) + "\n"


def as_json(inp: EvaluationInput, sections: list[Section]) -> dict[str, Any]:
    return {
        "snapshot_id": inp.snapshot_id,
        "models": int(len(inp.models)),
        "hide_share": inp.hide_share,
        "seed": inp.seed,
        "threshold": inp.threshold,
        "shared_data": str(inp.shared_data) if inp.shared_data else None,
        "synthetic": inp.synthetic,
        **{s.name: s.result for s in sections},
    }
