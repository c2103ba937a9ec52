"""Publication: the drop check (a dropped Link caught), duplicates, atomic files."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pyarrow.parquet as pq
import pytest

from constellation.contract import SNAPSHOT_SCHEMA
from constellation.errors import HubAuthError, SuspectSnapshot
from crawler.checkpoint import Staging
from crawler.publish import assemble, check_drop
from crawler.records import convert_items
from crawler.run import crawl
from crawler.scope import Scope
from fakehub.faults import Fault

T0 = datetime(2026, 7, 26, 2, 0, tzinfo=UTC)


def test_a_dropped_link_is_caught_by_the_drop_check(hub, layout, settings):
    first = crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False, now=T0)
    hub.faults.add(Fault("drop_link", page=3))  # the listing "ends" after 4 pages: 20 of 43 models

    with pytest.raises(SuspectSnapshot, match=r"has 20 models, 53.5 % fewer than 20260726T020000Z \(43\)") as info:
        crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False, now=T0 + timedelta(days=1))
    assert info.value.exit_code == 8

    suspect_id = "20260727T020000Z"
    assert layout.snapshot_ids() == [first.snapshot_id, suspect_id]  # published, but marked
    manifest = json.loads(layout.manifest(suspect_id).read_text())
    assert manifest["status"] == "suspect"
    assert manifest["drop_check"] == {
        "previous_snapshot": "20260726T020000Z", "previous_count": 43, "count": 20, "drop": 0.534884,
        "max_drop": 0.2, "suspect": True, "accepted": False,
    }  # fmt: skip
    assert Staging(layout).load() is None

    # The next night compares with the last good snapshot, not with the suspect one.
    third = crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False, now=T0 + timedelta(days=2))
    assert third.status == "ok"
    assert third.manifest["drop_check"]["previous_snapshot"] == "20260726T020000Z"
    assert third.manifest["drop_check"]["drop"] == 0.0


def test_accept_drop_publishes_a_real_drop_as_ok(hub, layout, settings):
    crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False, now=T0)
    hub.faults.add(Fault("drop_link", page=3))
    result = crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False,
                   now=T0 + timedelta(days=1), accept_drop=True)  # fmt: skip
    assert result.status == "ok"
    assert result.manifest["drop_check"]["accepted"] is True and result.manifest["counts"]["stored"] == 20


def test_the_drop_check_compares_only_the_same_scope(hub, layout, settings):
    crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False, now=T0)
    small = crawl(layout, Scope(limit=5), endpoint=hub.url, settings=settings, progress=False,
                  now=T0 + timedelta(days=1))  # fmt: skip
    assert small.status == "ok" and small.manifest["drop_check"]["previous_snapshot"] is None


@pytest.mark.parametrize(
    "previous, count, suspect",
    [
        (None, 10, False),
        (("a", 100), 80, False),
        (("a", 100), 79, True),
        (("a", 100), 150, False),
        (("a", 0), 0, False),
    ],
)
def test_check_drop_threshold(previous, count, suspect):
    assert check_drop(previous, count, 0.2, accept_drop=False).suspect is suspect


def _part(tmp_path, index, ids, downloads):
    items = [{"id": i, "downloads": d} for i, d in zip(ids, downloads)]
    page = convert_items(items, T0)
    path = tmp_path / f"part-{index}.parquet"
    pq.write_table(page.table, path)
    return path


def test_a_model_listed_twice_keeps_its_last_row(tmp_path):
    parts = [
        _part(tmp_path, 0, ["a/x", "a/y"], [10, 9]),
        _part(tmp_path, 1, ["a/z", "a/x"], [8, 11]),  # a/x moved down the ranking while we paged
    ]
    target = tmp_path / "snapshot.parquet"
    result = assemble(parts, target)
    table = pq.read_table(target)
    assert table.schema.equals(SNAPSHOT_SCHEMA)
    assert table.column("id").to_pylist() == ["a/y", "a/z", "a/x"]
    assert table.column("downloads").to_pylist() == [9, 8, 11]
    assert (result.stored, result.duplicates) == (3, 1)


def test_assembly_of_no_pages_is_an_empty_snapshot(tmp_path):
    target = tmp_path / "snapshot.parquet"
    assert assemble([], target).stored == 0
    assert pq.read_table(target).num_rows == 0


def test_publication_leaves_no_temporary_files(hub, layout, settings):
    crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False)
    names = sorted(p.name for p in layout.snapshots.iterdir() if p.is_file())
    assert len(names) == 2 and names[0].endswith(".json") and names[1].endswith(".parquet")


def test_temporary_files_of_a_publication_killed_midway_are_removed(hub, layout, settings):
    hub.faults.add(Fault("forbidden", page=2))
    with pytest.raises(HubAuthError):
        crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False)
    sid = Staging(layout).load().snapshot_id
    leftover = layout.snapshots / f".{sid}.parquet.k1ll3d.tmp"  # as store.atomic_path names them
    leftover.write_bytes(b"half a snapshot")
    crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False)
    assert not leftover.exists()
    assert sorted(p.name for p in layout.snapshots.iterdir() if p.is_file()) == [f"{sid}.json", f"{sid}.parquet"]
