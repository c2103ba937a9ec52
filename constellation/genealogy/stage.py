"""Genealogy stage of `constellation build`: parameter counts, declared and inferred lineage (issue 4).

    snapshot ─► lineage.declared_lineage ─► params.estimate_params(parent = primary declared parent)
             └► features.model_features (once: name keys and markers of every model, shared by the two below)
             └► calibration.calibrate_lineage (mask a sample of declared children, infer them back:
                   how often each kind of guess is right here, and which relation such children declare)
             └► inference.infer_lineage (models that declare no parent) ─► calibrated confidences,
                   threshold reaching the target precision, learned relations ─► models + edges + report

Declared and inferred edges stay separate kinds (`kind` = "declared" / "inferred") in the edge table, and
separate columns (`parent` / `inferred_parent`) in the model table.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from constellation.contract import EDGE_COLUMNS, PARAMS_COLUMNS, RELATIONS
from constellation.genealogy.calibration import (
    DEFAULT_MIN_SUPPORT,
    DEFAULT_SAMPLE,
    DEFAULT_TARGET_PRECISION,
    HAND_SET_NOTE,
    MEASURED_NOTE,
    calibrate_lineage,
)
from constellation.genealogy.declared import declared_lineage
from constellation.genealogy.features import model_features
from constellation.genealogy.inferred import DEFAULT_MIN_CONFIDENCE, RuleConfidence, infer_lineage
from constellation.genealogy.list_columns import ListColumns, list_columns
from constellation.genealogy.params import estimate_params


@dataclass(frozen=True)
class GenealogyConfig:
    """Every setting of the genealogy stage. Changing any of them changes the build fingerprint."""

    # Inferred proposals below it are not written to the atlas; with calibration on, only when the snapshot
    # has too few declarations to measure (else the calibrated threshold replaces it).
    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    rules: RuleConfidence = field(default_factory=RuleConfidence)  # hand-set confidence of each kind of evidence
    calibrate: bool = True  # measure each rule's precision on the snapshot's masked declarations (calibration.py)
    target_precision: float = DEFAULT_TARGET_PRECISION  # the calibrated threshold reaches this precision
    calibration_sample: int = DEFAULT_SAMPLE  # masked declared children at most (folds: calibration.fold_plan)
    calibration_min_support: int = DEFAULT_MIN_SUPPORT  # masked proposals a precision needs to be used
    calibration_seed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Genealogy:
    models: pd.DataFrame  # snapshot columns + genealogy columns (docs/data.md)
    edges: pd.DataFrame  # EDGE_COLUMNS; kind "declared" or "inferred"
    report: dict[str, Any] = field(default_factory=dict)


def _params(models: pd.DataFrame, parent: pd.Series, lists: ListColumns) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Parameter columns from constellation.genealogy.params, and a report of where the counts came from."""
    estimated = estimate_params(models, parent, lists)
    report = {
        "by_source": {str(k): int(v) for k, v in estimated["params_source"].value_counts().sort_index().items()},
        "flagged": int(estimated["params_flag"].notna().sum()),
    }
    out = estimated[list(PARAMS_COLUMNS)].copy()
    for column in ("params", "params_from_name", "active_params"):  # counts are int64, null when unknown
        out[column] = pd.to_numeric(out[column], errors="coerce").round().astype("Int64")
    return out, report


def _taken(column: pd.Series, at: np.ndarray, index: pd.Index) -> pd.Series:
    """The column's values at positions `at` (missing where -1), on `index`."""
    return pd.Series(pd.api.extensions.take(column.array, at, allow_fill=True), index=index)


def _edge_frame(
    source: pd.Series, target: pd.Series, kind: str, relation: pd.Series, confidence: Any, evidence: Any
) -> pd.DataFrame:
    # The "str" arrays a frame infers from the columns' Python strings (NaN where missing), given as such:
    # inferring them cost 0.25 s at 1M models. Without rows it infers object columns.
    text: dict[str, Any] = (
        {
            "source": source.astype("str").array,
            "target": target.astype("str").array,
            "kind": pd.array(np.full(len(source), kind, dtype=object), dtype="str"),
            "relation": relation.astype("str").array,
        }
        if len(source)
        else {
            "source": source.to_numpy(object),
            "target": target.to_numpy(object),
            "kind": kind,
            "relation": relation.to_numpy(object),
        }
    )
    return pd.DataFrame(
        {
            **text,
            "confidence": confidence,
            "weight": np.nan,
            "evidence": evidence,
        },
        columns=list(EDGE_COLUMNS),
    )


