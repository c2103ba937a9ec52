"""A running site picks up every new build without a restart, the same atlas id rebuilt with --force
included, and says how old its data is."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from streamlit.testing.v1 import AppTest

from constellation.app.overview import data_age
from constellation.build import build
from constellation.contract import DataLayout
from tests.constellation.app.conftest import APP, LATEST, _clear_caches


@pytest.fixture
def own_root(atlas_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "data"
    shutil.copytree(atlas_root, root)
    monkeypatch.setenv("CONSTELLATION_DATA", str(root))
    _clear_caches()
    yield root
    _clear_caches()


def _models_metric(at: AppTest) -> str:
    return next(m.value for m in at.metric if m.label == "Models")


def test_a_forced_rebuild_of_the_same_id_shows_on_the_next_rerun(own_root: Path):
    layout = DataLayout(own_root)
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    before = pq.read_metadata(layout.snapshot(LATEST)).num_rows
    assert _models_metric(at) == f"{before:,}"
    # The same id, new content: a snapshot repaired by hand, then `build --force`.
    table = pq.read_table(layout.snapshot(LATEST))
    pq.write_table(table.slice(0, 100), layout.snapshot(LATEST))
    assert build(layout, LATEST, force=True).snapshot_id == LATEST
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert _models_metric(at) == "100"


def test_the_site_says_how_old_its_data_is(own_root: Path):
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    captions = [c.value for c in at.sidebar.caption]
    assert any(c.startswith("Data as of 2026-11-20 02:15 UTC (") for c in captions), captions
    assert any("**Old data.** Data as of 2026-11-20 02:15 UTC" in w.value for w in at.warning)


@pytest.mark.parametrize(
    "now, text, stale",
    [
        (datetime(2026, 11, 20, 2, 45, tzinfo=UTC), "Data as of 2026-11-20 02:15 UTC (30 min ago)", False),
        (datetime(2026, 11, 21, 13, 0, tzinfo=UTC), "Data as of 2026-11-20 02:15 UTC (34 h ago)", False),
        (datetime(2026, 11, 21, 15, 0, tzinfo=UTC), "Data as of 2026-11-20 02:15 UTC (36 h ago)", True),
        (datetime(2026, 11, 25, 3, 0, tzinfo=UTC), "Data as of 2026-11-20 02:15 UTC (5 days ago)", True),
    ],
)
def test_data_age(now, text, stale):
    age = data_age(LATEST, now)
    assert (age.text, age.stale) == (text, stale)
