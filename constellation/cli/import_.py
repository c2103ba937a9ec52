"""`constellation import`: placeholder until its issue lands."""

from __future__ import annotations

import click

from constellation.errors import ConstellationError


@click.command("import")
def command() -> None:
    """Not implemented yet."""
    raise ConstellationError("'constellation import' is not implemented yet")
