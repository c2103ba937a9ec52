"""`constellation evaluate`: measure parameter counts and inferred lineage against the truth."""

from __future__ import annotations

from pathlib import Path

import click

from constellation.cli.options import MAX_SYNTHETIC_MODELS, SEED, Number, data_dir_option, snapshot_option


@click.command("evaluate")
@data_dir_option
@snapshot_option
@click.option(
    "--hide-share",
    type=Number(float, 0, 1, low_open=True, high_open=True),
    default=0.3,
    show_default=True,
    help="Share of the models with declared lineage whose lineage is hidden and inferred back.",
)
@click.option(
    "--seed", type=SEED, default=0, show_default=True, help="Seed of the hidden share (same seed, same split)."
)
@click.option(
    "--shared-data",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Also score on the reference data in this folder (e.g. ../shared/data).",
)
@click.option(
    "--synthetic",
    type=Number(int, 0, MAX_SYNTHETIC_MODELS),
    default=0,
    show_default=True,
    metavar="N",
    help="Also score lineage and communities on a synthetic Hub of N models (its generator knows undeclared parents).",
)
@click.option(
    "--json",
    "json_out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Also write every figure as JSON to this file.",
)
def command(
    data_dir: str | None,
    snapshot_id: str | None,
    hide_share: float,
    seed: int,
    shared_data: Path | None,
    synthetic: int,
    json_out: Path | None,
) -> None:
    """Score parameter counts, inferred lineage and name communities on a snapshot.

    Parameters: the sizes read from names against the snapshot's safetensors totals. Lineage: the
    declared lineage of a seeded share of models is hidden, inferred back from names and metadata, and
    scored against what was hidden (precision and recall by relation, precision-recall over confidence),
    with hand-set confidences and with confidences calibrated on the visible declarations as the build
    does (the calibration table, the relations learned, and the calibration error of each).
    Atlas: communities and clusters built from names alone, against declared lineage families (ARI, NMI,
    pairwise precision and recall). With --shared-data (and --synthetic), all of it on the reference sets
    too, with the default communities scored against the true families of the models whose lineage was
    hidden; and on the parents that model cards name for models that declare none
    (model-atlas-card-parents): the inferred parents as a
    build would write them (calibration seed 0, as a build), and the communities those models land in
    (--seed seeds that build's calibration and Louvain). Runs on any snapshot, so it can follow every
    nightly crawl. See docs/quality.md.

    \b
    Examples:
      constellation evaluate                               # the newest snapshot
      constellation evaluate --snapshot 20260726T021500Z --seed 1
      constellation evaluate --hide-share 0.5 --json quality.json
      constellation evaluate --shared-data ../shared/data  # also on the reference data sets
      constellation evaluate --synthetic 30000             # also on a synthetic Hub
    """
    from constellation.build import deduplicate
    from constellation.contract import DataLayout
    from constellation.demo import synthetic_snapshot
    from constellation.evaluate.card_parents import CardParentsSet
    from constellation.evaluate.report import EvaluationInput, as_json, evaluate, render
    from constellation.store import read_snapshot, resolve_snapshot_id, write_json_atomic
    from crawler.importer import card_parents_snapshot, load_card_parents, load_reference_snapshots

    layout = DataLayout.at(data_dir)
    snapshot_id = resolve_snapshot_id(layout, snapshot_id)
    models, _ = deduplicate(read_snapshot(layout, snapshot_id))
    # Read and generated once here, then shared by every section that scores on them.
    references = load_reference_snapshots(shared_data) if shared_data is not None else {}
    hub = synthetic_snapshot(synthetic, seed) if synthetic > 0 else None
    card_truth = load_card_parents(shared_data) if shared_data is not None else None
    cards = None if card_truth is None else CardParentsSet(card_parents_snapshot(references, card_truth), card_truth)
    inp = EvaluationInput(
        models,
        snapshot_id,
        hide_share,
        seed,
        shared_data=shared_data,
        references=references,
        synthetic=hub,
        card_parents=cards,
    )
    sections = evaluate(inp)
    click.echo(f"snapshot {snapshot_id}: {len(models):,} models\n")
    click.echo(render(sections))
    if json_out is not None:
        write_json_atomic(json_out, as_json(inp, sections))
        click.echo(f"wrote {json_out}")
