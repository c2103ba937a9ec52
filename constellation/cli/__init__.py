"""The `constellation` command. Each subcommand lives in its own module and only parses options,
calls the library and reports; the work happens in constellation/, crawler/ and fakehub/.
"""

from __future__ import annotations

import importlib
import logging
import sys

import click

from constellation import __version__
from constellation.errors import ConstellationError

# Subcommand -> its module in constellation/cli/. A module is imported only when its command runs (or the
# top-level --help lists them all): `build` alone pulls in scikit-learn and igraph, over a second of start-up
# that `crawl`, `fakehub` and `import` do not need.
_COMMAND_MODULES: dict[str, str] = {
    "app": "app",
    "build": "build",
    "crawl": "crawl",
    "demo": "demo",
    "evaluate": "evaluate",
    "export": "export",
    "fakehub": "fakehub",
    "history": "history",
    "import": "import_",
    "prune": "prune",
    "status": "status",
}


class _Group(click.Group):
    """Loads subcommands on first use, and turns library errors into a one-line message and the error's
    exit code, never a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMAND_MODULES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = _COMMAND_MODULES.get(cmd_name)
        if module is None:
            return None
        return importlib.import_module(f"constellation.cli.{module}").command

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ConstellationError as exc:
            click.secho(f"Error: {exc}", fg="red", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="constellation")
@click.option("-v", "--verbose", count=True, help="More log lines (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors.")
def main(verbose: int, quiet: bool) -> None:
    """Constellation: a genealogy of the models on the Hugging Face Hub.

    \b
    The data flows one way:
      crawl / import  ->  snapshots/<id>.parquet   (one row per model)
      build           ->  atlas/<id>/              (params, lineage, communities, layout)
      export / app    ->  files for analysts, the explorer site

    The data directory is $CONSTELLATION_DATA, else ./data (see docs/data.md).

    \b
    Example, fully offline:
      constellation demo
    """
    level = logging.WARNING if quiet else (logging.DEBUG if verbose > 1 else logging.INFO)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s", datefmt="%H:%M:%S")
    # The HTTP stack logs every request at INFO; the crawler logs what matters itself.
    for noisy in ("httpx", "httpx2", "httpcore", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
