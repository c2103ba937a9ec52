"""`constellation prune`: retention of snapshots and atlases."""

from __future__ import annotations

import click

from constellation.cli.options import data_dir_option


@click.command("prune")
@data_dir_option
@click.option(
    "--keep-daily",
    type=int,
    default=30,
    show_default=True,
    help="Keep the newest snapshot of each of the N most recent days that have one (per scope).",
)
@click.option(
    "--keep-monthly",
    type=int,
    default=24,
    show_default=True,
    help="Also keep the newest snapshot of each of the M most recent months that have one (per scope).",
)
@click.option("--dry-run", is_flag=True, help="Say what would be removed, and remove nothing.")
def command(data_dir: str | None, keep_daily: int, keep_monthly: int, dry_run: bool) -> None:
    """Remove old snapshots and atlases, keeping a daily and a monthly series.

    Never removes imports, the atlas and snapshot atlas/LATEST names (the site's), nor the ones
    atlas/PREVIOUS names (a site that has not reloaded yet may still read them). An atlas goes with its
    snapshot. Leftover temporary atlas folders older than a day go too.

    \b
    Examples:
      constellation prune --dry-run
      constellation prune --keep-daily 14 --keep-monthly 12
    """
    from constellation.contract import DataLayout
    from constellation.retention import apply_prune, plan_prune

    layout = DataLayout.at(data_dir)
    plan = plan_prune(layout, keep_daily, keep_monthly)
    verb = "would remove" if dry_run else "removing"
    for sid in plan.remove_snapshots:
        click.echo(f"{verb} snapshot {sid}")
    for sid in plan.remove_atlases:
        click.echo(f"{verb} atlas {sid}")
    for path in plan.remove_temporary:
        click.echo(f"{verb} leftover {path.name}")
    if not dry_run:
        apply_prune(layout, plan)
    did = "would free" if dry_run else "freed"
    click.echo(
        f"{len(plan.remove_snapshots)} snapshots and {len(plan.remove_atlases)} atlases "
        f"{'to remove' if dry_run else 'removed'}, {did} {plan.bytes_freed / 1e6:,.1f} MB; kept "
        f"{len(plan.keep_snapshots)} snapshots and {len(plan.keep_atlases)} atlases"
    )
