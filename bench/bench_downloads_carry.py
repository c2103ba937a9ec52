"""The build stage "site downloads" night after night: carried over from the previous atlas, or mapped whole.

    python -m bench.bench_downloads_carry make DATA_DIR --size 300000 --nights 20
    python -m bench.bench_downloads_carry replay DATA_DIR --whole-at 2,10,20
    python -m bench.bench_downloads_carry whole DATA_DIR --night 20 --site site_base   # e.g. with a base checkout

`make` publishes `--nights` synthetic nights (fakehub: night 1 generated, each next one `next_night` of the one
before, as bench_incremental's make_snapshots does) and, for each, what the stage reads of an atlas: the
models' ids (deduplicated), an empty edges file and the site's lookups of the ids (`site_lookup.write_lookup`:
ids.arrow, row_order.npy, their stamp among them). `replay` runs the stage night after night in DATA_DIR-replay (links to DATA_DIR's files, one
night's snapshot added at a time), carried over from atlas/LATEST (the night before) as the nightly build does,
and at the nights `--whole-at` also mapped whole (DATA_DIR-replay-bare: the same links, no LATEST) into
atlas/<id>/site_whole/, comparing the two folders file by file. `whole` maps every snapshot into
atlas/<night>/<site>/ of DATA_DIR-replay-bare after a replay (with a base checkout through PYTHONPATH: the code
before the carry-over). `trends --night N` times the Trends counts of night N (`site_trends.count_trends`)
carried over and in DuckDB after a replay, and compares them. Prints JSON lines: per night, CPU and wall seconds of the stage and the load average.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from constellation import site_downloads, site_lookup
from constellation.contract import ATLAS_FILES, EDGE_COLUMNS, DataLayout

CHUNK = 50_000
LOOKUPS = (site_lookup.IDS_FILE, site_lookup.ROW_ORDER_FILE, site_lookup.VERSION_FILE)


def night_id(night: int) -> str:
    return (datetime(2026, 11, 1, 2, tzinfo=UTC) + timedelta(days=night - 1)).strftime("%Y%m%dT%H%M%SZ")


def make(root: Path, size: int, count: int, share: float) -> None:
    """Publish `count` synthetic nights, each with what the stage reads of its atlas."""
    import pyarrow.parquet as pq

    from constellation.contract import SNAPSHOT_SCHEMA
    from constellation.store import atomic_path, write_json_atomic
    from crawler.records import convert_items
    from fakehub.nightly import next_night
    from fakehub.synthetic import generate, to_records

    layout = DataLayout(root)
    layout.snapshots.mkdir(parents=True, exist_ok=True)
    frame = generate(size, 0)
    for night in range(1, count + 1):
        if night > 1:
            frame = next_night(frame, share, night)
        sid = night_id(night)
        crawled = datetime.strptime(sid, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        with atomic_path(layout.snapshot(sid)) as tmp, pq.ParquetWriter(tmp, SNAPSHOT_SCHEMA) as writer:
            for start in range(0, len(frame), CHUNK):
                writer.write_table(convert_items(list(to_records(frame.iloc[start : start + CHUNK])), crawled).table)
        manifest = {"snapshot_id": sid, "status": "ok", "synthetic": True, "scope_key": f"synthetic:{size}:0"}
        write_json_atomic(layout.manifest(sid), manifest)
        write_atlas(layout, sid, frame["id"].astype(str).tolist())
        print(json.dumps({"made": sid, "models": len(frame)}), flush=True)


def write_atlas(layout: DataLayout, sid: str, ids: list[str]) -> None:
    """What the stage reads of an atlas: models.parquet (ids), edges.parquet and the site's lookups of the ids."""
    folder = layout.atlas(sid)
    site = folder / ATLAS_FILES.site
    site.mkdir(parents=True, exist_ok=True)
    models = pd.DataFrame({"id": list(dict.fromkeys(ids))})
    models.to_parquet(folder / ATLAS_FILES.models)
    pd.DataFrame({"source": pd.Series([], dtype=str)}).to_parquet(folder / ATLAS_FILES.edges)
    order = site_lookup.id_order(models)
    site_lookup.write_lookup(site, models, pd.DataFrame(columns=list(EDGE_COLUMNS)), order)  # ids.arrow, row order


def link_night(source: DataLayout, replay: DataLayout, sid: str) -> None:
    """Night `sid` of `source` in `replay`: its snapshot and its atlas's inputs, linked; a site folder of its own."""
    replay.snapshots.mkdir(parents=True, exist_ok=True)
    for path in (source.snapshot(sid), source.manifest(sid)):
        (replay.snapshots / path.name).symlink_to(path.resolve())
    site = replay.atlas(sid) / ATLAS_FILES.site
    site.mkdir(parents=True)
    for name in (ATLAS_FILES.models, ATLAS_FILES.edges):
        (replay.atlas(sid) / name).symlink_to(source.atlas_file(sid, name).resolve())
    for name in LOOKUPS:
        (site / name).symlink_to((source.atlas(sid) / ATLAS_FILES.site / name).resolve())


