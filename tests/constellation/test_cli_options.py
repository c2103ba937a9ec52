"""Every numeric option of build, export, history, evaluate, fakehub, demo and app refuses nan, inf and
values out of range with click's usage error (exit 2) naming the option and its range, before any work."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from constellation.atlas import config as atlas_config
from constellation.cli import main, options
from constellation.cli.options import Number

CASES = [
    # (command line, option, the message after "Invalid value for '<option>': ")
    (["build", "--resolution", "inf"], "--resolution", "'inf' is not a finite number in (0, 1000]"),
    (["build", "--resolution", "nan"], "--resolution", "'nan' is not a finite number in (0, 1000]"),
    (["build", "--resolution", "0"], "--resolution", "'0' is not in (0, 1000]"),
    (["build", "--resolution", "-1"], "--resolution", "'-1' is not in (0, 1000]"),
    (["build", "--seed", "-1"], "--seed", "'-1' is not in [0, 4294967295]"),
    (["build", "--seed", "4294967296"], "--seed", "'4294967296' is not in [0, 4294967295]"),
    (["build", "--seed", "1.5"], "--seed", "'1.5' is not a finite integer in [0, 4294967295]"),
    (["build", "--knn-workers", "-1"], "--knn-workers", "'-1' is not in [0, 64]"),
    (["build", "--knn-workers", "65"], "--knn-workers", "'65' is not in [0, 64]"),
    (["evaluate", "--hide-share", "nan"], "--hide-share", "'nan' is not a finite number in (0, 1)"),
    (["evaluate", "--hide-share", "1"], "--hide-share", "'1' is not in (0, 1)"),
    (["evaluate", "--seed", "-1"], "--seed", "'-1' is not in [0, 4294967295]"),
    (["evaluate", "--synthetic", "-5"], "--synthetic", "'-5' is not in [0, 10000000]"),
    (["export", "--format", "csv", "--out", "x", "--community", "-1"], "--community", "'-1' is not in [0, inf)"),
    (["export", "--format", "csv", "--out", "x", "--min-downloads", "inf"], "--min-downloads",
     "'inf' is not a finite integer in [0, inf)"),
    (["history", "--show", "-1"], "--show", "'-1' is not in [0, inf)"),
    (["fakehub", "--seed", "-1"], "--seed", "'-1' is not in [0, 4294967295]"),
    (["fakehub", "--synthetic", "0"], "--synthetic", "'0' is not in [1, 10000000]"),
    (["fakehub", "--port", "70000"], "--port", "'70000' is not in [0, 65535]"),
    (["fakehub", "--page-size", "nan"], "--page-size", "'nan' is not a finite integer in [1, 1000]"),
    (["demo", "--models", "0"], "--models", "'0' is not in [1, 10000000]"),
    (["demo", "--seed", "-1"], "--seed", "'-1' is not in [0, 4294967295]"),
    (["demo", "--port", "0"], "--port", "'0' is not in [1, 65535]"),
    (["app", "--port", "-1"], "--port", "'-1' is not in [1, 65535]"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "option", "message"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_nonsense_is_a_usage_error_naming_the_option_and_its_range(tmp_path, args, option, message):
    result = CliRunner().invoke(main, [*args, *(["--data-dir", str(tmp_path)] if args[0] != "fakehub" else [])])
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines()[-1] == f"Error: Invalid value for '{option}': {message}"
    assert list(tmp_path.iterdir()) == []  # refused before any work


def test_the_cli_bounds_are_the_atlas_configs():
    assert (options.MAX_SEED, options.MAX_RESOLUTION) == (atlas_config.MAX_SEED, atlas_config.MAX_RESOLUTION)
    assert options.MAX_LINEAGE_WEIGHT == atlas_config.MAX_LINEAGE_WEIGHT
    assert options.MAX_KNN_WORKERS == atlas_config.MAX_KNN_WORKERS


def test_the_library_refuses_what_the_cli_refuses():
    from constellation.errors import AtlasError

    for bad in ({"resolution": float("inf")}, {"resolution": float("nan")}, {"seed": -1}, {"knn_workers": 65}):
        with pytest.raises(AtlasError, match=f"{next(iter(bad))}="):
            atlas_config.AtlasConfig(**bad).validate()


def test_number_converts_in_range_values():
    assert Number(int, 0, 10).convert("7", None, None) == 7
    assert Number(float, 0, 1, low_open=True).convert("0.25", None, None) == 0.25
    with pytest.raises(click.BadParameter, match=r"'1e400' is not a finite number in \[0, 1\]"):
        Number(float, 0, 1).convert("1e400", None, None)
