"""`constellation export`: write the atlas (or part of it) for pandas, networkx or Gephi."""

from __future__ import annotations

import click

from constellation.cli.options import Number, data_dir_option, snapshot_option
from constellation.contract import EDGE_KINDS
from constellation.export.select import EXPORT_FORMATS


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), required=True, help="File format.")
@click.option(
    "--out",
    type=click.Path(path_type=str),
    required=True,
    help="csv/parquet: a FOLDER that receives models.<ext> and edges.<ext>. graphml/gexf/json: one FILE.",
)
@click.option(
    "--community", "communities", type=Number(int, 0), multiple=True, metavar="N", help="Only community N (repeatable)."
)
@click.option(
    "--family", "families", multiple=True, metavar="ID", help="Only lineage family ID, a root model id (repeatable)."
)
@click.option(
    "--min-downloads",
    type=Number(int, 0),
    default=None,
    metavar="N",
    help="Only models with at least N downloads (30 days); unknown downloads do not qualify.",
)
@click.option(
    "--edge-kind",
    "edge_kinds",
    type=click.Choice(EDGE_KINDS),
    multiple=True,
    help="Only edges of this kind (repeatable). Default: declared, inferred and similarity.",
)
@click.option(
    "--edges/--no-edges", default=True, show_default=True, help="Write the edges too (csv/parquet: edges.<ext>)."
)
@click.option("--progress/--no-progress", default=True, help="Progress bar on stderr.")
@data_dir_option
@snapshot_option
def command(
    fmt: str,
    out: str,
    communities: tuple[int, ...],
    families: tuple[str, ...],
    min_downloads: int | None,
    edge_kinds: tuple[str, ...],
    edges: bool,
    progress: bool,
    data_dir: str | None,
    snapshot_id: str | None,
) -> None:
    """Export the models and their graph from an atlas (default: the one atlas/LATEST names).

    Models carry every column of models.parquet (params and their source, family, relation,
    community and its label, cluster, x/y, downloads, likes, dates, license ...). Edges carry a
    `kind`: declared lineage (relation), inferred lineage (relation, confidence) or name
    similarity (weight). Lineage edges point parent -> child.

    \b
    Layout of the output:
      csv, parquet   OUT/ is a folder: OUT/models.<ext> (one row per model) and
                     OUT/edges.<ext> (source, target, kind, relation, confidence, weight, evidence).
                     Lists (tags, base_models) are JSON text in CSV, native lists in Parquet.
      graphml, gexf,
      json           OUT is one file: a directed multigraph, node id = model id. Parents outside
                     the snapshot are nodes with external=true. Null values are left out; lists
                     are JSON text; dates are ISO 8601 text. JSON is networkx node-link data.

    Filters keep models; an edge is kept only when both its ends are (the count of dropped edges
    is reported). Several values of one filter are alternatives; different filters all apply.

    \b
    Examples:
      constellation export --format parquet --out exports/atlas
      constellation export --format csv --out exports/llama --family meta-llama/Llama-2-7b-hf
      constellation export --format graphml --out atlas.graphml --min-downloads 1000
      constellation export --format gexf --out c12.gexf --community 12 --community 40
      constellation export --format json --out lineage.json --edge-kind declared --edge-kind inferred
      constellation export --format csv --out exports/models --no-edges
    """
    from constellation.contract import DataLayout
    from constellation.export.select import ExportFilters, select
    from constellation.export.writers import write_export
    from constellation.store import read_atlas

    filters = ExportFilters(
        communities=communities,
        families=families,
        min_downloads=min_downloads,
        edge_kinds=edge_kinds or EDGE_KINDS,
    )
    tables = read_atlas(DataLayout.at(data_dir), snapshot_id, hierarchy=False)
    selection = select(tables, filters)
    result = write_export(selection, fmt, out, edges=edges, progress=progress)
    report = result.report
    click.echo(
        f"exported {report['models']:,} of {report['models_in_atlas']:,} models ({report['filters']}) "
        f"from atlas {tables.snapshot_id}"
    )
    if edges:
        kinds = ", ".join(f"{n:,} {k}" for k, n in report["edges_by_kind"].items()) or "none"
        click.echo(f"edges: {result.edges:,} ({kinds})")
        if report["edges_dropped_by_filter"]:
            click.echo(f"edges dropped because an end was filtered out: {report['edges_dropped_by_filter']:,}")
        if fmt not in ("csv", "parquet") and report["external_parents"]:
            click.echo(f"external parents (not in the snapshot) added as nodes: {report['external_parents']:,}")
    for path in result.paths:
        click.echo(f"wrote {path}")
