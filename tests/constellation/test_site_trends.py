"""The build-time Trends curves (site/trends.json): equal to the site's own count over the same snapshots,
and never read for other snapshots nor for another models.parquet."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest

from constellation import site_trends
from constellation.app.data import load_atlas
from constellation.build import build
from constellation.contract import ATLAS_FILES, DataLayout
from constellation.history import group_downloads_over_snapshots
from constellation.site_summary import TRENDS_N
from constellation.site_views import community_labels
from constellation.store import same_scope_snapshot_ids
from tests.constellation.app.snapshot_rows import snapshot_rows, write_snapshot

EARLIER, MIDDLE, LATEST = "20261106T021500Z", "20261113T021500Z", "20261120T021500Z"


@pytest.fixture(scope="module")
def three_nights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with three weekly snapshots (models come and go, downloads change) and the newest's atlas."""
    root = tmp_path_factory.mktemp("trends-data")
    layout = DataLayout(root)
    write_snapshot(layout, EARLIER, [r for r in snapshot_rows(seed=2, scale=0.3) if not r["id"].endswith("-GGUF")])
    write_snapshot(layout, MIDDLE, [r for r in snapshot_rows(seed=1, scale=0.5) if not r["id"].endswith("-merge-3")])
    write_snapshot(layout, LATEST, snapshot_rows(seed=0))
    build(layout)
    return root


def _site_count(layout: DataLayout, column: str, top_n: int) -> pd.DataFrame:
    """What the Trends page counts on a visit with no filter set (pages/trends.py): the site's models (sorted
    by id, families categorical), the communities named from communities.parquet."""
    atlas = load_atlas(layout)
    models = atlas.frame(["id", "family", "community", "downloads", "likes"])
    labels = community_labels(pd.DataFrame(), atlas.communities) if column == "community" else None
    members = site_trends.trend_members(models, column, top_n, labels)
    return group_downloads_over_snapshots(layout, members, column, same_scope_snapshot_ids(layout, atlas.snapshot_id))


@pytest.mark.parametrize("column", ["family", "community"])
@pytest.mark.parametrize("top_n", [3, 8, TRENDS_N])
def test_the_build_s_trends_are_the_site_s_count(three_nights, column, top_n):
    layout = DataLayout(three_nights)
    atlas = load_atlas(layout)
    assert atlas.trends is not None and atlas.trends.snapshot_ids == [EARLIER, MIDDLE, LATEST]
    precomputed = atlas.trends.frame(column, top_n, [EARLIER, MIDDLE, LATEST])
    assert precomputed is not None
    pd.testing.assert_frame_equal(precomputed, _site_count(layout, column, top_n))
    assert precomputed["snapshot"].dt.strftime("%Y%m%dT%H%M%SZ").unique().tolist() == [EARLIER, MIDDLE, LATEST]
    assert precomputed[column].nunique() == min(top_n, len(atlas.trends.groups[column]))


def test_communities_are_named_by_their_label(three_nights):
    atlas = load_atlas(DataLayout(three_nights))
    labels = community_labels(pd.DataFrame(), atlas.communities)
    assert atlas.trends is not None
    named = atlas.trends.groups["community"]
    assert named == [f"{c}: {labels[c]}" for c in (int(name.split(":")[0]) for name in named)]
    assert all(labels[int(name.split(":")[0])] for name in named)  # no "3: " without its label


def test_trend_members_picks_the_top_groups_and_names_them():
    models = pd.DataFrame(
        {
            "id": ["a/1", "a/2", "b/1", "c/1", "d/1"],
            "family": pd.Categorical(["a", "a", "b", "c", None]),
            "community": pd.array([1, 1, 2, 3, pd.NA], dtype="Int64"),
            "downloads": pd.array([5, 5, 20, 1, 100], dtype="Int64"),
            "likes": [0] * 5,
        }
    )
    families = site_trends.trend_members(models, "family", 2)
    assert families.to_dict("list") == {"id": ["a/1", "a/2", "b/1"], "family": ["a", "a", "b"]}
    communities = site_trends.trend_members(models, "community", 2, pd.Series({1: "llama · 7b", 2: "bert"}))
    assert communities["community"].tolist() == ["1: llama · 7b", "1: llama · 7b", "2: bert"]
    assert site_trends.group_names(pd.Series([3]), pd.Series({1: "x"})) == ["3: "]  # a community without a label


