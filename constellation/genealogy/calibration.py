"""Confidence learned from the snapshot itself: how often each kind of inferred guess is right here.

    declared children ─► seeded permutation ─► k folds of ≤ 10 % of them each (≤ `sample` children)
        for each fold: drop its children's declared edges ─► infer_lineage on those children
                       ─► right when the proposed parent is one the child declared
    ─► table: per rule, and per evidence kind (rule × band of the hand-set confidence), proposals, correct,
       precision and its Wilson lower bound
    ─► every rule seen is measured: its precision is drawn towards the snapshot's overall precision by
       RULE_PRIOR_WEIGHT pseudo-proposals (a beta prior whose mean is learned from the snapshot: a rule with
       8 examples is mostly the snapshot's average, one with 500 mostly itself)
    ─► each evidence kind's precision is drawn towards its rule's by KIND_PRIOR_WEIGHT pseudo-proposals, then
       made monotone over the bands of its rule (isotonic regression, weighted by proposals): within a rule,
       stronger hand-set evidence never gets a lower confidence than weaker evidence
    ─► calibrated confidence of a proposal = that of its evidence kind; a kind never seen in the masked set
       takes the value of the nearest band of its rule that was seen (the lower one on a tie); a rule never
       seen keeps its hand-set RuleConfidence values
    ─► threshold = the lowest calibrated confidence at which the precision of everything at or above it
       reaches the target (0.90) on the masked declarations
    ─► relation: among the right-parent proposals, which relation the Hub declares for each evidence class
       (rule × the child's format class); a class where another relation holds two thirds of them (drawn
       towards the classes around it) carries that one (genealogy.relations). Confidences do not depend on it.

Masking drops the children's edges from the declared-edge table, which is what
`constellation.evaluate.lineage.hide_lineage` followed by `declared_lineage` yields (tests check it) without
copying the snapshot once per fold: inference reads declarations only through that table.

Cost: one `infer_lineage` over the whole snapshot per fold. The per-model features (name keys, markers:
`constellation.genealogy.features`) are computed once and shared by every fold and the build's own inference;
so is the ranking of every clean model under its keys (`ModelFeatures.key_table`, whose key index the prefix
search looks its prefixes up in, and whose per-row key codes the name matches read: each fold only merges in
its external parents and recounts declarations). What
remains per fold
is the work over every candidate key and every visible declaration (leaders among namesakes, owner habits),
whatever the number of children asked about. So the number of folds shrinks as the snapshot grows:
up to 10 while the folds together stay within WORK_ROWS model-rows (a snapshot of 10k models gets 10 folds,
one of 100k or more a single fold of 10 % of its declared children, at most `sample`). Calibration thus
costs at most about one more inference pass: measured in docs/benchmarks.md. A snapshot that declares little
for its size gets more folds, up to MIN_MASKED masked children, within a budget ten times wider
(MAX_WORK_ROWS): too small a sample leaves the commonest kind of guess measured on a few dozen proposals, and
one such estimate a few points under the threshold drops nearly every edge (docs/quality.md, the card set).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from constellation.arrow_strings import string_values
from constellation.genealogy.features import ModelFeatures, model_features
from constellation.genealogy.id_pairs import among, ascii_pair_keys
from constellation.genealogy.inferred import RuleConfidence, infer_lineage
from constellation.genealogy.relations import learned_relations, relation_table

DEFAULT_TARGET_PRECISION = 0.90
# A fold masks at most this share of the declared children: each hidden declaration is also a sibling's vote
# and a namesake's "declared original" count, so masking a third of them makes inference on the masked
# children weaker than it is on the snapshot (on hf-top-downloads, 3 folds put the threshold at 0.89 where
# 10 put it at 0.79, for the same precision on hidden children).
MAX_FOLD_SHARE = 0.1
WORK_ROWS = 100_000  # folds × models at most (but always one fold): bounds the cost of calibration
# Masked children wanted at least (or all the declared ones, 10 folds), when folds × models stays within
# MAX_WORK_ROWS. The model-card snapshot (40,387 models, 3,401 declared) got 2 folds of WORK_ROWS, 680 masked
# children: its commonest kind, 93 % of the card children's guesses, was measured on 36 proposals, and at one
# seed calibrated 0.02 under the threshold, so a build would have written 535 edges instead of about 17,800.
# 3 folds (1,020 masked) gave 0.96 of the recall, 6 folds (2,040) all of it.
MIN_MASKED = 2_000
MAX_WORK_ROWS = 1_000_000
DEFAULT_SAMPLE = 50_000  # masked declared children at most; enough for every rule, bounded at 3M models
# Calibration needs this many masked proposals in all, else confidences and threshold stay hand-set: at 50,
# the standard error of a precision near 0.8 is about 0.057, no surer than the hand-set values (whose
# over-statement on real data was 0.08-0.11). A rule with fewer is still measured: the prior below keeps it
# near the snapshot's average until its own examples say otherwise.
DEFAULT_MIN_SUPPORT = 50
# A rule's precision counts as this many proposals of the snapshot's overall precision besides its own (a
# beta prior). A cut-off instead (a rule below 50 masked proposals kept its hand-set values) left the rarer
# rules 0.1-0.3 over-confident on hf-top-downloads: their hand-set values were guesses, their few measured
# proposals already said so, and 20 pseudo-proposals keep a rule with 3 lucky ones from reading 1.0.
RULE_PRIOR_WEIGHT = 20
# A kind's precision counts as this many proposals of its rule's precision besides its own: pooling a rule
# whole hides that its weak kinds are far weaker (on hf-model-trees, prefix matches right 75 % of the time
# overall but 5 % in the 0.5 band), while a kind's own handful of examples is noisy.
KIND_PRIOR_WEIGHT = 10
BAND = 0.1  # evidence kinds split a rule by its hand-set confidence in bands this wide
WILSON_Z = 1.96
# Words the edge evidence ends with; the model page reads them to say how sure a guess is.
MEASURED_NOTE = "; confidence measured on this snapshot's own declarations"
HAND_SET_NOTE = "; confidence set by hand (no masked declaration of this rule to measure it)"


def wilson_lower_bound(correct: np.ndarray | int, total: np.ndarray | int, z: float = WILSON_Z) -> np.ndarray:
    """The lower end of the Wilson score interval of correct/total (0 where total is 0)."""
    k = np.asarray(correct, dtype=float)
    n = np.asarray(total, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        centre = p + z * z / (2 * n)
        spread = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        low = (centre - spread) / (1 + z * z / n)
    return np.where(n > 0, np.clip(low, 0.0, 1.0), 0.0)


def confidence_band(confidence: pd.Series | np.ndarray) -> np.ndarray:
    """The lower edge of the BAND-wide band of each confidence (1.0 falls in the top band, 0.9)."""
    values = np.asarray(confidence, dtype=float)
    return np.round(np.minimum(np.floor(np.round(values / BAND, 6)), round(1 / BAND) - 1) * BAND, 2)


@dataclass
class Calibration:
    """What the snapshot's masked declarations say about each kind of inferred guess."""

    table: pd.DataFrame  # level ("rule" / "evidence"), rule, band, proposals, correct, precision, wilson_low,
    #                      used (its rule was measured), calibrated (the confidence given to such proposals)
    calibrated: bool  # False: too few masked proposals, confidences and threshold stay hand-set
    threshold: float  # the confidence an inferred edge needs to be written
    target_precision: float
    reached: bool  # some threshold reaches the target on the masked declarations
    masked: int  # declared children masked
    proposals: int  # proposals made for them
    correct: int
    min_support: int
    folds: int
    note: str = ""
    scored: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)  # the masked proposals, scored
    # Per level and evidence class (inferred relation, format class, rule): the relations its right parents
    # declare, and the relation its proposals carry (relations.relation_table)
    relations: pd.DataFrame = field(default_factory=pd.DataFrame)

    def confidences(self, proposals: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(calibrated confidence, measured?) of each proposal (rule, confidence = hand-set)."""
        raw = proposals["confidence"].to_numpy(dtype=float)
        if not self.calibrated or len(proposals) == 0:
            return raw.copy(), np.zeros(len(proposals), dtype=bool)
        used = self.table[self.table["used"]]
        kinds = used[used["level"] == "evidence"]
        bands_of: dict[str, list[tuple[float, float]]] = {}
        for rule, band, value in zip(kinds["rule"], kinds["band"], kinds["calibrated"]):
            bands_of.setdefault(str(rule), []).append((float(band), float(value)))
        # Each distinct (rule, band) is looked up once: a proposal's value depends on those two alone (a loop
        # over the proposals took 0.15 s for the stage's two calls at 300k models, this 0.01 s).
        rule_codes, rules = pd.factorize(proposals["rule"].astype(str).to_numpy(dtype=object))
        band_codes, bands = pd.factorize(confidence_band(raw), use_na_sentinel=False)
        pair_codes, pairs = pd.factorize(rule_codes.astype(np.int64) * len(bands) + band_codes)
        value = np.zeros(len(pairs), dtype=float)
        known = np.zeros(len(pairs), dtype=bool)
        for k, pair in enumerate(pairs.tolist()):
            seen = bands_of.get(str(rules[pair // len(bands)]))
            if seen:
                value[k], known[k] = nearest_band_value(seen, float(bands[pair % len(bands)])), True
        measured = known[pair_codes]
        out = raw.copy()
        out[measured] = value[pair_codes][measured]
        return out, measured

    def apply(self, proposals: pd.DataFrame) -> pd.DataFrame:
        """The proposals with `confidence` calibrated (`hand_set_confidence` and `measured` say what it was) and
        `relation` the one the snapshot declares for their evidence class (`relation_note` says why where it
        is not the rule's; "" elsewhere)."""
        conf, measured = self.confidences(proposals)
        if self.calibrated and len(self.relations):
            relation, note = learned_relations(self.relations, proposals)
        else:
            relation, note = proposals["relation"].to_numpy(dtype=object), np.full(len(proposals), "", dtype=object)
        return proposals.assign(
            hand_set_confidence=proposals["confidence"],
            confidence=conf,
            measured=measured,
            relation=pd.Series(relation, index=proposals.index, dtype=proposals["relation"].dtype),
            relation_note=note,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "calibrated": self.calibrated,
            "threshold": self.threshold,
            "target_precision": self.target_precision,
            "reached": self.reached,
            "masked_children": self.masked,
            "proposals": self.proposals,
            "correct": self.correct,
            "min_support": self.min_support,
            "folds": self.folds,
            "note": self.note,
            "table": [
                {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
                for row in self.table.to_dict(orient="records")
            ],
            "relations": self.relations.to_dict(orient="records"),
        }


def mask_children(declared_edges: pd.DataFrame, children: pd.Index) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(declared edges without those of `children`, the dropped edges: the truth to infer back)."""
    # A hash join in Arrow: pandas' isin hashed every declared target as a Python string (0.7 s at 1M models).
    found = pc.is_in(
        string_values(declared_edges["target"]),
        value_set=pa.array(np.asarray(children, dtype=object), type=pa.large_string()),
    )
    hide = found.to_numpy(zero_copy_only=False).astype(bool)
    return declared_edges[~hide], declared_edges[hide]


def _pair_keys(child: pd.Series, parent: pd.Series) -> pd.Series:
    return child.astype(str).str.lower() + "\0" + parent.astype(str).str.lower()


def score_masked(proposals: pd.DataFrame, truth: pd.DataFrame) -> np.ndarray:
    """Whether each proposal names one of its child's declared parents (Hub ids compare case-insensitively)."""
    asked = ascii_pair_keys(proposals["target"], proposals["source"])
    right = ascii_pair_keys(truth["target"], truth["source"])
    if asked is not None and right is not None:
        return among(asked, right)  # in Arrow: in Python, 0.6 s at 1M models
    keys = set(_pair_keys(truth["target"], truth["source"]).tolist())
    return _pair_keys(proposals["target"], proposals["source"]).isin(keys).to_numpy(dtype=bool)


def fold_plan(declared: int, models: int, sample: int = DEFAULT_SAMPLE) -> tuple[int, int]:
    """(children per fold, folds) for a snapshot of `models` rows of which `declared` declare a parent."""
    if declared == 0:
        return 0, 0
    fold_size = max(1, min(math.ceil(MAX_FOLD_SHARE * declared), sample))
    models = max(models, 1)
    enough = min(math.ceil(MIN_MASKED / fold_size), MAX_WORK_ROWS // models)
    affordable = max(1, WORK_ROWS // models, enough)
    return fold_size, min(math.ceil(declared / fold_size), affordable, max(1, sample // fold_size))


_SCORED_COLUMNS = ["target", "source", "rule", "relation", "confidence", "correct", "declared_relation"]


def _masked_proposals(
    models: pd.DataFrame,
    declared_edges: pd.DataFrame,
    rows: np.ndarray,
    fold_size: int,
    rules: RuleConfidence | None,
    features: ModelFeatures | None,
) -> pd.DataFrame:
    """target, source, rule, relation, confidence (hand-set), correct and declared_relation (that of the
    declared edge a right proposal names; None for the others) for every proposal made for a masked child;
    `rows` (in seeded order) are masked `fold_size` at a time."""
    ids = models["id"].to_numpy(dtype=object)
    parts = []
    for start in range(0, len(rows), max(fold_size, 1)):
        fold = np.sort(rows[start : start + fold_size])
        if len(fold) == 0:
            continue
        visible, truth = mask_children(declared_edges, pd.Index(ids[fold]))
        needs = np.zeros(len(models), dtype=bool)
        needs[fold] = True
        proposals = infer_lineage(models, needs, visible, rules, features).proposals
        correct = score_masked(proposals, truth)
        parts.append(
            proposals[["target", "source", "rule", "relation", "confidence"]].assign(
                correct=correct, declared_relation=declared_relations(proposals, correct, truth)
            )
        )
    if not parts:
        return pd.DataFrame({c: [] for c in _SCORED_COLUMNS})
    return pd.concat(parts, ignore_index=True)


def declared_relations(proposals: pd.DataFrame, correct: np.ndarray, truth: pd.DataFrame) -> np.ndarray:
    """The relation of the declared edge (truth: source, target, relation) each right proposal names; None
    for the others. Only the right ones are looked up: a fold's few hundred, not its snapshot."""
    out = np.full(len(proposals), None, dtype=object)
    right = np.flatnonzero(correct)
    if len(right) == 0 or "relation" not in truth:
        return out
    relation_of = pd.Series(
        truth["relation"].astype(object).to_numpy(), index=_pair_keys(truth["target"], truth["source"])
    )
    relation_of = relation_of[~relation_of.index.duplicated(keep="first")]
    asked = _pair_keys(proposals["target"].iloc[right], proposals["source"].iloc[right])
    found = relation_of.reindex(asked.to_numpy()).to_numpy(dtype=object)
    out[right] = [r if isinstance(r, str) else None for r in found]
    return out


_TABLE_COLUMNS = {
    "level": object,
    "rule": object,
    "band": float,
    "proposals": int,
    "correct": int,
    "precision": float,
    "wilson_low": float,
    "used": bool,
    "calibrated": float,
}


def _table(scored: pd.DataFrame) -> pd.DataFrame:
    if scored.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in _TABLE_COLUMNS.items()})
    with_band = scored.assign(band=confidence_band(scored["confidence"]))
    by_rule = with_band.groupby("rule", sort=True)["correct"].agg(["size", "sum"]).reset_index()
    by_rule = by_rule.assign(level="rule", band=np.nan)
    by_kind = with_band.groupby(["rule", "band"], sort=True)["correct"].agg(["size", "sum"]).reset_index()
    by_kind = by_kind.assign(level="evidence")
    table = pd.concat([by_rule, by_kind], ignore_index=True).rename(columns={"size": "proposals", "sum": "correct"})
    table = table.sort_values(["rule", "level", "band"], ascending=[True, False, False], na_position="first")
    table["proposals"] = table["proposals"].astype(int)
    table["correct"] = table["correct"].astype(int)
    table["precision"] = (table["correct"] / table["proposals"]).round(4)
    table["wilson_low"] = wilson_lower_bound(table["correct"], table["proposals"]).round(4)
    rules = table["level"] == "rule"
    overall = float(by_rule["sum"].sum() / by_rule["size"].sum())
    rule_value = (table["correct"] + RULE_PRIOR_WEIGHT * overall) / (table["proposals"] + RULE_PRIOR_WEIGHT)
    rule_value = table["rule"].map(rule_value[rules].set_axis(table.loc[rules, "rule"]))
    shrunk = (table["correct"] + KIND_PRIOR_WEIGHT * rule_value) / (table["proposals"] + KIND_PRIOR_WEIGHT)
    calibrated = np.where(rules, rule_value, shrunk)
    for rule in table.loc[rules, "rule"].tolist():
        # Bands ascending, so the fitted values rise with the hand-set strength of the evidence.
        kinds = table.index[(~rules & (table["rule"] == rule)).to_numpy()][::-1]
        position = table.index.get_indexer(kinds)
        calibrated[position] = isotonic(calibrated[position], table.loc[kinds, "proposals"].to_numpy(dtype=float))
    table["used"] = True  # every rule seen in the masked set is measured (min_support: for calibration as a whole)
    table["calibrated"] = np.round(calibrated.astype(float), 4)
    return table[list(_TABLE_COLUMNS)].reset_index(drop=True)


def nearest_band_value(seen: list[tuple[float, float]], band: float) -> float:
    """The calibrated value of the seen (band, value) nearest to `band`; on a tie the lower band's, since
    evidence between two measured kinds is no stronger than the weaker of them."""
    return min(seen, key=lambda bv: (round(abs(bv[0] - band), 6), bv[0]))[1]


def isotonic(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The non-decreasing sequence nearest to `values` in weighted least squares (pool adjacent violators)."""
    blocks: list[list[float]] = []  # [weighted mean, weight, length]
    for v, w in zip(np.asarray(values, dtype=float).tolist(), np.asarray(weights, dtype=float).tolist()):
        blocks.append([v, w, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            v2, w2, n2 = blocks.pop()
            v1, w1, n1 = blocks.pop()
            total = w1 + w2
            mean = (v1 * w1 + v2 * w2) / total if total > 0 else (v1 + v2) / 2
            blocks.append([mean, total, n1 + n2])
    return np.array([b[0] for b in blocks for _ in range(int(b[2]))], dtype=float)


def threshold_for(confidence: np.ndarray, correct: np.ndarray, target: float) -> float | None:
    """The lowest confidence c such that the proposals at or above c are at least `target` precise (None: none)."""
    if len(confidence) == 0:
        return None
    frame = pd.DataFrame({"c": np.asarray(confidence, dtype=float), "ok": np.asarray(correct, dtype=bool)})
    levels = frame.groupby("c")["ok"].agg(["size", "sum"]).sort_index(ascending=False)
    precision = levels["sum"].cumsum() / levels["size"].cumsum()
    reaching = precision.index[(precision >= target - 1e-12).to_numpy()]
    return float(reaching.min()) if len(reaching) else None


def calibrate_lineage(
    models: pd.DataFrame,
    declared_edges: pd.DataFrame,
    declares: np.ndarray,
    rules: RuleConfidence | None = None,
    *,
    target_precision: float = DEFAULT_TARGET_PRECISION,
    sample: int = DEFAULT_SAMPLE,
    min_support: int = DEFAULT_MIN_SUPPORT,
    seed: int = 0,
    fallback_threshold: float,
    features: ModelFeatures | None = None,
) -> Calibration:
    """Measure inferred lineage on this snapshot's own declarations (see the module docstring).

    `models` has the snapshot columns (as for infer_lineage), `declared_edges` its declared lineage
    (source, target), `declares` which rows have a declared parent. `fallback_threshold` is used when there
    are fewer than `min_support` masked proposals in all (a snapshot that declares little). `features`
    (`model_features(models)`), when the caller has them already, serve every fold.
    """
    models = models.reset_index(drop=True)
    declared = np.flatnonzero(np.asarray(declares, dtype=bool))
    fold_size, folds = fold_plan(len(declared), len(models), sample)
    rows = np.random.default_rng(seed).permutation(declared)[: fold_size * folds]
    if features is None and len(rows):  # computed once for all folds
        features = model_features(models)
    scored = _masked_proposals(models, declared_edges, rows, fold_size, rules, features)
    table = _table(scored)
    n, right = int(len(scored)), int(scored["correct"].sum())
    calibration = Calibration(
        table=table,
        calibrated=n >= min_support,
        threshold=fallback_threshold,
        target_precision=target_precision,
        reached=False,
        masked=int(len(rows)),
        proposals=n,
        correct=right,
        min_support=min_support,
        folds=folds,
        scored=scored,
        relations=relation_table(scored),
    )
    if not calibration.calibrated:
        calibration.note = (
            f"{n} proposals for {len(rows)} masked declared children, fewer than {min_support}: "
            f"hand-set confidences and threshold {fallback_threshold} kept"
        )
        return calibration
    conf, _ = calibration.confidences(scored)
    threshold = threshold_for(conf, scored["correct"].to_numpy(dtype=bool), target_precision)
    calibration.reached = threshold is not None
    # No confidence reaches the target: propose nothing rather than guesses known to be mostly wrong.
    calibration.threshold = round(threshold, 4) if threshold is not None else 1.0
    calibration.note = f"{right} of {n} proposals right for {len(rows)} masked declared children ({folds} folds); " + (
        f"threshold {calibration.threshold} reaches precision {target_precision}"
        if threshold is not None
        else f"no threshold reaches precision {target_precision}: only confidence 1.0 would be kept"
    )
    return calibration
