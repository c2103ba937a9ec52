import io
import json

import networkx as nx
import pandas as pd

from constellation.app.data import load_atlas
from constellation.app.exports import graph_bytes, models_csv, selection_edges, too_large
from constellation.app.similarity import build_similarity_index
from constellation.contract import DataLayout


def test_csv_graphml_json_of_a_selection(atlas_root):
    atlas = load_atlas(DataLayout(atlas_root))
    family = atlas.models[atlas.models["family"] == "mistralai/Mistral-7B-v0.1"]
    csv = pd.read_csv(io.BytesIO(models_csv(family)))
    assert csv["id"].tolist() == family["id"].tolist()
    edges = selection_edges(atlas.lineage, build_similarity_index(atlas.edges_path, atlas.sorted_ids), family["id"])
    ids = set(family["id"])
    assert set(edges["source"]) <= ids and set(edges["target"]) <= ids
    # Every member but the root declares a parent, and the four merges a second one.
    assert (edges["kind"] == "declared").sum() == len(family) - 1 + 4
    assert (edges["kind"] == "similarity").sum() > 0
    graph = nx.read_graphml(io.BytesIO(graph_bytes(atlas.snapshot_id, family, edges, "graphml")))
    assert set(graph.nodes) == ids and graph.number_of_edges() == len(edges)
    data = json.loads(graph_bytes(atlas.snapshot_id, family, edges, "json"))
    assert {n["id"] for n in data["nodes"]} == ids


def test_size_limits():
    assert too_large(10, "csv") is None
    assert "constellation export --format graphml" in too_large(60_000, "graphml")
