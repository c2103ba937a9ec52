import json
import logging
import shutil

import pyarrow.parquet as pq
import pytest

from constellation.atlas.stage import AtlasConfig
from constellation.build import (
    PACKAGE_ROOT,
    BuildConfig,
    build,
    code_digest,
    config_digest,
    deduplicate,
)
from constellation.contract import ATLAS_FILES, ATLAS_MODEL_COLUMNS, DataLayout
from constellation.errors import BuildError, SnapshotNotFound
from constellation.genealogy.stage import GenealogyConfig
from tests.snapshot_factory import model_row, write_snapshot

SID = "20260101T000000Z"


def _rows():
    return [
        model_row("meta-llama/Llama-2-7b-hf", downloads=1000, likes=50),
        model_row(
            "someone/llama2-chat-ft",
            downloads=100,
            likes=3,
            base_models=[{"id": "meta-llama/Llama-2-7b-hf", "relation": "finetune"}],
        ),
        model_row("TheBloke/Llama-2-7B-GGUF", downloads=500, likes=9),
    ]


def test_build_writes_every_output_then_moves_latest(tmp_path):
    layout = DataLayout(tmp_path)
    write_snapshot(layout, SID, _rows(), {"synthetic": True})
    result = build(layout)
    assert (result.snapshot_id, result.skipped, result.models) == (SID, False, 3)
    folder = layout.atlas(SID)
    for name in (ATLAS_FILES.models, ATLAS_FILES.edges, ATLAS_FILES.communities, ATLAS_FILES.build):
        assert (folder / name).is_file(), name
    assert layout.latest_atlas_id() == SID
    assert tuple(pq.read_schema(folder / ATLAS_FILES.models).names) == ATLAS_MODEL_COLUMNS
    info = json.loads((folder / ATLAS_FILES.build).read_text())
    assert info["synthetic"] is True
    assert info["counts"]["models"] == 3
    assert not [p for p in layout.atlases.iterdir() if p.name.startswith(".")], "temporary folders left behind"


def test_build_json_records_each_stage_peak_memory(tmp_path):
    layout = DataLayout(tmp_path)
    write_snapshot(layout, SID, _rows(), {"synthetic": True})
    result = build(layout)
    info = json.loads((layout.atlas(SID) / ATLAS_FILES.build).read_text())
    # build.json is written inside "write atlas", so that stage's peak and the later ones are in the result only
    # ("site order" comes before it: the site's lookups and views are written beside it, in id order)
    assert set(info["peak_rss_mb"]) == {
        "read snapshot",
        "genealogy",
        "read reuse state",
        "set snapshot aside",
        "genealogy, waited for",
        "atlas",
        "models back",
        "site order",
    }
    assert set(result.info["peak_rss_mb"]) == set(result.info["timings_s"])
    atlas = info["reports"]["atlas"]
    assert set(atlas["peak_rss_mb"]) == set(atlas["timings_s"])
    peaks = [*info["peak_rss_mb"].values(), *atlas["peak_rss_mb"].values()]
    assert all(isinstance(peak, float) and peak > 0 for peak in peaks)
    # the atlas's steps run inside the atlas stage: none of them peaks above it
    assert max(atlas["peak_rss_mb"].values()) <= info["peak_rss_mb"]["atlas"]


def test_columns_the_atlas_does_not_read_come_back_whole(tmp_path):
    # build() hands map_atlas only the columns it reads and keeps the others on disk meanwhile
    layout = DataLayout(tmp_path)
    rows = _rows()
    rows[0].update(tags=["llama", "text-generation", "license:llama2"], pipeline_tag="text-generation")
    write_snapshot(layout, SID, rows, {"synthetic": True})
    build(layout)
    models = pq.read_table(layout.atlas(SID) / ATLAS_FILES.models).to_pandas().set_index("id")
    llama = models.loc["meta-llama/Llama-2-7b-hf"]
    assert list(llama["tags"]) == ["llama", "text-generation", "license:llama2"]
    # the build reads the snapshot's lists in Arrow, yet they read back as they always have: arrays per row
    assert models["tags"].dtype == object and models["base_models"].dtype == object
    assert llama["pipeline_tag"] == "text-generation"
    assert [dict(b) for b in models.loc["someone/llama2-chat-ft", "base_models"]] == [
        {"id": "meta-llama/Llama-2-7b-hf", "relation": "finetune"}
    ]
    assert models.loc["someone/llama2-chat-ft", "parent"] == "meta-llama/Llama-2-7b-hf"
    assert models["community"].notna().all() and models["x"].notna().all()
    assert {p.name for p in layout.atlases.iterdir()} == {SID, "LATEST"}  # the work folder is gone


