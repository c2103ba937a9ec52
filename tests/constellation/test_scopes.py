"""Scopes do not mix: trial, filtered and imported snapshots never become what the site shows unless asked
(`build --publish`), and the site's pointer follows the newest full listing of its own scope."""

from __future__ import annotations

import stat
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from constellation.build import build
from constellation.cli import main
from constellation.contract import DataLayout
from constellation.errors import SnapshotNotFound
from constellation.store import nightly_snapshot_id, partial_scope
from crawler.importer import check_not_future
from tests.snapshot_factory import model_row, write_snapshot

NIGHT1, NIGHT2, TRIAL, NIGHT3 = "20261201T021500Z", "20261202T021500Z", "20261202T120000Z", "20261203T021500Z"
FULL = {"pipeline_tag": "text-generation", "author": None, "search": None, "filters": [], "limit": None}
FULL_KEY = "a1b2c3d4e5f60718"


def _rows(n: int) -> list[dict]:
    return [model_row(f"org/model-{i}-7b", downloads=10 * i) for i in range(n)]


def _night(layout: DataLayout, sid: str, n: int = 6, **manifest) -> None:
    write_snapshot(layout, sid, _rows(n), {"scope": FULL, "scope_key": FULL_KEY, **manifest})


def _trial(layout: DataLayout, sid: str, n: int = 2, **scope) -> None:
    narrowed = {**FULL, "limit": 2, **scope}
    write_snapshot(layout, sid, _rows(n), {"scope": narrowed, "scope_key": "trial" + sid[-7:-1]})


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize(
    "manifest, expected",
    [
        ({"scope": FULL, "scope_key": FULL_KEY}, None),
        ({"scope": {**FULL, "pipeline_tag": None}, "scope_key": "x"}, None),  # --all is a full listing
        ({}, None),  # a manifest from before scopes were recorded
        ({"scope": {**FULL, "limit": 200}}, "a partial crawl (--limit 200)"),
        ({"scope": {**FULL, "author": "org1", "filters": ["gguf"]}}, "a partial crawl (--author org1 --filter gguf)"),
        ({"scope": {"import": "jsonl"}, "scope_key": "import:jsonl"}, "an import (jsonl)"),
    ],
)
def test_partial_scope_names_what_narrows_a_listing(manifest, expected):
    assert partial_scope(manifest) == expected


def test_a_trial_crawl_after_the_nightly_one_does_not_replace_the_site(tmp_path):
    layout = DataLayout(tmp_path)
    _night(layout, NIGHT2)
    assert build(layout).snapshot_id == NIGHT2
    _trial(layout, TRIAL)
    again = build(layout)  # no --snapshot: the newest ok snapshot of the nightly scope, not the trial
    assert (again.snapshot_id, again.skipped) == (NIGHT2, True)
    assert layout.latest_atlas_id() == NIGHT2


def test_building_a_trial_by_name_writes_its_atlas_but_keeps_the_site(tmp_path):
    layout = DataLayout(tmp_path)
    _night(layout, NIGHT2)
    build(layout)
    _trial(layout, TRIAL)
    result = invoke("build", "--data-dir", str(tmp_path), "--snapshot", TRIAL)
    assert result.exit_code == 0, result.output
    assert result.output.endswith(f"; the site still shows {NIGHT2} (--publish to show this one)\n")
    assert (layout.atlas(TRIAL) / "build.json").is_file()
    assert layout.latest_atlas_id() == NIGHT2
    result = invoke("build", "--data-dir", str(tmp_path), "--snapshot", TRIAL, "--publish")
    assert result.exit_code == 0, result.output
    assert layout.latest_atlas_id() == TRIAL
    assert layout.previous_atlas_id() == NIGHT2


def test_the_next_nightly_build_moves_the_site_back_from_a_published_trial(tmp_path):
    layout = DataLayout(tmp_path)
    _trial(layout, TRIAL)
    build(layout, TRIAL)  # a fresh data dir: the site shows nothing yet, so the trial may
    assert layout.latest_atlas_id() == TRIAL
    _night(layout, NIGHT3)
    assert build(layout).snapshot_id == NIGHT3
    assert layout.latest_atlas_id() == NIGHT3


def test_a_full_listing_of_another_scope_stays_off_the_site(tmp_path):
    layout = DataLayout(tmp_path)
    _night(layout, NIGHT1)
    build(layout)
    write_snapshot(layout, NIGHT2, _rows(9), {"scope": {**FULL, "pipeline_tag": None}, "scope_key": "whole-hub"})
    _night(layout, NIGHT3)
    assert nightly_snapshot_id(layout) == NIGHT3
    build(layout, NIGHT2)  # `--all` once, by name
    assert layout.latest_atlas_id() == NIGHT1
    assert build(layout).snapshot_id == NIGHT3 and layout.latest_atlas_id() == NIGHT3


