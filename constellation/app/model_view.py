"""What the model page shows of one model, from the build's one-model lookups when the atlas has them
(site_lookup: a few row groups read, milliseconds at any size), else from the whole atlas in memory (an atlas
built before them: its columns, lineage edges and similarity index are read first)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from constellation.app import lineage
from constellation.app.data import Atlas
from constellation.app.similarity import SimilarityIndex
from constellation.site_lookup import is_missing


@dataclass(frozen=True)
class ModelView:
    values: dict[str, Any]  # the model's columns (None for a missing value)
    ancestors: list[lineage.Ancestor]  # primary declared parents up to the root, nearest first
    parents: pd.DataFrame  # every declared or inferred edge into the model (merges have several)
    children: pd.DataFrame  # id, relation, downloads of the models whose primary parent it is
    neighbours: pd.DataFrame  # id, weight: the most similar names, strongest first
    has_lineage: bool

    def value(self, column: str) -> Any:
        return self.values.get(column)

    @property
    def inferred_evidence(self) -> str | None:
        return lineage.inferred_edge_evidence(self.parents, str(self.values.get("id")))


def model_view(
    atlas: Atlas, model_id: str, columns: Sequence[str], similarity: Callable[[], SimilarityIndex], k: int = 10
) -> ModelView | None:
    """The page's view of `model_id` (None when the atlas lacks it). `similarity` makes the whole atlas's
    similarity index, asked only for an atlas without lookups."""
    found = atlas.lookup
    has_lineage = atlas.has("parent")
    if found is not None:
        values = found.model(model_id, list(columns))
        if values is None:
            return None

        def step(model: str) -> tuple[str | None, str | None] | None:
            row = values if model == model_id else found.model(model, ["parent", "relation"])
            return None if row is None else (row.get("parent"), row.get("relation"))

        return ModelView(
            values=values,
            ancestors=lineage.ancestors_by(step, model_id) if has_lineage else [],
            parents=found.lineage_into(model_id),
            children=found.children_of(model_id),
            neighbours=found.neighbours(model_id, k),
            has_lineage=has_lineage,
        )
    row = atlas.position(model_id)
    if row is None:
        return None
    models = atlas.frame(list(columns))
    values = {c: (None if is_missing(v) else v) for c, v in models.iloc[row].items()}
    edges = lineage.lineage_edges_of(atlas.lineage, model_id)
    parents = edges[(edges["target"] == model_id).to_numpy(dtype=bool)] if len(edges) else edges
    return ModelView(
        values=values,
        ancestors=lineage.ancestors(models, atlas.position, model_id),
        parents=parents,
        children=lineage.direct_children(models, model_id),
        neighbours=similarity().neighbours(model_id, k=k),
        has_lineage=has_lineage or "parent" in models,
    )
