"""How right is inferred lineage? Hide declared lineage, infer it back, score against the hidden truth.

    snapshot ─► hide_lineage (seeded share of models with declared parents: base_models and base_model tags)
             ─► declared_lineage + infer_lineage on what is left
             ─► score_proposals against the hidden parents: precision / recall by relation, PR curve,
                 calibration error (does a confidence of 0.8 mean 8 in 10 right?) and its floor (what a
                 perfectly calibrated scorer would show from sampling noise at this number of proposals)
             ─► the same after calibration (genealogy.calibration: each rule's precision measured on the
                 masked snapshot's *visible* declarations, so the hidden answers play no part in it)

A proposal is correct when its parent is one of the child's hidden declared parents (Hub ids compare
case-insensitively). Precision is over proposals made for hidden children; recall is over hidden children.
Recall is also given over the "findable" children, whose true parent is in the snapshot or declared by a
same-name sibling, since no name rule can propose a parent that appears nowhere.

It takes frames: the reference sets of ../shared/data are read by crawler.importer.load_reference_snapshots,
the synthetic Hub is made by constellation.demo.synthetic_snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binom

from constellation.contract import RELATIONS
from constellation.errors import EvaluationError, NoDeclaredLineage
from constellation.genealogy.calibration import DEFAULT_TARGET_PRECISION, calibrate_lineage
from constellation.genealogy.declared import declared_lineage
from constellation.genealogy.inferred import DEFAULT_MIN_CONFIDENCE, RuleConfidence, infer_lineage

DEFAULT_HIDE_SHARE = 0.3
DEFAULT_SEED = 0
THRESHOLDS: tuple[float, ...] = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95)


@dataclass
class LineageScores:
    """Scores of inferred lineage against hidden declared lineage."""

    hidden: int  # children whose lineage was hidden
    findable: int  # of those, children whose true parent some rule could name
    threshold: float
    overall: dict[str, float | int]  # proposals, correct, precision, recall, recall_findable
    by_relation: pd.DataFrame  # relation, hidden, proposed, correct_proposed, precision, recalled, recall,
    #                            findable, recall_findable
    curve: pd.DataFrame  # threshold, proposals, correct, precision, recall, recall_quantized
    relation_agreement: float | None  # among correct parents, share whose inferred relation matches
    examples: list[dict[str, Any]] = field(default_factory=list)  # a few wrong proposals, for reading
    calibration_error: float | None = None  # weighted over 0.1 bands of confidence (calibration_error)
    calibration_error_floor: float | None = None  # what sampling noise alone gives (calibration_error_floor)
    calibration: dict[str, Any] | None = None  # the calibration table these confidences come from
    before: dict[str, Any] | None = None  # the same proposals with hand-set confidences and threshold

    def as_dict(self) -> dict[str, Any]:
        return {
            "calibration_error": self.calibration_error,
            "calibration_error_floor": self.calibration_error_floor,
            "calibration": self.calibration,
            "before_calibration": self.before,
            "hidden": self.hidden,
            "findable": self.findable,
            "threshold": self.threshold,
            "overall": self.overall,
            "by_relation": self.by_relation.to_dict(orient="records"),
            "curve": self.curve.to_dict(orient="records"),
            "relation_agreement": self.relation_agreement,
            "wrong_examples": self.examples,
        }


# --------------------------------------------------------------------------------------------------
# Hiding
# --------------------------------------------------------------------------------------------------


def _has_entries(value: Any) -> bool:
    return value is not None and not isinstance(value, (float, str)) and len(value) > 0


def hide_lineage(snapshot: pd.DataFrame, share: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A copy of the snapshot with the declared lineage of a seeded `share` of the models that declare some
    removed (base_models emptied, `base_model:` tags dropped), and the hidden truth (child, parent, relation)."""
    if not 0 < share < 1:
        raise EvaluationError(f"--hide-share must be between 0 and 1 (exclusive); got {share}")
    declared = snapshot["base_models"].map(_has_entries).to_numpy(dtype=bool)
    candidates = np.flatnonzero(declared)
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(candidates, size=int(round(share * len(candidates))), replace=False))
    hidden = snapshot.iloc[chosen]
    truth_rows = [
        (child, entry.get("id"), entry.get("relation"))
        for child, entries in zip(hidden["id"], hidden["base_models"])
        for entry in entries
        if isinstance(entry, dict) and isinstance(entry.get("id"), str)
    ]
    truth = pd.DataFrame(truth_rows, columns=["child", "parent", "relation"])
    out = snapshot.copy()
    position = out.index[chosen]
    out.loc[position, "base_models"] = pd.Series([[] for _ in chosen], index=position, dtype=object)
    if "tags" in out:
        out.loc[position, "tags"] = pd.Series(
            [
                [t for t in (tags if tags is not None else []) if not str(t).startswith("base_model:")]
                for tags in out.loc[position, "tags"]
            ],
            index=position,
            dtype=object,
        )
    return out, truth


