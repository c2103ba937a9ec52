"""docs/library.md runs: its `>>>` blocks are a doctest over a small data directory made here."""

import doctest

import pytest

from constellation.contract import DataLayout
from tests.constellation.app.snapshot_rows import snapshot_rows, write_snapshot
from tests.paths import REPO

LIBRARY_DOC = REPO / "docs" / "library.md"


@pytest.mark.slow
def test_the_library_guide_runs(tmp_path, monkeypatch):
    data = tmp_path / "data"
    write_snapshot(DataLayout(data), "20261120T021500Z", snapshot_rows(seed=0))
    monkeypatch.setenv("CONSTELLATION_DATA", str(data))
    monkeypatch.chdir(tmp_path)  # the guide writes its export to a relative path
    result = doctest.testfile(
        str(LIBRARY_DOC), module_relative=False, optionflags=doctest.ELLIPSIS, raise_on_error=False, verbose=False
    )
    assert result.attempted >= 20
    assert result.failed == 0, f"{result.failed} of the {result.attempted} examples in {LIBRARY_DOC} failed"
