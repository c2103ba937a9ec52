"""Crawl throughput and memory: models per second from a loopback fake Hub into a published snapshot,
and the crawler's peak RSS, at several Hub sizes (default 100k; `--sizes 100000 1000000`).

The fake Hub runs in its own process, so the crawler's peak memory is measured apart from the server's
(the server holds the whole synthetic Hub; the crawler streams and should stay flat as N grows). The
crawl also runs in its own process and reports its own wall time (imports excluded) and peak RSS.

    python -m bench.bench_crawl --sizes 100000
    flock /tmp/constellation-bench.lock python -m bench.bench_crawl --sizes 100000 1000000
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import parser, write_results

SERVER = """
import sys, time
t0 = time.perf_counter()
from fakehub.server import FakeHub
hub = FakeHub.synthetic({n}, seed={seed}, page_size=1000).start()
print(hub.url, round(time.perf_counter() - t0, 2), flush=True)
sys.stdin.read()
"""

CRAWLER = """
import json, resource, sys, time
from constellation.contract import DataLayout
from crawler.run import crawl
from crawler.scope import CrawlSettings, Scope
t0 = time.perf_counter()
result = crawl(DataLayout.at(sys.argv[1]), Scope(pipeline_tag=None), endpoint=sys.argv[2],
               settings=CrawlSettings(page_size={page_size}, request_timeout_s=120), progress=False)
seconds = time.perf_counter() - t0
print(json.dumps({{"seconds": seconds, "stored": result.manifest["counts"]["stored"],
                  "pages": result.manifest["pages"], "requests": result.manifest["requests"],
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_HUB_OFFLINE", "HF_TOKEN"))}
    env.update(HF_HUB_DISABLE_TELEMETRY="1", HF_HUB_DISABLE_IMPLICIT_TOKEN="1")
    return env


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_one(n: int, seed: int, page_size: int) -> dict[str, Any]:
    env = _env()
    with tempfile.TemporaryDirectory(prefix="bench-crawl-") as tmp:
        env["HF_HOME"] = str(Path(tmp) / "hf-home")
        server = subprocess.Popen(
            [sys.executable, "-c", SERVER.format(n=n, seed=seed)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        try:
            url, generate_s = server.stdout.readline().split()
            crawl = subprocess.run(
                [sys.executable, "-c", CRAWLER.format(page_size=page_size), str(Path(tmp) / "data"), url],
                capture_output=True, text=True, env=env, check=False,
            )  # fmt: skip
            if crawl.returncode != 0:
                raise RuntimeError(f"crawl failed (exit {crawl.returncode}): {crawl.stderr[-2000:]}")
            figures = json.loads(crawl.stdout.strip().splitlines()[-1])
            server_rss = _peak_rss_mb(server.pid)
            snapshot_mb = sum(p.stat().st_size for p in (Path(tmp) / "data" / "snapshots").glob("*.parquet")) / 2**20
        finally:
            server.stdin.close()
            server.wait(timeout=30)
    return {
        "models": n,
        "stored": figures["stored"],
        "pages": figures["pages"],
        "requests": figures["requests"],
        "crawl_s": round(figures["seconds"], 2),
        "models_per_s": round(figures["stored"] / figures["seconds"]),
        "crawler_peak_rss_mb": round(figures["peak_rss_mb"], 1),
        "server_peak_rss_mb": round(server_rss, 1),
        "server_generate_s": float(generate_s),
        "snapshot_mb": round(snapshot_mb, 1),
    }


def main(argv: list[str]) -> dict[str, Any]:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--page-size", type=int, default=1000)
    args = p.parse_args(argv)
    runs = []
    for n in args.sizes:
        t0 = time.perf_counter()
        runs.append(run_one(n, args.seed, args.page_size))
        print(f"{n:>9,} models: {runs[-1]} ({time.perf_counter() - t0:.0f} s in all)", file=sys.stderr, flush=True)
    results = {"benchmark": "crawl", "page_size": args.page_size, "runs": runs}
    write_results(args.out, results)
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