# --------------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------------


def calibration_error(confidence: np.ndarray, correct: np.ndarray, band: float = 0.1) -> float | None:
    """|mean confidence − precision| in each `band`-wide band of confidence, weighted by its proposals
    (the expected calibration error); None without proposals. Confidence 1.0 falls in the top band."""
    conf = np.asarray(confidence, dtype=float)
    if len(conf) == 0:
        return None
    bins = np.minimum(np.floor(np.round(conf / band, 6)), round(1 / band) - 1).astype(int)
    frame = pd.DataFrame({"bin": bins, "conf": conf, "ok": np.asarray(correct, dtype=float)})
    per = frame.groupby("bin").agg(n=("ok", "size"), conf=("conf", "mean"), ok=("ok", "mean"))
    return round(float((per["n"] * (per["conf"] - per["ok"]).abs()).sum() / per["n"].sum()), 4)


def calibration_error_floor(confidence: np.ndarray, band: float = 0.1) -> float | None:
    """The calibration error a perfectly calibrated scorer would still show on this many proposals: in each
    `band`-wide band of n proposals of mean confidence p, the expected |precision − p| when the number right
    is Binomial(n, p), weighted by proposals as `calibration_error` is. None without proposals.

    At a few hundred proposals the measured error cannot be read much below this: sampling noise alone puts
    it there (4 proposals at 0.5 are off by 0.19 on average, 400 by 0.02)."""
    conf = np.asarray(confidence, dtype=float)
    if len(conf) == 0:
        return None
    bins = np.minimum(np.floor(np.round(conf / band, 6)), round(1 / band) - 1).astype(int)
    per = pd.DataFrame({"bin": bins, "conf": conf}).groupby("bin")["conf"].agg(["size", "mean"])
    total = 0.0
    for n, p in zip(per["size"].to_numpy(dtype=int).tolist(), per["mean"].to_numpy(dtype=float).tolist()):
        k = np.arange(n + 1)
        total += n * float((binom.pmf(k, n, min(max(p, 0.0), 1.0)) * np.abs(k / n - p)).sum())
    return round(total / len(conf), 4)


def _primary_truth_relation(truth: pd.DataFrame) -> pd.Series:
    """One relation per hidden child: its declared relation, a merge if any parent is merged, finetune if none."""
    rel = truth["relation"].fillna("finetune")
    rel = rel.where(rel.isin(RELATIONS), "finetune")
    merge = truth.assign(rel=rel).groupby("child")["rel"].agg(lambda s: "merge" if (s == "merge").any() else s.iloc[0])
    return merge


