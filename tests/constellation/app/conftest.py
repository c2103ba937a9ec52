"""Fixtures of the explorer's tests: an atlas built by the real pipeline from a small snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest

from constellation.build import build
from constellation.contract import DataLayout
from tests.constellation.app.snapshot_rows import snapshot_rows, write_snapshot
from tests.paths import REPO

APP = REPO / "streamlit_app.py"
EARLIER, LATEST = "20261113T021500Z", "20261120T021500Z"


@pytest.fixture(scope="session")
def atlas_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with two snapshots (a week apart) and the atlas of the newer one."""
    root = tmp_path_factory.mktemp("app-data")
    layout = DataLayout(root)
    earlier = [r for r in snapshot_rows(seed=1, scale=0.5) if not r["id"].endswith(("-merge-3", "-GGUF"))]
    write_snapshot(layout, EARLIER, earlier)
    write_snapshot(layout, LATEST, snapshot_rows(seed=0))
    build(layout)
    return root


@pytest.fixture
def app_env(atlas_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CONSTELLATION_DATA", str(atlas_root))
    _clear_caches()
    yield atlas_root
    _clear_caches()


def _clear_caches() -> None:
    import streamlit as st
    from streamlit import config

    # The site hides error details from visitors (.streamlit/config.toml); tests want them in failures.
    config.set_option("client.showErrorDetails", "full")

    st.cache_data.clear()
    st.cache_resource.clear()