def _trends(groups: int) -> site_trends.SiteTrends:
    names = [f"f{i:02d}" for i in range(groups)]
    counts = [[sid, name, 1, 10 * i] for sid in (EARLIER, LATEST) for i, name in enumerate(names)]
    return site_trends.SiteTrends(LATEST, [EARLIER, LATEST], {"family": names}, {"family": counts})


def test_a_frame_is_only_given_for_the_snapshots_and_groups_counted():
    trends = _trends(TRENDS_N)
    frame = trends.frame("family", 3, [EARLIER, LATEST])
    assert frame is not None
    assert frame["family"].tolist() == ["f00", "f01", "f02", "f00", "f01", "f02"]
    assert frame["downloads"].tolist() == [0, 10, 20, 0, 10, 20]
    assert trends.frame("family", 3, [EARLIER, LATEST, "20261127T021500Z"]) is None  # a crawl since the build
    assert trends.frame("family", 3, [LATEST]) is None
    assert trends.frame("community", 3, [EARLIER, LATEST]) is None  # not counted (an atlas without it)
    assert trends.frame("family", TRENDS_N + 1, [EARLIER, LATEST]) is None  # more groups than kept
    few = _trends(4).frame("family", TRENDS_N, [EARLIER, LATEST])  # every group the atlas has
    assert few is not None and few["family"].nunique() == 4


def test_a_file_of_another_version_or_models_file_is_not_read(three_nights, tmp_path, caplog):
    folder = tmp_path / "atlas"
    site = folder / ATLAS_FILES.site
    site.mkdir(parents=True)
    (folder / ATLAS_FILES.models).write_bytes(b"x" * 10)
    assert site_trends.read_trends(site) is None  # none written
    trends = _trends(3)
    (site / site_trends.TRENDS_FILE).write_text(trends.to_json().replace('"version": 1', '"version": 0'))
    with caplog.at_level(logging.WARNING):
        assert site_trends.read_trends(site) is None
    assert "trends version 0 != 1" in caplog.text
    stamped = site_trends.SiteTrends(**{**trends.__dict__, "models_file_bytes": 10})
    (site / site_trends.TRENDS_FILE).write_text(stamped.to_json())
    assert site_trends.read_trends(site) == stamped
    (folder / ATLAS_FILES.models).write_bytes(b"x" * 11)  # rewritten since
    assert site_trends.read_trends(site) is None
    (site / site_trends.TRENDS_FILE).write_text("{not json")
    assert site_trends.read_trends(site) is None


def test_write_trends_replaces_the_file_whole(three_nights, tmp_path):
    layout = DataLayout(three_nights)
    atlas = load_atlas(layout)
    site = atlas.folder / ATLAS_FILES.site
    before = (site / site_trends.TRENDS_FILE).read_text()
    models = atlas.frame(["id", "family", "community", "downloads", "likes", "community_label"])
    path = site_trends.write_trends(site, layout, atlas.snapshot_id, models, atlas.communities)
    assert path == site / site_trends.TRENDS_FILE
    assert path.read_text() == before  # the site's rows and dtypes count as the build's did
    assert [p.name for p in site.iterdir() if p.name.startswith(".")] == []  # no temporary file left


def test_a_snapshot_damaged_inside_leaves_the_file_out_with_a_warning(three_nights, tmp_path, monkeypatch, caplog):
    from constellation.errors import CorruptFile

    layout = DataLayout(three_nights)
    atlas = load_atlas(layout)
    site = tmp_path / "atlas" / ATLAS_FILES.site
    site.mkdir(parents=True)

    def damaged(*args):
        raise CorruptFile(f"a snapshot in {layout.snapshots} cannot be read (failed to decompress)")

    monkeypatch.setattr(site_trends, "count_groups", damaged)
    models = atlas.frame(["id", "family", "community", "downloads", "likes"])
    with caplog.at_level(logging.WARNING):
        assert site_trends.write_trends(site, layout, atlas.snapshot_id, models, atlas.communities) is None
    assert "wrote no trends.json: a snapshot in" in caplog.text
    assert list(site.iterdir()) == []  # the site counts on a visit, and names the file then