def score_proposals(
    proposals: pd.DataFrame,
    truth: pd.DataFrame,
    threshold: float = DEFAULT_MIN_CONFIDENCE,
    findable_children: set[str] | None = None,
    thresholds: tuple[float, ...] = THRESHOLDS,
    primary_parent: dict[str, str] | None = None,
) -> LineageScores:
    """Score proposals (source, target, relation, confidence) against the hidden truth (child, parent, relation).

    Only proposals whose target is a hidden child are scored: the others have no known answer.
    """
    truth = truth.dropna(subset=["parent"])
    child_relation = _primary_truth_relation(truth) if len(truth) else pd.Series(dtype=object)
    hidden_children = child_relation.index
    true_pairs = set(zip(truth["child"].str.lower(), truth["parent"].str.lower()))
    scored = proposals[proposals["target"].isin(hidden_children)].copy()
    # bool even when nothing is scored: an empty list would make a float column, which `&` with the relation
    # test (an Arrow bool column) refuses
    scored["correct"] = np.array(
        [
            (t.lower(), s.lower()) in true_pairs
            for t, s in zip(scored["target"].astype(str), scored["source"].astype(str))
        ],
        dtype=bool,
    )
    scored["true_relation"] = scored["target"].map(child_relation)
    scored["same_line"] = scored["correct"] | _on_the_same_line(scored, truth, primary_parent or {})
    findable = findable_children if findable_children is not None else set(hidden_children)
    n_hidden = len(hidden_children)
    n_findable = len(findable & set(hidden_children))

    def at(th: float) -> pd.DataFrame:
        return scored[scored["confidence"] >= th]

    def ratio(a: float, b: float) -> float:
        return round(a / b, 4) if b else float("nan")

    kept = at(threshold)
    correct = int(kept["correct"].sum())
    overall = {
        "proposals": int(len(kept)),
        "correct": correct,
        "precision": ratio(correct, len(kept)),
        "recall": ratio(correct, n_hidden),
        "recall_findable": ratio(int(kept.loc[kept["target"].isin(findable), "correct"].sum()), n_findable),
        "precision_same_line": ratio(int(kept["same_line"].sum()), len(kept)),
        # the parent and the relation both right
        "precision_relation": ratio(
            int((kept["correct"] & (kept["relation"] == kept["true_relation"])).sum()), len(kept)
        ),
    }
    rows = []
    for relation in RELATIONS:
        proposed = kept[kept["relation"] == relation]
        of_relation = kept[kept["true_relation"] == relation]
        n_rel = int((child_relation == relation).sum())
        recalled = int(of_relation["correct"].sum())
        findable_rel = child_relation.index[(child_relation == relation).to_numpy()].intersection(list(findable))
        rows.append(
            {
                "relation": relation,
                "hidden": n_rel,
                "proposed": int(len(proposed)),
                "correct_proposed": int(proposed["correct"].sum()),
                "precision": ratio(int(proposed["correct"].sum()), len(proposed)),
                "recalled": recalled,
                "recall": ratio(recalled, n_rel),
                "findable": int(len(findable_rel)),
                "recall_findable": ratio(
                    int(of_relation.loc[of_relation["target"].isin(findable_rel), "correct"].sum()), len(findable_rel)
                ),
            }
        )
    n_quant = int((child_relation == "quantized").sum())
    points = []
    for th in thresholds:
        above = at(th)
        right_above = int(above["correct"].sum())
        points.append(
            {
                "threshold": th,
                "proposals": int(len(above)),
                "correct": right_above,
                "precision": ratio(right_above, len(above)),
                "recall": ratio(right_above, n_hidden),
                "recall_quantized": ratio(
                    int(above.loc[above["true_relation"] == "quantized", "correct"].sum()), n_quant
                ),
            }
        )
    curve = pd.DataFrame(points)
    right = kept[kept["correct"]]
    agreement = ratio(int((right["relation"] == right["true_relation"]).sum()), len(right)) if len(right) else None
    wrong = kept[~kept["correct"]].head(10)
    examples = [
        {
            "child": str(r.target),
            "proposed": str(r.source),
            "confidence": float(r.confidence),
            "truth": sorted(truth.loc[truth["child"] == r.target, "parent"].astype(str).tolist()),
        }
        for r in wrong.itertuples()
    ]
    return LineageScores(
        hidden=n_hidden,
        findable=n_findable,
        threshold=threshold,
        overall=overall,
        by_relation=pd.DataFrame(rows),
        curve=curve,
        relation_agreement=agreement,
        examples=examples,
        calibration_error=calibration_error(scored["confidence"].to_numpy(dtype=float), scored["correct"].to_numpy()),
        calibration_error_floor=calibration_error_floor(scored["confidence"].to_numpy(dtype=float)),
    )


def _summary(scores: LineageScores) -> dict[str, Any]:
    """The headline figures of a scoring, for the before/after comparison."""
    quantized = scores.by_relation.set_index("relation").loc["quantized", "recall"]
    return {
        "threshold": scores.threshold,
        **scores.overall,
        "recall_quantized": float(quantized),
        "calibration_error": scores.calibration_error,
        "calibration_error_floor": scores.calibration_error_floor,
    }


def _line(node: str, primary_parent: dict[str, str]) -> list[str]:
    """The ancestors of a node along primary parents, nearest first."""
    out: list[str] = []
    for _ in range(32):  # depth is bounded; the guard only protects against a bad map
        node = primary_parent.get(node)  # type: ignore[assignment]
        if node is None:
            break
        out.append(node)
    return out


def _on_the_same_line(scored: pd.DataFrame, truth: pd.DataFrame, primary_parent: dict[str, str]) -> np.ndarray:
    """Whether each proposal names a model on the child's declared line: an ancestor of a true parent (a
    grandparent), or a descendant of one (a GGUF declaring the base model while its name, and our proposal,
    names the fine-tune between them). Uses the primary parents of the full declared lineage (lower-cased)."""
    parents_of = truth.assign(parent=truth["parent"].str.lower()).groupby("child")["parent"].agg(set).to_dict()
    out = np.zeros(len(scored), dtype=bool)
    for i, (child, proposed) in enumerate(
        zip(scored["target"].tolist(), scored["source"].astype(str).str.lower().tolist())
    ):
        parents = parents_of.get(child, set())
        if parents.intersection(_line(proposed, primary_parent)) or any(
            proposed in _line(p, primary_parent) for p in parents
        ):
            out[i] = True
    return out


