"""Options shared by several subcommands, declared once."""

from __future__ import annotations

import click

from constellation.contract import DATA_ENV

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
