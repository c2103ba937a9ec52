"""`constellation fakehub`: placeholder until its issue lands."""

from __future__ import annotations

import click

from constellation.errors import ConstellationError


@click.command("fakehub")
def command() -> None:
    """Not implemented yet."""
    raise ConstellationError("'constellation fakehub' is not implemented yet")
