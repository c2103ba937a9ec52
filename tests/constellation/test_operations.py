"""Operations: `constellation prune` (retention) and `constellation status` (monitoring), through the CLI."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime

from click.testing import CliRunner

from constellation.build import build
from constellation.cli import main
from constellation.contract import DataLayout
from constellation.retention import plan_prune
from constellation.status import describe, read_status
from tests.snapshot_factory import model_row, write_snapshot

FULL = {"pipeline_tag": "text-generation", "author": None, "search": None, "filters": [], "limit": None}
NIGHTS = [
    "20260910T021500Z",  # September, but not its newest
    "20260930T021500Z",  # September's newest
    "20261030T021500Z",  # October's newest
    "20261201T021500Z",
    "20261201T150000Z",  # a second crawl the same day: the day keeps this one
    "20261202T021500Z",
    "20261203T021500Z",
]
IMPORT = "20230719T000000Z"


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def _data(tmp_path) -> DataLayout:
    layout = DataLayout(tmp_path)
    rows = [model_row(f"org/model-{i}-7b", downloads=i) for i in range(5)]
    for sid in NIGHTS:
        write_snapshot(layout, sid, rows, {"scope": FULL, "scope_key": "nightly"})
    write_snapshot(layout, IMPORT, rows, {"scope": {"import": "constellation-csv"}, "scope_key": "import:csv"})
    return layout


def test_prune_keeps_a_daily_and_a_monthly_series_and_never_the_sites_atlas(tmp_path):
    layout = _data(tmp_path)
    build(layout, NIGHTS[0])  # the site shows an old atlas: it must survive
    build(layout, NIGHTS[-1])  # LATEST moves; PREVIOUS names the old one
    build(layout, NIGHTS[3])  # an atlas of a snapshot that retention drops
    assert (layout.latest_atlas_id(), layout.previous_atlas_id()) == (NIGHTS[-1], NIGHTS[0])

    dry = invoke("prune", "--data-dir", str(tmp_path), "--keep-daily", "2", "--keep-monthly", "2", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.output.splitlines()[:4] == [
        f"would remove snapshot {NIGHTS[1]}",
        f"would remove snapshot {NIGHTS[3]}",
        f"would remove snapshot {NIGHTS[4]}",
        f"would remove atlas {NIGHTS[3]}",
    ]
    assert len(layout.snapshot_ids()) == 8  # nothing removed

    result = invoke("prune", "--data-dir", str(tmp_path), "--keep-daily", "2", "--keep-monthly", "2")
    assert result.exit_code == 0, result.output
    # days kept: 12-02 and 12-03; months kept: 2026-12 (12-03) and 2026-10; NIGHTS[0] is PREVIOUS; the import stays
    assert layout.snapshot_ids() == [IMPORT, NIGHTS[0], NIGHTS[2], NIGHTS[5], NIGHTS[6]]
    assert layout.atlas_ids() == [NIGHTS[0], NIGHTS[6]]
    assert result.output.splitlines()[-1].startswith("3 snapshots and 1 atlases removed, freed ")


def test_prune_removes_leftover_folders_of_killed_builds_after_a_day(tmp_path):
    layout = _data(tmp_path)
    old = layout.atlases / f".{NIGHTS[0]}.abc123.tmp"
    fresh = layout.atlases / f".{NIGHTS[1]}.def456.tmp"  # a build writing right now
    for folder in (old, fresh):
        folder.mkdir(parents=True)
    day_ago = time.time() - 2 * 86400
    os.utime(old, (day_ago, day_ago))
    assert plan_prune(layout, 30, 24).remove_temporary == [old]


def test_prune_refuses_to_keep_no_day(tmp_path):
    result = invoke("prune", "--data-dir", str(tmp_path), "--keep-daily", "0")
    assert (result.exit_code, result.output) == (
        1,
        "Error: --keep-daily must be at least 1 (the newest snapshot is the next build's input), got 0\n",
    )


def test_status_is_fresh_then_stale_with_the_documented_exit_code(tmp_path):
    layout = _data(tmp_path)
    build(layout)
    fresh = read_status(layout, 36 * 3600, now=datetime(2026, 12, 3, 12, 15, tzinfo=UTC))
    assert (fresh.site_atlas, fresh.data_age_s, fresh.problem) == (NIGHTS[-1], 36000.0, None)
    assert fresh.last_crawl is not None and (fresh.last_crawl.snapshot_id, fresh.last_crawl.status) == (
        NIGHTS[-1],
        "ok",
    )

    result = invoke("status", "--data-dir", str(tmp_path), "--max-age", "36h")  # now: long after 2026-12-03
    assert result.exit_code == 10
    assert f"site shows:   atlas {NIGHTS[-1]} (5 models" in result.output
    assert "verdict:      STALE: the site's data (snapshot 20261203T021500Z) is " in result.output
    assert result.output.splitlines()[-1].startswith("Error: the site's data (snapshot 20261203T021500Z) is ")

    as_json = invoke("status", "--data-dir", str(tmp_path), "--max-age", "100000d", "--json")
    assert as_json.exit_code == 0, as_json.output
    payload = json.loads(as_json.output)
    assert (payload["site_atlas"], payload["problem"], payload["last_crawl"]["models"]) == (NIGHTS[-1], None, 5)


def test_status_names_a_newer_snapshot_that_was_not_built(tmp_path):
    layout = _data(tmp_path)
    build(layout, NIGHTS[-2])
    status = read_status(layout, 1e9)
    assert status.unbuilt_snapshot == NIGHTS[-1]


def test_status_without_any_atlas_exits_10(tmp_path):
    result = invoke("status", "--data-dir", str(tmp_path))
    assert result.exit_code == 10
    assert result.output.splitlines()[0] == "last crawl:   none published"
    assert (
        result.output.splitlines()[-1] == f"Error: no atlas in {tmp_path / 'atlas'}: run `make crawl` then `make build`"
    )


def test_status_refuses_a_bad_max_age(tmp_path):
    result = invoke("status", "--data-dir", str(tmp_path), "--max-age", "soon")
    assert (result.exit_code, result.output) == (1, "Error: 'soon' is not a duration; write e.g. 90s, 30m, 6h or 2d\n")


def test_status_points_at_a_full_listing_of_another_endpoint(tmp_path):
    layout = _data(tmp_path)
    build(layout, NIGHTS[-2])
    write_snapshot(layout, "20261204T021500Z", [model_row("org/x")], {"scope": FULL, "scope_key": "mirror"})
    status = read_status(layout, 1e9)
    assert (status.unbuilt_snapshot, status.other_scope_snapshot) == (NIGHTS[-1], "20261204T021500Z")
    assert (
        "other scope:  snapshot 20261204T021500Z is a full listing of another scope or endpoint than the site's; "
        "`constellation build --snapshot 20261204T021500Z --publish` switches"
    ) in describe(status)