def _primary_parents(snapshot: pd.DataFrame, parent: pd.Series) -> dict[str, str]:
    """Lower-cased id → lower-cased primary declared parent, for the models that have one."""
    has = parent.notna()
    return dict(zip(snapshot["id"].str.lower()[has], parent[has].str.lower()))


def _findable(snapshot: pd.DataFrame, truth: pd.DataFrame, visible_edges: pd.DataFrame) -> set[str]:
    """Hidden children whose true parent is in the snapshot or declared by some visible model."""
    known = set(snapshot["id"].str.lower()) | set(visible_edges["source"].str.lower())
    hit = truth["parent"].str.lower().isin(known)
    return set(truth.loc[hit, "child"])


def evaluate_lineage(
    snapshot: pd.DataFrame,
    hide_share: float = DEFAULT_HIDE_SHARE,
    seed: int = DEFAULT_SEED,
    threshold: float = DEFAULT_MIN_CONFIDENCE,
    rules: RuleConfidence | None = None,
    target_precision: float | None = DEFAULT_TARGET_PRECISION,
) -> LineageScores:
    """Hide a seeded share of declared lineage, infer it back and score it.

    With a `target_precision` (the build's default), the confidences are calibrated on the visible
    declarations as `constellation build` does, the returned scores are at the calibrated threshold, and
    `before` holds the figures with hand-set confidences at `threshold`. None scores hand-set only."""
    if len(snapshot) == 0 or not snapshot["base_models"].map(_has_entries).any():
        raise NoDeclaredLineage("the snapshot declares no lineage, so there is nothing to hide and infer back")
    snapshot = snapshot.reset_index(drop=True)
    primary_parent = _primary_parents(snapshot, declared_lineage(snapshot).columns["parent"])
    masked, truth = hide_lineage(snapshot, hide_share, seed)
    declared = declared_lineage(masked)
    needs = declared.columns["parent"].isna().to_numpy()
    inferred = infer_lineage(masked, needs, declared.edges, rules)
    findable = _findable(masked, truth, declared.edges)
    before = score_proposals(inferred.proposals, truth, threshold, findable, primary_parent=primary_parent)
    if target_precision is None:
        return before
    calibration = calibrate_lineage(
        masked, declared.edges, ~needs, rules, target_precision=target_precision, fallback_threshold=threshold
    )
    after = score_proposals(
        calibration.apply(inferred.proposals), truth, calibration.threshold, findable, primary_parent=primary_parent
    )
    after.calibration = calibration.as_dict()
    after.before = _summary(before)
    return after


# --------------------------------------------------------------------------------------------------
# The synthetic Hub: its generator knows the true parents of models that declare none
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyntheticSnapshot:
    """A synthetic Hub as a snapshot frame, with the lineage truth only its generator knows
    (constellation.demo.synthetic_snapshot makes one)."""

    models: int  # models asked of the generator
    frame: pd.DataFrame  # snapshot columns, parsed by the crawler's own record parser
    truth: pd.DataFrame  # child, parent, relation, declared: every true edge, declared or not


@dataclass
class SyntheticScores:
    models: int
    hidden: LineageScores  # hidden declared lineage, as on any snapshot
    undeclared: LineageScores  # every inferred edge against the true parents of models that declare none


def evaluate_lineage_on_synthetic(
    hub: SyntheticSnapshot,
    seed: int = DEFAULT_SEED,
    hide_share: float = DEFAULT_HIDE_SHARE,
    threshold: float = DEFAULT_MIN_CONFIDENCE,
    rules: RuleConfidence | None = None,
) -> SyntheticScores:
    """Score inference on a synthetic Hub: on hidden declared lineage, and on the models that declare
    nothing (whose true parents only the generator knows)."""
    snapshot, truth = hub.frame, hub.truth
    hidden = evaluate_lineage(snapshot, hide_share, seed, threshold, rules)
    declared = declared_lineage(snapshot)
    needs = declared.columns["parent"].isna().to_numpy()
    proposals = infer_lineage(snapshot, needs, declared.edges, rules).proposals
    silent = truth[~truth["child"].isin(truth.loc[truth["declared"], "child"])]
    primary = _primary_parents(snapshot, declared.columns["parent"])
    undeclared = score_proposals(proposals, silent[["child", "parent", "relation"]], threshold, primary_parent=primary)
    return SyntheticScores(int(len(snapshot)), hidden, undeclared)
