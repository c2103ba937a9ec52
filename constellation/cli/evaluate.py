"""`constellation evaluate`: placeholder until its issue lands."""

from __future__ import annotations

import click

from constellation.errors import ConstellationError


@click.command("evaluate")
def command() -> None:
    """Not implemented yet."""
    raise ConstellationError("'constellation evaluate' is not implemented yet")
