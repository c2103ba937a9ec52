"""`constellation app`: placeholder until its issue lands."""

from __future__ import annotations

import click

from constellation.errors import ConstellationError


@click.command("app")
def command() -> None:
    """Not implemented yet."""
    raise ConstellationError("'constellation app' is not implemented yet")