def test_rebuilding_an_unchanged_snapshot_does_nothing(tmp_path):
    layout = DataLayout(tmp_path)
    write_snapshot(layout, SID, _rows())
    first = build(layout)
    mtime = (layout.atlas(SID) / ATLAS_FILES.models).stat().st_mtime_ns
    again = build(layout)
    assert again.skipped and not first.skipped
    assert (layout.atlas(SID) / ATLAS_FILES.models).stat().st_mtime_ns == mtime
    assert build(layout, force=True).skipped is False


def test_duplicate_ids_keep_the_last_row_and_are_counted():
    import pandas as pd

    frame = pd.DataFrame({"id": ["a/x", "b/y", "a/x"], "downloads": [1, 2, 3]})
    unique, dropped = deduplicate(frame)
    assert dropped == 1
    assert unique.set_index("id")["downloads"].to_dict() == {"a/x": 3, "b/y": 2}
    assert unique.index.tolist() == [0, 1]


def test_a_snapshot_without_duplicate_ids_comes_back_as_it_was():
    import pandas as pd

    frame = pd.DataFrame({"id": ["b/y", "a/x", "c/z"], "downloads": [1, 2, 3]}, index=[5, 6, 7])
    unique, dropped = deduplicate(frame)
    assert dropped == 0
    pd.testing.assert_frame_equal(unique, frame.reset_index(drop=True))


def test_empty_snapshot_gets_a_clear_error(tmp_path):
    layout = DataLayout(tmp_path)
    write_snapshot(layout, SID, [])
    with pytest.raises(BuildError, match="holds no models"):
        build(layout)
    assert layout.latest_atlas_id() is None


def test_no_snapshot_explains_how_to_get_one(tmp_path):
    with pytest.raises(SnapshotNotFound, match="make crawl.*make demo"):
        build(DataLayout(tmp_path))


def test_suspect_snapshots_are_skipped_unless_named(tmp_path):
    layout = DataLayout(tmp_path)
    write_snapshot(layout, SID, _rows())
    write_snapshot(layout, "20260102T000000Z", _rows()[:1], {"status": "suspect"})
    assert build(layout).snapshot_id == SID
    assert build(layout, "20260102T000000Z").models == 1


def test_published_atlas_files_are_readable_by_others(tmp_path):
    layout = DataLayout(tmp_path)
    write_snapshot(layout, SID, _rows())
    build(layout)
    assert layout.latest_pointer.stat().st_mode & 0o044 == 0o044


def test_legacy_ids_without_an_owner_build(tmp_path):
    # The Constellation paper's list holds legacy ids such as `gpt2` (author null).
    layout = DataLayout(str(tmp_path))  # a str root works as well as a Path
    rows = [
        model_row("gpt2", downloads=100),
        model_row("someone/gpt2-finetuned", downloads=3),
        model_row("TheBloke/gpt2-GGUF", downloads=5),
        model_row("distilgpt2"),
    ]
    write_snapshot(layout, SID, rows)
    assert build(layout).models == 4


