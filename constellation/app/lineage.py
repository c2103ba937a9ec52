"""One model's family tree: ancestors up to the root, descendants by relation, its lineage edges.

Declared and inferred lineage edges are in memory (`Atlas.lineage`); similar names are in
similarity.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from constellation.contract import RELATIONS
from constellation.genealogy.calibration import MEASURED_NOTE

MAX_DEPTH = 64  # deeper than any real chain; guards against cycles in hand-edited or inferred data


@dataclass(frozen=True)
class Ancestor:
    id: str
    relation: str | None  # relation of the child below it to this ancestor
    known: bool  # False when the parent is not in the atlas (filtered out of the crawl, or deleted)


@dataclass
class Descendants:
    counts: dict[str, int]  # relation → number of all descendants whose own edge has that relation
    total: int | None
    children: dict[str, list[str]] = field(default_factory=dict)  # relation → direct children (capped)
    children_total: dict[str, int] = field(default_factory=dict)  # relation → number of direct children


def ancestors(models: pd.DataFrame, position: Callable[[str], int | None], model_id: str) -> list[Ancestor]:
    """The chain of declared primary parents from `model_id` up to its root (nearest first).

    `position(id)` gives the row of an id in `models` (None when absent). Stops at a root, at a parent
    missing from the atlas (listed with known=False), or at a cycle.
    """
    if "parent" not in models:
        return []
    parents = models["parent"]
    relations = models.get("relation", None)

    def step(model: str) -> tuple[str | None, str | None] | None:
        row = position(model)
        if row is None:
            return None
        return _value(parents.iat[row]), _value(relations.iat[row]) if relations is not None else None

    return ancestors_by(step, model_id)


def ancestors_by(step: Callable[[str], tuple[str | None, str | None] | None], model_id: str) -> list[Ancestor]:
    """The chain of `ancestors`, where `step(id)` gives an id's (primary parent, relation), None when the
    atlas lacks the id (the site's one-model lookups answer it without the whole parent column)."""
    chain: list[Ancestor] = []
    seen = {model_id}
    here = step(model_id)
    for _ in range(MAX_DEPTH):
        if here is None:
            break
        parent, relation = here
        if parent is None:
            break
        here = step(parent)
        chain.append(Ancestor(parent, relation, here is not None))
        if parent in seen:
            break
        seen.add(parent)
    return chain


def descendants(models_row: pd.Series, children: pd.DataFrame, cap: int = 50) -> Descendants:
    """Counts from the atlas's n_* columns, plus the direct children (by `relation`) listed, `cap` each."""
    counts = {}
    for relation in RELATIONS:
        value = models_row.get(f"n_{relation}")
        if value is not None and not pd.isna(value):
            counts[relation] = int(value)
    total = models_row.get("n_descendants")
    total = None if total is None or pd.isna(total) else int(total)
    listed: dict[str, list[str]] = {}
    totals: dict[str, int] = {}
    if len(children):
        rel = children["relation"].astype("object").fillna("unspecified")
        ranked = children.assign(_rel=rel).sort_values("downloads", ascending=False, na_position="last")
        for relation, group in ranked.groupby("_rel", sort=True, observed=True):
            totals[str(relation)] = len(group)
            listed[str(relation)] = group["id"].astype(str).head(cap).tolist()
    return Descendants(counts=counts, total=total, children=listed, children_total=totals)


def direct_children(models: pd.DataFrame, model_id: str) -> pd.DataFrame:
    """Models whose primary declared parent is `model_id` (id, relation, downloads)."""
    if "parent" not in models:
        return models.iloc[:0][["id"]]
    hit = models["parent"] == model_id
    cols = [c for c in ("id", "relation", "downloads") if c in models]
    return models.loc[hit.fillna(False).to_numpy(dtype=bool), cols]


def lineage_edges_of(lineage: pd.DataFrame, model_id: str) -> pd.DataFrame:
    """Every declared or inferred edge touching `model_id` (for merges: all parents, not only the primary)."""
    if lineage.empty:
        return lineage
    hit = (lineage["source"] == model_id) | (lineage["target"] == model_id)
    return lineage[hit.to_numpy(dtype=bool)]


def how_sure(relation: str | None, confidence: float | None, evidence: str | None) -> str:
    """An inferred parent's confidence in words: a measured share when the build calibrated it on the
    snapshot's own declarations (the edge's evidence says so), else the hand-set figure named as such."""
    head = f"inferred ({relation or 'relation unknown'})"
    if confidence is None:
        return head
    if isinstance(evidence, str) and evidence.endswith(MEASURED_NOTE):
        return f"{head}, {confidence * 100:.0f} % of such guesses were right on this snapshot's own declarations"
    return f"{head}, confidence {confidence:.2f} (set by hand, not measured on this snapshot)"


def inferred_edge_evidence(lineage: pd.DataFrame, model_id: str) -> str | None:
    """The evidence of the inferred edge into `model_id`, if there is one."""
    if lineage.empty or "evidence" not in lineage:
        return None
    hit = ((lineage["target"] == model_id) & (lineage["kind"] == "inferred")).to_numpy(dtype=bool)
    values = lineage.loc[hit, "evidence"].dropna()
    return str(values.iloc[0]) if len(values) else None


def _value(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return str(value)
