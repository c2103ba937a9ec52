"""Options shared by several subcommands, declared once, and the one numeric option type they all use."""

from __future__ import annotations

import math
from typing import Any

import click

from constellation.contract import DATA_ENV

# The same bounds as AtlasConfig.validate (constellation/atlas/config.py; a test keeps them equal), spelled
# here because importing the atlas stage costs `crawl` and `fakehub` a second of start-up.
MAX_SEED = 2**32 - 1
MAX_RESOLUTION = 1000.0
MAX_LINEAGE_WEIGHT = 1000.0
MAX_KNN_WORKERS = 64
# A synthetic Hub is generated in memory, whole: 10M models is over three times the Hub of 2026.
MAX_SYNTHETIC_MODELS = 10_000_000


class Number(click.ParamType):
    """An int or a float within [low, high] (either end open when asked); nan and inf are refused.

    click's IntRange and FloatRange let nan through (every comparison with nan is false) and name no range
    in their message for inf; this type says the option, the range and the value in one line, as
    crawler/scope.py's `check_range` does for the crawl's settings.
    """

    def __init__(
        self,
        kind: type[int] | type[float],
        low: float | None = None,
        high: float | None = None,
        *,
        low_open: bool = False,
        high_open: bool = False,
    ) -> None:
        self.kind = kind
        self.low, self.high = low, high
        self.low_open, self.high_open = low_open, high_open
        self.name = "integer" if kind is int else "number"

    def describe(self) -> str:
        low = "-inf" if self.low is None else _text(self.low)
        high = "inf" if self.high is None else _text(self.high)
        left = "(" if self.low_open or self.low is None else "["
        right = ")" if self.high_open or self.high is None else "]"
        return f"{left}{low}, {high}{right}"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "INTEGER" if self.kind is int else "FLOAT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int | float:
        what = f"a finite {self.name} in {self.describe()}"
        try:
            number = self.kind(value)
        except (TypeError, ValueError, OverflowError):
            self.fail(f"{value!r} is not {what}", param, ctx)
        if isinstance(number, float) and not math.isfinite(number):
            self.fail(f"{value!r} is not {what}", param, ctx)
        too_low = self.low is not None and (number <= self.low if self.low_open else number < self.low)
        too_high = self.high is not None and (number >= self.high if self.high_open else number > self.high)
        if too_low or too_high:
            self.fail(f"{value!r} is not in {self.describe()}", param, ctx)
        return number


def _text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


# numpy's seed range: a negative or larger seed would be a traceback deep inside a stage.
SEED = Number(int, 0, MAX_SEED)
RESOLUTION = Number(float, 0, MAX_RESOLUTION, low_open=True)
PORT = Number(int, 1, 65535)

data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=str),
    default=None,
    help=f"Data directory (default: ${DATA_ENV}, else ./data).",
)

snapshot_option = click.option(
    "--snapshot",
    "snapshot_id",
    default=None,
    metavar="ID",
    help="Snapshot id (YYYYMMDDTHHMMSSZ). Default: the newest one.",
)
