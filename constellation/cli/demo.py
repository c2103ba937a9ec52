"""`constellation demo`: the whole product, offline, on a synthetic Hub."""

from __future__ import annotations

from pathlib import Path

import click

from constellation.cli.options import MAX_SYNTHETIC_MODELS, PORT, SEED, Number


@click.command("demo")
@click.option(
    "--models",
    default=20_000,
    show_default=True,
    type=Number(int, 1, MAX_SYNTHETIC_MODELS),
    help="Size of the synthetic Hub.",
)
@click.option(
    "--seed",
    default=42,
    show_default=True,
    type=SEED,
    help="Seed of the synthetic Hub (same seed, same Hub).",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("data/demo"),
    show_default=True,
    help="Where the demo's snapshots and atlas go (kept apart from real crawls).",
)
@click.option("--no-app", is_flag=True, help="Stop after the build instead of starting the explorer.")
@click.option("--port", default=8501, show_default=True, type=PORT, help="Port of the explorer.")
def command(models: int, seed: int, data_dir: Path, no_app: bool, port: int) -> None:
    """Run the offline demo: fake Hub → crawl → build → explorer.

    Starts the bundled fake Hub on 127.0.0.1 with a synthetic Hub (labelled synthetic everywhere),
    crawls it with the real crawler through HF_ENDPOINT, builds the atlas, then starts the explorer and
    prints its URL. Nothing leaves the machine.

    \b
    Examples:
      constellation demo                     # 20,000 synthetic models, then the app
      constellation demo --models 100000 --no-app
      make demo                              # the same, after setting up .venv
    """
    from constellation.demo import DemoConfig, run_demo

    if not no_app:  # say so before a minute of crawling, not after
        from constellation.app.serve import require_app_extra

        require_app_extra()
    snapshot_id = run_demo(DemoConfig(data_dir=data_dir, models=models, seed=seed))
    click.echo(f"demo atlas {snapshot_id} is ready in {data_dir}")
    if no_app:
        return
    from constellation.cli.app import command as app_command

    ctx = click.get_current_context()
    ctx.invoke(app_command, data_dir=str(data_dir), port=port)
