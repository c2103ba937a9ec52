"""`constellation export`: placeholder until its issue lands."""

from __future__ import annotations

import click

from constellation.errors import ConstellationError


@click.command("export")
def command() -> None:
    """Not implemented yet."""
    raise ConstellationError("'constellation export' is not implemented yet")
