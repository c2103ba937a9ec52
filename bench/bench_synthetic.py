"""Benchmark the synthetic Hub generator: models per second and peak memory at growing sizes.

    python -m bench.bench_synthetic                      # 100k and 1M models
    flock /tmp/constellation-bench.lock python -m bench.bench_synthetic --n 100000 1000000 3000000
    python -m bench.bench_synthetic --n 100000 --jsonl   # also time write_jsonl

Sizes run in ascending order in one process, so the peak RSS after each size is that size's peak (the
earlier, smaller frames are freed first). Wall time depends on what else runs on the machine; CPU time is
reported beside it.
"""

from __future__ import annotations

import gc
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import parser, peak_rss_mb, write_results


def main(argv: list[str]) -> dict[str, Any]:
    p = parser("Synthetic Hub generator: speed and memory")
    p.add_argument("--n", type=int, nargs="+", default=[100_000, 1_000_000], help="sizes (models)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jsonl", action="store_true", help="also time write_jsonl (gzip) at each size")
    args = p.parse_args(argv)

    from fakehub.synthetic import generate, write_jsonl

    results: dict[str, Any] = {
        "benchmark": "synthetic",
        "seed": args.seed,
        "rss_before_mb": round(peak_rss_mb(), 1),
        "runs": [],
    }
    for n in sorted(args.n):
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        frame = generate(n, args.seed)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        run: dict[str, Any] = {
            "n": n,
            "wall_s": round(wall, 2),
            "cpu_s": round(cpu, 2),
            "models_per_s_wall": round(n / wall),
            "models_per_s_cpu": round(n / cpu),
            "peak_rss_mb": round(peak_rss_mb(), 1),
        }
        if args.jsonl:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "hub.jsonl.gz"
                t0 = time.perf_counter()
                write_jsonl(frame, path)
                run["jsonl_gz_s"] = round(time.perf_counter() - t0, 2)
                run["jsonl_gz_mb"] = round(path.stat().st_size / 2**20, 1)
        results["runs"].append(run)
        del frame
    write_results(args.out, results)
    return results


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
