"""pyvis graphs of a model's neighbourhood and of a community's inside.

pyvis's `add_node`/`add_edge` scan lists (quadratic: 20k nodes take 98 s) and vis.js stalls near 1.5k
nodes with physics on, so: a graph is capped (most-downloaded nodes kept, with a note), `net.nodes` and
`net.edges` are filled directly, positions come from a networkx layout computed here, physics is off.
Every string from the Hub is HTML-escaped before it reaches a label or tooltip.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
from pyvis.network import Network

from constellation.app.escape import html_text
from constellation.app.figures import RELATION_COLOURS
from constellation.app.lineage import lineage_edges_of
from constellation.app.overview import params_text
from constellation.contract import EDGE_COLUMNS

DEFAULT_CAP = 300
HARD_CAP = 1500  # beyond this the browser stalls even without physics
LABELLED = 40  # nodes whose name is drawn; the others show it on hover
SIMILARITY_COLOUR = "#9e9e9e"
# Positions are precomputed, so physics stays off (vis.js stalls near 1.5k nodes with it on).
VIS_OPTIONS = {
    "physics": {"enabled": False},
    "edges": {"smooth": False},
    "interaction": {"hover": True, "tooltipDelay": 120, "navigationButtons": False},
}


@dataclass
class GraphSpec:
    nodes: pd.DataFrame  # id, downloads, params, family, community_label, role ("center", "member", ...)
    edges: pd.DataFrame  # source, target, kind, relation, confidence, weight
    total_nodes: int  # before the cap
    cap: int

    @property
    def capped(self) -> bool:
        return self.total_nodes > len(self.nodes)

    @property
    def note(self) -> str | None:
        if not self.capped:
            return None
        return (
            f"Showing the {len(self.nodes):,} most-downloaded of {self.total_nodes:,} models "
            f"(a graph stays readable up to about {self.cap:,} nodes)."
        )


EDGE_FRAME_COLUMNS = [c for c in EDGE_COLUMNS if c != "evidence"]  # the graph views show no evidence text


def neighbourhood_graph(
    center: str,
    models: pd.DataFrame,
    position: Callable[[str], int | None],
    lineage: pd.DataFrame,
    similar: pd.DataFrame,
    ancestors: Sequence[str] = (),
    cap: int = DEFAULT_CAP,
) -> GraphSpec:
    """`center`, its ancestors, its lineage neighbours (parents and children, declared or inferred) and
    its most similar names; edges among all of those. `similar` holds similarity edges touching the nodes."""
    cap = max(2, min(cap, HARD_CAP))
    touching = lineage_edges_of(lineage, center)
    candidates = dict.fromkeys([center, *ancestors])
    for column in ("source", "target"):
        if len(touching):
            candidates.update(dict.fromkeys(touching[column].astype(str)))
    if len(similar):
        near = similar[(similar["source"] == center) | (similar["target"] == center)]
        candidates.update(dict.fromkeys(near["source"].astype(str)))
        candidates.update(dict.fromkeys(near["target"].astype(str)))
    ids = list(candidates)
    must = [center, *[a for a in ancestors if a != center]]
    nodes = _node_frame(ids, models, position)
    kept = _cap(nodes, cap, must)
    roles = dict.fromkeys(ancestors, "ancestor")
    roles[center] = "center"
    kept["role"] = [roles.get(i, "neighbour") for i in kept["id"]]
    edges = _edges_among(set(kept["id"]), lineage, similar)
    return GraphSpec(kept.reset_index(drop=True), edges, total_nodes=len(nodes), cap=cap)


def community_graph(
    members: pd.DataFrame,
    lineage: pd.DataFrame,
    similar: pd.DataFrame,
    cap: int = DEFAULT_CAP,
    total: int | None = None,
) -> GraphSpec:
    """The most-downloaded members of one community and the lineage and similarity edges among them.
    `total`: the community's size when `members` holds only its most-downloaded (the build's top list)."""
    cap = max(2, min(cap, HARD_CAP))
    nodes = _node_frame(members["id"].astype(str).tolist(), members.reset_index(drop=True), None)
    kept = _cap(nodes, cap, [])
    kept["role"] = "member"
    edges = _edges_among(set(kept["id"]), lineage, similar)
    return GraphSpec(kept.reset_index(drop=True), edges, total_nodes=max(len(nodes), total or 0), cap=cap)


def restrict(spec: GraphSpec, allowed: set[str]) -> tuple[GraphSpec, int]:
    """`spec` without the neighbours outside `allowed` (the sidebar filters); the center and its
    ancestors always stay. Returns the new spec and how many nodes were hidden."""
    keep = spec.nodes["id"].isin(allowed) | spec.nodes["role"].isin(["center", "ancestor"])
    if keep.all():
        return spec, 0
    nodes = spec.nodes[keep.to_numpy()].reset_index(drop=True)
    ids = set(nodes["id"])
    inside = spec.edges["source"].isin(ids) & spec.edges["target"].isin(ids)
    edges = spec.edges[inside.to_numpy()].reset_index(drop=True)
    return GraphSpec(nodes, edges, spec.total_nodes - int((~keep).sum()), spec.cap), int((~keep).sum())


def layout(spec: GraphSpec, seed: int = 0, scale: float = 600.0) -> dict[str, tuple[float, float]]:
    """Positions for every node: a seeded spring layout of the graph (isolated nodes included)."""
    graph = nx.Graph()
    graph.add_nodes_from(spec.nodes["id"])
    for row in spec.edges.itertuples(index=False):
        strength = float(row.weight) if row.kind == "similarity" and pd.notna(row.weight) else 1.0
        graph.add_edge(row.source, row.target, weight=max(strength, 0.05))
    if graph.number_of_nodes() == 1:
        return {next(iter(graph.nodes)): (0.0, 0.0)}
    pos = nx.spring_layout(graph, seed=seed, weight="weight", iterations=60)
    return {node: (float(x) * scale, float(y) * scale) for node, (x, y) in pos.items()}


def render_html(spec: GraphSpec, height_px: int = 650, seed: int = 0) -> str:
    """A standalone HTML page of the graph (vis.js inlined: no CDN, works offline)."""
    positions = layout(spec, seed=seed)
    net = Network(height=f"{height_px}px", width="100%", directed=True, cdn_resources="in_line", bgcolor="#ffffff")
    max_dl = float(np.nanmax(spec.nodes["downloads"].astype("float64").fillna(0).to_numpy(), initial=0)) or 1.0
    # Names on the most-downloaded nodes only (and the center and its ancestors): 300 overlapping labels
    # are unreadable; every node still shows its name on hover.
    ranked = pd.to_numeric(spec.nodes["downloads"], errors="coerce").fillna(-1).rank(ascending=False, method="first")
    labelled = set(
        spec.nodes["id"][(ranked <= LABELLED).to_numpy() | spec.nodes["role"].isin(["center", "ancestor"]).to_numpy()]
    )
    nodes = []
    for row in spec.nodes.itertuples(index=False):
        x, y = positions[row.id]
        downloads = 0 if pd.isna(row.downloads) else int(row.downloads)
        nodes.append(
            {
                "id": row.id,
                "label": html_text(_short(row.id)) if row.id in labelled else " ",
                "title": _tooltip(row),
                "x": x,
                "y": y,
                "size": 8 + 22 * np.sqrt(downloads / max_dl),
                "color": {"center": "#d62728", "ancestor": "#ff9896"}.get(row.role, "#1f77b4"),
                "shape": "dot",
                "font": {"size": 12},
            }
        )
    # Direct assignment: pyvis's add_node/add_edge are O(n) each (scale-notes).
    net.nodes = nodes
    net.edges = [_edge_style(row) for row in spec.edges.itertuples(index=False)]
    net.node_ids = [n["id"] for n in nodes]
    net.set_options(json.dumps(VIS_OPTIONS))
    return _offline(net.generate_html(notebook=False))


# pyvis's template always links Bootstrap from a CDN (used only by menus we do not show). Dropped, so a
# graph needs no network and logs no failed request on an offline or locked-down site.
_REMOTE_TAG = re.compile(r"<(link|script)\b[^>]*\b(?:href|src)=\"https?://[^\"]*\"[^>]*>(?:\s*</script>)?", re.S)


def _offline(html: str) -> str:
    return _REMOTE_TAG.sub("", html)


def legend_rows() -> list[tuple[str, str, str]]:
    """(what, colour, style) for the legend under a graph."""
    rows = [
        (f"{rel} (declared)", colour, "solid arrow") for rel, colour in RELATION_COLOURS.items() if rel not in ("root",)
    ]
    rows.append(("inferred lineage", "relation colour, faded", "thin arrow, dotted"))
    rows.append(("name similarity", SIMILARITY_COLOUR, "dashed, no arrow"))
    return rows


def _edge_style(row) -> dict:
    relation = None if pd.isna(row.relation) else str(row.relation)
    if row.kind == "similarity":
        weight = None if pd.isna(row.weight) else float(row.weight)
        return {
            "from": row.source,
            "to": row.target,
            "color": {"color": SIMILARITY_COLOUR, "opacity": 0.6},
            "dashes": [8, 6],
            "arrows": {"to": {"enabled": False}},
            "width": 1,
            "title": html_text(f"name similarity {weight:.2f}" if weight is not None else "name similarity"),
        }
    colour = RELATION_COLOURS.get(relation or "unspecified", RELATION_COLOURS["unspecified"])
    if row.kind == "inferred":
        confidence = None if pd.isna(row.confidence) else float(row.confidence)
        label = f"inferred {relation or 'lineage'}" + (
            f" (confidence {confidence:.2f})" if confidence is not None else ""
        )
        return {
            "from": row.source,
            "to": row.target,
            "color": {"color": colour, "opacity": 0.5},
            "dashes": [2, 4],
            "arrows": "to",
            "width": 1,
            "title": html_text(label),
        }
    return {
        "from": row.source,
        "to": row.target,
        "color": {"color": colour},
        "arrows": "to",
        "width": 2.5,
        "title": html_text(f"declared {relation or 'parent (relation not stated)'}"),
    }


def _tooltip(row) -> str:
    lines = [str(row.id)]
    if not pd.isna(row.downloads):
        lines.append(f"downloads: {int(row.downloads):,}")
    if not pd.isna(row.params):
        lines.append(f"parameters: {params_text(float(row.params))}")
    if isinstance(row.family, str) and row.family:
        lines.append(f"family: {row.family}")
    if isinstance(row.community_label, str) and row.community_label:
        lines.append(f"community: {row.community_label}")
    # vis.js shows a string title as text; escaping keeps it inert even where a template uses innerHTML.
    return html_text("\n".join(lines))


def _node_frame(ids: list[str], models: pd.DataFrame, position: Callable[[str], int | None] | None) -> pd.DataFrame:
    columns = ["downloads", "params", "family", "community_label"]
    if position is None:  # `models` is already the members, in `ids` order
        frame = pd.DataFrame({"id": ids})
        for column in columns:
            frame[column] = models[column].astype("object").to_numpy() if column in models else None
        return frame
    rows = [position(i) for i in ids]
    frame = pd.DataFrame({"id": ids})
    for column in columns:
        if column in models:
            values = models[column].astype("object")
            frame[column] = [values.iat[r] if r is not None else None for r in rows]
        else:
            frame[column] = None
    return frame


def _cap(nodes: pd.DataFrame, cap: int, must: list[str]) -> pd.DataFrame:
    if len(nodes) <= cap:
        return nodes.copy()
    required = nodes["id"].isin(must)
    rest = nodes[~required].assign(_dl=pd.to_numeric(nodes["downloads"], errors="coerce").fillna(-1))
    rest = rest.sort_values(["_dl", "id"], ascending=[False, True]).drop(columns="_dl")
    return pd.concat([nodes[required], rest.head(max(0, cap - int(required.sum())))], ignore_index=True)


def _edges_among(ids: set[str], lineage: pd.DataFrame, similar: pd.DataFrame) -> pd.DataFrame:
    frames = []
    if len(lineage):
        inside = lineage["source"].isin(ids) & lineage["target"].isin(ids)
        frames.append(lineage.loc[inside.to_numpy(dtype=bool)].reindex(columns=EDGE_FRAME_COLUMNS))
    if len(similar):
        inside = similar["source"].isin(ids) & similar["target"].isin(ids)
        frames.append(
            similar.loc[inside.to_numpy(dtype=bool)].assign(kind="similarity").reindex(columns=EDGE_FRAME_COLUMNS)
        )
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=EDGE_FRAME_COLUMNS)
    edges = pd.concat(
        [f.astype({"source": "object", "target": "object", "kind": "object", "relation": "object"}) for f in frames],
        ignore_index=True,
    )
    # One similarity edge per pair: kNN graphs hold a→b and b→a.
    sim = edges["kind"] == "similarity"
    pair = np.where(
        edges["source"] < edges["target"],
        edges["source"] + "\x00" + edges["target"],
        edges["target"] + "\x00" + edges["source"],
    )
    dup = sim.to_numpy() & pd.Series(pair).where(sim.to_numpy()).duplicated().to_numpy()
    return edges.loc[~dup].reset_index(drop=True)


def _short(text: str, width: int = 36) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
