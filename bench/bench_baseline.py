"""The Constellation-style baseline beside our atlas stage, at the sizes where the baseline fits.

    python -m bench.bench_baseline                                   # the 15,821-model Constellation list
    python -m bench.bench_baseline --source synthetic:30000          # a synthetic Hub of 30k models
    python -m bench.bench_baseline --source constellation --source synthetic:30000 --out bench/out/b.json
    python -m bench.bench_baseline --no-timing --quality hf-top-downloads-2024-09 --quality synthetic:30000

Each measurement runs in a fresh (spawned) process so that its peak RSS is its own:
- ours: `constellation.atlas.stage.map_atlas` on names alone (features, kNN graph, communities, hierarchy, layout);
- baseline, dense (the paper's way): TF-IDF, densified; all-pairs cosine by dense products into the
  condensed n²/2 distance matrix; full single linkage; the graph of pairs above --threshold; Louvain;
- baseline, sparse: the same with sparse row-block products (identical similarities; a stronger baseline).
The input is loaded in each process before its clock starts; `loaded_rss_mb` is the RSS at that point.
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from pathlib import Path
from typing import Any

import pandas as pd

from bench.common import parser, peak_rss_mb, write_results

CONSTELLATION_CSV = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "constellation"
    / ("HuggingFaceLLMsWithParamsAndReadmeLinks.csv")
)
HUB_PREFIX = "https://huggingface.co/"


def load_models(source: str) -> pd.DataFrame:
    """`constellation` (the paper's 15,821 models) or `synthetic:N` (fakehub) as id, name, downloads, likes."""
    if source == "constellation":
        raw = pd.read_csv(CONSTELLATION_CSV)
        ids = raw["link"].str.removeprefix(HUB_PREFIX)
        frame = pd.DataFrame({"id": ids, "downloads": raw["downloads"].round(), "likes": raw["likes"]})
    elif source.startswith("synthetic:"):
        from fakehub.synthetic import generate

        raw = generate(int(source.split(":", 1)[1]), seed=0)
        frame = pd.DataFrame({"id": raw["id"], "downloads": raw.get("downloads"), "likes": raw.get("likes")})
    else:
        raise SystemExit(f"unknown --source {source!r}: use 'constellation' or 'synthetic:N'")
    frame = frame.drop_duplicates("id", keep="last").reset_index(drop=True)
    frame["name"] = frame["id"].str.split("/").str[-1]
    return frame


def measure_ours(source: str) -> dict[str, Any]:
    from constellation.atlas.stage import AtlasConfig, map_atlas
    from constellation.contract import EDGE_COLUMNS

    models = load_models(source)
    loaded = peak_rss_mb()
    t0 = time.perf_counter()
    mapped = map_atlas(models, pd.DataFrame(columns=list(EDGE_COLUMNS)), AtlasConfig())
    seconds = time.perf_counter() - t0
    return {
        "models": len(models),
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(peak_rss_mb()),
        "loaded_rss_mb": round(loaded),
        "communities": int(mapped.models["community"].nunique()),
        "similarity_edges": int(len(mapped.edges)),
        "stage_timings_s": mapped.report.get("timings_s", {}),
    }


def measure_baseline(source: str, dense: bool, threshold: float) -> dict[str, Any]:
    from constellation.evaluate.baseline import (
        BaselineConfig,
        name_tfidf,
        pairwise_similarities,
        single_linkage,
        threshold_louvain,
    )

    models = load_models(source)
    names = models["name"].tolist()
    loaded = peak_rss_mb()
    config = BaselineConfig(dense=dense)
    steps: dict[str, float] = {}
    t0 = time.perf_counter()
    features = name_tfidf(names)
    steps["tfidf"] = time.perf_counter() - t0
    t = time.perf_counter()
    sims = pairwise_similarities(features, config, min_similarity=threshold)
    steps["all_pairs_similarity"] = time.perf_counter() - t
    t = time.perf_counter()
    tree = single_linkage(sims.condensed_distances)
    steps["single_linkage"] = time.perf_counter() - t
    del sims.condensed_distances, tree
    t = time.perf_counter()
    labels = threshold_louvain(len(names), sims.pairs, sims.similarities, threshold, config.seed)
    steps["threshold_graph_louvain"] = time.perf_counter() - t
    seconds = time.perf_counter() - t0
    return {
        "models": len(names),
        "dense": dense,
        "tfidf_columns": int(features.shape[1]),
        "dense_tfidf_gb": round(features.shape[0] * features.shape[1] * 8 / 1e9, 2),
        "condensed_gb": round(len(names) * (len(names) - 1) / 2 * 8 / 1e9, 2),
        "threshold": threshold,
        "graph_edges": int(len(sims.pairs)),
        "communities": int(len(set(labels.tolist()))),
        "seconds": round(seconds, 2),
        "steps_s": {k: round(v, 2) for k, v in steps.items()},
        "peak_rss_mb": round(peak_rss_mb()),
        "loaded_rss_mb": round(loaded),
    }


def lineage_snapshot(source: str) -> pd.DataFrame:
    """A snapshot frame with declared lineage: a reference set of ../shared/data by name, or `synthetic:N`."""
    if source.startswith("synthetic:"):
        from constellation.demo import synthetic_snapshot

        return synthetic_snapshot(int(source.split(":", 1)[1]), seed=0).frame
    from crawler.importer import load_reference_snapshots

    snapshots = load_reference_snapshots(CONSTELLATION_CSV.parents[1])
    if source not in snapshots:
        raise SystemExit(f"unknown --quality {source!r}: use one of {sorted(snapshots)} or synthetic:N")
    return snapshots[source]


def true_families(snapshot: pd.DataFrame, truth: pd.DataFrame) -> pd.Series:
    """Root ancestor of each model along the generator's TRUE lineage, declared or not (first parent of merges)."""
    parent = truth.drop_duplicates("child", keep="first").set_index("child")["parent"]
    family = snapshot["id"].copy()
    for _ in range(64):  # deeper than any synthetic tree (depth 3); stops early when every chain is at its root
        step = family.map(parent)
        moved = step.notna() & (step != family)
        if not moved.any():
            break
        family = family.where(~moved, step)
    return family


def measure_quality(source: str, resolutions: tuple[float, ...]) -> dict[str, Any]:
    from constellation.evaluate.atlas import evaluate_atlas, format_atlas_quality, models_with_families

    if source.startswith("synthetic-true:"):
        # Every model's true family, including the models that declare nothing (most of the real Hub).
        from constellation.demo import synthetic_snapshot

        hub = synthetic_snapshot(int(source.split(":", 1)[1]), seed=0)
        snapshot, truth = hub.frame, hub.truth
        snapshot = snapshot.drop_duplicates("id", keep="last").reset_index(drop=True)
        models = snapshot.assign(family=true_families(snapshot, truth).to_numpy())
    else:
        models = models_with_families(lineage_snapshot(source))
    result = evaluate_atlas(models, resolutions=resolutions)
    if source.startswith("synthetic-true:"):
        result["truth"] = "family = root ancestor along the generator's TRUE lineage, declared or not"
    result["markdown"] = format_atlas_quality(result, title=f"Atlas quality on {source}")
    result["peak_rss_mb"] = round(peak_rss_mb())
    return result


def _in_fresh_process(func, *args) -> dict[str, Any]:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(func, args)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = parser("Constellation-style baseline vs our atlas stage: time and peak RSS")
    p.add_argument("--source", action="append", default=None, help="constellation (default) or synthetic:N; repeatable")
    p.add_argument("--threshold", type=float, default=0.5, help="similarity threshold of the baseline's graph")
    p.add_argument("--no-dense", action="store_true", help="skip the dense (paper-faithful) baseline")
    p.add_argument(
        "--quality",
        action="append",
        default=[],
        metavar="SOURCE",
        help="also score atlas quality on SOURCE: hf-top-downloads-2024-09, hf-model-trees, synthetic:N "
        "(declared families) or synthetic-true:N (the generator's true families, declared or not)",
    )
    p.add_argument(
        "--resolution",
        action="append",
        type=float,
        default=[],
        help="with --quality: also score our communities at this Louvain resolution (repeatable)",
    )
    p.add_argument("--timing", action=argparse.BooleanOptionalAction, default=True, help="run the timing runs")
    args = p.parse_args(argv)
    results: dict[str, Any] = {"benchmark": "baseline", "runs": [], "quality": {}}
    for source in args.quality:
        results["quality"][source] = _in_fresh_process(measure_quality, source, tuple(args.resolution))
    for source in (args.source or ["constellation"]) if args.timing else []:
        run: dict[str, Any] = {"source": source, "ours": _in_fresh_process(measure_ours, source)}
        run["baseline_sparse"] = _in_fresh_process(measure_baseline, source, False, args.threshold)
        if not args.no_dense:
            run["baseline_dense"] = _in_fresh_process(measure_baseline, source, True, args.threshold)
        for variant in ("baseline_sparse", "baseline_dense"):
            if variant in run:
                run[f"speedup_vs_{variant}"] = round(run[variant]["seconds"] / max(run["ours"]["seconds"], 1e-9), 1)
        results["runs"].append(run)
    write_results(args.out, results)
    return results


if __name__ == "__main__":
    main()
