"""Benchmark of the whole build (`constellation build`): snapshot → genealogy → atlas → written atlas.

    python -m bench.bench_full_build                              # 100k
    python -m bench.bench_full_build --sizes 100000,1000000,3000000 --out bench/out/full_build.json

For each size, a published snapshot of N synthetic models (fakehub.synthetic.generate, converted to snapshot
rows by the crawler's own record parser, a chunk at a time) is written once into a data dir under
bench/out/full-build/ and reused by later runs; the HTTP crawl is not part of this (bench_crawl measures it).
Then `constellation.build.build(DataLayout(root), force=True)` runs in a fresh process, so the peak RSS
reported (VmHWM) is the build's alone (its CPU time beside its wall time); then, in another fresh process,
the whole atlas is exported to Parquet as `constellation export --format parquet` does it (read, select,
write; `--no-export` skips it). Data dirs are keyed by bench.common.GENERATOR_VERSION. Runs at 500k models or more take `flock /tmp/constellation-bench.lock`
unless `--locked` says the caller already holds it.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import (
    BIG_RUN_LOCK,
    GENERATOR_VERSION,
    TreeMemory,
    cpu_seconds,
    parser,
    process_peak_mb,
    run_child,
    write_results,
)

WORKDIR = Path(__file__).resolve().parent / "out" / "full-build"
BIG = 500_000
CRAWLED_AT = datetime(2026, 11, 1, tzinfo=UTC)
CHUNK = 100_000  # records converted at a time: 3M Python dicts at once would cost more than the build


def data_root(n: int, seed: int) -> Path:
    """The data dir of a synthetic snapshot, keyed by the generator's version (bench.common)."""
    return WORKDIR / f"synthetic-{n}-{seed}-{GENERATOR_VERSION}"


def snapshot_id() -> str:
    from constellation.contract import snapshot_id_for

    return snapshot_id_for(CRAWLED_AT)


def make_snapshot(n: int, seed: int) -> dict[str, Any]:
    """Write the published snapshot (Parquet first, manifest last, like the crawler) of N synthetic models."""
    import pyarrow.parquet as pq

    from constellation.contract import SNAPSHOT_SCHEMA, DataLayout
    from constellation.store import atomic_path, write_json_atomic
    from crawler.records import convert_items
    from fakehub.synthetic import generate, to_records

    layout = DataLayout(data_root(n, seed))
    layout.snapshots.mkdir(parents=True, exist_ok=True)
    sid = snapshot_id()
    t0 = time.perf_counter()
    frame = generate(n, seed)
    generate_s = time.perf_counter() - t0
    stored = rejected = rejected_lineage = 0
    with atomic_path(layout.snapshot(sid)) as tmp, pq.ParquetWriter(tmp, SNAPSHOT_SCHEMA) as writer:
        for start in range(0, len(frame), CHUNK):
            page = convert_items(list(to_records(frame.iloc[start : start + CHUNK])), CRAWLED_AT)
            writer.write_table(page.table)
            stored += page.table.num_rows
            rejected += len(page.rejected)
            rejected_lineage += len(page.rejected_lineage)
    manifest = {
        "snapshot_id": sid,
        "status": "ok",
        "synthetic": True,
        "scope": {"synthetic": {"n": n, "seed": seed}},
        "scope_key": f"synthetic:{n}:{seed}",
        "counts": {"seen": len(frame), "stored": stored, "rejected": rejected, "rejected_lineage": rejected_lineage},
        "finished_at": datetime.now(UTC).isoformat(),
    }
    write_json_atomic(layout.manifest(sid), manifest)
    return {
        "generate_s": round(generate_s, 1),
        "snapshot_s": round(time.perf_counter() - t0, 1),
        "stored": stored,
        "rejected": rejected,
        "snapshot_mb": round(layout.snapshot(sid).stat().st_size / 2**20, 1),
        "peak_rss_mb": round(process_peak_mb()),
    }