def test_rebuilding_an_older_nightly_snapshot_does_not_move_the_site_back(tmp_path):
    layout = DataLayout(tmp_path)
    _night(layout, NIGHT1)
    _night(layout, NIGHT2)
    build(layout)
    result = build(layout, NIGHT1)
    assert not result.published and layout.latest_atlas_id() == NIGHT2


def test_only_partial_snapshots_give_one_clear_line(tmp_path):
    layout = DataLayout(tmp_path)
    _trial(layout, TRIAL)
    result = invoke("build", "--data-dir", str(tmp_path))
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: no ok snapshot of the nightly scope (a full listing) in {layout.snapshots}; passed over "
        f"{TRIAL} (a partial crawl (--limit 2)). Build one of them with --snapshot ID (add --publish to show "
        "it on the site)"
    )
    with pytest.raises(SnapshotNotFound):
        build(layout)


def test_suspect_and_imported_snapshots_are_passed_over(tmp_path):
    layout = DataLayout(tmp_path)
    _night(layout, NIGHT1)
    _night(layout, NIGHT2, status="suspect")
    write_snapshot(layout, NIGHT3, _rows(3), {"scope": {"import": "jsonl"}, "scope_key": "import:jsonl"})
    assert nightly_snapshot_id(layout) == NIGHT1


def test_a_data_dir_of_imports_only_builds_its_newest_import(tmp_path):
    layout = DataLayout(tmp_path)
    write_snapshot(layout, NIGHT1, _rows(3), {"scope": {"import": "csv"}, "scope_key": "import:csv"})
    write_snapshot(layout, NIGHT2, _rows(4), {"scope": {"import": "csv"}, "scope_key": "import:csv"})
    assert nightly_snapshot_id(layout) == NIGHT2
    _trial(layout, TRIAL)  # once anything was crawled, imports are passed over again
    with pytest.raises(SnapshotNotFound):
        nightly_snapshot_id(layout)


def test_a_forced_rebuild_of_what_the_site_shows_keeps_it_shown_and_says_nothing_else(tmp_path):
    layout = DataLayout(tmp_path)  # an analyst's import, which no rule would publish on its own
    write_snapshot(layout, NIGHT1, _rows(3), {"scope": {"import": "csv"}, "scope_key": "import:csv"})
    build(layout)
    result = invoke("build", "--data-dir", str(tmp_path), "--snapshot", NIGHT1, "--force")
    assert result.exit_code == 0, result.output
    assert "site still shows" not in result.output
    assert layout.latest_atlas_id() == NIGHT1


def test_an_atlas_is_readable_by_a_site_running_as_another_user(tmp_path):
    layout = DataLayout(tmp_path)
    _night(layout, NIGHT1)
    build(layout)
    folder = layout.atlas(NIGHT1)
    modes = {p.relative_to(folder).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in folder.rglob("*")}
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755
    assert modes and all(mode == (0o755 if (folder / name).is_dir() else 0o644) for name, mode in modes.items())
    build(layout, force=True)  # the swap of a rebuilt folder keeps the modes
    assert stat.S_IMODE(layout.atlas(NIGHT1).stat().st_mode) == 0o755


def test_an_import_dated_in_the_future_is_refused_with_one_line(data_dir, tmp_path):
    dump = tmp_path / "models.jsonl"
    dump.write_text('{"id": "org/model-7b", "downloads": 3}\n')
    result = invoke("import", str(dump), "--as-of", "2099-01-01")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "Error: the date of the data, 2099-01-01T00:00:00+00:00, is in the future"
    )
    assert not (data_dir / "snapshots").exists() or not list((data_dir / "snapshots").glob("*.json"))


def test_a_small_clock_skew_is_allowed():
    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    check_not_future(datetime(2026, 12, 4, 12, 59, tzinfo=UTC), now)  # within the hour of skew
    with pytest.raises(Exception, match="is in the future"):
        check_not_future(datetime(2026, 12, 4, 13, 1, tzinfo=UTC), now)


def test_growth_and_history_compare_a_snapshot_with_its_own_scope_only(tmp_path):
    from constellation.history import model_history, snapshot_growth
    from constellation.store import same_scope_snapshot_ids

    layout = DataLayout(tmp_path)
    _night(layout, NIGHT2, n=6)
    _trial(layout, TRIAL, n=2)
    _night(layout, NIGHT3, n=7)
    assert same_scope_snapshot_ids(layout, NIGHT3) == [NIGHT2, NIGHT3]
    growth = snapshot_growth(layout, NIGHT3)
    assert growth is not None
    assert (growth["previous"], growth["added"], growth["removed"]) == (NIGHT2, 1, 0)
    ids = same_scope_snapshot_ids(layout, NIGHT3)
    assert model_history(layout, "org/model-1-7b", ids)["snapshot_id"].tolist() == [NIGHT2, NIGHT3]
