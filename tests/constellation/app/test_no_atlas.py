"""The site before the first build: a page that explains what to run, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.constellation.app.conftest import APP, _clear_caches


@pytest.fixture
def empty_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CONSTELLATION_DATA", str(tmp_path))
    _clear_caches()
    return tmp_path


def _text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_empty_data_dir_explains_make_demo_and_make_crawl(empty_data: Path):
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert not at.exception
    assert at.title[0].value == "Constellation"
    assert at.subheader[0].value == "No atlas to show yet"
    text = _text(at)
    assert "make demo" in text and "make crawl\nmake build" in text
    assert str(empty_data).replace("-", r"\-").replace("_", r"\_").replace(".", r"\.") in text


def test_broken_latest_pointer_is_explained_not_raised(empty_data: Path):
    (empty_data / "atlas").mkdir()
    (empty_data / "atlas" / "LATEST").write_text("20260101T000000Z\n")
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert not at.exception
    assert at.subheader[0].value == "No atlas to show yet"
    assert any("points to 20260101T000000Z" in c.value for c in at.caption)
