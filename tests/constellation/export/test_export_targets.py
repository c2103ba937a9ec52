"""`export --out` replaces only regular files: never a symlink, a FIFO or a device node, never the current
folder for an empty path. A damaged atlas is named with the command that rebuilds it."""

from __future__ import annotations

import os
import stat

import pytest
from click.testing import CliRunner

from constellation.cli import main
from constellation.contract import ATLAS_FILES, DataLayout
from constellation.errors import ExportError
from constellation.export.select import select
from constellation.export.writers import write_export
from tests.constellation.export.test_export import SNAPSHOT, atlas_tables, written_atlas


def _export(root, fmt: str, out: str):
    return CliRunner().invoke(main, ["export", "--data-dir", str(root), "--format", fmt, "--out", out, "--no-progress"])


@pytest.mark.parametrize("fmt", ["graphml", "json"])
def test_a_symlink_is_refused_and_left_pointing_where_it_did(tmp_path, fmt):
    root = tmp_path / "data"
    written_atlas(root)
    target = tmp_path / "real.txt"
    target.write_text("keep me")
    link = tmp_path / "link"
    link.symlink_to(target)
    result = _export(root, fmt, str(link))
    assert result.exit_code == 1, result.output
    assert result.output.strip().splitlines() == [
        f"Error: {link} is a symbolic link, not a regular file; an export replaces only regular files. Name a new "
        "or regular file (to write through a symbolic link, name the file it points to)"
    ]
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "keep me"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_fifo_is_refused_and_stays_a_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ExportError, match=r"pipe is a named pipe \(FIFO\), not a regular file"):
        write_export(select(atlas_tables()), "gexf", fifo, progress=False)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.skipif(os.geteuid() != 0, reason="creating a device node needs root")
def test_a_device_node_is_refused_and_stays_a_device(tmp_path):
    """As root, `--out /dev/null` would replace the system's /dev/null; a private copy of it shows that
    without risking the real one."""
    null = tmp_path / "null"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    with pytest.raises(ExportError, match="null is a character device, not a regular file"):
        write_export(select(atlas_tables()), "json", null, progress=False)
    assert stat.S_ISCHR(os.lstat(null).st_mode)


def test_table_formats_check_the_files_inside_the_folder(tmp_path):
    out = tmp_path / "exp"
    out.mkdir()
    os.mkfifo(out / "edges.csv")
    with pytest.raises(ExportError, match=r"edges.csv is a named pipe \(FIFO\)"):
        write_export(select(atlas_tables()), "csv", out, progress=False)
    assert not (out / "models.csv").exists()  # refused before anything was written


def test_a_regular_file_is_replaced(tmp_path):
    out = tmp_path / "atlas.json"
    out.write_text("old")
    write_export(select(atlas_tables()), "json", out, progress=False)
    assert out.read_text().startswith('{"directed": true')


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_an_empty_out_is_refused_and_writes_nothing_into_the_current_folder(tmp_path, monkeypatch, fmt):
    root = tmp_path / "data"
    written_atlas(root)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    result = _export(root, fmt, "")
    assert result.exit_code == 1, result.output
    assert result.output.strip().splitlines() == [
        "Error: the output path is empty; name a file (graph formats) or a folder (csv, parquet)"
    ]
    assert list(cwd.iterdir()) == []


def test_a_path_under_a_file_is_refused(tmp_path):
    root = tmp_path / "data"
    written_atlas(root)
    (tmp_path / "file").write_text("x")
    result = _export(root, "csv", str(tmp_path / "file" / "sub"))
    assert result.exit_code == 1, result.output
    assert result.output.strip().splitlines() == [
        f"Error: {tmp_path / 'file' / 'sub' / 'models.csv'}: a folder on its path is a file; name a path under a folder"
    ]


def test_a_corrupt_atlas_file_is_named_with_the_rebuild_command(tmp_path):
    root = tmp_path / "data"
    written_atlas(root)
    models = DataLayout(root).atlas_file(SNAPSHOT, ATLAS_FILES.models)
    models.write_bytes(models.read_bytes()[: models.stat().st_size // 2])
    result = _export(root, "json", str(tmp_path / "out.json"))
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"Error: atlas file {models} cannot be read (")
    assert lines[0].endswith(f"rebuild it with `constellation build --snapshot {SNAPSHOT} --force`")
    assert not (tmp_path / "out.json").exists()
