"""The site keeps serving the last good atlas when the one LATEST names is damaged, and says so."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from constellation.build import build
from constellation.contract import ATLAS_FILES, DataLayout
from constellation.store import set_latest_atlas
from tests.constellation.app.conftest import APP, EARLIER, LATEST, _clear_caches


@pytest.fixture
def two_atlases(atlas_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DataLayout:
    root = tmp_path / "data"
    shutil.copytree(atlas_root, root)
    layout = DataLayout(root)
    build(layout, EARLIER, publish=True)
    set_latest_atlas(layout, EARLIER)
    set_latest_atlas(layout, LATEST)  # PREVIOUS names EARLIER now
    assert layout.previous_atlas_id() == EARLIER
    monkeypatch.setenv("CONSTELLATION_DATA", str(root))
    _clear_caches()
    yield layout
    _clear_caches()


def test_a_damaged_latest_atlas_falls_back_to_the_previous_good_one(two_atlases: DataLayout):
    models = two_atlases.atlas(LATEST) / ATLAS_FILES.models
    models.write_bytes(models.read_bytes()[:100])
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [s.value for s in at.subheader if s.value == "No atlas to show yet"] == []
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith(f"**Showing an older atlas, {EARLIER}.** atlas {LATEST} in ")
    assert "rebuild it with" in errors[0]


def test_no_banner_when_latest_reads(two_atlases: DataLayout):
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert [e.value for e in at.error] == []
