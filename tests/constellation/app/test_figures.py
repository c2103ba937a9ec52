import json

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import linkage

from constellation.app.figures import (
    clusters_at,
    colour_values,
    dendrogram_figure,
    scatter_figure,
    selected_ids,
    trend_figure,
)
from constellation.site_views import sample_per_group


def _models(n: int = 1000, communities: int = 7, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": [f"o/m{i}" for i in range(n)],
            "downloads": pd.array(rng.integers(0, 10_000, n), dtype="Int64"),
            "likes": pd.array(rng.integers(0, 100, n), dtype="Int64"),
            "params": np.where(np.arange(n) % 4 == 0, np.nan, 7e9),
            "created_at": pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(np.arange(n), unit="h"),
            "community": np.arange(n) % communities,
            "community_label": [f"c{i % communities}" for i in range(n)],
            "family": pd.Categorical(["fam-a" if i % 2 else None for i in range(n)]),
            "relation": pd.Categorical(["finetune" if i % 3 == 0 else None for i in range(n)]),
            "parent": ["o/m0" if i % 3 == 0 else None for i in range(n)],
        }
    )


def test_scatter_counts_points_and_skips_unknown_axes():
    models = _models()
    result = scatter_figure(models, "params-downloads", "community")
    points = sum(len(trace.x) for trace in result.figure.data)
    assert result.plottable == 750 and points == 750 and result.total == 1000 and not result.sampled
    assert "250 lack a value on an axis" in result.note
    assert result.figure.data[0].type == "scattergl"
    assert result.figure.layout.xaxis.type == "log" and result.figure.layout.yaxis.type == "log"
    # Downloads are drawn + 1 so zeros survive the log axis.
    first = result.figure.data[0]
    row = models.set_index("id").loc[first.customdata[0]]
    assert first.y[0] == int(row["downloads"]) + 1


def test_scatter_hover_text_is_escaped():
    models = _models(10)
    models.loc[0, "id"] = "<b>evil</b>"
    fig = scatter_figure(models, "downloads-likes", "family").figure
    hover = [h for trace in fig.data for h in trace.hovertext]
    assert "&lt;b&gt;evil&lt;/b&gt;" in hover and "<b>evil</b>" not in hover
    assert "<b>evil</b>" in [c for trace in fig.data for c in trace.customdata]  # the real id, for selection


def test_scatter_samples_per_community_above_the_cap():
    models = _models(5000, communities=50)
    result = scatter_figure(models, "created-downloads", "community", max_points=1000)
    points = sum(len(trace.x) for trace in result.figure.data)
    assert result.sampled and points == result.shown and 1000 <= points <= 1100
    assert (
        result.note
        == f"{points:,} of 5,000 models shown; sampled per community above 1,000 points (the most-downloaded always kept)."
    )
    shown_ids = {c for trace in result.figure.data for c in trace.customdata}
    shown = models[models["id"].isin(shown_ids)]
    assert shown["community"].nunique() == 50  # every community keeps points
    top = models.nlargest(1000, "downloads")["id"]
    assert set(top) <= shown_ids  # the most-downloaded are always kept
    assert len(fig_traces := result.figure.data) == 13  # 12 colours + "other"
    assert fig_traces[-1].name == "other"


def test_sample_is_identity_below_cap_and_deterministic():
    models = _models(100)
    assert sample_per_group(models, models["community"], 1000) is models
    a = sample_per_group(_models(3000), _models(3000)["community"], 500, seed=3, keep_top=10)
    b = sample_per_group(_models(3000), _models(3000)["community"], 500, seed=3, keep_top=10)
    assert a.index.tolist() == b.index.tolist()


def test_colour_by_relation_names_roots():
    values = colour_values(_models(4), "relation").tolist()
    assert values == ["finetune", "root", "root", "finetune"]
    assert colour_values(_models(2), "family").tolist() == ["unknown", "fam-a"]


def test_selected_ids_from_streamlit_event():
    event = {"selection": {"points": [{"customdata": "a/x"}, {"customdata": ["b/y"]}, {"customdata": "a/x"}, {}]}}
    assert selected_ids(event) == ["a/x", "b/y"]
    assert selected_ids(None) == [] and selected_ids({"selection": {"points": []}}) == []


def test_dendrogram_and_cut():
    points = np.array([[0.0], [0.1], [5.0], [5.2], [20.0]])
    z = linkage(points, method="average")
    labels = ["a", "b", "c", "<d>", "e"]
    result = dendrogram_figure(z, labels, cut=1.0)
    assert sorted(result.leaves) == sorted(["a", "b", "c", "&lt;d&gt;", "e"])
    assert not result.truncated
    links = sum(trace.x.count(None) for trace in result.figure.data)
    assert links == 4  # n - 1 links, one trace per colour
    assert len(result.figure.data) == len({trace.line.color for trace in result.figure.data})
    spec = json.loads(result.figure.to_json())
    assert any(shape.get("x0") == 1.0 for shape in spec["layout"]["shapes"])
    clusters = clusters_at(z, labels, 1.0)
    assert clusters.groupby("cluster")["label"].apply(list).tolist() == [["a", "b"], ["<d>", "c"], ["e"]]
    assert clusters_at(z, labels, 100.0)["cluster"].nunique() == 1


def test_dendrogram_truncates_large_trees():
    z = linkage(np.random.default_rng(0).normal(size=(400, 2)), method="ward")
    result = dendrogram_figure(z, [str(i) for i in range(400)], cut=None, max_leaves=50)
    assert result.truncated and len(result.leaves) == 50
    assert any(leaf.endswith(" leaves]") for leaf in result.leaves)


def test_one_snapshot_trend_is_a_dated_point_on_a_week_of_days():
    frame = pd.DataFrame(
        {
            "snapshot": pd.to_datetime(["2026-11-20 02:15:00+00:00"] * 2, utc=True),
            "family": ["meta-llama/Llama-3-8B", "mistralai/Mistral-7B-v0.1"],
            "downloads": [1200, 800],
        }
    )
    layout = trend_figure(frame, "family").to_plotly_json()["layout"]
    xaxis = layout["xaxis"]
    assert (xaxis["type"], xaxis["tickformat"], xaxis["dtick"]) == ("date", "%Y-%m-%d", 86_400_000)
    week = [pd.Timestamp("2026-11-17 02:15"), pd.Timestamp("2026-11-23 02:15")]
    assert [pd.Timestamp(x) for x in xaxis["range"]] == week


def test_trend_over_snapshots_lets_plotly_fit_the_dates():
    frame = pd.DataFrame(
        {
            "snapshot": pd.to_datetime(["2026-11-19 02:15:00+00:00", "2026-11-20 02:15:00+00:00"], utc=True),
            "community": ["3: mistral · 7b", "3: mistral · 7b"],
            "downloads": [700, 800],
        }
    )
    fig = trend_figure(frame, "community")
    assert [trace.name for trace in fig.data] == ["3: mistral · 7b"]
    assert list(fig.data[0].y) == [700, 800]
    assert [str(x) for x in fig.data[0].x] == ["2026-11-19T02:15:00.000000", "2026-11-20T02:15:00.000000"]
    assert fig.layout.xaxis.range is None and fig.layout.xaxis.tickformat == "%Y-%m-%d"
