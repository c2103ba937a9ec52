"""kNN recall and time against exact search on Hub-like synthetic names (the windowed search's settings).

    python -m bench.bench_knn                          # 100k and 300k models
    nice python -m bench.bench_knn --sizes 1000000

For each size: `fakehub.synthetic.generate(n, seed)`, name features with `AtlasConfig()` defaults, one row per
distinct name; then the windowed search with the text sort keys only, with `knn_minhash_keys` MinHash keys,
and after `knn_graph_passes` neighbour-of-neighbour passes. Recall@10 on `knn_recall_sample` names (seed 42)
against exact search; CPU seconds beside wall seconds, since the machine is shared.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np
import pandas as pd

from bench.common import GENERATOR_VERSION, parser, peak_rss_mb, write_results


def measure(n: int, seed: int) -> dict[str, Any]:
    from constellation.atlas import knn
    from constellation.atlas.config import AtlasConfig
    from constellation.atlas.features import name_features
    from fakehub.synthetic import generate

    config = AtlasConfig()
    features = name_features(generate(n, seed)["id"].astype(str).tolist(), config)
    _, first = np.unique(pd.factorize(pd.Series(features.texts))[0], return_index=True)
    matrix, words = features.matrix[first], features.words[first]
    texts = [features.texts[i] for i in first]
    rows = matrix.shape[0]
    sample = np.random.default_rng(42).choice(rows, size=min(rows, config.knn_recall_sample), replace=False)
    options = {"window": config.knn_window, "min_similarity": config.min_similarity, "progress": False}
    run: dict[str, Any] = {"models": n, "distinct_names": rows}
    text_keys = knn.sort_keys(texts, words, features.word_terms)
    all_keys = knn.sort_keys(
        texts, words, features.word_terms, matrix=matrix, minhashes=config.knn_minhash_keys, seed=config.seed
    )
    for label, keys in (("text_keys", text_keys), ("with_minhash", all_keys)):
        wall, cpu = time.perf_counter(), time.process_time()
        graph = knn.windowed_knn(matrix, config.k, keys, **options)
        run[label] = {
            "keys": len(keys),
            "wall_s": round(time.perf_counter() - wall, 1),
            "cpu_s": round(time.process_time() - cpu, 1),
            "recall": round(knn.knn_recall(matrix, graph, sample, min_similarity=config.min_similarity), 4),
        }
    wall, cpu = time.perf_counter(), time.process_time()
    graph = knn.refine_knn(
        matrix, graph, passes=config.knn_graph_passes, min_similarity=config.min_similarity, progress=False
    )
    run["after_passes"] = {
        "passes": config.knn_graph_passes,
        "wall_s": round(time.perf_counter() - wall, 1),
        "cpu_s": round(time.process_time() - cpu, 1),
        "recall": round(knn.knn_recall(matrix, graph, sample, min_similarity=config.min_similarity), 4),
    }
    run["peak_rss_mb"] = round(peak_rss_mb())
    return run


def main(argv: list[str]) -> dict[str, Any]:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--sizes", default="100000,300000", help="comma-separated model counts")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic Hubs")
    args = p.parse_args(argv)
    results: dict[str, Any] = {"benchmark": "knn recall", "generator": GENERATOR_VERSION, "runs": {}}
    for n in [int(s) for s in args.sizes.split(",") if s.strip()]:
        results["runs"][str(n)] = measure(n, args.seed)
        print(f"{n}: {results['runs'][str(n)]}", file=sys.stderr, flush=True)
    write_results(args.out, results)
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
