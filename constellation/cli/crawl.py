"""`constellation crawl`: placeholder until its issue lands."""

from __future__ import annotations

import click

from constellation.errors import ConstellationError


@click.command("crawl")
def command() -> None:
    """Not implemented yet."""
    raise ConstellationError("'constellation crawl' is not implemented yet")
