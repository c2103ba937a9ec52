"""One model's family tree and neighbours: ancestors up to the root, descendants by relation,
nearest names by similarity.

Declared and inferred lineage edges are in memory (`Atlas.lineage`); similarity edges (about ten per
model, 30M at 3M models) stay in edges.parquet and are read per view with an in-memory DuckDB, which
takes no file lock, so the nightly build is never blocked by the site.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from constellation.contract import RELATIONS

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
    relations = models["relation"] if "relation" in models else None
    chain: list[Ancestor] = []
    seen = {model_id}
    row = position(model_id)
    for _ in range(MAX_DEPTH):
        if row is None:
            break
        parent = _value(parents.iat[row])
        if parent is None:
            break
        relation = _value(relations.iat[row]) if relations is not None else None
        row = position(parent)
        chain.append(Ancestor(parent, relation, row is not None))
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


def similarity_edges(edges_path: Path | None, ids: Iterable[str], *, within: bool = False, limit: int = 20000) -> pd.DataFrame:
    """Similarity edges with an end in `ids` (or both ends, `within=True`), strongest first, at most `limit`."""
    columns = ["source", "target", "weight"]
    wanted = pd.DataFrame({"id": pd.Series(list(dict.fromkeys(ids)), dtype="object")})
    if edges_path is None or not Path(edges_path).is_file() or wanted.empty:
        return pd.DataFrame(columns=columns)
    join = "AND" if within else "OR"
    con = duckdb.connect()
    try:
        con.register("wanted", wanted)
        return con.execute(
            f"""
            SELECT source, target, weight FROM read_parquet(?)
            WHERE kind = 'similarity'
              AND (source IN (SELECT id FROM wanted) {join} target IN (SELECT id FROM wanted))
            ORDER BY weight DESC NULLS LAST, source, target
            LIMIT {int(limit)}
            """,
            [str(edges_path)],
        ).fetch_df()
    finally:
        con.close()


def nearest_names(edges_path: Path | None, model_id: str, k: int = 10) -> pd.DataFrame:
    """The `k` most similar names to `model_id` (columns: id, weight), from the similarity edges."""
    edges = similarity_edges(edges_path, [model_id], limit=4 * k + 10)
    if edges.empty:
        return pd.DataFrame(columns=["id", "weight"])
    other = edges["target"].where(edges["source"] == model_id, edges["source"])
    out = pd.DataFrame({"id": other, "weight": edges["weight"]})
    out = out[out["id"] != model_id].sort_values("weight", ascending=False).drop_duplicates("id")
    return out.head(k).reset_index(drop=True)


def _value(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return str(value)
