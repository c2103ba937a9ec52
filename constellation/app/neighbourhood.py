"""A model's neighbourhood and a community's graph for the graph page, from the build's keyed lookups
(constellation.site_lookup) and top lists (constellation.site_views).

Drawn from the whole atlas, a neighbourhood reads the graph's columns of every model and every lineage edge
to show a few hundred of them (3.4 s at 3M models). Here each part is a keyed read: the ancestors a row at a
time, the lineage edges by target and by source, the similar names from the memory-mapped adjacency, the
nodes' columns from the row groups that hold them. `neighbourhood` returns None for an atlas whose lookups
lack the edges by source (built before them): the page then draws from the whole atlas, as before. A
community's graph (`community`) takes the build's list of its most-downloaded members instead of every model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from constellation.app.graphs import DEFAULT_CAP, HARD_CAP, GraphSpec, community_graph, neighbourhood_graph
from constellation.app.lineage import ancestors_by
from constellation.app.similarity import EDGE_FRAME, edges_of_rows
from constellation.site_lookup import ModelLookup

NODE_COLUMNS = ["downloads", "params", "family", "community_label"]  # what graphs._node_frame shows


def neighbourhood(lookup: ModelLookup, model_id: str, cap: int = DEFAULT_CAP) -> GraphSpec | None:
    """`model_id`, its ancestors, its lineage neighbours and its most similar names, with the edges among
    them, as `graphs.neighbourhood_graph` draws them; None when the lookups cannot answer (see above)."""
    touching = lookup.lineage_touching(model_id)
    if touching is None:
        return None
    chain = [a.id for a in ancestors_by(lambda m: _step(lookup, m), model_id)]
    near = similar_edges(lookup, [model_id])
    nodes = list(
        dict.fromkeys(
            [model_id, *chain, *touching["source"].astype(str), *touching["target"].astype(str), *near["target"]]
        )
    )
    similar = similar_edges(lookup, nodes, within=True)
    lineage = lookup.lineage_among(nodes)
    frame = lookup.models_of(nodes, NODE_COLUMNS)
    rows = {model: i for i, model in enumerate(frame["id"])}
    return neighbourhood_graph(model_id, frame, rows.get, lineage, similar, chain, cap=cap)


def community(lookup: ModelLookup, members: pd.DataFrame, total: int, cap: int = DEFAULT_CAP) -> GraphSpec:
    """The graph of a community from its most-downloaded `members` (the build's top list, most downloaded
    first; `total` its size), with the lineage and similarity edges among those drawn."""
    shown = members["id"].astype(str).head(max(2, min(cap, HARD_CAP))).tolist()
    similar = similar_edges(lookup, shown, within=True)
    return community_graph(members, lookup.lineage_among(shown), similar, cap=cap, total=total)


def similar_edges(lookup: ModelLookup, model_ids: list[str], within: bool = False) -> pd.DataFrame:
    """The similarity edges out of `model_ids` (only among them when `within`), strongest first: what
    SimilarityIndex.edges_of gives, without the index's copy of every id."""
    rows = np.unique([r for r in map(lookup.row_of, model_ids) if r is not None]).astype(np.int64)
    sources, targets, weights = edges_of_rows(
        lookup.similar_offsets, lookup.similar_targets, lookup.similar_weights, rows, within
    )
    return pd.DataFrame(
        {"source": lookup.ids_at(sources), "target": lookup.ids_at(targets), "weight": weights.astype("float64")},
        columns=EDGE_FRAME,
    )


def _step(lookup: ModelLookup, model_id: str) -> tuple[str | None, str | None] | None:
    row = lookup.model(model_id, ["parent", "relation"])
    return None if row is None else (row.get("parent"), row.get("relation"))
