"""`constellation build`: turn a snapshot into an atlas."""

from __future__ import annotations

from typing import Any

import click

from constellation.atlas.algorithms import COMMUNITY_ALGORITHMS
from constellation.cli.options import (
    MAX_KNN_WORKERS,
    MAX_LINEAGE_WEIGHT,
    MAX_SEED,
    RESOLUTION,
    SEED,
    Number,
    data_dir_option,
    snapshot_option,
)


@click.command("build")
@data_dir_option
@snapshot_option
@click.option("--force", is_flag=True, help="Rebuild even when the atlas is up to date.")
@click.option(
    "--full",
    is_flag=True,
    help="Compute every name feature and neighbour list again instead of reusing those of the atlas the site "
    "shows (by default a build reuses them when the config and code are the same and at most 5 % of the "
    "distinct names changed). The result is the same atlas within the kNN's tolerance (docs/library.md).",
)
@click.option(
    "--publish",
    is_flag=True,
    help="Point atlas/LATEST (what the site shows) at this atlas even when its snapshot is a trial, "
    "filtered, imported, suspect or older one.",
)
@click.option("--seed", type=SEED, default=None, help=f"Seed of communities and layout, 0 to {MAX_SEED} (default 42).")
@click.option(
    "--resolution",
    type=RESOLUTION,
    default=None,
    help="Louvain resolution, above 0 and at most 1000: higher gives more, smaller communities (default auto: "
    "1.75 when declared families are kept whole, else 1.0).",
)
@click.option(
    "--community-algorithm",
    type=click.Choice(COMMUNITY_ALGORITHMS),
    default=None,
    help="python-louvain ('louvain', the paper's), igraph's Louvain ('multilevel') or Leiden; "
    "'auto' is igraph's Louvain at every size (default auto).",
)
@click.option(
    "--lineage-weight",
    type=Number(float, 0.0, MAX_LINEAGE_WEIGHT),
    default=None,
    help="Weight of declared lineage edges, 0 to 1000, in the graph communities are found in (inferred ones: "
    "this times their confidence); 0 = names only, the paper's method (default 8.0).",
)
@click.option(
    "--keep-declared-families/--split-declared-families",
    default=None,
    help="Keep each family that declared lineage joins in one community (default), or let Louvain split it "
    "like any other models. Off when --lineage-weight is 0.",
)
@click.option(
    "--knn-workers",
    type=Number(int, 0, MAX_KNN_WORKERS),
    default=None,
    help=f"Processes the name-similarity search and the community trees run in, 0 to {MAX_KNN_WORKERS}; "
    "0 = one per core (default). "
    "The atlas is the same with any number; each worker adds its own scratch memory.",
)
@click.option(
    "--add-lineage-edges",
    is_flag=True,
    hidden=True,
    help="Obsolete: lineage edges are in the graph by default now; kept so old scripts run.",
)
def command(
    data_dir: str | None,
    snapshot_id: str | None,
    force: bool,
    full: bool,
    publish: bool,
    seed: int | None,
    resolution: float | None,
    community_algorithm: str | None,
    lineage_weight: float | None,
    keep_declared_families: bool | None,
    knn_workers: int | None,
    add_lineage_edges: bool,
) -> None:
    """Build the atlas of a snapshot: parameter counts, lineage, communities, hierarchy, layout.

    Writes atlas/<id>/, and moves atlas/LATEST (what the site shows) once every output is complete. Re-running
    on an unchanged snapshot, config and code does nothing.

    Nightly reuse: when the atlas the site shows was built with the same config and code, and at most 5 % of
    the distinct names changed since, its name features and neighbour lists are kept where the names did not
    change and only the rest is computed (build.json's `mode` says "incremental", and why); --full computes
    everything.

    Without --snapshot it builds the newest `ok` snapshot of the nightly scope: a full listing (no --limit,
    --author, --search or --filter, not an import) of the same scope and endpoint as the site's atlas.
    A named snapshot of another kind (trial, filtered, imported, suspect, older) gets its atlas, but
    LATEST moves to it only with --publish.

    \b
    Examples:
      constellation build                            # the newest snapshot
      constellation build --snapshot 20260726T021500Z
      constellation build --resolution 3
      constellation build --lineage-weight 0         # names only, as in the Constellation paper
      constellation build --knn-workers 1            # the similarity search on one core
      constellation build --force                    # rebuild even if up to date
      constellation build --force --full             # rebuild, reusing nothing of the last atlas
      constellation build --snapshot 20230719T000000Z --publish   # show an import on the site
    """
    from dataclasses import replace

    from constellation.atlas.stage import AtlasConfig
    from constellation.build import BuildConfig, build
    from constellation.contract import DataLayout

    overrides: dict[str, Any] = {
        "seed": seed,
        "resolution": resolution,
        "community_algorithm": community_algorithm,
        "lineage_weight": lineage_weight,
        "keep_declared_families": keep_declared_families,
        "knn_workers": knn_workers,
    }
    if add_lineage_edges:
        # Before issue 10, lineage edges were off unless this flag was given; they are on by default now.
        if lineage_weight == 0:
            raise click.UsageError("--add-lineage-edges contradicts --lineage-weight 0; drop one of them")
        click.echo("note: --add-lineage-edges is obsolete (lineage edges are on by default; see --lineage-weight)")
    config = BuildConfig(atlas=replace(AtlasConfig(), **{k: v for k, v in overrides.items() if v is not None}))
    layout = DataLayout.at(data_dir)
    result = build(layout, snapshot_id, config, force=force, publish=publish, full=full)
    if result.skipped:
        line = f"atlas {result.snapshot_id} is already up to date ({result.models:,} models)"
    else:
        line = f"built atlas {result.snapshot_id}: {result.models:,} models in {result.seconds:.1f} s"
        if result.info.get("mode") == "incremental":
            line += f" (incremental: {result.info['reuse'].get('why')})"
    if not result.published:
        line += f"; the site still shows {layout.latest_atlas_id()} (--publish to show this one)"
    click.echo(line)