def run_build(n: int, seed: int) -> dict[str, Any]:
    """One whole build of the cached snapshot, in this (fresh) process."""
    from constellation.build import build
    from constellation.contract import DataLayout

    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    layout = DataLayout(data_root(n, seed))
    cpu = cpu_seconds()
    with TreeMemory() as memory:  # the build and its forked kNN workers
        result = build(layout, force=True)
    cpu = cpu_seconds() - cpu
    info = result.info
    atlas = info["reports"]["atlas"]
    folder = layout.atlas(result.snapshot_id)
    return {
        "models": result.models,
        "build_s": round(result.seconds, 1),
        "build_cpu_s": round(cpu, 1),  # CPU of this process and its kNN workers: above build_s when both cores work
        "stages_s": info["timings_s"],  # read snapshot, genealogy, atlas, write atlas
        "atlas_stages_s": atlas.get("timings_s", {}),
        "peak_rss_mb": round(process_peak_mb()),
        **memory.as_dict(),  # with the kNN workers: PSS counts their shared pages once
        "stages_peak_rss_mb": info.get("peak_rss_mb", {}),  # each stage's own peak (constellation.peak_memory)
        "atlas_stages_peak_rss_mb": atlas.get("peak_rss_mb", {}),
        "counts": info["counts"],
        "knn": atlas.get("knn"),
        "atlas_mb": round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20, 1),
    }


def run_export(n: int, seed: int) -> dict[str, Any]:
    """`constellation export --format parquet` of the whole atlas built by `run_build`, in this (fresh)
    process: read the atlas, select every model and edge, write models.parquet and edges.parquet."""
    import tempfile

    from constellation.contract import DataLayout
    from constellation.export.select import select
    from constellation.export.writers import write_export
    from constellation.store import read_atlas

    layout = DataLayout(data_root(n, seed))
    wall, cpu = time.perf_counter(), time.process_time()
    tables = read_atlas(layout, None, hierarchy=False)
    read_s = time.perf_counter() - wall
    selection = select(tables)
    select_s = time.perf_counter() - wall - read_s
    with tempfile.TemporaryDirectory(prefix="constellation-bench-export-") as out:
        result = write_export(selection, "parquet", out, progress=False)
        export_mb = sum(path.stat().st_size for path in result.paths) / 2**20
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "export_s": round(wall, 1),
        "export_cpu_s": round(cpu, 1),
        "read_atlas_s": round(read_s, 1),
        "select_s": round(select_s, 1),
        "write_parquet_s": round(wall - read_s - select_s, 1),
        "models": result.nodes,
        "edges": result.edges,
        "export_mb": round(export_mb, 1),
        "peak_rss_mb": round(process_peak_mb()),
    }


def main(argv: list[str]) -> dict[str, Any]:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--sizes", default="100000", help="comma-separated model counts (default: 100000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic Hubs")
    p.add_argument(
        "--locked",
        action="store_true",
        help=f"the caller already holds {BIG_RUN_LOCK} (e.g. `flock {BIG_RUN_LOCK} python -m ...`)",
    )
    p.add_argument("--no-export", action="store_true", help="skip the Parquet export of the built atlas")
    p.add_argument("--child", choices=["snapshot", "build", "export"], help=argparse.SUPPRESS)
    p.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.child:  # one step in this fresh process; prints one JSON line
        child = {"snapshot": make_snapshot, "build": run_build, "export": run_export}[args.child]
        result = child(args.size, args.seed)
        print(json.dumps(result, default=str))
        return result

    from constellation.contract import DataLayout

    results: dict[str, Any] = {"benchmark": "whole build (constellation build)", "seed": args.seed, "runs": {}}
    for n in [int(s) for s in args.sizes.split(",") if s.strip()]:
        lock = n >= BIG and not args.locked
        common = ["--size", str(n), "--seed", str(args.seed)]
        run: dict[str, Any] = {"data_dir": str(data_root(n, args.seed))}
        if not DataLayout(data_root(n, args.seed)).manifest(snapshot_id()).is_file():
            run["snapshot"] = run_child("bench.bench_full_build", ["--child", "snapshot", *common], locked=lock)
        run["build"] = run_child("bench.bench_full_build", ["--child", "build", *common], locked=lock)
        if not args.no_export and "error" not in run["build"]:
            run["export"] = run_child("bench.bench_full_build", ["--child", "export", *common], locked=lock)
        results["runs"][str(n)] = run
        print(f"{n}: {json.dumps(run, default=str)[:600]}", file=sys.stderr, flush=True)
    write_results(args.out, results)
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