def annotate(snapshot: pd.DataFrame, config: GenealogyConfig | None = None) -> Genealogy:
    """Add parameter counts, declared lineage and inferred lineage to a snapshot frame."""
    config = config or GenealogyConfig()
    min_confidence = config.min_confidence
    # base_models and tags in Arrow once, for the three readers of each (declared, params, features).
    lists = list_columns(snapshot)
    declared = declared_lineage(snapshot, lists)
    models = snapshot.copy()
    for column in declared.columns:
        models[column] = declared.columns[column]

    params, params_report = _params(models, declared.columns["parent"], lists)
    for column in PARAMS_COLUMNS:
        models[column] = params[column].to_numpy()

    needs_parent = models["parent"].isna().to_numpy()
    # A model with declared parents that were all rejected as malformed still declares no usable parent.
    # Computed once: the inference and every calibration fold read the same per-model features.
    features = model_features(models, lists)
    del lists
    inferred = infer_lineage(models, needs_parent, declared.edges, config.rules, features)
    proposals = inferred.proposals
    calibration_report: dict[str, Any] = {"calibrated": False, "note": "calibration switched off"}
    if config.calibrate:
        calibration = calibrate_lineage(
            models,
            declared.edges,
            ~needs_parent,
            config.rules,
            target_precision=config.target_precision,
            sample=config.calibration_sample,
            min_support=config.calibration_min_support,
            seed=config.calibration_seed,
            fallback_threshold=config.min_confidence,
            features=features,
        )
        calibration_report = calibration.as_dict()
        min_confidence = calibration.threshold
        if calibration.calibrated:
            proposals = calibration.apply(proposals)
            note = np.where(proposals["measured"].to_numpy(dtype=bool), MEASURED_NOTE, HAND_SET_NOTE)
            proposals = proposals.assign(
                evidence=proposals["evidence"].astype(object) + proposals["relation_note"] + note
            )
    del features
    kept = proposals[proposals["confidence"] >= min_confidence]
    by_target = kept.set_index("target")
    # What `Series.map` does with a Series, with the ids looked up once for the three columns, not thrice
    # (0.3 s each at 1M). Targets are unique (one proposal per child); a repeated one raises, as map did.
    at = by_target.index.get_indexer(models["id"])
    models["inferred_parent"] = _taken(by_target["source"], at, models.index).astype("string")
    models["inferred_relation"] = _taken(by_target["relation"], at, models.index).astype("string")
    models["inferred_confidence"] = _taken(by_target["confidence"], at, models.index).astype("float64")

    declared_edges = _edge_frame(
        declared.edges["source"], declared.edges["target"], "declared", declared.edges["relation"], np.nan, None
    )
    inferred_edges = _edge_frame(
        kept["source"],
        kept["target"],
        "inferred",
        kept["relation"],
        kept["confidence"].to_numpy(),
        kept["evidence"].astype(object).to_numpy(),
    )
    edges = pd.concat([declared_edges, inferred_edges], ignore_index=True)
    edges["confidence"] = edges["confidence"].astype("float64")
    edges["weight"] = edges["weight"].astype("float64")
    edges["evidence"] = edges["evidence"].astype("string")

    report = {
        "declared": declared.report,
        "inferred": {
            **{k: v for k, v in inferred.report.items() if k != "by_relation"},
            "min_confidence": min_confidence,
            "calibration": calibration_report,
            "edges": int(len(kept)),
            "edges_by_relation": {r: int((kept["relation"] == r).sum()) for r in RELATIONS},
            "models_without_declared_parent": int(needs_parent.sum()),
        },
        "params": params_report,
    }
    return Genealogy(models=models, edges=edges, report=report)
