import pandas as pd

from constellation.app.data import load_atlas
from constellation.app.lineage import Ancestor, ancestors, descendants, direct_children, nearest_names, similarity_edges
from constellation.contract import DataLayout


def _models() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "id": ["a/root", "b/ft", "c/q", "d/loop1", "e/loop2", "f/orphan"],
            "parent": [None, "a/root", "b/ft", "e/loop2", "d/loop1", "gone/deleted"],
            "relation": [None, "finetune", "quantized", "merge", "merge", "adapter"],
            "downloads": [10, 5, 7, 0, 0, 1],
            "n_finetune": [1, 0, 0, 0, 0, 0],
            "n_quantized": [1, 1, 0, 0, 0, 0],
            "n_descendants": [2, 1, 0, 0, 0, 0],
        }
    )
    return frame


def _position(models):
    rows = {i: n for n, i in enumerate(models["id"])}
    return rows.get


def test_ancestors_up_to_the_root():
    models = _models()
    assert ancestors(models, _position(models), "c/q") == [
        Ancestor("b/ft", "quantized", True),
        Ancestor("a/root", "finetune", True),
    ]
    assert ancestors(models, _position(models), "a/root") == []
    assert ancestors(models, _position(models), "not/there") == []


def test_ancestors_stop_at_missing_parent_and_cycles():
    models = _models()
    assert ancestors(models, _position(models), "f/orphan") == [Ancestor("gone/deleted", "adapter", False)]
    assert ancestors(models, _position(models), "d/loop1") == [
        Ancestor("e/loop2", "merge", True),
        Ancestor("d/loop1", "merge", True),
    ]


def test_descendants_counts_and_children_by_relation():
    models = _models()
    children = direct_children(models, "a/root")
    assert children["id"].tolist() == ["b/ft"]
    result = descendants(models.iloc[0], children)
    assert result.counts == {"finetune": 1, "quantized": 1}
    assert result.total == 2
    assert result.children == {"finetune": ["b/ft"]} and result.children_total == {"finetune": 1}


def test_similarity_edges_and_nearest_names_from_the_built_atlas(atlas_root):
    atlas = load_atlas(DataLayout(atlas_root))
    edges = pd.read_parquet(atlas.edges_path)
    sim = edges[edges["kind"] == "similarity"]
    model = sim["source"].value_counts().index[0]
    touching = sim[(sim["source"] == model) | (sim["target"] == model)]
    got = similarity_edges(atlas.edges_path, [model])
    assert len(got) == len(touching)
    assert got["weight"].is_monotonic_decreasing
    near = nearest_names(atlas.edges_path, model, k=3)
    assert len(near) == 3 and model not in set(near["id"])
    assert near["weight"].tolist() == sorted(near["weight"], reverse=True)
    assert similarity_edges(None, [model]).empty
