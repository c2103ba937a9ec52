"""Every page of the explorer through Streamlit's AppTest, on an atlas built by the real pipeline."""

from __future__ import annotations

import json
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from constellation.app.data import load_atlas
from constellation.app.escape import md
from constellation.app.pages import PAGES as APP_PAGES
from constellation.contract import ATLAS_FILES, DataLayout
from constellation.site_views import VERSION_FILE
from tests.constellation.app.conftest import APP
from tests.constellation.app.snapshot_rows import HOSTILE_ID

# script → the heading it shows, from the one list of pages (pinned in test_page_list.py)
PAGES = {page.path: page.heading for page in APP_PAGES}


@pytest.fixture
def app(app_env) -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=60).run()


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _query(at: AppTest, key: str) -> list[str]:
    value = at.query_params[key]
    return [value] if isinstance(value, str) else list(value)


def _plotly_specs(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


@pytest.mark.parametrize("page, title", list(PAGES.items()))
def test_every_page_renders(app: AppTest, page: str, title: str):
    app.switch_page(page).run()
    _ok(app)
    assert app.title[0].value == title


def test_overview_counts_and_filters_change_them(app: AppTest, atlas_root):
    models = load_atlas(DataLayout(atlas_root)).models
    assert "Synthetic demo data" in app.warning[0].value
    assert _metric(app, "Models") == f"{len(models):,}"
    app.multiselect(key="f_pipeline").select("text-to-image").run()
    _ok(app)
    expected = int((models["pipeline_tag"] == "text-to-image").sum())
    assert _metric(app, "Models") == f"{expected:,}"
    assert _query(app, "pipeline") == ["text-to-image"]
    app.number_input(key="f_min_dl").set_value(1000).run()
    expected = int(((models["pipeline_tag"] == "text-to-image") & (models["downloads"] >= 1000)).sum())
    assert _metric(app, "Models") == f"{expected:,}"
    assert _query(app, "min_dl") == ["1000"]
    assert any("Filters keep" in c.value for c in app.caption)


def test_overview_lists_the_top_communities_with_their_labels(app: AppTest, atlas_root):
    atlas = load_atlas(DataLayout(atlas_root))
    top = app.dataframe[1].value  # families first, then communities
    assert list(top.columns) == ["community", "label", "models", "downloads", "likes"]
    labels = atlas.communities.set_index("community")["label"]
    assert top["label"].tolist() == [labels[c] for c in top["community"]]


def test_a_shared_link_restores_the_filters(app_env, atlas_root):
    models = load_atlas(DataLayout(atlas_root)).models
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["relation"] = ["quantized", "adapter"]
    at.query_params["pmin"] = "bad"
    at.run()
    _ok(at)
    assert at.multiselect(key="f_relation").value == ["quantized", "adapter"]
    expected = int(models["relation"].isin(["quantized", "adapter"]).sum())
    assert _metric(at, "Models") == f"{expected:,}"
    assert any(r"pmin\=bad\: not a number" in c.value for c in at.sidebar.caption)


def test_search_finds_a_model_and_shows_its_page(app: AppTest):
    app.switch_page("pages/model.py").run()
    app.text_input(key="model_search_query").input("llama-3-8b-chat").run()
    _ok(app)
    assert app.selectbox(key="model_search_pick").value == "bob-ai/Llama-3-8B-chat-1"
    text = "\n".join(m.value for m in app.markdown)
    assert "(https://huggingface.co/bob-ai/Llama-3-8B-chat-1)" in text
    assert r"bob\-ai/Llama\-3\-8B\-chat\-1 is a *finetune* of **meta\-llama/Llama\-3\-8B**" in text
    assert "(from safetensors)" in text
    assert _query(app, "model") == ["bob-ai/Llama-3-8B-chat-1"]
    assert len(app.dataframe) == 1  # nearest names
    assert len(app.get("vega_lite_chart")) == 1  # downloads and likes across the two snapshots
    assert [s.value for s in app.subheader] == [
        "Parameters",
        "Lineage",
        "Across snapshots",
        "Community and nearest names",
    ]


def test_a_merge_lists_all_its_parents(app: AppTest):
    app.switch_page("pages/model.py").run()
    app.text_input(key="model_search_query").input("mergekit-fan/Llama-3-8B-merge-0").run()
    _ok(app)
    text = "\n".join(m.value for m in app.markdown)
    assert "**All parents**" in text
    assert r"alice/Llama\-3\-8B\-instruct\-0 (declared merge)" in text
    assert r"bob\-ai/Llama\-3\-8B\-chat\-1 (declared merge)" in text


def test_hostile_strings_are_escaped_on_the_model_page(app: AppTest):
    app.switch_page("pages/model.py").run()
    app.text_input(key="model_search_query").input(HOSTILE_ID).run()
    _ok(app)
    text = "\n".join(m.value for m in app.markdown)
    assert r"\<img src\=x onerror\=alert\(1\)\>\*\*bold\*\* \[x\]\(javascript\:alert\(1\)\) \$x\^2\$" in text
    assert "<img" not in text.replace(r"\<img", "")


def test_scatter_filters_change_the_points(app: AppTest, atlas_root):
    models = load_atlas(DataLayout(atlas_root)).models
    app.switch_page("pages/scatter.py").run()
    _ok(app)
    spec = _plotly_specs(app)[0]
    assert {t["type"] for t in spec["data"]} == {"scattergl"}
    assert sum(len(t["customdata"]) for t in spec["data"]) == len(models)
    app.number_input(key="f_min_dl").set_value(10_000).run()
    spec = _plotly_specs(app)[0]
    assert sum(len(t["customdata"]) for t in spec["data"]) == int((models["downloads"] >= 10_000).sum())
    app.selectbox(key="scatter_colour").select("relation").run()
    names = {t["name"] for t in _plotly_specs(app)[0]["data"]}
    assert {"finetune", "root"} <= names


def test_dendrogram_cut_changes_the_clusters(app: AppTest):
    app.switch_page("pages/dendrogram.py").run()
    _ok(app)
    first = next(m.value for m in app.markdown if m.value.startswith("**A cut at"))
    top = app.slider(key="dendro_cut").max
    app.slider(key="dendro_cut").set_value(top).run()
    _ok(app)
    assert next(m.value for m in app.markdown if m.value.startswith("**A cut at")).endswith("gives 1 clusters**")
    assert first != "**A cut at" and len(_plotly_specs(app)) == 2  # atlas tree and one community's


def test_graph_of_a_model_and_of_a_community(app: AppTest):
    app.switch_page("pages/graph.py").run()
    app.text_input(key="graph_search_query").input("mistralai/Mistral-7B-v0.1").run()
    _ok(app)
    html = app.get("iframe")[0].proto.srcdoc
    assert '"id": "mistralai/Mistral-7B-v0.1"' in html and '"physics": {"enabled": false}' in html
    app.radio(key="graph_mode").set_value("A community").run()
    app.slider(key="graph_cap").set_value(20).run()
    _ok(app)
    assert app.get("iframe")[0].proto.srcdoc.count('"shape": "dot"') == 20
    assert any("most-downloaded of" in i.value for i in app.info)  # capped, with a note


def test_word_cloud_of_a_family(app: AppTest):
    app.switch_page("pages/word_clouds.py").run()
    app.radio(key="cloud_scope").set_value("A family").run()
    _ok(app)
    assert len(app.get("image")) == 1
    assert app.selectbox(key="cloud_family").value is not None


def test_trends_draw_both_snapshots(app: AppTest):
    app.switch_page("pages/trends.py").run()
    _ok(app)
    specs = _plotly_specs(app)
    assert len(specs) == 3
    families = specs[0]["data"]
    assert all(len(trace["x"]) == 2 for trace in families)  # two snapshots per family


def test_every_page_survives_filters_that_keep_nothing(app: AppTest):
    app.number_input(key="f_min_dl").set_value(10**12).run()
    assert _metric(app, "Models") == "0"
    for page in PAGES:
        app.switch_page(page).run()
        _ok(app)
        assert app.number_input(key="f_min_dl").value == 10**12, page  # the filter follows across pages


def test_a_model_link_opens_its_page(app_env):
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["model"] = "TheBloke/Mistral-7B-v0.1-instruct-0-GGUF"
    at.run()
    at.switch_page("pages/model.py").run()
    _ok(at)
    assert at.header[0].value == r"TheBloke/Mistral\-7B\-v0\.1\-instruct\-0\-GGUF"
    text = "\n".join(m.value for m in at.markdown)
    # Two generations up: quantized from a fine-tune of the base.
    assert "*quantized* of **alice/Mistral\\-7B\\-v0\\.1\\-chat\\-0**" in text
    assert "*finetune* of **mistralai/Mistral\\-7B\\-v0\\.1**" in text


def test_word_cloud_of_a_community_and_dendrogram_drill_down(app: AppTest):
    app.switch_page("pages/word_clouds.py").run()
    app.radio(key="cloud_scope").set_value("A community").run()
    _ok(app)
    assert "names" in app.caption[0].value and len(app.get("image")) == 1
    app.switch_page("pages/dendrogram.py").run()
    options = app.selectbox(key="dendro_community").options
    app.selectbox(key="dendro_community").set_value(int(options[1].split(":")[0])).run()  # the second largest
    _ok(app)
    inner_top = app.slider(key="dendro_inner_cut").max
    app.slider(key="dendro_inner_cut").set_value(inner_top).run()
    assert any(m.value.startswith("**1 clusters at") for m in app.markdown)


def test_the_overview_without_filters_reads_no_model(app_env, atlas_root, monkeypatch):
    from constellation.app import ui

    monkeypatch.setattr(ui, "warm_up", lambda atlas: None)  # the background warm-up reads columns on purpose
    app = AppTest.from_file(str(APP), default_timeout=60).run()
    _ok(app)
    layout = DataLayout(atlas_root)
    atlas = ui._atlas(str(layout.root), layout.latest_atlas_id())
    # The page's numbers are the build's site summary.
    assert atlas.table.loaded() == []
    assert _metric(app, "Models") == f"{atlas.size:,}"
    shown = app.dataframe[0].value
    expected = ui.overview.top_groups(atlas.models, "family", 15)
    assert shown.astype(str).to_numpy().tolist() == expected.astype(str).to_numpy().tolist()


@pytest.mark.parametrize("coded", [True, False], ids=["build's codes", "older atlas"])
def test_a_filtered_overview_reads_only_its_columns_and_agrees_with_the_filtered_models(
    app_env, atlas_root, monkeypatch, coded
):
    from constellation import site_views
    from constellation.app import ui
    from constellation.app.filters import Filters, apply_filters

    monkeypatch.setattr(ui, "warm_up", lambda atlas: None)  # the background warm-up reads columns on purpose
    if not coded:  # as an atlas built before the filter counts: the site reads the models' columns instead
        monkeypatch.setattr(site_views, "FILTER_COUNTS_FILE", "absent.arrow")
    app = AppTest.from_file(str(APP), default_timeout=60).run()
    layout = DataLayout(atlas_root)
    atlas = ui._atlas(str(layout.root), layout.latest_atlas_id())
    assert (atlas.filter_counts is not None) == coded
    app.number_input(key="f_min_dl").set_value(100).run()
    _ok(app)
    # With the build's codes and numbers no model column is read; else the filter's column, the counts' and
    # the top lists' (no id: the build's row order sorts them by id).
    assert set(atlas.table.loaded()) == (set() if coded else {"downloads", "likes", "family", "community", "params"})
    kept = apply_filters(load_atlas(layout).models, Filters(min_downloads=100))
    assert _metric(app, "Models") == f"{len(kept):,}"
    assert _metric(app, "Families") == f"{kept['family'].nunique():,}"
    assert _metric(app, "Communities") == f"{kept['community'].nunique():,}"
    for table, column in ((app.dataframe[0], "family"), (app.dataframe[1], "community")):
        label = ui.community_labels(atlas) if column == "community" else None
        expected = ui.overview.top_groups(kept, column, 15, label=label)
        assert table.value.astype(str).to_numpy().tolist() == expected.astype(str).to_numpy().tolist()


@pytest.mark.parametrize(
    "page, columns",
    [
        ("pages/dendrogram.py", None),  # the build's trees (site_views)
        ("pages/scatter.py", None),  # the build's sample of the points (site_views)
        ("pages/trends.py", None),  # the build's curves (site_trends) and weeks (site_summary)
        ("pages/word_clouds.py", None),  # the whole atlas's cloud: the site summary's counts
        ("pages/graph.py", None),  # no model picked yet: nothing to draw
        ("pages/graph.py?model", None),  # the build's keyed lookups (constellation.app.neighbourhood)
        ("pages/model.py?model", None),  # the build's one-model lookups: no column of every model is read
    ],
)
def test_a_page_reads_only_its_columns(app_env, atlas_root, monkeypatch, page, columns):
    from constellation.app import ui

    monkeypatch.setattr(ui, "warm_up", lambda atlas: None)  # the background warm-up reads columns on purpose
    app = AppTest.from_file(str(APP), default_timeout=60).run()
    page, _, with_model = page.partition("?")
    if with_model:  # the page of a model (the URL names it)
        app.query_params["model"] = load_atlas(DataLayout(atlas_root)).sorted_ids[0]
    app.switch_page(page).run()
    _ok(app)
    layout = DataLayout(atlas_root)
    atlas = ui._atlas(str(layout.root), layout.latest_atlas_id())
    allowed = {"id", *(getattr(ui, columns) if columns else ())}  # ids come with any read (rows sorted by id)
    assert set(atlas.table.loaded()) <= allowed
    assert len(atlas.table.loaded()) < len(atlas.table.present)
    if with_model and page == "pages/graph.py":  # the page was drawn for the model
        assert any(c.value.startswith(f"{md(app.query_params['model'])}: ") for c in app.caption)
        assert len(app.get("iframe")) == 1
    if with_model and page == "pages/model.py":
        assert atlas.lookup is not None
        assert md(app.query_params["model"]) in [h.value for h in app.header]  # drawn for the model


def test_the_whole_atlas_word_cloud_is_the_one_counted_from_the_models(app: AppTest, atlas_root):
    from constellation.app import clouds
    from constellation.app.escape import md

    app.switch_page("pages/word_clouds.py").run()
    _ok(app)
    counted = clouds.ngram_counts(load_atlas(DataLayout(atlas_root)).models["id"])
    top = clouds.top_ngrams(counted.counts, 30)  # ties by text, as the page lists them
    shown = next(m.value for m in app.markdown if m.value.startswith(md(top[0][0])))
    assert shown == "  \n".join(f"{md(gram)}: {count:,}" for gram, count in top)
    assert any(c.value.startswith(f"Unigrams and bigrams of model names (owners left out); {counted.names_used:,} names")
               for c in app.caption)  # fmt: skip
    app.number_input(key="f_min_dl").set_value(10**12).run()  # a filter keeping nothing
    assert any("No model passes the filters" in i.value for i in app.info)


def _drawn(root, monkeypatch, page: str, mode: str | None = None) -> dict[str, object]:
    """What `page` shows of the atlas in `root`: its captions, markdown and tables (the figures' text)."""
    from constellation.app import ui

    monkeypatch.setenv("CONSTELLATION_DATA", str(root))
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setattr(ui, "warm_up", lambda atlas: None)
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.switch_page(page).run()
    if mode is not None:
        at.radio(key="graph_mode").set_value(mode).run()
    _ok(at)
    atlas = ui._atlas(str(root), DataLayout(root).latest_atlas_id())
    return {
        "captions": [c.value for c in at.caption if not c.value.startswith("Tree: ")],
        "markdown": [m.value for m in at.markdown],
        "tables": [d.value.astype(str).to_numpy().tolist() for d in at.dataframe],
        "iframes": len(at.get("iframe")),
        "read": sorted(atlas.table.loaded()),
    }


@pytest.mark.parametrize(
    "page, mode", [("pages/scatter.py", None), ("pages/dendrogram.py", None), ("pages/graph.py", "A community")]
)
def test_a_page_draws_the_same_from_the_build_views_as_from_the_whole_atlas(
    atlas_root, tmp_path, monkeypatch, page, mode
):
    copy = tmp_path / "data"
    shutil.copytree(atlas_root, copy)
    (load_atlas(DataLayout(copy)).folder / ATLAS_FILES.site / VERSION_FILE).unlink()  # built before the views
    with_views = _drawn(atlas_root, monkeypatch, page, mode)
    without = _drawn(copy, monkeypatch, page, mode)
    assert with_views["read"] == []  # no column of every model
    assert without["read"] != []
    for part in ("captions", "markdown", "tables", "iframes"):
        assert with_views[part] == without[part], part
