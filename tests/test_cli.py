"""The command line as a whole: every subcommand is documented, with examples; errors are one line."""

import pytest
from click.testing import CliRunner

from constellation.cli import main

COMMANDS = sorted(main.commands)


def test_the_expected_subcommands_exist():
    assert {"crawl", "build", "export", "app", "fakehub", "import", "history", "evaluate", "demo"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_subcommand_explains_itself_with_examples(name):
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"`constellation {name} --help` has no examples"
    assert "Not implemented" not in result.output


def test_a_user_mistake_is_one_line_not_a_traceback(tmp_path):
    result = CliRunner().invoke(main, ["build", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "Error: no snapshot in" in result.output
