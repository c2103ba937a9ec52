"""`constellation import`: an external model list as a snapshot."""

from __future__ import annotations

from datetime import datetime

import click

from constellation.cli.options import data_dir_option


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=str))
@data_dir_option
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    default=None,
    help="Date of the data (UTC); the snapshot id is made from it. Default: 2023-07-19 for the "
    "paper's CSV, else the file's modification time.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["constellation-csv", "jsonl"]),
    default=None,
    help="Input format (default: from the file name: .csv or .jsonl[.gz]).",
)
def command(file: str, data_dir: str | None, as_of: datetime | None, fmt: str | None) -> None:
    """Publish FILE as a snapshot: the Constellation paper's CSV or a JSONL dump of /api/models records.

    Records are validated as the crawl validates them; bad ones are listed in the manifest. The paper's
    `params_millions` (a guess from the name) is kept apart, in `paper_params_millions`.

    \b
    Examples:
      constellation import ../shared/data/constellation/HuggingFaceLLMsWithParamsAndReadmeLinks.csv
      constellation import models.jsonl.gz --as-of 2026-08-22
      constellation import ../shared/data/hf-models-2022-02/infos.jsonl.gz --as-of 2022-02-21
    """
    from pathlib import Path

    from constellation.contract import DataLayout
    from crawler.importer import import_file

    layout = DataLayout.at(data_dir)
    result = import_file(layout, Path(file), as_of=as_of, fmt=fmt)
    counts = result.manifest["counts"]
    click.echo(
        f"imported snapshot {result.snapshot_id}: {counts['stored']:,} models, {counts['rejected']} rejected, "
        f"{counts['duplicates']} duplicates ({layout.snapshot(result.snapshot_id)})"
    )
