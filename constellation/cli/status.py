"""`constellation status`: the last crawl and build, and how old the site's data is (for monitoring)."""

from __future__ import annotations

import json

import click

from constellation.cli.options import data_dir_option


@click.command("status")
@data_dir_option
@click.option(
    "--max-age",
    default="36h",
    show_default=True,
    metavar="DURATION",
    help="Oldest acceptable data behind the site's atlas (e.g. 36h, 2d): the nightly crawl's start time "
    "counts, not the build's.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of lines, for scripts.")
def command(data_dir: str | None, max_age: str, as_json: bool) -> None:
    """Say what the nightly job last did: the last crawl and its outcome, an unfinished crawl, the last
    build, the atlas the site shows and the age of its data.

    Exits 0 when the site's data is younger than --max-age, 10 when it is older or there is no atlas
    (a cron or monitoring check can alert on it), 1 on a bad option.

    \b
    Examples:
      constellation status
      constellation status --max-age 2d --json
    """
    from constellation.contract import DataLayout
    from constellation.errors import StaleAtlas
    from constellation.status import describe, read_status
    from crawler.scope import parse_duration

    status = read_status(DataLayout.at(data_dir), parse_duration(max_age))
    if as_json:
        click.echo(json.dumps(status.to_dict(), indent=2, sort_keys=True, default=str))
    else:
        for line in describe(status):
            click.echo(line)
    if status.problem:
        raise StaleAtlas(status.problem)
