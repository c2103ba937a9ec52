"""The command line as a whole: every subcommand is documented, with examples; errors are one line."""

import click
import pytest
from click.testing import CliRunner

from constellation.cli import main

COMMANDS = main.list_commands(click.Context(main))


def test_the_expected_subcommands_exist():
    assert {"crawl", "build", "export", "app", "fakehub", "import", "history", "evaluate", "demo"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_subcommand_explains_itself_with_examples(name):
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Examples:" in result.output, f"`constellation {name} --help` has no examples"
    assert f"constellation {name}" in result.output, f"`constellation {name} --help` has no example of itself"
    assert "Not implemented" not in result.output


def test_a_user_mistake_is_one_line_not_a_traceback(tmp_path):
    result = CliRunner().invoke(main, ["build", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "Error: no snapshot in" in result.output


def test_build_options_reach_the_atlas_config(tmp_path):
    import json

    from constellation.contract import DataLayout
    from tests.snapshot_factory import model_row, write_snapshot

    layout = DataLayout(tmp_path)
    write_snapshot(layout, "20260101T000000Z", [model_row("a/llama-7b"), model_row("b/llama-7b-chat")])
    args = ["build", "--data-dir", str(tmp_path), "--resolution", "3", "--lineage-weight", "0", "--seed", "7"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    config = json.loads((layout.atlas("20260101T000000Z") / "build.json").read_text())["config"]
    assert (config["resolution"], config["lineage_weight"], config["seed"]) == (3.0, 0.0, 7)
    assert "add_lineage_edges" not in config
    assert config["keep_declared_families"] is True
    split = CliRunner().invoke(main, [*args, "--split-declared-families", "--force"])
    assert split.exit_code == 0, split.output
    config = json.loads((layout.atlas("20260101T000000Z") / "build.json").read_text())["config"]
    assert config["keep_declared_families"] is False


def test_build_keeps_the_obsolete_add_lineage_edges_flag_working(tmp_path):
    import json

    from constellation.contract import DataLayout
    from tests.snapshot_factory import model_row, write_snapshot

    layout = DataLayout(tmp_path)
    write_snapshot(layout, "20260101T000000Z", [model_row("a/llama-7b"), model_row("b/llama-7b-chat")])
    result = CliRunner().invoke(main, ["build", "--data-dir", str(tmp_path), "--add-lineage-edges"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("note: --add-lineage-edges is obsolete (lineage edges are on by default")
    config = json.loads((layout.atlas("20260101T000000Z") / "build.json").read_text())["config"]
    assert config["lineage_weight"] == 8.0
    args = ["build", "--data-dir", str(tmp_path), "--add-lineage-edges", "--lineage-weight", "0"]
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 2
    assert "--add-lineage-edges contradicts --lineage-weight 0" in refused.output
    negative = CliRunner().invoke(main, ["build", "--data-dir", str(tmp_path), "--lineage-weight", "-1"])
    assert negative.exit_code == 2 and "--lineage-weight" in negative.output
    endless = CliRunner().invoke(main, ["build", "--data-dir", str(tmp_path), "--lineage-weight", "inf"])
    assert endless.exit_code == 2 and "'inf' is not a finite number in [0, 1000]" in endless.output


def test_an_invalid_build_option_is_named(tmp_path):
    from constellation.contract import DataLayout
    from tests.snapshot_factory import model_row, write_snapshot

    write_snapshot(DataLayout(tmp_path), "20260101T000000Z", [model_row("a/b")])
    result = CliRunner().invoke(main, ["build", "--data-dir", str(tmp_path), "--resolution", "0"])
    assert result.exit_code == 2  # a usage error: the option's type knows its range (cli/options.py)
    assert "Invalid value for '--resolution': '0' is not in (0, 1000]" in result.output
