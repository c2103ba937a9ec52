"""The Trends page with no filter set draws the build's curves (site/trends.json), the same as it counts
them itself for an atlas built before that file; with one snapshot, a dated point."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from constellation import history, site_summary, site_trends
from constellation.app import overview
from constellation.app.data import Atlas, load_atlas
from constellation.app.trends import coded_members, filtered, lone_snapshot, unfiltered, weekly_filtered
from constellation.build import build
from constellation.contract import ATLAS_FILES, DataLayout
from constellation.site_downloads import INDEX_FILE
from constellation.site_trends import TRENDS_FILE
from constellation.site_views import community_labels
from tests.constellation.app.conftest import APP, EARLIER, LATEST
from tests.constellation.app.snapshot_rows import snapshot_rows, write_snapshot

_COUNT = history.group_downloads_over_snapshots  # what the page calls to count (spied on below)


@pytest.fixture(scope="module")
def one_night(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with one snapshot and its atlas."""
    root = tmp_path_factory.mktemp("one-night")
    write_snapshot(DataLayout(root), LATEST, snapshot_rows(seed=0))
    build(DataLayout(root))
    return root


def _without_trends(root: Path, tmp_path: Path) -> Path:
    """A copy of the data dir `root` as an atlas built before site/trends.json."""
    copy = tmp_path / "data"
    shutil.copytree(root, copy)
    (load_atlas(DataLayout(copy)).folder / ATLAS_FILES.site / TRENDS_FILE).unlink()
    return copy


def _drawn(
    root: Path, monkeypatch: pytest.MonkeyPatch, top_n: int | None = None, pipeline: str | None = None
) -> dict[str, object]:
    """The Trends page of the atlas in `root` (with the sidebar's `pipeline` filter): its charts' traces and x
    axes, its captions, what it read."""
    import streamlit as st

    from constellation.app import ui

    monkeypatch.setenv("CONSTELLATION_DATA", str(root))
    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setattr(ui, "warm_up", lambda atlas: None)
    counted: list[str] = []
    monkeypatch.setattr(history, "group_downloads_over_snapshots", lambda *a: counted.append(a[2]) or _COUNT(*a))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    if pipeline is not None:
        at.multiselect(key="f_pipeline").select(pipeline).run()
    at.switch_page("pages/trends.py").run()
    if top_n is not None:
        at.slider(key="trends_top").set_value(top_n).run()
    assert not at.exception, [e.value for e in at.exception]
    specs = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    atlas = ui._atlas(str(root), DataLayout(root).latest_atlas_id())
    return {
        "traces": [[(t["name"], t["x"], t["y"]) for t in spec["data"]] for spec in specs],
        "xaxes": [spec["layout"]["xaxis"] for spec in specs],
        "captions": [c.value for c in at.caption],
        "read": sorted(atlas.table.loaded()),
        "counted": counted,
    }


@pytest.mark.parametrize("top_n", [None, 3, 20])
def test_the_page_draws_the_build_s_curves_as_it_would_count_them(atlas_root, tmp_path, monkeypatch, top_n):
    built = _drawn(atlas_root, monkeypatch, top_n)
    counted = _drawn(_without_trends(atlas_root, tmp_path), monkeypatch, top_n)
    assert built["counted"] == [] and built["read"] == []  # no snapshot and no model read
    assert set(counted["counted"]) == {"family", "community"} and counted["read"] != []
    for part in ("traces", "xaxes", "captions"):
        assert built[part] == counted[part], part
    families, communities, _weekly = built["traces"]
    assert all(len(x) == 2 for _, x, _ in families + communities)  # both snapshots
    assert all(not name.endswith(": ") for name, _, _ in communities)  # each community with its label


