"""A filtered Trends view's counting, live or from the build's files, timed in one fresh process.

    python -m bench.bench_trends_filter DATA_DIR live              # as the page counts without site/downloads/
    python -m bench.bench_trends_filter DATA_DIR files             # from the build's codes and mapped snapshots
    python -m bench.bench_trends_filter DATA_DIR files --tag text-generation --out /tmp/tf

Both modes count what the Trends page draws for the atlas/LATEST of DATA_DIR with the sidebar's pipeline tag
filter set: the top 8 families and communities across every snapshot of the scope, and the new models per week
of the top 8 families. The filter's rows (a filter change's, cached by the site) are not timed. The mode `live`
runs with any checkout (pair it with a base one through PYTHONPATH); `--out` writes the three frames as pickles
(`<mode>-<chart>.pkl`) so the two modes' frames can be compared. Prints one JSON line: wall and CPU seconds of
the first count (a fresh process: the files are opened, the columns read) and of a second one.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import pandas as pd

from constellation import history, site_summary, site_trends
from constellation.app import overview
from constellation.app.data import load_atlas
from constellation.app.filters import Filters, kept_rows
from constellation.contract import DataLayout
from constellation.site_views import community_labels
from constellation.store import same_scope_snapshot_ids

COLUMNS = ("id", "family", "community", "downloads", "likes", "created_at")  # ui.TRENDS_COLUMNS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir")
    parser.add_argument("mode", choices=["live", "files"])
    parser.add_argument("--tag", default="text-generation")
    parser.add_argument("--top", type=int, default=8)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    layout = DataLayout.at(args.data_dir)
    atlas = load_atlas(layout)
    snapshots = same_scope_snapshot_ids(layout, atlas.snapshot_id)
    filters = Filters(pipeline_tags=(args.tag,))
    rows = kept_rows(atlas.frame(filters.columns), filters)

    def labels() -> pd.Series:
        return community_labels(pd.DataFrame(), atlas.communities)

    def live() -> dict[str, Any]:
        frame = atlas.frame(COLUMNS).take(rows)
        out: dict[str, Any] = {}
        for column in ("family", "community"):
            named = labels() if column == "community" else None
            members = site_trends.trend_members(frame, column, args.top, named)
            out[column] = history.group_downloads_over_snapshots(layout, members, column, snapshots)
        top = overview.top_groups(frame, "family", args.top)["family"].tolist()
        out["weekly"] = site_summary.new_models_per_week(frame, "family", top)
        return out

    def files() -> dict[str, Any]:
        from constellation.app import trends  # not in a base checkout from before the files

        counts = atlas.filter_counts
        assert counts is not None, "an atlas without site/filter_counts.arrow"
        out: dict[str, Any] = {}
        for column in ("family", "community"):
            members = trends.coded_members(counts, column, rows, args.top)  # the page picks them once (cached)
            assert members is not None
            out[column] = trends.filtered(atlas, layout, members, column, snapshots, labels)
            if column == "family":
                out["weekly"] = trends.weekly_filtered(atlas, members)
        return out

    count = live if args.mode == "live" else files
    result: dict[str, Any] = {"mode": args.mode, "rows": int(len(rows)), "snapshots": len(snapshots)}
    for attempt in ("first", "again"):
        wall, cpu = time.perf_counter(), time.process_time()
        out = count()
        result[attempt] = {"wall_s": round(time.perf_counter() - wall, 3), "cpu_s": round(time.process_time() - cpu, 3)}
    result["models_counted"] = {chart: int(frame["models"].sum()) for chart, frame in out.items()}
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        for chart, frame in out.items():
            frame.to_pickle(args.out / f"{args.mode}-{chart}.pkl")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
