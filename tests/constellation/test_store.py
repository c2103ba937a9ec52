"""The store's writers: atomic files, and the LATEST pointer that moves only to a complete atlas."""

import os

import pytest

from constellation.contract import DataLayout
from constellation.errors import ContractError
from constellation.store import set_latest_atlas, write_text_atomic


def test_latest_pointer_moves_only_to_an_existing_atlas(tmp_path):
    layout = DataLayout(tmp_path)
    assert layout.latest_atlas_id() is None
    with pytest.raises(ContractError, match="does not exist"):
        set_latest_atlas(layout, "20260101T000000Z")
    layout.atlas("20260101T000000Z").mkdir(parents=True)
    set_latest_atlas(layout, "20260101T000000Z")
    assert layout.latest_pointer.read_text() == "20260101T000000Z\n"
    assert layout.latest_atlas_id() == "20260101T000000Z"


def test_atomic_write_leaves_no_temporary_files(tmp_path):
    target = tmp_path / "a" / "file.txt"
    write_text_atomic(target, "one")
    write_text_atomic(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["file.txt"]


def test_atomic_writes_are_readable_by_group_and_others(tmp_path):
    target = tmp_path / "shared.json"
    write_text_atomic(target, "{}")
    assert target.stat().st_mode & 0o777 == 0o666 & ~_current_umask()


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
