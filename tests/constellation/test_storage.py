"""Storage that fails and files that rot: a data directory that cannot be written, a full disk, a damaged
snapshot or atlas. Each gives one line naming the file and the fix, the documented exit code (README,
"Exit codes of the other commands"), nothing half-written, and LATEST where it was.

Tests run as root, which chmod cannot stop, so an unwritable directory is a file where the folder should be
(ENOTDIR/EEXIST, what a read-only or missing mount gives too), and a full disk is RLIMIT_FSIZE in a child
process: the kernel then fails every write past the limit with EFBIG, through the real writers.
"""

from __future__ import annotations

import logging
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from constellation.build import build
from constellation.cli import main
from constellation.contract import DataLayout
from constellation.history import model_history
from tests.paths import REPO
from tests.snapshot_factory import model_row, write_snapshot

OLD, NEW = "20260101T000000Z", "20260102T000000Z"


def _rows(n: int = 3) -> list[dict]:
    rows = [
        model_row("meta-llama/Llama-2-7b-hf", downloads=1000, likes=50),
        model_row("someone/llama2-chat-ft", downloads=100, likes=3),
        model_row("TheBloke/Llama-2-7B-GGUF", downloads=500, likes=9),
    ]
    rows += [model_row(f"org{i}/model-{i}-7b", downloads=i) for i in range(n - 3)]
    return rows


def _corrupt(path: Path) -> None:
    """Cut the file in half, as a crash or a bad disk leaves it."""
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _cli(*args: str):
    return CliRunner().invoke(main, list(args))


def _one_line(output: str) -> str:
    lines = output.strip().splitlines()
    assert len(lines) == 1, lines
    assert "Traceback" not in output
    return lines[0]


def _limited(args: list[str], max_bytes: int) -> subprocess.CompletedProcess[str]:
    """`constellation ARGS` in a child whose files cannot grow past `max_bytes` (EFBIG, like a full disk)."""

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead of killing the child
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    return subprocess.run(
        [sys.executable, "-m", "constellation", "-q", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        preexec_fn=limit,
        timeout=300,
    )


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# --------------------------------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------------------------------


def test_build_into_an_unwritable_atlas_folder_is_exit_9(tmp_path):
    layout = DataLayout(tmp_path)
    write_snapshot(layout, OLD, _rows())
    layout.atlases.write_text("a file where the atlas folder should be")
    result = _cli("build", "--data-dir", str(tmp_path))
    assert result.exit_code == 9, result.output
    line = _one_line(result.output)
    assert line.startswith(f"Error: writing atlas {OLD} failed: File exists ({layout.atlases}). ")
    assert line.endswith("fix the path or its permissions, then run again")


def test_a_full_disk_during_build_leaves_no_temp_folder_and_latest_where_it_was(tmp_path):
    layout = DataLayout(tmp_path)
    write_snapshot(layout, OLD, _rows())
    build(layout)
    write_snapshot(layout, NEW, _rows(40))
    done = _limited(["build", "--data-dir", str(tmp_path)], max_bytes=2048)
    assert done.returncode == 9, done.stderr
    line = _one_line(done.stderr)
    assert line.startswith(f"Error: writing atlas {NEW} failed: ")
    assert "File too large" in line
    assert layout.latest_atlas_id() == OLD
    assert not layout.atlas(NEW).exists()
    assert _hidden(layout.atlases) == []


def test_a_corrupt_snapshot_is_named_with_the_fix_and_latest_stays(tmp_path):
    layout = DataLayout(tmp_path)
    write_snapshot(layout, OLD, _rows())
    build(layout)
    _corrupt(write_snapshot(layout, NEW, _rows()))
    result = _cli("build", "--data-dir", str(tmp_path))
    assert result.exit_code == 1, result.output
    line = _one_line(result.output)
    assert line.startswith(f"Error: snapshot {layout.snapshot(NEW)} cannot be read (")
    assert line.endswith(
        f"restore it from a backup, or delete it and {NEW}.json (snapshots are immutable: crawl or import again); "
        "`--snapshot ID` builds an older one meanwhile"
    )
    assert layout.latest_atlas_id() == OLD
    assert not layout.atlas(NEW).exists() and _hidden(layout.atlases) == []
    assert _cli("build", "--data-dir", str(tmp_path), "--snapshot", OLD).exit_code == 0


# --------------------------------------------------------------------------------------------------
# history
# --------------------------------------------------------------------------------------------------


def test_history_leaves_out_a_corrupt_snapshot_with_a_warning(tmp_path, caplog):
    layout = DataLayout(tmp_path)
    write_snapshot(layout, OLD, _rows())
    _corrupt(write_snapshot(layout, NEW, _rows()))
    with caplog.at_level(logging.WARNING):
        frame = model_history(layout, "meta-llama/Llama-2-7b-hf")
    assert frame["snapshot_id"].tolist() == [OLD]
    assert f"left out snapshot {layout.snapshot(NEW)}: it cannot be read" in caplog.text


def test_damage_inside_a_data_page_is_a_corrupt_file_naming_it(tmp_path):
    """The footer reads, so the footer check lets the file through; DuckDB's failure is turned into one line."""
    from constellation.errors import CorruptFile

    layout = DataLayout(tmp_path)
    path = write_snapshot(layout, OLD, _rows(3000))
    data = bytearray(path.read_bytes())
    data[100:4000] = b"\xab" * 3900
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptFile, match=f"a snapshot in {layout.snapshots} cannot be read .*{OLD}.parquet"):
        model_history(layout, "meta-llama/Llama-2-7b-hf")