def test_an_atlas_without_the_file_or_a_crawl_since_counts_on_a_visit(atlas_root, tmp_path):
    atlas = load_atlas(DataLayout(atlas_root))
    labels = lambda: community_labels(pd.DataFrame(), atlas.communities)  # noqa: E731
    assert unfiltered(atlas, "family", 8, [EARLIER, LATEST], labels) is not None
    assert unfiltered(atlas, "family", 8, [EARLIER, LATEST, "20261127T021500Z"], labels) is None
    older = load_atlas(DataLayout(_without_trends(atlas_root, tmp_path)))
    assert older.trends is None
    assert unfiltered(older, "family", 8, [EARLIER, LATEST], labels) is None


def test_one_snapshot_is_a_dated_point_with_labelled_communities(one_night, tmp_path, monkeypatch):
    atlas = load_atlas(DataLayout(one_night))
    labels = community_labels(pd.DataFrame(), atlas.communities)
    assert atlas.trends is not None and atlas.trends.snapshot_ids == [LATEST]
    for column in ("family", "community"):
        precomputed = atlas.trends.frame(column, 8, [LATEST])
        named = labels if column == "community" else None
        summarized = lone_snapshot(atlas.summary, LATEST, column, 8, named)
        assert precomputed is not None and summarized is not None
        pd.testing.assert_frame_equal(precomputed, summarized, check_dtype=False)
    communities = lone_snapshot(atlas.summary, LATEST, "community", 8, labels)
    assert communities is not None
    assert all(
        name == f"{int(name.split(':')[0])}: {labels[int(name.split(':')[0])]}" for name in communities["community"]
    )

    built = _drawn(one_night, monkeypatch)
    from_summary = _drawn(_without_trends(one_night, tmp_path), monkeypatch)  # atlases built before the file
    assert built["counted"] == from_summary["counted"] == []
    for part in ("traces", "xaxes", "captions"):
        assert built[part] == from_summary[part], part
    assert "Only one snapshot so far: each group is a single point until the next crawl." in built["captions"]
    for xaxis in built["xaxes"][:2]:  # a week of days around the snapshot, not milliseconds around it
        assert (xaxis["type"], xaxis["tickformat"]) == ("date", "%Y-%m-%d")
        assert [pd.Timestamp(x) for x in xaxis["range"]] == [
            pd.Timestamp("2026-11-17 02:15"),
            pd.Timestamp("2026-11-23 02:15"),
        ]
    families, communities_drawn, _weekly = built["traces"]
    assert all(len(x) == 1 for _, x, _ in families + communities_drawn)  # one point per group
    assert all(not name.endswith(": ") for name, _, _ in communities_drawn)


def _live(layout: DataLayout, rows: np.ndarray, column: str, top_n: int, snapshot_ids: list[str]) -> pd.DataFrame:
    """What the page counts for a filtered selection without the build's files (pages/trends.py)."""
    atlas = load_atlas(layout)
    frame = atlas.frame(["id", "family", "community", "downloads", "likes", "created_at"]).take(rows)
    labels = community_labels(pd.DataFrame(), atlas.communities) if column == "community" else None
    members = site_trends.trend_members(frame, column, top_n, labels)
    return history.group_downloads_over_snapshots(layout, members, column, snapshot_ids)


def _filtered(atlas: Atlas, layout: DataLayout, rows: np.ndarray, column: str, top_n: int, snapshot_ids, labels):
    """The page's filtered curves from the build's files: the members picked, then counted."""
    assert atlas.filter_counts is not None
    members = coded_members(atlas.filter_counts, column, rows, top_n)
    assert members is not None
    return filtered(atlas, layout, members, column, snapshot_ids, labels)


def _selections(atlas: Atlas) -> dict[str, np.ndarray]:
    """Site rows as filters keep them: every row, a pipeline tag's, a sparse sample, none."""
    tags = atlas.frame(["pipeline_tag"])["pipeline_tag"]
    return {
        "all": np.arange(atlas.size, dtype=np.int32),
        "text-generation": np.flatnonzero((tags == "text-generation").to_numpy(dtype=bool, na_value=False)),
        "every third": np.arange(0, atlas.size, 3, dtype=np.int32),
        "none": np.zeros(0, dtype=np.int32),
    }


