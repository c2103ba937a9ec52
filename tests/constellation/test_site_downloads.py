"""The build's snapshots by the site's rows (site/downloads/): each model's listing and downloads in each
snapshot of the scope, as the snapshots hold them, and never read for another models.parquet."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from constellation import site_downloads
from constellation.app.data import load_atlas
from constellation.build import build
from constellation.contract import ATLAS_FILES, DataLayout
from tests.constellation.app.snapshot_rows import snapshot_rows, write_snapshot

EARLIER, LATEST = "20261113T021500Z", "20261120T021500Z"


@pytest.fixture(scope="module")
def two_nights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two snapshots (models come and go, downloads change; the earlier one lists an id twice) and the
    newest's atlas."""
    root = tmp_path_factory.mktemp("downloads-data")
    layout = DataLayout(root)
    earlier = [r for r in snapshot_rows(seed=1, scale=0.5) if not r["id"].endswith("-merge-3")]
    write_snapshot(layout, EARLIER, [*earlier, {**earlier[0], "downloads": 7}])
    write_snapshot(layout, LATEST, snapshot_rows(seed=0))
    build(layout)
    return root


@pytest.mark.parametrize("snapshot_id", [EARLIER, LATEST])
def test_each_snapshot_is_mapped_to_the_site_s_rows(two_nights, snapshot_id):
    layout = DataLayout(two_nights)
    atlas = load_atlas(layout)
    mapped = atlas.snapshot_downloads
    assert mapped is not None and mapped.index.snapshot_ids == [EARLIER, LATEST]
    rows = mapped.rows_of(snapshot_id)
    snapshot = pq.read_table(layout.snapshot(snapshot_id), columns=["id", "downloads"]).to_pandas()
    grouped = snapshot.assign(downloads=snapshot["downloads"].fillna(0).astype("int64")).groupby("id")["downloads"]
    ids = atlas.frame(["id"])["id"].astype(str)
    expected_listed = ids.map(grouped.size()).fillna(0).astype("int64").to_numpy()
    expected_downloads = ids.map(grouped.sum()).fillna(0).astype("int64").to_numpy()
    np.testing.assert_array_equal(np.asarray(rows.listed, dtype=np.int64), expected_listed)
    np.testing.assert_array_equal(np.asarray(rows.downloads, dtype=np.int64), expected_downloads)
    assert rows.downloads.dtype == np.uint32  # small downloads fit in half the bytes
    if snapshot_id == EARLIER:  # the id listed twice counts twice, as the live join counts it
        assert expected_listed.max() == 2


def test_count_rows_sums_the_members_of_each_group(two_nights):
    mapped = load_atlas(DataLayout(two_nights)).snapshot_downloads
    assert mapped is not None
    latest = mapped.rows_of(LATEST)
    listed = np.flatnonzero(np.asarray(latest.listed))
    rows, groups = listed[:6], np.array([0, 1, 0, 1, 0, 2])
    counted = site_downloads.count_rows(mapped, [LATEST], rows, groups, ["b", "a", "c"])
    downloads = np.asarray(latest.downloads, dtype=np.int64)[rows]
    assert counted.to_dict("list") == {
        "snapshot_id": [LATEST] * 3,
        "group": ["a", "b", "c"],
        "models": [2, 3, 1],
        "downloads": [int(downloads[[1, 3]].sum()), int(downloads[[0, 2, 4]].sum()), int(downloads[5])],
    }
    assert site_downloads.count_rows(mapped, [LATEST], rows[:0], groups[:0], ["a"]).empty


def test_the_index_of_another_models_file_is_not_read(two_nights, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(two_nights, copy)
    layout = DataLayout(copy)
    models = load_atlas(layout).folder / ATLAS_FILES.models
    pd.read_parquet(models).head(5).to_parquet(models)
    assert load_atlas(layout).snapshot_downloads is None


def test_a_damaged_snapshot_is_left_out_of_the_index(two_nights, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(two_nights, copy)
    layout = DataLayout(copy)
    layout.snapshot(EARLIER).write_bytes(b"not parquet")
    atlas = load_atlas(layout)
    site = atlas.folder / ATLAS_FILES.site
    assert site_downloads.write_downloads(site, layout, LATEST, atlas.models, np.arange(atlas.size)) is not None
    mapped = site_downloads.read_downloads(site)
    assert mapped is not None and mapped.index.snapshot_ids == [LATEST]