def test_history_diff_of_a_corrupt_snapshot_is_one_line(tmp_path):
    layout = DataLayout(tmp_path)
    write_snapshot(layout, OLD, _rows())
    _corrupt(write_snapshot(layout, NEW, _rows()))
    result = _cli("history", "--data-dir", str(tmp_path), "--diff", OLD, NEW)
    assert result.exit_code == 1, result.output
    assert _one_line(result.output).startswith(f"Error: snapshot {layout.snapshot(NEW)} cannot be read (")


# --------------------------------------------------------------------------------------------------
# import and export
# --------------------------------------------------------------------------------------------------

JSONL = '{"id": "org/model-7b", "_id": "0123456789abcdef01234567", "downloads": 5}\n'


def test_import_into_an_unwritable_snapshots_folder_is_exit_9(tmp_path):
    source = tmp_path / "models.jsonl"
    source.write_text(JSONL)
    data = tmp_path / "data"
    data.mkdir()
    (data / "snapshots").write_text("a file where the snapshots folder should be")
    result = _cli("import", str(source), "--data-dir", str(data), "--as-of", "2026-01-01")
    assert result.exit_code == 9, result.output
    assert _one_line(result.output).startswith(
        f"Error: importing models.jsonl as snapshot {OLD} failed: Not a directory ("
    )


def test_a_full_disk_during_import_publishes_nothing(tmp_path):
    source = tmp_path / "models.jsonl"
    source.write_text(JSONL * 1 + "".join(f'{{"id": "org/m-{i}", "downloads": {i}}}\n' for i in range(2000)))
    data = tmp_path / "data"
    done = _limited(["import", str(source), "--data-dir", str(data), "--as-of", "2026-01-01"], max_bytes=16384)
    assert done.returncode == 9, done.stderr
    line = _one_line(done.stderr)
    assert line.startswith(f"Error: importing models.jsonl as snapshot {OLD} failed: ")
    assert sorted(p.name for p in (data / "snapshots").iterdir()) == []


def test_a_full_disk_during_export_leaves_no_temp_file(tmp_path):
    layout = DataLayout(tmp_path / "data")
    write_snapshot(layout, OLD, _rows(200))
    build(layout)
    out = tmp_path / "out"
    out.mkdir()
    done = _limited(
        [
            "export",
            "--data-dir",
            str(layout.root),
            "--format",
            "graphml",
            "--out",
            str(out / "a.graphml"),
            "--no-progress",
        ],
        4096,
    )
    assert done.returncode == 9, done.stderr
    assert _one_line(done.stderr).startswith("Error: writing the graphml export failed: ")
    assert list(out.iterdir()) == []


def test_the_readme_gives_the_exit_codes_of_the_other_commands():
    from constellation.errors import CorruptFile, WriteFailed
    from tests.constellation.test_errors import _table

    rows = _table("README.md", "Exit codes of the other commands")
    assert set(rows) == {0, 1, 2, 9}
    assert "`CorruptFile`" in rows[CorruptFile.exit_code] and "`WriteFailed`" in rows[WriteFailed.exit_code]
