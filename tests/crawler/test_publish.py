"""Publication: the drop check (a dropped Link caught), duplicates, atomic files."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pyarrow.parquet as pq
import pytest

from constellation.contract import SNAPSHOT_SCHEMA
from constellation.errors import HubAuthError, SuspectSnapshot
from crawler.checkpoint import Checkpoint, Staging, write_part
from crawler.completeness import check_probe
from crawler.publish import assemble, check_drop
from crawler.records import convert_items
from crawler.run import crawl
from crawler.scope import Scope, scope_key
from fakehub.faults import Fault
from fakehub.server import FakeHub
from fakehub.store import HubStore
from tests.crawler.conftest import make_records

T0 = datetime(2026, 7, 26, 2, 0, tzinfo=UTC)


def _crawl(hub, layout, settings, day, **options):
    return crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False,
                 now=T0 + timedelta(days=day), **options)  # fmt: skip


def _shrink(hub, records, n):
    """The Hub really lost models: it now holds only the first `n` records (43 text-generation of 47)."""
    hub.store = HubStore.from_records(records[:n])


def test_a_dropped_link_on_a_first_crawl_is_suspect(hub, layout, settings):
    hub.faults.add(Fault("drop_link", page=3))  # the listing "ends" after 4 pages: 20 of 43 models
    with pytest.raises(SuspectSnapshot) as info:
        _crawl(hub, layout, settings, 0)
    assert info.value.exit_code == 8
    assert str(info.value) == (
        "snapshot 20260726T020000Z is published but marked 'suspect' (build skips it): probe: 23 of the 43 newest "
        "models of the scope (sort=createdAt) are not in the listing, more than the 1 allowed (e.g. org3/model-027, "
        "org2/model-026, org1/model-025); last page: the listing ended on a full page (5 models) without a next "
        "link, and no probe confirmed it complete. The listing probably ended early (a page without a next link): "
        "crawl again."
    )
    manifest = json.loads(layout.manifest("20260726T020000Z").read_text())
    assert manifest["status"] == "suspect" and manifest["counts"]["stored"] == 20
    assert manifest["drop_check"]["baseline_snapshots"] == [] and manifest["drop_check"]["suspect"] is False
    assert manifest["completeness"]["failed"] == ["probe", "last_page_full"]
    assert manifest["completeness"]["last_page_full"] is True
    probe = manifest["completeness"]["probe"]
    assert (probe["sort"], probe["probed"], probe["missing"], probe["allowed"], probe["confirmed"]) == (
        "createdAt", 43, 23, 1, False,
    )  # fmt: skip
    assert len(manifest["suspect_reasons"]) == 2
    assert Staging(layout).load() is None
    # The probe asked one page of the scope, newest first, and only what it needs.
    probe_query = hub.model_requests[-1].query
    assert probe_query["sort"] == ["createdAt"] and probe_query["limit"] == ["1000"]
    assert probe_query["pipeline_tag"] == ["text-generation"] and probe_query["expand"] == ["createdAt"]


def test_a_normal_crawl_is_confirmed_by_the_probe(hub, layout, settings):
    result = _crawl(hub, layout, settings, 0)
    assert result.status == "ok" and result.manifest["suspect_reasons"] == []
    probe = result.manifest["completeness"]["probe"]
    assert (probe["probed"], probe["missing"], probe["confirmed"], probe["skipped"]) == (43, 0, True, None)
    assert result.manifest["completeness"] == {"probe": probe, "last_page_full": False, "failed": []}


def test_a_dropped_link_after_good_nights_fails_the_drop_check_and_the_probe(hub, layout, settings):
    first = _crawl(hub, layout, settings, 0)
    hub.faults.add(Fault("drop_link", page=3))
    with pytest.raises(SuspectSnapshot, match=r"drop check: 20 models, 53.5 % fewer than the median 43 of the last 1 "
                       r"good snapshots of this scope \(the newest: 20260726T020000Z, 43\)") as info:  # fmt: skip
        _crawl(hub, layout, settings, 1)
    assert str(info.value).endswith("crawl again; if the drop is real, crawl again with --accept-drop.")

    suspect_id = "20260727T020000Z"
    assert layout.snapshot_ids() == [first.snapshot_id, suspect_id]  # published, but marked
    manifest = json.loads(layout.manifest(suspect_id).read_text())
    assert manifest["status"] == "suspect"
    assert manifest["drop_check"] == {
        "previous_snapshot": "20260726T020000Z", "previous_count": 43,
        "baseline_snapshots": ["20260726T020000Z"], "baseline_count": 43, "count": 20, "drop": 0.534884,
        "max_drop": 0.2, "suspect": True, "accepted": False,
    }  # fmt: skip
    assert manifest["completeness"]["failed"] == ["drop_check", "probe", "last_page_full"]
    assert Staging(layout).load() is None

    # The next night compares with the last good snapshot, not with the suspect one.
    third = _crawl(hub, layout, settings, 2)
    assert third.status == "ok"
    assert third.manifest["drop_check"]["previous_snapshot"] == "20260726T020000Z"
    assert third.manifest["drop_check"]["baseline_snapshots"] == ["20260726T020000Z"]
    assert third.manifest["drop_check"]["drop"] == 0.0


def test_two_drops_of_14_percent_in_a_row_are_caught_by_the_median(hub, layout, records, settings):
    for day in range(3):  # three good nights of 43 models
        assert _crawl(hub, layout, settings, day).status == "ok"
    _shrink(hub, records, 41)  # 37 text-generation models: 14.0 % fewer than 43, allowed
    fourth = _crawl(hub, layout, settings, 3)
    assert (fourth.status, fourth.manifest["drop_check"]["drop"]) == ("ok", 0.139535)
    _shrink(hub, records, 35)  # 32: 13.5 % fewer than the night before, but 25.6 % fewer than the median 43
    with pytest.raises(SuspectSnapshot, match=r"drop check: 32 models, 25.6 % fewer than the median 43 of the "
                       r"last 4 good snapshots"):  # fmt: skip
        _crawl(hub, layout, settings, 4)
    manifest = json.loads(layout.manifest("20260730T020000Z").read_text())
    assert manifest["drop_check"]["baseline_snapshots"] == [
        "20260729T020000Z", "20260728T020000Z", "20260727T020000Z", "20260726T020000Z",
    ]  # fmt: skip
    assert manifest["drop_check"]["baseline_count"] == 43
    assert manifest["completeness"]["probe"]["confirmed"] is True  # the listing was complete: a real drop
    assert manifest["completeness"]["failed"] == ["drop_check"]


def test_the_baseline_is_the_last_five_good_snapshots(hub, layout, records, settings):
    for day, n in enumerate([47, 47, 20, 20, 20, 20, 20]):  # 43 models twice, then 18 (accepted) five times
        _shrink(hub, records, n)
        _crawl(hub, layout, settings, day, accept_drop=True)
    result = _crawl(hub, layout, settings, 7)
    assert result.manifest["drop_check"]["baseline_snapshots"] == [
        "20260801T020000Z", "20260731T020000Z", "20260730T020000Z", "20260729T020000Z", "20260728T020000Z",
    ]  # fmt: skip
    assert result.manifest["drop_check"]["baseline_count"] == 18 and result.status == "ok"


def test_accept_drop_publishes_a_real_drop_as_ok(hub, layout, records, settings):
    _crawl(hub, layout, settings, 0)
    _shrink(hub, records, 22)  # 20 text-generation models
    result = _crawl(hub, layout, settings, 1, accept_drop=True)
    assert result.status == "ok"
    assert result.manifest["drop_check"]["accepted"] is True and result.manifest["counts"]["stored"] == 20


def test_accept_drop_does_not_accept_an_unconfirmed_listing(hub, layout, settings):
    _crawl(hub, layout, settings, 0)
    hub.faults.add(Fault("drop_link", page=3))
    with pytest.raises(SuspectSnapshot):
        _crawl(hub, layout, settings, 1, accept_drop=True)
    manifest = json.loads(layout.manifest("20260727T020000Z").read_text())
    assert manifest["drop_check"]["accepted"] is True
    assert manifest["completeness"]["failed"] == ["probe", "last_page_full"]


def test_a_full_last_page_is_a_warning_when_the_probe_confirms_the_listing(layout, settings, caplog):
    records = make_records(50)  # 45 text-generation models: nine full pages, the last one without a Link
    with FakeHub(records, page_size=5) as hub, caplog.at_level(logging.WARNING, logger="crawler.run"):
        result = _crawl(hub, layout, settings, 0)
        assert result.status == "ok" and result.manifest["completeness"]["last_page_full"] is True
        assert "the listing ended on a full page (5 models) without a next link; the probe confirmed" in caplog.text
        # Without a probe, nothing confirms it: suspect.
        with pytest.raises(SuspectSnapshot, match="last page: the listing ended on a full page"):
            _crawl(hub, layout, replace(settings, probe_size=0), 1)
    manifest = json.loads(layout.manifest("20260727T020000Z").read_text())
    assert manifest["completeness"]["probe"]["skipped"] == "turned off (--probe-size 0)"
    assert manifest["completeness"]["failed"] == ["last_page_full"]


def test_a_probe_the_hub_refuses_makes_the_snapshot_suspect(hub, layout, settings):
    hub.faults.add(Fault("invalid_cursor", request=9))  # the 10th request: the probe, after 9 pages
    with pytest.raises(SuspectSnapshot, match=r"probe: the completeness probe could not be used: the Hub answered "
                       r"http://127.0.0.1:\d+/api/models with HTTP 400 \(Invalid cursor\)"):  # fmt: skip
        _crawl(hub, layout, settings, 0)
    manifest = json.loads(layout.manifest("20260726T020000Z").read_text())
    assert manifest["counts"]["stored"] == 43 and manifest["completeness"]["failed"] == ["probe"]


def test_a_limited_crawl_that_reached_its_limit_needs_no_probe(hub, layout, settings):
    result = crawl(layout, Scope(limit=7), endpoint=hub.url, settings=settings, progress=False)
    assert result.status == "ok"
    assert result.manifest["completeness"]["probe"]["skipped"] == "the crawl stopped at --limit 7, as asked"
    assert all(r.query.get("sort") != ["createdAt"] for r in hub.model_requests)


def test_the_probe_tolerates_a_few_missing_ids_and_models_rejected_without_id(tmp_path):
    parts = [_part(tmp_path, 0, [f"a/m{i}" for i in range(98)], range(98))]
    probed = [f"a/m{i}" for i in range(100)]  # two newer than the listing
    check = check_probe(probed, parts, 1000, 0.02)
    assert (check.missing, check.allowed, check.confirmed, check.missing_examples) == (2, 2, True, ["a/m98", "a/m99"])
    assert check_probe(["a/gone", *probed[1:]], parts, 1000, 0.02).confirmed is False  # 3 missing, 2 allowed
    # An item rejected without an id may be any missing one.
    page = convert_items([{"downloads": 1}, {"id": "a/late", "createdAt": "x"}], T0)
    staged = tmp_path / "part-rejected.parquet"
    write_part(staged, page.table, page.seen, page.rejected, page.rejected_lineage)
    check = check_probe(["a/gone", *probed[1:], "a/late"], [*parts, staged], 1000, 0.02)
    assert (check.missing, check.unidentified, check.allowed, check.confirmed) == (3, 1, 4, True)


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
        ([("c", 10), ("b", 100), ("a", 100)], 79, True),  # the median (100), not the last (10)
        ([("d", 80), ("c", 90), ("b", 100), ("a", 110)], 76, False),  # median of an even count: 95
        ([("d", 80), ("c", 90), ("b", 100), ("a", 110)], 75, True),
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


def test_a_rerun_after_a_kill_between_publishing_and_clearing_still_says_suspect(hub, layout, settings):
    hub.faults.add(Fault("drop_link", page=3))
    with pytest.raises(SuspectSnapshot):
        _crawl(hub, layout, settings, 0)
    # As if killed after the manifest was written, before the staging folder was cleared.
    Staging(layout).save(Checkpoint(
        snapshot_id="20260726T020000Z", scope=Scope().to_dict(), scope_key=scope_key(Scope(), hub.url),
        endpoint=hub.url, started_at=T0.isoformat(), next_url=None,
    ))  # fmt: skip
    with pytest.raises(SuspectSnapshot, match="snapshot 20260726T020000Z is published but marked 'suspect'"):
        _crawl(hub, layout, settings, 0)
    assert Staging(layout).load() is None and layout.snapshot_ids() == ["20260726T020000Z"]
