"""kNN recall and time against exact search on Hub-like synthetic names, by window and by worker count.

    python -m bench.bench_knn                                  # 100k and 300k, window 512, 1 and 2 workers
    python -m bench.bench_knn --sizes 300000 --windows 256,512 --workers 1,2
    python -m bench.bench_knn --sizes 1000000 --runs 512:2,512:1,256:2     # chosen window:workers pairs
    flock /tmp/constellation-bench.lock python -m bench.bench_knn --sizes 1000000 --locked

For each size: `fakehub.synthetic.generate(n, seed)`, name features with `AtlasConfig()` defaults, one row per
distinct name; then, for each window and worker count, the windowed search with the text and
`knn_minhash_keys` MinHash sort keys, `knn_graph_passes` neighbour-of-neighbour passes, and the recall check:
recall@10 on `knn_recall_sample` names (seed 42) against exact search. `--text-keys` adds the windowed search
with the text keys alone (the recall the MinHash keys add). Wall seconds, and CPU seconds of this process and
its forked workers, since the machine is shared; the machine's load average before and after each run; the
peak memory of the process tree (PSS: shared pages counted once; bench.common.TreeMemory). Sizes of 500k
or more take the big-run lock unless `--locked` says the caller holds it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from bench.common import BIG_RUN_LOCK, GENERATOR_VERSION, TreeMemory, cpu_seconds, parser, peak_rss_mb, write_results

BIG = 500_000


@contextmanager
def _stopwatch(results: dict[str, Any], key: str) -> Iterator[None]:
    wall, cpu = time.perf_counter(), cpu_seconds()
    yield
    results[key] = {"wall_s": round(time.perf_counter() - wall, 1), "cpu_s": round(cpu_seconds() - cpu, 1)}


def measure(n: int, seed: int, runs: list[tuple[int, int]], text_keys: bool) -> dict[str, Any]:
    from constellation.atlas import knn
    from constellation.atlas.config import AtlasConfig
    from constellation.atlas.features import name_features
    from constellation.atlas.workers import worker_count
    from fakehub.synthetic import generate

    config = AtlasConfig()
    features = name_features(generate(n, seed)["id"].astype(str).tolist(), config)
    _, first = np.unique(pd.factorize(pd.Series(features.texts))[0], return_index=True)
    matrix, words, terms = features.matrix[first], features.words[first], features.word_terms
    texts = [features.texts[i] for i in first]
    del features
    rows = matrix.shape[0]
    sample = np.random.default_rng(42).choice(rows, size=min(rows, config.knn_recall_sample), replace=False)
    keys = knn.sort_keys(texts, words, terms, matrix=matrix, minhashes=config.knn_minhash_keys, seed=config.seed)
    out: dict[str, Any] = {"models": n, "distinct_names": rows, "rss_before_mb": round(peak_rss_mb()), "runs": []}
    if text_keys:
        plain = knn.windowed_knn(
            matrix, config.k, keys[: len(keys) - config.knn_minhash_keys], window=config.knn_window,
            min_similarity=config.min_similarity, progress=False, workers=worker_count(runs[0][1]),
        )  # fmt: skip
        out["text_keys_recall"] = round(knn.knn_recall(matrix, plain, sample, min_similarity=config.min_similarity), 4)
    for window, requested in runs:
        count = worker_count(requested)
        run: dict[str, Any] = {"window": window, "workers": count, "load_before": os.getloadavg()}
        options = {"min_similarity": config.min_similarity, "progress": False, "workers": count}
        with TreeMemory() as memory:
            with _stopwatch(run, "windowed"):
                graph = knn.windowed_knn(matrix, config.k, keys, window=window, **options)
            recall = knn.knn_recall(matrix, graph, sample, min_similarity=config.min_similarity, workers=count)
            run["recall_windowed"] = round(recall, 4)
            with _stopwatch(run, "passes"):
                graph = knn.refine_knn(matrix, graph, passes=config.knn_graph_passes, **options)
            with _stopwatch(run, "recall_check"):
                recall = knn.knn_recall(matrix, graph, sample, min_similarity=config.min_similarity, workers=count)
        run["recall"] = round(recall, 4)
        run["knn_wall_s"] = round(
            run["windowed"]["wall_s"] + run["passes"]["wall_s"] + run["recall_check"]["wall_s"], 1
        )
        run["knn_cpu_s"] = round(run["windowed"]["cpu_s"] + run["passes"]["cpu_s"] + run["recall_check"]["cpu_s"], 1)
        run.update(memory.as_dict(), load_after=os.getloadavg())
        out["runs"].append(run)
        print(f"{n}: {run}", file=sys.stderr, flush=True)
    out["peak_rss_mb"] = round(peak_rss_mb())
    return out


def _numbers(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def main(argv: list[str]) -> dict[str, Any]:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--sizes", default="100000,300000", help="comma-separated model counts")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic Hubs")
    p.add_argument("--windows", default="512", help="comma-separated knn_window values")
    p.add_argument("--workers", default="1,2", help="comma-separated knn_workers values (0 = one per core)")
    p.add_argument(
        "--runs",
        default=None,
        help="WINDOW:WORKERS pairs, comma-separated (e.g. 512:2,512:1,256:2), instead of "
        "every window with every worker count",
    )
    p.add_argument("--text-keys", action="store_true", help="also the recall of the text sort keys alone")
    p.add_argument("--locked", action="store_true", help=f"the caller already holds {BIG_RUN_LOCK}")
    args = p.parse_args(argv)
    sizes = _numbers(args.sizes)
    if max(sizes, default=0) >= BIG and not args.locked:  # run again under the lock
        command = ["flock", BIG_RUN_LOCK, sys.executable, "-m", "bench.bench_knn", *argv, "--locked"]
        sys.exit(subprocess.run(command, check=False).returncode)
    results: dict[str, Any] = {"benchmark": "knn recall", "generator": GENERATOR_VERSION, "runs": {}}
    if args.runs:
        runs = [(int(window), int(workers)) for window, workers in (pair.split(":") for pair in args.runs.split(","))]
    else:
        runs = [(window, workers) for window in _numbers(args.windows) for workers in _numbers(args.workers)]
    for n in sizes:
        results["runs"][str(n)] = measure(n, args.seed, runs, args.text_keys)
    write_results(args.out, results)
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
