"""Test-wide isolation: no real Hub, no user token, no shared cache.

huggingface_hub reads its environment at import time, so this runs before any test module imports it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.paths import SHARED_DATA

_HF_HOME = tempfile.mkdtemp(prefix="constellation-test-hf-home-")
os.environ["HF_HOME"] = _HF_HOME
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_DISABLE_IMPLICIT_TOKEN"] = "1"
for _var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_ENDPOINT"):
    os.environ.pop(_var, None)


def pytest_unconfigure(config: pytest.Config) -> None:
    """The HF_HOME made above goes at the end of the run, or every run would leave a folder in /tmp."""
    shutil.rmtree(_HF_HOME, ignore_errors=True)


@pytest.fixture
def shared_data() -> Path:
    """../shared/data, the real Hub metadata; skips the test when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real Hub metadata not found at {SHARED_DATA} (the shared/ folder beside the project)")
    return SHARED_DATA


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty data directory, also set as $CONSTELLATION_DATA."""
    root = tmp_path / "data"
    root.mkdir()
    monkeypatch.setenv("CONSTELLATION_DATA", str(root))
    return root
