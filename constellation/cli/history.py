"""`constellation history`: placeholder until its issue lands."""

from __future__ import annotations

import click

from constellation.errors import ConstellationError


@click.command("history")
def command() -> None:
    """Not implemented yet."""
    raise ConstellationError("'constellation history' is not implemented yet")
