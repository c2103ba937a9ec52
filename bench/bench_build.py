"""Benchmark of the atlas stage (`constellation.atlas.stage.map_atlas`): time and peak memory by size.

Sizes: "constellation" (the paper's 15,821 models, from ../shared/data/constellation/), and synthetic Hubs
of any size (fakehub.synthetic.generate). Each size runs in a fresh process so its peak RSS is its own; the
synthetic frame is generated and cached first, in another process, so the generator's memory is not counted.
Runs at 500k models or more take `flock /tmp/constellation-bench.lock` so one big run happens at a time.

At 15,821 models the Constellation-style baseline (constellation.evaluate.baseline: dense TF-IDF, all-pairs
similarities, single linkage, Louvain on the graph thresholded at 0.5) runs beside it, also in its own process.

    python -m bench.bench_build                                  # constellation + 100k
    python -m bench.bench_build --sizes constellation,100000,1000000,3000000
    python -m bench.bench_build --sizes 100000 --no-baseline --out bench/out/bench_build.json
    python -m bench.bench_build --sizes 300000 --no-baseline --knn-workers 1     # the kNN on one core
    flock /tmp/constellation-bench.lock python -m bench.bench_build --sizes 1000000,3000000 --locked
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import (
    BIG_RUN_LOCK,
    GENERATOR_VERSION,
    TreeMemory,
    cpu_seconds,
    parser,
    peak_rss_mb,
    write_results,
)

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CONSTELLATION_CSV = SHARED_DATA / "constellation" / "HuggingFaceLLMsWithParamsAndReadmeLinks.csv"
CACHE = Path(__file__).resolve().parent / "out" / "cache"
BIG = 500_000
HUB_PREFIX = "https://huggingface.co/"


def constellation_models():
    """The paper's 15,821 models as a minimal models frame (id, downloads, likes)."""
    import pandas as pd

    raw = pd.read_csv(CONSTELLATION_CSV)
    return pd.DataFrame(
        {
            "id": raw["link"].str.removeprefix(HUB_PREFIX),
            "downloads": raw["downloads"].fillna(0).astype("int64"),
            "likes": raw["likes"].fillna(0).astype("int64"),
        }
    )


def synthetic_path(n: int, seed: int) -> Path:
    """The cached models frame of a synthetic Hub, keyed by the generator's version (bench.common)."""
    return CACHE / f"synthetic-{n}-{seed}-{GENERATOR_VERSION}.parquet"


def make_synthetic(n: int, seed: int) -> dict[str, Any]:
    """Generate the synthetic Hub once and keep its minimal models frame (this process's memory is not
    the atlas's)."""
    import pandas as pd

    from fakehub.synthetic import generate

    t0 = time.perf_counter()
    raw = generate(n, seed)
    models = pd.DataFrame({"id": raw["id"].astype(str), "downloads": raw["downloads"], "likes": raw["likes"]})
    CACHE.mkdir(parents=True, exist_ok=True)
    models.to_parquet(synthetic_path(n, seed))
    return {"generate_s": round(time.perf_counter() - t0, 1)}


def run_atlas(size: str, seed: int, settings: dict[str, int]) -> dict[str, Any]:
    import pandas as pd

    from constellation.atlas.stage import AtlasConfig, map_atlas
    from constellation.contract import EDGE_COLUMNS

    models = constellation_models() if size == "constellation" else pd.read_parquet(synthetic_path(int(size), seed))
    before = peak_rss_mb()
    load_before = os.getloadavg()
    t0, cpu = time.perf_counter(), cpu_seconds()
    with TreeMemory() as memory:
        mapped = map_atlas(models, pd.DataFrame(columns=list(EDGE_COLUMNS)), AtlasConfig(**settings))
    seconds = time.perf_counter() - t0
    report = mapped.report
    return {
        "models": len(models),
        "settings": settings,
        "atlas_s": round(seconds, 2),
        "atlas_cpu_s": round(cpu_seconds() - cpu, 1),  # this process and its forked kNN workers
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "peak_rss_mb": round(peak_rss_mb()),
        **memory.as_dict(),
        "rss_before_atlas_mb": round(before),
        "stages_s": report["timings_s"],
        "knn": report["knn"],
        "communities": {
            key: report["communities"][key]
            for key in ("algorithm", "count", "modularity", "models_without_similar_names")
        },
        "hierarchy": report["hierarchy"],
        "similarity_edges": len(mapped.edges),
    }


