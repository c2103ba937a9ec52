"""`constellation demo`: placeholder until its issue lands."""

from __future__ import annotations

import click

from constellation.errors import ConstellationError


@click.command("demo")
def command() -> None:
    """Not implemented yet."""
    raise ConstellationError("'constellation demo' is not implemented yet")
