"""The graph page's neighbourhoods from the build's keyed lookups and views (constellation.app.neighbourhood)
are the graphs drawn from the whole atlas in memory; the dendrogram's precomputed trees are the saved ones."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from constellation.app import graphs, hierarchy_view, lineage
from constellation.app.data import load_atlas
from constellation.app.neighbourhood import community, neighbourhood
from constellation.app.similarity import build_similarity_index
from constellation.contract import ATLAS_FILES, DataLayout
from constellation.site_lookup import LINEAGE_FROM_FILE, read_lookup

GRAPH_COLUMNS = ["id", "parent", "relation", "community", "downloads", "params", "family", "community_label"]


@pytest.fixture(scope="module")
def atlas(atlas_root: Path):
    return load_atlas(DataLayout(atlas_root))


@pytest.fixture(scope="module")
def index(atlas):
    return build_similarity_index(atlas.edges_path, atlas.sorted_ids)


def _whole_atlas_neighbourhood(atlas, index, model_id: str, cap: int) -> graphs.GraphSpec:
    """What pages/graph.py draws for an atlas without lookups."""
    models = atlas.frame(GRAPH_COLUMNS)
    chain = [a.id for a in lineage.ancestors(models, atlas.position, model_id)]
    touching = lineage.lineage_edges_of(atlas.lineage, model_id)
    near = index.edges_of([model_id])
    nodes = {model_id, *chain, *touching["source"].astype(str), *touching["target"].astype(str), *near["target"]}
    similar = index.edges_of(nodes, within=True)
    return graphs.neighbourhood_graph(model_id, models, atlas.position, atlas.lineage, similar, chain, cap=cap)


def _nodes(spec: graphs.GraphSpec) -> list[tuple]:
    frame = spec.nodes.astype("object").where(spec.nodes.notna(), None)
    return sorted(tuple(str(v) for v in row) for row in frame.itertuples(index=False))


def _edges(spec: graphs.GraphSpec) -> list[tuple]:
    frame = spec.edges[["source", "target", "kind", "relation", "weight"]].astype("object")
    frame = frame.assign(weight=pd.to_numeric(frame["weight"]).round(5)).astype("object")
    return sorted(tuple(str(v) for v in row) for row in frame.where(frame.notna(), None).itertuples(index=False))


def _sample_ids(atlas) -> list[str]:
    models = atlas.frame(["id", "parent"])
    parents = models["parent"].dropna().astype(str).value_counts()
    child = models.loc[models["parent"].notna().to_numpy(dtype=bool), "id"].iloc[-1]
    return [str(parents.index[0]), str(child), str(models["id"].iloc[0]), str(models["id"].iloc[-1])]


@pytest.mark.parametrize("cap", [20, 300])
def test_a_neighbourhood_from_the_lookups_is_the_one_from_the_whole_atlas(atlas, index, cap):
    for model_id in _sample_ids(atlas):
        got = neighbourhood(atlas.lookup, model_id, cap)
        want = _whole_atlas_neighbourhood(atlas, index, model_id, cap)
        assert got is not None
        assert _nodes(got) == _nodes(want), model_id
        assert _edges(got) == _edges(want), model_id
        assert got.total_nodes == want.total_nodes and got.note == want.note
    assert any(neighbourhood(atlas.lookup, m, 300).edges["kind"].eq("declared").any() for m in _sample_ids(atlas))


def test_a_communitys_graph_from_its_top_list_is_the_one_from_the_whole_atlas(atlas, index):
    models = atlas.frame(GRAPH_COLUMNS)
    sizes = models["community"].value_counts()
    for number, cap in ((int(sizes.index[0]), 20), (int(sizes.index[0]), 300), (int(sizes.index[-1]), 300)):
        members = models[(models["community"] == number).to_numpy(dtype=bool)]
        top = atlas.views.community_members(number)
        got = community(atlas.lookup, top, int(sizes[number]), cap)
        kept = graphs.community_graph(members, pd.DataFrame(), pd.DataFrame(), cap=cap).nodes["id"]
        want = graphs.community_graph(members, atlas.lineage, index.edges_of(kept, within=True), cap=cap)
        assert _nodes(got) == _nodes(want), number
        assert _edges(got) == _edges(want), number
        assert got.total_nodes == want.total_nodes == sizes[number] and got.note == want.note


def test_the_precomputed_member_trees_are_the_saved_ones(atlas):
    sizes = atlas.frame(["community"])["community"].value_counts()
    for number in sizes.index[:5]:
        saved = hierarchy_view.member_tree(atlas.hierarchy, number, pd.DataFrame())
        found = atlas.views.member_tree(int(number))
        got = hierarchy_view.saved_member_tree(*found) if found is not None else None
        if saved is None:
            assert got is None
            continue
        assert got is not None and got.labels == saved.labels and got.source == saved.source
        assert (got.linkage == saved.linkage).all()


def test_lookups_without_the_edges_by_source_leave_the_neighbourhood_to_the_whole_atlas(atlas_root, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(atlas_root, copy)
    site = load_atlas(DataLayout(copy)).folder / ATLAS_FILES.site
    (site / LINEAGE_FROM_FILE).unlink()  # lookups written before lineage_from.parquet
    found = read_lookup(site)
    assert found is not None and found.lineage_from is None
    assert neighbourhood(found, found.id_of(0)) is None
