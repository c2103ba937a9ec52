import json

import pandas as pd

from constellation.app.graphs import community_graph, neighbourhood_graph, render_html


def _models():
    return pd.DataFrame(
        {
            "id": ["a/root", "b/ft", "c/q", "d/sim", "e/other", "<script>alert(1)</script>"],
            "downloads": [100, 50, 30, 20, 10, 5],
            "params": [7e9, 7e9, None, None, None, None],
            "family": ["a/root"] * 3 + [None, None, None],
            "community_label": ["x · y"] * 6,
        }
    )


LINEAGE = pd.DataFrame(
    {
        "source": ["a/root", "b/ft", "a/root"],
        "target": ["b/ft", "c/q", "<script>alert(1)</script>"],
        "kind": ["declared", "declared", "inferred"],
        "relation": ["finetune", "quantized", "adapter"],
        "confidence": [None, None, 0.8],
        "evidence": [None, None, "name contains parent"],
    }
)
SIMILAR = pd.DataFrame(
    {"source": ["b/ft", "d/sim", "b/ft"], "target": ["d/sim", "b/ft", "e/other"], "weight": [0.9, 0.9, 0.4]}
)


def _position(models):
    return {i: n for n, i in enumerate(models["id"])}.get


def test_neighbourhood_holds_parents_children_ancestors_and_similar():
    models = _models()
    spec = neighbourhood_graph("b/ft", models, _position(models), LINEAGE, SIMILAR, ancestors=["a/root"])
    assert set(spec.nodes["id"]) == {"a/root", "b/ft", "c/q", "d/sim", "e/other"}
    assert dict(zip(spec.nodes["id"], spec.nodes["role"]))["b/ft"] == "center"
    kinds = spec.edges.groupby("kind").size().to_dict()
    assert kinds == {"declared": 2, "similarity": 2}  # d/sim–b/ft once, though stored both ways
    assert spec.note is None


def test_cap_keeps_center_and_most_downloaded_with_a_note():
    models = _models()
    spec = neighbourhood_graph("c/q", models, _position(models), LINEAGE, SIMILAR, ancestors=["b/ft", "a/root"], cap=2)
    # The center and its ancestors stay whatever the cap; the rest (here none) go most-downloaded first.
    assert spec.nodes["id"].tolist() == ["c/q", "b/ft", "a/root"] and not spec.capped
    members = models.assign(x=0)
    capped = community_graph(members, LINEAGE, SIMILAR, cap=3)
    assert capped.nodes["id"].tolist() == ["a/root", "b/ft", "c/q"]
    assert capped.capped and capped.note == (
        "Showing the 3 most-downloaded of 6 models (a graph stays readable up to about 3 nodes)."
    )


def test_html_escapes_hostile_ids_and_turns_physics_off():
    models = _models()
    spec = community_graph(models, LINEAGE, SIMILAR, cap=50)
    html = render_html(spec)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html.replace("\\u0026", "&")  # the label, escaped
    options = json.loads(html.split("var options = ", 1)[1].split(";\n", 1)[0])
    assert options["physics"] == {"enabled": False} and options["edges"] == {"smooth": False}
    edges = json.loads(html.split("edges = new vis.DataSet(", 1)[1].split(");\n", 1)[0])
    dashed = {(e["from"], e["to"]) for e in edges if e.get("dashes")}
    assert ("b/ft", "d/sim") in dashed and ("b/ft", "c/q") not in dashed  # similarity dashed, declared solid
    assert "cdnjs" not in html and "jsdelivr" not in html  # vis.js inlined, no CDN: works offline


def test_restrict_hides_filtered_neighbours_but_keeps_center_and_ancestors():
    from constellation.app.graphs import restrict

    models = _models()
    spec = neighbourhood_graph("b/ft", models, _position(models), LINEAGE, SIMILAR, ancestors=["a/root"])
    restricted, hidden = restrict(spec, {"d/sim"})
    assert set(restricted.nodes["id"]) == {"a/root", "b/ft", "d/sim"} and hidden == 2
    assert set(map(tuple, restricted.edges[["source", "target"]].to_numpy())) == {("a/root", "b/ft"), ("b/ft", "d/sim")}
