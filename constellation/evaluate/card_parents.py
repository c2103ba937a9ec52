"""Inferred lineage on models that declare nothing: the parents their model cards name (Model Atlas set).

    snapshot (reference sets + id-only rows for the card set's children and parents)
      ─► declared_lineage ─► infer_lineage for the card set's children ─► score_card_parents against
         card_parents.csv (label `card`) and the hand-labelled rows (merge / source / unknown_annotated / unknown)

Figures (at a confidence threshold):
- `same_name`: children whose name key equals their card parent's (quantisations and re-uploads, about
  90 % of the set): precision of the proposals made for them, and recall;
- `card`: every card child: precision, recall;
- `negatives`: hand-labelled roots (`source`) and "no parent could be found" rows (`unknown`): the share
  that gets no edge, the right answer for them;
- `annotated`: hand-labelled children with a parent (`merge`, `unknown_annotated`): precision, recall.

A proposal is right when it names one of the child's true parents (Hub ids compared case-insensitively).
The snapshot and the truth are built by crawler.importer (`card_parents_snapshot`, `load_card_parents`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from constellation.genealogy.declared import declared_lineage
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


def score_card_parents(
    proposals: pd.DataFrame, truth: pd.DataFrame, threshold: float = DEFAULT_MIN_CONFIDENCE
) -> dict[str, Any]:
    """Score proposals (source, target, confidence, rule) against the card truth (child, parent, label)."""
    kept = proposals[proposals["confidence"] >= threshold]
    proposed = dict(zip(kept["target"].astype(str).str.lower(), kept["source"].astype(str).str.lower()))
    rule_of = dict(zip(kept["target"].astype(str).str.lower(), kept["rule"].astype(str)))
    truth = truth.assign(child_l=truth["child"].astype(str).str.lower(), same=shares_name(truth))
    with_parent = truth[truth["parent"].notna()]
    true_pairs = set(zip(with_parent["child_l"], with_parent["parent"].astype(str).str.lower()))

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


def evaluate_card_parents(
    data: CardParentsSet, threshold: float = DEFAULT_MIN_CONFIDENCE, rules: RuleConfidence | None = None
) -> dict[str, Any]:
    """Infer parents for the card set's children on its snapshot and score them."""
    snapshot = data.snapshot.reset_index(drop=True)
    declared = declared_lineage(snapshot)
    children = set(data.truth["child"].astype(str).str.lower())
    needs = snapshot["id"].astype(str).str.lower().isin(children).to_numpy(dtype=bool)
    needs = needs & declared.columns["parent"].isna().to_numpy(dtype=bool)
    inferred = infer_lineage(snapshot, np.asarray(needs), declared.edges, rules)
    return score_card_parents(inferred.proposals, data.truth, threshold)
