"""`constellation build` reusing the last atlas's name state (nightly reuse), against a full rebuild.

Two nights of a synthetic Hub (fakehub.nightly: 2 % of the models added, removed or changed) are published
as snapshots; the second is built incrementally and then with --full, and the two atlases compared: params,
lineage and families exactly, similarity edges within the tolerance tests/constellation/atlas/test_reuse.py
states.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import signal
import time
from datetime import UTC, datetime

import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from constellation.atlas.stage import AtlasConfig
from constellation.build import BuildConfig, build
from constellation.cli import main
from constellation.contract import (
    ATLAS_FILES,
    INFERRED_COLUMNS,
    LINEAGE_COLUMNS,
    PARAMS_COLUMNS,
    SNAPSHOT_SCHEMA,
    DataLayout,
)
from constellation.errors import BuildError, WriteFailed
from constellation.forked_call import Deferred
from constellation.store import read_atlas, read_reuse_files
from crawler.records import convert_items
from fakehub.nightly import next_night
from fakehub.synthetic import generate, to_records
from tests.constellation.atlas.test_reuse import EXACT_OVERLAP

FIRST, SECOND = "20261101T020000Z", "20261102T020000Z"
N = 1000
SCOPE = {"scope": {"synthetic": {"n": N}}, "scope_key": "synthetic"}


def _publish(layout: DataLayout, snapshot_id: str, frame: pd.DataFrame) -> None:
    page = convert_items(list(to_records(frame)), datetime(2026, 11, 1, tzinfo=UTC))
    layout.snapshots.mkdir(parents=True, exist_ok=True)
    pq.write_table(page.table.cast(SNAPSHOT_SCHEMA), layout.snapshot(snapshot_id))
    manifest = {"snapshot_id": snapshot_id, "status": "ok", "synthetic": True, **SCOPE}
    layout.manifest(snapshot_id).write_text(json.dumps(manifest))


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    first = generate(N, 21)
    return first, next_night(first, 0.02, 4)


@pytest.fixture(scope="module")
def built(tmp_path_factory, frames) -> DataLayout:
    """Both nights published, the first one built (fully: there is nothing before it)."""
    layout = DataLayout(tmp_path_factory.mktemp("nights"))
    _publish(layout, FIRST, frames[0])
    _publish(layout, SECOND, frames[1])
    first = build(layout, FIRST)
    assert first.info["mode"] == "full" and first.info["reuse"]["why"] == "no atlas was built before"
    assert (layout.atlas(FIRST) / ATLAS_FILES.reuse / "state.json").is_file()
    return layout


@pytest.fixture
def layout(tmp_path, built) -> DataLayout:
    """A copy of `built` for one test to change."""
    shutil.copytree(built.root, tmp_path / "data")
    return DataLayout(tmp_path / "data")


def _build_info(layout: DataLayout, snapshot_id: str) -> dict:
    return json.loads((layout.atlas(snapshot_id) / ATLAS_FILES.build).read_text())


def _pairs(edges: pd.DataFrame, kind: str) -> set[tuple[str, str]]:
    chosen = edges[edges["kind"] == kind]
    return set(zip(chosen["source"], chosen["target"]))


def test_an_incremental_build_equals_a_full_one_in_content(layout):
    incremental = build(layout, SECOND)
    assert incremental.info["mode"] == "incremental"
    reuse = incremental.info["reuse"]
    assert reuse["previous"] == FIRST and 0 < reuse["changed"] <= 0.05
    assert reuse["names_added"] > 0 and reuse["names_removed"] > 0
    ours = read_atlas(layout, SECOND)

    full = build(layout, SECOND, force=True, full=True)
    assert (full.info["mode"], full.info["reuse"]["why"]) == ("full", "--full")
    theirs = read_atlas(layout, SECOND)

    exact = ["id", *LINEAGE_COLUMNS, *PARAMS_COLUMNS, *INFERRED_COLUMNS]
    left = ours.models[exact].sort_values("id").reset_index(drop=True)
    right = theirs.models[exact].sort_values("id").reset_index(drop=True)
    pd.testing.assert_frame_equal(left, right)
    for kind in ("declared", "inferred"):
        assert _pairs(ours.edges, kind) == _pairs(theirs.edges, kind), kind
    similar, reference = _pairs(ours.edges, "similarity"), _pairs(theirs.edges, "similarity")
    assert len(similar & reference) / len(reference) >= EXACT_OVERLAP

    # Communities start from yesterday's (seeds.py): not a full build's, but a sound partition of today's
    # models, numbered by size, whose modularity is close to a from-scratch run's.
    seeded = incremental.info["reports"]["atlas"]["communities"]
    assert (seeded["seeded"], seeded["seeded_why_not"]) == (True, None)
    sizes = ours.models["community"].value_counts().sort_index()
    assert sizes.index.tolist() == list(range(len(ours.communities)))
    assert ours.communities["size"].tolist() == sizes.tolist()
    assert (ours.communities["size"].diff().dropna()[~ours.communities["unmatched"].iloc[1:]] <= 0).all()
    whole = full.info["reports"]["atlas"]["communities"]
    assert whole["seeded"] is False and seeded["modularity"] >= whole["modularity"] - 0.02


def test_full_forces_a_whole_build_from_the_command_line(layout):
    result = CliRunner().invoke(main, ["build", "--data-dir", str(layout.root), "--snapshot", SECOND, "--full"])
    assert result.exit_code == 0, result.output
    assert "incremental" not in result.output
    info = _build_info(layout, SECOND)
    assert (info["mode"], info["reuse"]["why"]) == ("full", "--full")


def test_the_cli_says_when_a_build_was_incremental(layout):
    result = CliRunner().invoke(main, ["build", "--data-dir", str(layout.root), "--snapshot", SECOND])
    assert result.exit_code == 0, result.output
    assert "(incremental: " in result.output and "of the distinct names changed)" in result.output


def test_build_help_explains_full():
    result = CliRunner().invoke(main, ["build", "--help"])
    assert "--full" in result.output and "reusing" in result.output


def test_a_config_change_forces_a_full_build(layout):
    result = build(layout, SECOND, BuildConfig(atlas=AtlasConfig(seed=7)))
    assert result.info["mode"] == "full"
    assert result.info["reuse"]["why"] == f"the config changed since atlas {FIRST} was built"


def test_a_missing_reuse_folder_falls_back_to_a_full_build(layout, caplog):
    for path in (layout.atlas(FIRST) / ATLAS_FILES.reuse).iterdir():
        path.unlink()
    (layout.atlas(FIRST) / ATLAS_FILES.reuse).rmdir()
    with caplog.at_level(logging.INFO, logger="constellation.build"):
        result = build(layout, SECOND)
    why = f"atlas {FIRST} kept no reuse state (reuse/ is missing)"
    assert (result.info["mode"], result.info["reuse"]["why"]) == ("full", why)
    assert f"name features and kNN computed whole: {why}" in caplog.text


@pytest.mark.parametrize("damaged", ["matrix.npz", "names.parquet", "neighbors.npy", "state.json"])
def test_a_damaged_reuse_folder_falls_back_to_a_full_build_and_says_why(layout, caplog, damaged):
    (layout.atlas(FIRST) / ATLAS_FILES.reuse / damaged).write_bytes(b"not what it should be")
    with caplog.at_level(logging.INFO, logger="constellation.build"):
        result = build(layout, SECOND)
    assert result.info["mode"] == "full"
    assert result.info["reuse"]["why"].startswith(f"the reuse state of atlas {FIRST} is damaged")
    assert damaged in result.info["reuse"]["why"] or damaged == "state.json"
    assert "is damaged, so everything is computed" in caplog.text


def test_a_big_change_builds_fully_and_says_how_much_changed(layout, frames):
    _publish(layout, "20261103T020000Z", generate(N, 99))
    result = build(layout, "20261103T020000Z")
    assert result.info["mode"] == "full"
    assert "of the distinct names changed, more than max_change 5%" in result.info["reuse"]["why"]


@pytest.mark.parametrize("damaged", [f"{ATLAS_FILES.hierarchy}/members.parquet", ATLAS_FILES.communities])
def test_damaged_community_seeds_start_communities_afresh_and_say_why(layout, caplog, damaged):
    (layout.atlas(FIRST) / damaged).write_bytes(b"not what it should be")
    with caplog.at_level(logging.WARNING, logger="constellation.build"):
        result = build(layout, SECOND)
    communities = result.info["reports"]["atlas"]["communities"]
    assert result.info["mode"] == "incremental"  # the names are still reused
    assert (communities["seeded"], communities["seeded_why_not"]) == (
        False,
        "no community seeds from the previous atlas",
    )
    assert f"the communities of atlas {FIRST} cannot seed this build" in caplog.text


def test_a_windowed_incremental_build_checks_the_lists_it_searched_and_keeps_the_rest_at_the_last_figure(layout):
    config = BuildConfig(atlas=AtlasConfig(exact_knn_max=100, knn_recall_sample=200))
    first = build(layout, FIRST, config, force=True).info["reports"]["atlas"]["knn"]
    assert first["method"] == "windowed" and first["recall_sample_size"] == 200
    kept = json.loads((layout.atlas(FIRST) / ATLAS_FILES.reuse / "state.json").read_text())
    assert kept["recall"] == first["recall_on_sample"]
    assert (layout.atlas(FIRST) / ATLAS_FILES.reuse / "minhashes.npy").is_file()

    second = build(layout, SECOND, config)
    assert second.info["mode"] == "incremental"
    knn = second.info["reports"]["atlas"]["knn"]
    assert knn["recall_of_kept_lists"] == first["recall_on_sample"]
    assert knn["recall_sample_size"] < 200 and knn["recall_of_searched_lists"] >= 0.9
    assert "searched tonight" in knn["recall_scope"]
    lo, hi = sorted((knn["recall_of_searched_lists"], knn["recall_of_kept_lists"]))
    assert lo <= knn["recall_on_sample"] <= hi
    # The night checks it in a child beside the atlas stage, which writes the name state once it holds the figure.
    assert {"kNN recall check", "write reuse state"} <= set(second.info["timings_s"])
    atlas = second.info["reports"]["atlas"]
    assert atlas["timings_s"]["knn_recall"] == knn["recall_seconds"]
    assert set(atlas["peak_rss_mb"]) == set(atlas["timings_s"])
    tonight = json.loads((layout.atlas(SECOND) / ATLAS_FILES.reuse / "state.json").read_text())
    assert tonight["recall"] == knn["recall_on_sample"]


def _lineage_rows(layout: DataLayout, snapshot_id: str) -> pd.DataFrame:
    edges = read_atlas(layout, snapshot_id).edges
    lineage = edges[edges["kind"] != "similarity"]
    return lineage.sort_values(["kind", "source", "target"]).reset_index(drop=True)


def test_an_incremental_night_runs_the_genealogy_beside_the_name_stage_with_the_same_output(layout):
    # The genealogy runs in a forked child while this process computes the name features and kNN (build.py):
    # its lineage comes back through files, to the last column and type of a full build's, which runs it here.
    incremental = build(layout, SECOND)
    stages = incremental.info["timings_s"]
    assert {"atlas names", "genealogy", "genealogy, waited for"} <= set(stages)
    assert incremental.info["peak_rss_mb"]["genealogy"] > 0  # the child's own peak
    assert set(incremental.info["peak_rss_mb"]) == set(stages)
    ours = _lineage_rows(layout, SECOND)
    full = build(layout, SECOND, force=True, full=True)
    assert "atlas names" not in full.info["timings_s"] and "set snapshot aside" in full.info["timings_s"]
    pd.testing.assert_frame_equal(ours, _lineage_rows(layout, SECOND))
    assert incremental.info["reports"]["genealogy"] == full.info["reports"]["genealogy"]


def test_the_name_state_written_beside_the_genealogy_is_moved_into_the_atlas(layout):
    # an incremental night writes its reuse/ folder while the genealogy runs; the atlas write moves it in
    incremental = build(layout, SECOND)
    assert "write reuse state" in incremental.info["timings_s"]
    beside = read_reuse_files(layout, SECOND)
    assert beside is not None and not _temporary_folders(layout)
    build(layout, SECOND, force=True, full=True)
    whole = read_reuse_files(layout, SECOND)
    assert whole is not None and set(beside) == set(whole)
    # an incremental state keeps yesterday's names first: the same names and ids, in another order
    assert sorted(beside["names"]["text"]) == sorted(whole["names"]["text"])
    assert sorted(beside["ids"]["id"]) == sorted(whole["ids"]["id"])


def _temporary_folders(layout: DataLayout) -> list[str]:
    return [p.name for p in layout.atlases.iterdir() if p.name.startswith(".")]


def test_an_error_in_the_genealogy_beside_the_name_stage_is_raised_as_itself(layout, monkeypatch):
    def broken(snapshot, config, **options):
        raise BuildError("the genealogy broke")

    monkeypatch.setattr("constellation.build.annotate", broken)  # the child forks with it
    with pytest.raises(BuildError, match="the genealogy broke"):
        build(layout, SECOND)
    assert layout.latest_atlas_id() == FIRST and not _temporary_folders(layout)


def test_a_genealogy_process_that_dies_is_a_build_error_that_says_what_to_do(layout, monkeypatch):
    monkeypatch.setattr(
        "constellation.build.annotate", lambda snapshot, config, **options: os.kill(os.getpid(), signal.SIGKILL)
    )
    with pytest.raises(BuildError, match=r"the genealogy stage died before it finished .*free memory and build again"):
        build(layout, SECOND)
    assert layout.latest_atlas_id() == FIRST and not _temporary_folders(layout)


def test_a_failed_build_leaves_no_name_state_the_child_beside_it_was_still_writing(layout, monkeypatch):
    # The child that writes the name state is still at it when the genealogy dies: the build must end it before
    # removing its folder, or the folder comes back with what it writes next.
    from constellation import build as build_module

    write = build_module.write_reuse_files

    def long_write(folder, files):
        write(folder, files)
        ends, part = time.monotonic() + 3, 0
        while time.monotonic() < ends:  # a state of 3M names takes seconds to write: files keep coming
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"part-{part % 100}").write_bytes(b"")
            part += 1

    def dies_later(snapshot, config, **options):
        time.sleep(1.5)  # while the child beside it writes
        os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr("constellation.build.write_reuse_files", long_write)  # the children fork with both
    monkeypatch.setattr("constellation.build.annotate", dies_later)
    with pytest.raises(BuildError, match="the genealogy stage died"):
        build(layout, SECOND)
    time.sleep(0.5)  # a child left running would go on writing
    assert layout.latest_atlas_id() == FIRST and not _temporary_folders(layout)


def _site_bytes(layout: DataLayout, snapshot_id: str) -> dict[str, bytes]:
    site = layout.atlas(snapshot_id) / ATLAS_FILES.site
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def test_the_site_files_written_beside_the_atlas_write_equal_those_written_in_one_process(
    layout, tmp_path, monkeypatch
):
    # The lookups and views are written in a forked child while this process writes the atlas and the other
    # site files (build.py); the files are the same, byte for byte, as when one process writes them all.
    serial = DataLayout(tmp_path / "serial")
    shutil.copytree(layout.root, serial.root)
    beside = build(layout, SECOND)
    stages = beside.info["timings_s"]
    beside_child = {"site lookups", "site community views", "site lookups and community views, waited for"}
    assert beside_child | {"site row views", "write atlas"} <= set(stages)
    assert set(beside.info["peak_rss_mb"]) == set(stages)
    monkeypatch.setattr("constellation.build.ForkedCall", Deferred)  # the child's work in this process
    build(serial, SECOND)
    ours, theirs = _site_bytes(layout, SECOND), _site_bytes(serial, SECOND)
    assert {"summary.json", "ids.arrow", "lookup.version", "scatter.parquet", "views.version"} <= set(ours)
    assert ours.keys() == theirs.keys()
    assert [name for name in ours if ours[name] != theirs[name]] == []
    assert not _temporary_folders(layout)


def test_an_error_writing_the_site_files_beside_the_atlas_write_is_raised_as_itself(layout, monkeypatch):
    def broken(*args, **kwargs):
        raise BuildError("the views broke")

    monkeypatch.setattr("constellation.build.write_community_views", broken)  # the child forks with it
    with pytest.raises(BuildError, match="the views broke"):
        build(layout, SECOND)
    assert layout.latest_atlas_id() == FIRST and not _temporary_folders(layout)


def test_a_site_files_process_that_dies_is_a_build_error_that_says_what_to_do(layout, monkeypatch):
    monkeypatch.setattr("constellation.build.write_page_lookups", lambda *a: os.kill(os.getpid(), signal.SIGKILL))
    with pytest.raises(
        BuildError, match=r"the site's lookups and community views died before it finished .*free memory"
    ):
        build(layout, SECOND)
    assert layout.latest_atlas_id() == FIRST and not _temporary_folders(layout)


@pytest.mark.parametrize("writer", ["write_id_lookups", "write_page_lookups"])
def test_a_full_disk_in_a_process_beside_the_build_is_a_write_error_that_loses_nothing(layout, monkeypatch, writer):
    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(f"constellation.build.{writer}", full)  # the forked children inherit it
    with pytest.raises(WriteFailed, match=f"^writing atlas {SECOND} failed: No space left on device"):
        build(layout, SECOND)
    assert layout.latest_atlas_id() == FIRST and not _temporary_folders(layout)


def test_a_name_stage_process_that_dies_beside_the_atlas_stage_is_a_build_error_that_says_what_to_do(
    layout, monkeypatch
):
    monkeypatch.setattr("constellation.build.write_id_lookups", lambda *a: os.kill(os.getpid(), signal.SIGKILL))
    with pytest.raises(BuildError, match=r"the kNN recall check, .* died before it finished .*free memory"):
        build(layout, SECOND)
    assert layout.latest_atlas_id() == FIRST and not _temporary_folders(layout)