@pytest.mark.parametrize("column", ["family", "community"])
@pytest.mark.parametrize("top_n", [3, 8, 20])
def test_a_filtered_view_from_the_build_s_files_is_the_live_count(atlas_root, column, top_n):
    layout = DataLayout(atlas_root)
    atlas = load_atlas(layout)
    labels = lambda: community_labels(pd.DataFrame(), atlas.communities)  # noqa: E731
    for name, rows in _selections(atlas).items():
        precomputed = _filtered(atlas, layout, rows, column, top_n, [EARLIER, LATEST], labels)
        assert precomputed is not None, name
        live = _live(layout, rows, column, top_n, [EARLIER, LATEST])
        pd.testing.assert_frame_equal(precomputed, live, check_dtype=False, check_index_type=False, obj=name)
        assert len(live) or name == "none"


def test_a_snapshot_crawled_since_the_build_is_counted_live(atlas_root, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(atlas_root, copy)
    layout = DataLayout(copy)
    later = "20261127T021500Z"
    write_snapshot(layout, later, snapshot_rows(seed=3, scale=2.0))
    atlas = load_atlas(layout)
    rows = _selections(atlas)["every third"]
    labels = lambda: community_labels(pd.DataFrame(), atlas.communities)  # noqa: E731
    for column in ("family", "community"):
        precomputed = _filtered(atlas, layout, rows, column, 8, [EARLIER, LATEST, later], labels)
        assert precomputed is not None
        live = _live(layout, rows, column, 8, [EARLIER, LATEST, later])
        pd.testing.assert_frame_equal(precomputed, live, check_dtype=False, check_index_type=False)
        assert precomputed["snapshot"].nunique() == 3


def test_an_atlas_without_the_files_counts_a_filter_live(atlas_root, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(atlas_root, copy)
    atlas = load_atlas(DataLayout(copy))
    (atlas.folder / ATLAS_FILES.site / INDEX_FILE).unlink()
    atlas = load_atlas(DataLayout(copy))
    assert atlas.snapshot_downloads is None
    assert _filtered(atlas, DataLayout(copy), np.arange(5), "family", 8, [EARLIER, LATEST], lambda: None) is None


def test_a_filtered_view_s_weeks_are_the_live_count(atlas_root):
    atlas = load_atlas(DataLayout(atlas_root))
    for name, rows in _selections(atlas).items():
        frame = atlas.frame(["family", "downloads", "likes", "created_at"]).take(rows)
        top = overview.top_groups(frame, "family", 8)["family"].tolist()
        live = site_summary.new_models_per_week(frame, "family", top)
        assert atlas.filter_counts is not None
        members = coded_members(atlas.filter_counts, "family", rows, 8)
        assert members is not None
        coded = weekly_filtered(atlas, members)
        pd.testing.assert_frame_equal(coded, live, check_dtype=False, check_index_type=False, obj=name)


def _without_downloads(root: Path, tmp_path: Path) -> Path:
    """A copy of the data dir `root` as an atlas built before site/downloads.json."""
    copy = tmp_path / "data-live"
    shutil.copytree(root, copy)
    (load_atlas(DataLayout(copy)).folder / ATLAS_FILES.site / INDEX_FILE).unlink()
    return copy


@pytest.mark.parametrize("top_n", [None, 3])
def test_the_filtered_page_draws_the_live_count_without_reading_ids(atlas_root, tmp_path, monkeypatch, top_n):
    built = _drawn(atlas_root, monkeypatch, top_n, pipeline="text-generation")
    counted = _drawn(_without_downloads(atlas_root, tmp_path), monkeypatch, top_n, pipeline="text-generation")
    assert built["counted"] == [] and set(counted["counted"]) == {"family", "community"}
    assert "id" not in built["read"] and "family" not in built["read"] and "id" in counted["read"]
    for part in ("traces", "xaxes", "captions"):
        assert built[part] == counted[part], part
    assert any(c.startswith("Filters keep ") for c in built["captions"])
    families, communities, weekly = built["traces"]
    assert families and communities and weekly
