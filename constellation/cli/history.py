"""`constellation history`: a model across snapshots, or what changed between two snapshots."""

from __future__ import annotations

import click

from constellation.cli.options import Number, data_dir_option


@click.command("history")
@click.argument("model", required=False)
@data_dir_option
@click.option(
    "--diff",
    nargs=2,
    metavar="OLD NEW",
    default=None,
    help="Instead: models that appeared and disappeared between two snapshot ids.",
)
@click.option(
    "--show",
    type=Number(int, 0),
    default=20,
    show_default=True,
    help="With --diff: how many ids of each list to print.",
)
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV instead of a table.")
def command(model: str | None, data_dir: str | None, diff: tuple[str, str] | None, show: int, as_csv: bool) -> None:
    """Downloads and likes of MODEL in every snapshot, oldest first.

    \b
    Examples:
      constellation history meta-llama/Llama-2-7b-hf
      constellation history gpt2 --csv > gpt2.csv
      constellation history --diff 20230719T000000Z 20260726T021500Z
    """
    from constellation.contract import DataLayout
    from constellation.errors import ConstellationError
    from constellation.history import model_history, snapshot_diff

    layout = DataLayout.at(data_dir)
    if diff is not None:
        appeared, disappeared = snapshot_diff(layout, *diff)
        for label, ids in (("appeared", appeared), ("disappeared", disappeared)):
            click.echo(f"{label}: {len(ids):,}")
            for model_id in ids[:show]:
                click.echo(f"  {model_id}")
            if len(ids) > show:
                click.echo(f"  ... and {len(ids) - show:,} more")
        return
    if model is None:
        raise ConstellationError("give a MODEL id (e.g. gpt2), or --diff OLD NEW")
    frame = model_history(layout, model)
    if frame.empty:
        known = len(layout.snapshot_ids())
        raise ConstellationError(f"{model!r} is in none of the {known} snapshots in {layout.snapshots}")
    if as_csv:
        click.echo(frame.to_csv(index=False), nl=False)
    else:
        click.echo(frame.to_string(index=False))
