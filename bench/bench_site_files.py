"""The build's cost of the site's files, writer by writer (site order, summary, lookups, views, trends), on an
atlas already built.

    flock /tmp/constellation-bench.lock python -m bench.bench_site_files --data-dir DIR --site-out FOLDER

Reads the atlas that DIR's atlas/LATEST names (its models without the list columns, edges, communities and
hierarchy/, as the build holds them in memory after the atlas write), then runs the build's site writers in
the build's order into FOLDER/site/ (FOLDER gets links to the atlas's models.parquet and edges.parquet, whose
sizes the site's files are stamped with): the same files a build of this code writes into atlas/<id>/site/,
the atlas's own folder left alone. The read is not timed. Each writer's wall and CPU time (this process's
user + system: the second core's share shows as CPU above wall) and the process's peak memory are reported.
Runs with an older checkout on PYTHONPATH too (the similarity rows are handed to `write_lookup` only when it
takes them), so two checkouts' files can be compared byte for byte.
"""

from __future__ import annotations

import inspect
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from bench.common import parser, process_peak_mb, write_results
from constellation.app.data import read_hierarchy
from constellation.arrow_strings import rows_of
from constellation.contract import ATLAS_FILES, DataLayout
from constellation.site_lookup import id_order, write_lookup
from constellation.site_summary import write_summary
from constellation.site_trends import write_trends
from constellation.site_views import write_views


def _load(folder: Path) -> dict[str, Any]:
    schema = pq.read_schema(folder / ATLAS_FILES.models)
    flat = [f.name for f in schema if not pa.types.is_list(f.type) and not pa.types.is_large_list(f.type)]
    listed = [f.name for f in schema if f.name not in flat]
    models = pq.read_table(folder / ATLAS_FILES.models, columns=flat).to_pandas()
    lists = pq.read_table(folder / ATLAS_FILES.models, columns=listed)
    edges = pq.read_table(folder / ATLAS_FILES.edges).to_pandas()
    similar = (edges["kind"] == "similarity").to_numpy(dtype=bool)
    rows = (
        rows_of(edges["source"][similar], models["id"]),
        rows_of(edges["target"][similar], models["id"]),
        edges["weight"].to_numpy()[similar],
    )
    return {
        "models": models,
        "edges": edges,
        "similar": rows,
        "listed": {name: lists.column(name).null_count < lists.num_rows for name in lists.column_names},
        "communities": pq.read_table(folder / ATLAS_FILES.communities).to_pandas(),
        "hierarchy": read_hierarchy(folder / ATLAS_FILES.hierarchy),
    }


def measure(root: Path, out: Path) -> dict[str, Any]:
    layout = DataLayout(root)
    snapshot_id = layout.latest_atlas_id()
    if snapshot_id is None:
        raise SystemExit(f"{root} holds no atlas (atlas/LATEST is missing); build one first")
    folder = layout.atlas(snapshot_id)
    t0 = time.perf_counter()
    held = _load(folder)
    read_s = round(time.perf_counter() - t0, 1)
    out.mkdir(parents=True, exist_ok=True)
    for name in (ATLAS_FILES.models, ATLAS_FILES.edges):
        if not (out / name).exists():
            os.symlink((folder / name).resolve(), out / name)
    site = out / ATLAS_FILES.site
    models, edges = held["models"], held["edges"]
    timings: dict[str, dict[str, float]] = {}

    def timed(stage: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        result = func(*args, **kwargs)
        timings[stage] = {"wall_s": round(time.perf_counter() - wall, 2), "cpu_s": round(time.process_time() - cpu, 2)}
        print(stage, timings[stage], file=sys.stderr, flush=True)
        return result

    order = timed("site order", id_order, models)
    timed("site summary", write_summary, out, models, held["listed"], order)
    rows = {}
    if "similar" in inspect.signature(write_lookup).parameters:
        from constellation.site_lookup import SimilarRows  # absent before it: an older checkout finds rows by id

        rows = {"similar": SimilarRows(*held["similar"])}
    timed("site lookups", write_lookup, site, models, edges, order, **rows)
    timed("site views", write_views, site, models, held["communities"], held["hierarchy"], order=order)
    timed("site trends", write_trends, site, layout, snapshot_id, models, held["communities"])
    return {
        "atlas": str(folder),
        "models": len(models),
        "edges": len(edges),
        "read_s": read_s,
        "timings": timings,
        "total": {k: round(sum(t[k] for t in timings.values()), 2) for k in ("wall_s", "cpu_s")},
        "peak_rss_mb": round(process_peak_mb(), 0),
    }


def main(argv: list[str]) -> dict[str, Any]:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--data-dir", type=Path, required=True, help="a data dir with a built atlas (atlas/LATEST)")
    p.add_argument("--site-out", type=Path, required=True, help="a folder to write site/ into (not the atlas's)")
    args = p.parse_args(argv)
    results = {"benchmark": "site_files", "runs": [measure(args.data_dir, args.site_out)]}
    write_results(args.out, results)
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
