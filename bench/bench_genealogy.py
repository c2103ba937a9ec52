"""Benchmark of the genealogy stage (`constellation.genealogy.stage.annotate`): time and peak memory.

    python -m bench.bench_genealogy --models 100000
    flock /tmp/constellation-bench.lock python -m bench.bench_genealogy --models 1000000

The snapshot is prepared once per (source, size, seed) in a child process and cached as Parquet under
bench/out/, so the peak memory measured here is that of reading the snapshot and annotating it, as in a
build. Sources:
- `synthetic`: the fake Hub's synthetic generator (fakehub.synthetic), converted to snapshot rows by the
  crawler's own record parser;
- `tiled`: the real hf-top-downloads-2024-09 list (../shared/data), repeated under renamed owners until it
  reaches the size (lineage ids renamed alike), for when the generator is unavailable.
"""

from __future__ import annotations

import functools
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from bench.common import parser, peak_rss_mb, write_results

CACHE = Path(__file__).parent / "out" / "cache"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def _cache_path(source: str, models: int, seed: int) -> Path:
    return CACHE / f"genealogy-{source}-{models}-{seed}.parquet"


def prepare_synthetic(models: int, seed: int) -> pa.Table:
    from crawler.records import convert_items
    from fakehub.synthetic import generate, to_records

    frame = generate(models, seed)
    return convert_items(list(to_records(frame)), datetime(2026, 11, 1, tzinfo=UTC)).table


def prepare_tiled(models: int, seed: int) -> pa.Table:
    import pandas as pd

    from constellation.contract import SNAPSHOT_SCHEMA
    from crawler.importer import load_top_downloads

    base = load_top_downloads(SHARED / "hf-top-downloads-2024-09" / "hf_models.csv")
    copies = []
    for k in range(-(-models // len(base))):
        copy = base.copy()
        # Copy 0 keeps the real ids; later copies put every owner (and every declared parent) under a new one.
        if k:
            copy["id"] = copy["id"].map(functools.partial(_renamed, k))
            copy["author"] = copy["id"].str.split("/").str[0]
            copy["base_models"] = copy["base_models"].map(
                functools.partial(
                    lambda k, bms: [{"id": _renamed(k, b["id"]), "relation": b["relation"]} for b in bms], k
                )
            )
        copies.append(copy)
    frame = pd.concat(copies, ignore_index=True).head(models)
    return pa.Table.from_pandas(frame, schema=SNAPSHOT_SCHEMA, preserve_index=False)


def prepare(source: str, models: int, seed: int) -> Path:
    path = _cache_path(source, models, seed)
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        table = prepare_synthetic(models, seed) if source == "synthetic" else prepare_tiled(models, seed)
        pq.write_table(table, path.with_suffix(".tmp"))
        path.with_suffix(".tmp").rename(path)
    return path


def _renamed(copy: int, model_id: str) -> str:
    """The id of `model_id` in copy number `copy` of the list (owner-less legacy ids get an owner)."""
    return f"t{copy}-{model_id}" if "/" in model_id else f"t{copy}-x/{model_id}"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--models", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--source", choices=("synthetic", "tiled"), default="synthetic")
    p.add_argument("--prepare-only", action="store_true", help=argparse_help_prepare())
    args = p.parse_args(argv)
    if args.prepare_only:
        prepare(args.source, args.models, args.seed)
        return {}

    path = _cache_path(args.source, args.models, args.seed)
    if not path.is_file():
        t0 = time.perf_counter()
        cmd = [
            sys.executable,
            "-m",
            "bench.bench_genealogy",
            "--prepare-only",
            "--models",
            str(args.models),
            "--seed",
            str(args.seed),
            "--source",
            args.source,
        ]
        subprocess.run(cmd, check=True, cwd=Path(__file__).parents[1])
        prepared_s = round(time.perf_counter() - t0, 1)
    else:
        prepared_s = 0.0

    from constellation.genealogy.declared import declared_lineage
    from constellation.genealogy.inferred import infer_lineage
    from constellation.genealogy.stage import annotate

    results: dict[str, Any] = {
        "benchmark": "genealogy",
        "source": args.source,
        "models": args.models,
        "seed": args.seed,
        "prepare_s": prepared_s,
    }
    t0 = time.perf_counter()
    snapshot = pq.read_table(path).to_pandas()
    results["read_s"] = round(time.perf_counter() - t0, 2)
    results["rss_after_read_mb"] = round(peak_rss_mb(), 0)

    # Parts first (declared lineage, inference), then the whole stage as the build runs it.
    t0 = time.perf_counter()
    declared = declared_lineage(snapshot)
    results["declared_lineage_s"] = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    inferred = infer_lineage(snapshot, declared.columns["parent"].isna().to_numpy(), declared.edges)
    results["inference_s"] = round(time.perf_counter() - t0, 2)
    del declared, inferred

    t0 = time.perf_counter()
    genealogy = annotate(snapshot)
    results["annotate_s"] = round(time.perf_counter() - t0, 2)
    results["peak_rss_mb"] = round(peak_rss_mb(), 0)
    report = genealogy.report
    results["declared_edges"] = report["declared"]["declared_edges"]
    results["inferred_edges"] = report["inferred"]["edges"]
    results["rejected_lineage"] = report["declared"]["rejected_lineage"]["count"]
    results["cycles_broken"] = report["declared"]["cycles_broken"]["count"]
    results["max_depth"] = report["declared"]["max_depth"]
    return results


def argparse_help_prepare() -> str:
    return "only build the cached snapshot (used in a child process, so its memory is not counted)"


if __name__ == "__main__":
    out = main(sys.argv[1:])
    if out:
        write_results(parser("").parse_known_args(sys.argv[1:])[0].out, out)
