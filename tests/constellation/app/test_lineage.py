import pandas as pd

from constellation.app.lineage import Ancestor, ancestors, descendants, direct_children, lineage_edges_of


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


def test_lineage_edges_of_a_model_both_directions():
    lineage = pd.DataFrame(
        {"source": ["a", "b", "c"], "target": ["b", "c", "d"], "kind": ["declared", "inferred", "declared"]}
    )
    assert lineage_edges_of(lineage, "b")[["source", "target"]].values.tolist() == [["a", "b"], ["b", "c"]]
    assert lineage_edges_of(lineage.iloc[:0], "b").empty


def test_how_sure_says_a_measured_share_in_words():
    from constellation.app.lineage import how_sure, inferred_edge_evidence
    from constellation.genealogy.calibration import HAND_SET_NOTE, MEASURED_NOTE

    measured = "name key 'x' matches a/x's name" + MEASURED_NOTE
    assert how_sure("quantized", 0.9312, measured) == (
        "inferred (quantized), 93 % of such guesses were right on this snapshot's own declarations"
    )
    assert how_sure("finetune", 0.62, "prefix" + HAND_SET_NOTE) == (
        "inferred (finetune), confidence 0.62 (set by hand, not measured on this snapshot)"
    )
    assert how_sure(None, None, None) == "inferred (relation unknown)"
    lineage = pd.DataFrame(
        {
            "source": ["a/x", "b/y"],
            "target": ["c/q", "c/q"],
            "kind": ["declared", "inferred"],
            "relation": ["quantized", "quantized"],
            "confidence": [None, 0.93],
            "evidence": [None, measured],
        }
    )
    assert inferred_edge_evidence(lineage, "c/q") == measured
    assert inferred_edge_evidence(lineage, "a/x") is None
