"""The build's cost of the site's precomputed views (constellation.site_views), on an atlas already built.

    flock /tmp/constellation-bench.lock python -m bench.bench_site_views --data-dir DIR

Reads the atlas that DIR's atlas/LATEST names (its models, communities and hierarchy/, as the build holds
them in memory), then times `write_views` into its site/ folder, which it rewrites: the same files a build of
this code writes. The read is not timed (a build has the tables in memory already); the peak memory
reported is the process's, the read included. Reports the files' sizes. Also writes the lookups'
site/row_order.npy when it is missing (an atlas built before it), as `site_lookup.write_lookup` writes it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from bench.common import parser, process_peak_mb, write_results
from constellation.app.data import read_hierarchy
from constellation.contract import ATLAS_FILES, DataLayout
from constellation.site_lookup import ROW_ORDER_FILE
from constellation.site_views import (
    COMMUNITY_TOP_FILE,
    DENDROGRAM_FILE,
    MEMBER_TREES_FILE,
    NODE_COLUMNS,
    SCATTER_COLUMNS,
    SCATTER_FILE,
    write_views,
)


def measure(root: Path) -> dict[str, Any]:
    layout = DataLayout(root)
    snapshot_id = layout.latest_atlas_id()
    if snapshot_id is None:
        raise SystemExit(f"{root} holds no atlas (atlas/LATEST is missing); build one first")
    folder = layout.atlas(snapshot_id)
    present = set(pq.read_schema(folder / ATLAS_FILES.models).names)
    columns = [c for c in dict.fromkeys([*SCATTER_COLUMNS, *NODE_COLUMNS, "x", "y"]) if c in present]
    t0 = time.perf_counter()
    models = pq.read_table(folder / ATLAS_FILES.models, columns=columns).to_pandas()
    communities = pq.read_table(folder / ATLAS_FILES.communities).to_pandas()
    hierarchy = read_hierarchy(folder / ATLAS_FILES.hierarchy)
    read_s = round(time.perf_counter() - t0, 1)
    site = folder / ATLAS_FILES.site
    if not (site / ROW_ORDER_FILE).is_file():
        ids = pa.array(models["id"].astype(str).to_numpy(dtype=object), pa.string())
        np.save(site / ROW_ORDER_FILE, pc.sort_indices(ids).to_numpy().astype(np.int64), allow_pickle=False)
    t0 = time.perf_counter()
    write_views(site, models, communities, hierarchy)
    write_s = round(time.perf_counter() - t0, 2)
    sizes = {
        name: round((site / name).stat().st_size / 2**20, 2)
        for name in (SCATTER_FILE, DENDROGRAM_FILE, MEMBER_TREES_FILE, COMMUNITY_TOP_FILE)
        if (site / name).is_file()
    }
    return {
        "atlas": str(folder),
        "models": len(models),
        "read_tables_s": read_s,
        "write_views_s": write_s,
        "files_mb": sizes,
        "peak_rss_mb": round(process_peak_mb(), 0),
    }


def main(argv: list[str]) -> dict[str, Any]:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--data-dir", type=Path, required=True, help="a data dir with a built atlas (atlas/LATEST)")
    args = p.parse_args(argv)
    results = {"benchmark": "site_views", "runs": [measure(args.data_dir)]}
    write_results(args.out, results)
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