def run_baseline(seed: int) -> dict[str, Any]:
    """The Constellation method at 15,821 models, the way the paper ran it (dense TF-IDF)."""
    from constellation.evaluate import baseline

    models = constellation_models()
    config = baseline.BaselineConfig(dense=True, seed=seed)
    names = models["id"].str.split("/").str[-1].tolist()
    t0 = time.perf_counter()
    features = baseline.name_tfidf(names)
    t_features = time.perf_counter()
    pairs = baseline.pairwise_similarities(features, config, min_similarity=0.5)
    t_pairs = time.perf_counter()
    tree = baseline.single_linkage(pairs.condensed_distances)
    t_linkage = time.perf_counter()
    communities = baseline.threshold_louvain(len(names), pairs.pairs, pairs.similarities, 0.5, seed)
    t_louvain = time.perf_counter()
    return {
        "models": len(names),
        "baseline_s": round(t_louvain - t0, 2),
        "stages_s": {
            "tfidf": round(t_features - t0, 2),
            "all_pairs_similarities": round(t_pairs - t_features, 2),
            "single_linkage": round(t_linkage - t_pairs, 2),
            "threshold_louvain_0.5": round(t_louvain - t_linkage, 2),
        },
        "tree_merges": int(len(tree)),
        "communities": int(communities.max() + 1),
        "peak_rss_mb": round(peak_rss_mb()),
    }


def _child(args: list[str], *, locked: bool) -> dict[str, Any]:
    """Run one measurement in a fresh process; `locked` takes the big-run lock around it."""
    command = [sys.executable, "-m", "bench.bench_build", *args]
    if locked:
        command = ["flock", BIG_RUN_LOCK, *command]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    if proc.returncode:
        return {"error": f"exit {proc.returncode}", "stderr": proc.stderr[-2000:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> dict[str, Any]:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--sizes", default="constellation,100000", help="comma-separated: constellation and/or model counts")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic Hubs")
    p.add_argument("--no-baseline", action="store_true", help="skip the Constellation-style baseline")
    p.add_argument(
        "--locked",
        action="store_true",
        help=f"the caller already holds {BIG_RUN_LOCK} (e.g. `flock {BIG_RUN_LOCK} python -m ...`)",
    )
    p.add_argument("--knn-workers", type=int, default=None, help="AtlasConfig.knn_workers (default: the config's)")
    p.add_argument("--knn-window", type=int, default=None, help="AtlasConfig.knn_window (default: the config's)")
    p.add_argument("--child", choices=["atlas", "baseline", "generate"], help=argparse.SUPPRESS)
    p.add_argument("--size", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.child:  # one measurement in this fresh process; prints one JSON line
        if args.child == "atlas":
            settings = {"knn_workers": args.knn_workers, "knn_window": args.knn_window}
            result = run_atlas(
                args.size, args.seed, {key: value for key, value in settings.items() if value is not None}
            )
        elif args.child == "baseline":
            result = run_baseline(args.seed)
        else:
            result = make_synthetic(int(args.size), args.seed)
        print(json.dumps(result, default=str))
        return result

    results: dict[str, Any] = {"benchmark": "build (atlas stage)", "runs": {}}
    for size in [s.strip() for s in args.sizes.split(",") if s.strip()]:
        n = 15_821 if size == "constellation" else int(size)
        lock = n >= BIG and not args.locked
        run: dict[str, Any] = {}
        if size != "constellation" and not synthetic_path(n, args.seed).exists():
            run["synthetic"] = _child(["--child", "generate", "--size", size, "--seed", str(args.seed)], locked=lock)
        settings = [
            *(["--knn-workers", str(args.knn_workers)] if args.knn_workers is not None else []),
            *(["--knn-window", str(args.knn_window)] if args.knn_window is not None else []),
        ]
        run["atlas"] = _child(["--child", "atlas", "--size", size, "--seed", str(args.seed), *settings], locked=lock)
        if size == "constellation" and not args.no_baseline:
            run["baseline"] = _child(["--child", "baseline", "--seed", str(args.seed)], locked=False)
            if "atlas_s" in run["atlas"] and "baseline_s" in run["baseline"]:
                run["speedup"] = round(run["baseline"]["baseline_s"] / run["atlas"]["atlas_s"], 1)
        results["runs"][size] = run
        print(f"{size}: {json.dumps(run, default=str)[:400]}", file=sys.stderr, flush=True)
    write_results(args.out, results)
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
