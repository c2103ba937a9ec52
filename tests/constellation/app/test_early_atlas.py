"""An early atlas (genealogy and map columns missing or all-null) renders every page, saying what is not
available instead of failing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from streamlit.testing.v1 import AppTest

from constellation.app.pages import PAGES
from constellation.contract import ATLAS_FILES, EDGE_SCHEMA, SNAPSHOT_COLUMNS, DataLayout
from tests.constellation.app.conftest import APP, _clear_caches


@pytest.fixture
def early_atlas(atlas_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "early"
    shutil.copytree(atlas_root, root)
    layout = DataLayout(root)
    folder = layout.atlas(layout.latest_atlas_id())
    models = pq.read_table(folder / ATLAS_FILES.models)
    keep = [c for c in models.column_names if c in SNAPSHOT_COLUMNS]
    stripped = models.select(keep).append_column("params", pa.nulls(len(models), pa.float64()))
    pq.write_table(stripped, folder / ATLAS_FILES.models)
    pq.write_table(EDGE_SCHEMA.empty_table(), folder / ATLAS_FILES.edges)
    (folder / ATLAS_FILES.communities).unlink()
    shutil.rmtree(folder / ATLAS_FILES.hierarchy)
    monkeypatch.setenv("CONSTELLATION_DATA", str(root))
    _clear_caches()
    yield root
    _clear_caches()


def test_every_page_of_an_early_atlas(early_atlas: Path):
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    seen = []
    for page in PAGES:
        at.switch_page(page.path).run()
        assert not at.exception, (page.path, [e.value for e in at.exception])
        seen += [i.value for i in at.info]
    assert "Families: not available in this atlas." in seen
    assert "Communities (and so the dendrogram): not available in this atlas." in seen
    assert "Families: not available in this atlas." in seen
    at.switch_page("pages/model.py").run()
    at.text_input(key="model_search_query").input("llama-3-8b-chat").run()
    assert not at.exception
    infos = [i.value for i in at.info]
    assert "Parameter counts: not available in this atlas." in infos
    assert "Lineage: not available in this atlas." in infos
    assert "Nearest names (similarity edges): not available in this atlas." in infos


def test_a_damaged_atlas_is_explained_not_raised(early_atlas: Path):
    layout = DataLayout(early_atlas)
    (layout.atlas(layout.latest_atlas_id()) / ATLAS_FILES.models).write_bytes(b"not parquet")
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert at.subheader[0].value == "No atlas to show yet"
    assert any("could not be read" in c.value and "rebuild it with" in c.value for c in at.caption)
