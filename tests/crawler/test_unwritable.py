"""A data directory the crawl cannot write, before the first page: exit 9 and one line, no traceback.

(Tests run as root, which chmod cannot stop: a file where the snapshots folder should be gives the same
ENOTDIR a missing or read-only mount gives.)"""

from __future__ import annotations

import pytest

from constellation.errors import StorageError
from crawler.run import crawl
from crawler.scope import Scope


def test_a_file_where_the_snapshots_folder_should_be_is_a_storage_error(hub, layout, settings):
    layout.snapshots.write_text("a file where the snapshots folder should be")
    with pytest.raises(StorageError) as info:
        crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False)
    assert info.value.exit_code == 9
    assert str(info.value).startswith(
        f"creating the staging folder {layout.staging} failed: Not a directory. Staged pages are kept"
    )
    assert layout.snapshots.read_text() == "a file where the snapshots folder should be"
