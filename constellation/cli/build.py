"""`constellation build`: turn a snapshot into an atlas."""

from __future__ import annotations

import click

from constellation.cli.options import data_dir_option, snapshot_option


@click.command("build")
@data_dir_option
@snapshot_option
@click.option("--force", is_flag=True, help="Rebuild even when the atlas is up to date.")
def command(data_dir: str | None, snapshot_id: str | None, force: bool) -> None:
    """Build the atlas of a snapshot: parameter counts, lineage, communities, layout.

    Writes atlas/<id>/ and moves atlas/LATEST only when every output is complete. Re-running on an
    unchanged snapshot and config does nothing.

    \b
    Examples:
      constellation build                            # the newest snapshot
      constellation build --snapshot 20260726T021500Z
      constellation build --force                    # rebuild even if up to date
    """
    from constellation.build import build
    from constellation.contract import DataLayout

    result = build(DataLayout.at(data_dir), snapshot_id, force=force)
    if result.skipped:
        click.echo(f"atlas {result.snapshot_id} is already up to date ({result.models:,} models)")
    else:
        click.echo(f"built atlas {result.snapshot_id}: {result.models:,} models in {result.seconds:.1f} s")