def _package_copy(tmp_path):
    copy = tmp_path / "constellation"
    shutil.copytree(PACKAGE_ROOT, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_the_fingerprint_records_snapshot_config_and_code_apart(tmp_path):
    layout = DataLayout(tmp_path / "data")
    write_snapshot(layout, SID, _rows())
    build(layout)
    info = json.loads((layout.atlas(SID) / ATLAS_FILES.build).read_text())
    recorded = info["fingerprint"]
    assert sorted(recorded) == ["code", "combined", "config", "snapshot"]
    assert recorded["code"] == code_digest()
    assert recorded["config"] == config_digest(BuildConfig())
    assert info["config"] == json.loads(json.dumps(AtlasConfig().as_dict()))
    assert info["genealogy_config"]["min_confidence"] == 0.6


def test_a_copy_of_the_package_hashes_like_the_package(tmp_path):
    assert code_digest(_package_copy(tmp_path)) == code_digest()


def test_a_one_line_change_to_a_stage_rebuilds(tmp_path, caplog):
    layout = DataLayout(tmp_path / "data")
    write_snapshot(layout, SID, _rows())
    code = _package_copy(tmp_path)
    assert build(layout, code_root=code).skipped is False
    assert build(layout, code_root=code).skipped is True

    stage = code / "atlas" / "layout.py"
    stage.write_text(stage.read_text() + "# a one-line change\n")
    with caplog.at_level(logging.INFO, logger="constellation.build"):
        rebuilt = build(layout, code_root=code)
    assert rebuilt.skipped is False
    assert f"rebuilding atlas {SID}: the code changed since the last build" in caplog.messages
    assert build(layout, code_root=code).skipped is True


def test_a_changed_genealogy_setting_rebuilds(tmp_path, caplog):
    layout = DataLayout(tmp_path)
    write_snapshot(layout, SID, _rows())
    build(layout)
    stricter = BuildConfig(genealogy=GenealogyConfig(min_confidence=0.9))
    with caplog.at_level(logging.INFO, logger="constellation.build"):
        result = build(layout, config=stricter)
    assert result.skipped is False
    assert f"rebuilding atlas {SID}: the config changed since the last build" in caplog.messages
    assert result.info["genealogy_config"]["min_confidence"] == 0.9
    assert result.info["reports"]["genealogy"]["inferred"]["min_confidence"] == 0.9
    assert build(layout, config=stricter).skipped is True


def test_the_knn_worker_count_does_not_rebuild(tmp_path):
    # The graph is the same with any number of kNN workers (test_knn.py), so the atlas is too.
    layout = DataLayout(tmp_path)
    write_snapshot(layout, SID, _rows())
    build(layout)
    one_worker = BuildConfig(atlas=AtlasConfig(knn_workers=1))
    assert config_digest(one_worker) == config_digest(BuildConfig())
    assert build(layout, config=one_worker).skipped is True


def test_a_changed_snapshot_rebuilds(tmp_path, caplog):
    layout = DataLayout(tmp_path)
    write_snapshot(layout, SID, _rows())
    build(layout)
    write_snapshot(layout, SID, _rows()[:2])
    with caplog.at_level(logging.INFO, logger="constellation.build"):
        assert build(layout).models == 2
    assert f"rebuilding atlas {SID}: the snapshot changed since the last build" in caplog.messages


def test_a_build_json_from_before_the_fingerprint_had_parts_rebuilds(tmp_path):
    layout = DataLayout(tmp_path)
    write_snapshot(layout, SID, _rows())
    build(layout)
    path = layout.atlas(SID) / ATLAS_FILES.build
    info = json.loads(path.read_text())
    path.write_text(json.dumps({**info, "fingerprint": info["fingerprint"]["combined"]}))
    assert build(layout).skipped is False


def test_a_genealogy_setting_out_of_range_is_named(tmp_path):
    layout = DataLayout(tmp_path)
    write_snapshot(layout, SID, _rows())
    with pytest.raises(BuildError, match=r"min_confidence=1.5: needs a confidence in \[0, 1\]"):
        build(layout, config=BuildConfig(genealogy=GenealogyConfig(min_confidence=1.5)))


def test_build_json_records_the_calibration_table(tmp_path):
    import pyarrow as pa

    from constellation.contract import SNAPSHOT_SCHEMA
    from tests.constellation.genealogy.test_calibration import calibration_snapshot

    layout = DataLayout(tmp_path)
    frame = calibration_snapshot()
    write_snapshot(layout, SID, pa.Table.from_pandas(frame, schema=SNAPSHOT_SCHEMA, preserve_index=False).to_pylist())
    build(layout, config=BuildConfig(genealogy=GenealogyConfig(calibration_min_support=20)))
    info = json.loads((layout.atlas(SID) / ATLAS_FILES.build).read_text())
    calibration = info["reports"]["genealogy"]["inferred"]["calibration"]
    assert (calibration["calibrated"], calibration["threshold"], calibration["target_precision"]) == (True, 0.9643, 0.9)
    assert [(r["level"], r["band"], r["proposals"], r["correct"]) for r in calibration["table"]] == [
        ("rule", None, 80, 60),
        ("evidence", 0.9, 60, 60),
        ("evidence", 0.8, 20, 0),
    ]
    assert info["genealogy_config"]["target_precision"] == 0.9