def bare(layout: DataLayout) -> DataLayout:
    """The data dir without atlas/LATEST and PREVIOUS (links to its snapshots and atlases): nothing to carry."""
    root = layout.root.with_name(layout.root.name + "-bare")
    (root / "atlas").mkdir(parents=True, exist_ok=True)
    if not (root / "snapshots").exists():
        (root / "snapshots").symlink_to(layout.snapshots.resolve())
    for sid in layout.atlas_ids():
        if not (root / "atlas" / sid).exists():
            (root / "atlas" / sid).symlink_to(layout.atlas(sid).resolve())
    return DataLayout(root)


def run_stage(layout: DataLayout, sid: str, site_name: str) -> dict[str, Any]:
    """The stage for atlas `sid` into atlas/<sid>/<site_name>/, timed."""
    folder = layout.atlas(sid)
    models = pd.read_parquet(folder / ATLAS_FILES.models)
    order = site_lookup.id_order(models)
    with open("/proc/loadavg") as handle:
        load = handle.read().split()[0]
    wall, cpu = time.perf_counter(), time.process_time()
    site_downloads.write_downloads(folder / site_name, layout, sid, models, order)
    return {
        "night": sid,
        "wall_s": round(time.perf_counter() - wall, 2),
        "cpu_s": round(time.process_time() - cpu, 2),
        "load": load,
    }


def same_files(a: Path, b: Path) -> bool:
    """Whether folders `a` and `b` (a site folder's downloads.json and downloads/) hold the same bytes."""
    found = [
        {
            p.relative_to(f): p.read_bytes()
            for p in [f / site_downloads.INDEX_FILE, *(f / "downloads").rglob("*")]
            if p.is_file()
        }
        for f in (a, b)
    ]
    return found[0] == found[1]


def replay(source: DataLayout, whole_at: set[int]) -> None:
    target = DataLayout(source.root.with_name(source.root.name + "-replay"))
    shutil.rmtree(target.root, ignore_errors=True)
    shutil.rmtree(target.root.with_name(target.root.name + "-bare"), ignore_errors=True)
    for night, sid in enumerate(source.snapshot_ids(), start=1):
        link_night(source, target, sid)
        print(json.dumps({"mode": "carry", "n": night, **run_stage(target, sid, ATLAS_FILES.site)}), flush=True)
        if night in whole_at:
            whole = run_stage(bare(target), sid, "site_whole")
            same = same_files(target.atlas(sid) / ATLAS_FILES.site, target.atlas(sid) / "site_whole")
            print(json.dumps({"mode": "whole", "n": night, **whole, "same_files": same}), flush=True)
        latest = target.latest_atlas_id()
        if latest is not None:
            target.previous_pointer.write_text(latest)
        target.latest_pointer.write_text(sid)


def trends(replay: DataLayout, night: int) -> dict[str, Any]:
    """The Trends counts of night `night` after a replay (its atlas/LATEST the night before, as when the build
    counts them), carried over and in DuckDB (through DATA_DIR-replay-bare), timed and compared. Families are
    the owners, communities a hash of the name (500), downloads and likes tonight's snapshot's."""
    from constellation.site_trends import count_trends

    sid = night_id(night)
    snapshot = pd.read_parquet(replay.snapshot(sid), columns=["id", "downloads", "likes"]).drop_duplicates("id")
    models = pd.read_parquet(replay.atlas_file(sid, ATLAS_FILES.models)).merge(snapshot, on="id", how="left")
    models["family"] = models["id"].str.split("/").str[0]
    models["community"] = pd.util.hash_array(models["id"].to_numpy(dtype=object)) % 500
    labels = pd.Series({c: f"c{c}" for c in range(500)})
    latest = replay.latest_pointer.read_text()
    replay.latest_pointer.write_text(night_id(night - 1))
    out: dict[str, Any] = {"night": sid}
    try:
        for mode, layout in (("carried", replay), ("duckdb", bare(replay))):
            with open("/proc/loadavg") as handle:
                load = handle.read().split()[0]
            wall, cpu = time.perf_counter(), time.process_time()
            out[mode] = count_trends(layout, sid, models, labels)
            out[f"{mode}_s"] = {
                "cpu": round(time.process_time() - cpu, 2),
                "wall": round(time.perf_counter() - wall, 2),
            }
            out[f"{mode}_load"] = load
    finally:
        replay.latest_pointer.write_text(latest)
    out["same"] = out.pop("carried") == out.pop("duckdb")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["make", "replay", "whole", "trends"])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--size", type=int, default=300_000)
    parser.add_argument("--nights", type=int, default=20)
    parser.add_argument("--share", type=float, default=0.02)
    parser.add_argument("--night", type=int, default=20)
    parser.add_argument("--whole-at", default="2,10,20")
    parser.add_argument("--site", default="site_whole")
    args = parser.parse_args()
    layout = DataLayout(args.data_dir)
    if args.what == "make":
        make(args.data_dir, args.size, args.nights, args.share)
    elif args.what == "replay":
        replay(layout, {int(n) for n in args.whole_at.split(",") if n.strip()})
    elif args.what == "trends":
        print(json.dumps(trends(DataLayout(layout.root.with_name(layout.root.name + "-replay")), args.night)))
    else:
        target = bare(DataLayout(layout.root.with_name(layout.root.name + "-replay")))
        print(json.dumps({"mode": "whole", "site": args.site, **run_stage(target, night_id(args.night), args.site)}))


if __name__ == "__main__":
    main()
