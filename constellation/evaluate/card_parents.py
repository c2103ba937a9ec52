"""Inferred lineage on models that declare nothing: the parents their model cards name (Model Atlas set).

    snapshot (reference sets + id-only rows for the card set's children and parents)
      ─► declared_lineage ─► infer_lineage for every model without a declared parent (as the build does)
      ─► calibrate_lineage on the snapshot's own visible declarations (the build's defaults: target 0.90,
         fold plan, fallback) ─► calibrated confidences and threshold, what `constellation build` writes
      ─► score_card_parents against card_parents.csv (label `card`) and the hand-labelled rows
         (merge / source / unknown_annotated / unknown), once calibrated at the calibrated threshold and once
         with the hand-set confidences at the fixed threshold (`hand_set`)
      ─► confidence_check over every proposal made for a card child, above the threshold or not: does a
         confidence measured on the snapshot's declared children mean what it says on undeclared ones?

Figures (at a confidence threshold):
- `same_name`: children whose name key equals their card parent's (quantisations and re-uploads, about
  90 % of the set): precision of the proposals made for them, and recall;
- `card`: every card child: precision, recall;
- `negatives`: hand-labelled roots (`source`) and "no parent could be found" rows (`unknown`): the share
  that gets no edge, the right answer for them;
- `annotated`: hand-labelled children with a parent (`merge`, `unknown_annotated`): precision, recall.
- `confidence` (no threshold): calibration error and its floor, precision by 0.1 band of confidence and by rule.

A proposal is right when it names one of the child's true parents (Hub ids compared case-insensitively).
The snapshot and the truth are built by crawler.importer (`card_parents_snapshot`, `load_card_parents`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from constellation.evaluate.lineage import calibration_error, calibration_error_floor
from constellation.genealogy.calibration import DEFAULT_TARGET_PRECISION, calibrate_lineage, confidence_band
from constellation.genealogy.declared import declared_lineage
from constellation.genealogy.features import model_features
from constellation.genealogy.inferred import DEFAULT_MIN_CONFIDENCE, RuleConfidence, infer_lineage
from constellation.names import loose_key, name_key

NEGATIVE_LABELS = ("source", "unknown")
ANNOTATED_LABELS = ("merge", "unknown_annotated")


@dataclass(frozen=True)
class CardParentsSet:
    """The card set as frames: a snapshot to infer on and the truth (child, parent, label)."""

    snapshot: pd.DataFrame
    truth: pd.DataFrame


def _name_of(ids: pd.Series) -> pd.Series:
    return ids.astype(str).str.split("/").str[-1]


def shares_name(truth: pd.DataFrame) -> pd.Series:
    """Whether each (child, parent) row's child carries its parent's name: equal name keys, up to word order
    and packaging words (`loose_key`), or the parent's `owner-name` (RichardErkhov's `Qwen_-_Qwen2-0.5B-8bits`)."""
    parents = truth["parent"].fillna("").astype(str)
    child_key = name_key(_name_of(truth["child"])).fillna("")
    parent_key = name_key(_name_of(parents)).fillna("")
    owner_key = name_key(parents.str.replace("/", "-", regex=False)).fillna("")
    same = (child_key == parent_key) | (child_key == owner_key) | (loose_key(child_key) == loose_key(parent_key))
    return (truth["parent"].notna() & same & (child_key != "")).astype(bool)


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else float("nan")


def _true_pairs(truth: pd.DataFrame) -> set[tuple[str, str]]:
    """(child, parent) of every truth row with a parent, lower-cased."""
    with_parent = truth[truth["parent"].notna()]
    return set(zip(with_parent["child"].astype(str).str.lower(), with_parent["parent"].astype(str).str.lower()))


def score_card_parents(
    proposals: pd.DataFrame, truth: pd.DataFrame, threshold: float = DEFAULT_MIN_CONFIDENCE
) -> dict[str, Any]:
    """Score proposals (source, target, confidence, rule) against the card truth (child, parent, label)."""
    kept = proposals[proposals["confidence"] >= threshold]
    proposed = dict(zip(kept["target"].astype(str).str.lower(), kept["source"].astype(str).str.lower()))
    rule_of = dict(zip(kept["target"].astype(str).str.lower(), kept["rule"].astype(str)))
    true_pairs = _true_pairs(truth)
    truth = truth.assign(child_l=truth["child"].astype(str).str.lower(), same=shares_name(truth))

    def block(children: pd.Series) -> dict[str, Any]:
        children = children.drop_duplicates()
        made = [c for c in children if c in proposed]
        right = sum((c, proposed[c]) in true_pairs for c in made)
        return {
            "children": int(len(children)),
            "proposals": len(made),
            "correct": int(right),
            "precision": _ratio(right, len(made)),
            "recall": _ratio(right, len(children)),
        }

    card = truth[truth["label"] == "card"]
    negatives = truth.loc[truth["label"].isin(NEGATIVE_LABELS), "child_l"].drop_duplicates()
    with_edge = int(negatives.isin(proposed.keys()).sum())
    by_rule: dict[str, dict[str, int]] = {}
    for child in card["child_l"].drop_duplicates():
        if child in proposed:
            counts = by_rule.setdefault(rule_of[child], {"proposals": 0, "correct": 0})
            counts["proposals"] += 1
            counts["correct"] += int((child, proposed[child]) in true_pairs)
    return {
        "threshold": threshold,
        "same_name": block(card.loc[card["same"], "child_l"]),
        "other_name": block(card.loc[~card["same"], "child_l"]),
        "card": block(card["child_l"]),
        "negatives": {
            "children": int(len(negatives)),
            "with_edge": with_edge,
            "no_edge_share": _ratio(len(negatives) - with_edge, len(negatives)),
        },
        "annotated": block(truth.loc[truth["label"].isin(ANNOTATED_LABELS), "child_l"]),
        "by_rule": {
            rule: {**c, "precision": _ratio(c["correct"], c["proposals"])} for rule, c in sorted(by_rule.items())
        },
    }


def _groups(frame: pd.DataFrame, by: str) -> list[dict[str, Any]]:
    """proposals, correct, precision and mean confidence of each value of `by`."""
    per = frame.groupby(by, sort=True).agg(
        proposals=("correct", "size"), correct=("correct", "sum"), mean_confidence=("confidence", "mean")
    )
    return [
        {
            by: key,
            "proposals": int(row.proposals),
            "correct": int(row.correct),
            "precision": _ratio(int(row.correct), int(row.proposals)),
            "mean_confidence": round(float(row.mean_confidence), 4),
        }
        for key, row in zip(per.index.tolist(), per.itertuples())
    ]


def confidence_check(proposals: pd.DataFrame, truth: pd.DataFrame) -> dict[str, Any]:
    """Does each confidence mean what it says on the card children? Over every proposal (source, target,
    confidence, rule) made for a child labelled `card`, whatever its confidence: calibration error and its
    floor (evaluate.lineage), and precision by 0.1 band of confidence (the top band holds 1.0) and by rule."""
    card = truth[truth["label"] == "card"]
    children = set(card["child"].astype(str).str.lower())
    made = proposals[proposals["target"].astype(str).str.lower().isin(children)]
    true_pairs = _true_pairs(card)
    correct = np.array(
        [
            (t, s) in true_pairs
            for t, s in zip(made["target"].astype(str).str.lower(), made["source"].astype(str).str.lower())
        ],
        dtype=bool,
    )
    confidence = made["confidence"].to_numpy(dtype=float)
    scored = pd.DataFrame(
        {
            "band": confidence_band(confidence),
            "rule": made["rule"].astype(str).to_numpy(),
            "confidence": confidence,
            "correct": correct,
        }
    )
    return {
        "proposals": int(len(scored)),
        "correct": int(correct.sum()),
        "precision": _ratio(int(correct.sum()), len(scored)),
        "calibration_error": calibration_error(confidence, correct),
        "calibration_error_floor": calibration_error_floor(confidence),
        "by_band": _groups(scored, "band"),
        "by_rule": _groups(scored, "rule"),
    }


def evaluate_card_parents(
    data: CardParentsSet,
    threshold: float = DEFAULT_MIN_CONFIDENCE,
    rules: RuleConfidence | None = None,
    target_precision: float | None = DEFAULT_TARGET_PRECISION,
    calibration_seed: int = 0,
) -> dict[str, Any]:
    """Infer parents on the card set's snapshot and score the card children's, as `constellation build` of
    that snapshot would write them.

    With a `target_precision` (the build's default), confidences are calibrated on the snapshot's visible
    declarations as the build does (`calibration_seed`: its fold order, the build's `calibration_seed`), the
    top-level figures are at the calibrated threshold, and `hand_set` holds the same scoring with hand-set
    confidences at `threshold` (the build's fallback too). None scores hand-set only."""
    snapshot = data.snapshot.reset_index(drop=True)
    declared = declared_lineage(snapshot)
    needs = declared.columns["parent"].isna().to_numpy(dtype=bool)
    features = model_features(snapshot)  # computed once for the inference and every calibration fold
    proposals = infer_lineage(snapshot, needs, declared.edges, rules, features).proposals
    hand_set = {
        **score_card_parents(proposals, data.truth, threshold),
        "confidence": confidence_check(proposals, data.truth),
    }
    if target_precision is None:
        return hand_set
    calibration = calibrate_lineage(
        snapshot,
        declared.edges,
        ~needs,
        rules,
        target_precision=target_precision,
        seed=calibration_seed,
        fallback_threshold=threshold,
        features=features,
    )
    calibrated = calibration.apply(proposals)
    return {
        **score_card_parents(calibrated, data.truth, calibration.threshold),
        "confidence": confidence_check(calibrated, data.truth),
        "calibration": calibration.as_dict(),
        "hand_set": hand_set,
    }
