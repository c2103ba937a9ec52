"""Benchmark of the nightly incremental build against a full one (constellation/atlas/reuse.py).

    python -m bench.bench_incremental                               # 100k, a 2 % night
    python -m bench.bench_incremental --sizes 100000,1000000 --share 0.02 --out bench/out/incremental.json

For each size, two published snapshots are written once into a data dir under bench/out/incremental/: a
synthetic Hub of N models (fakehub.synthetic.generate) and its next night (fakehub.nightly.next_night:
`share` of the models added, removed or with new downloads). Then, each in a fresh process (peak RSS is
the build's alone, VmHWM):
1. the first night, built whole (`build(full=True)`): the atlas whose name state the next night reuses;
2. the second night, built incrementally (`build`, reusing night 1's state);
3. the second night again, built whole (`build(full=True)`), as the reference;
then the two atlases of night 2 are compared: params, lineage and families must be equal; the share of the
full build's similarity edges the incremental one holds is reported.

`--names-only` measures the name stage alone (features and kNN graph, what reuse.py saves), in one process
per size: night 1 whole, night 2 incremental, night 2 whole, and the overlap of the kNN pairs; it needs no
snapshot, so 1M models take minutes instead of three whole builds. Runs at 500k models or more take
`flock /tmp/constellation-bench.lock` unless `--locked` says the caller already holds it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import BIG_RUN_LOCK, TreeMemory, parser, process_peak_mb, run_child, write_results

WORKDIR = Path(__file__).resolve().parent / "out" / "incremental"
BIG = 500_000
FIRST, SECOND = "20261101T020000Z", "20261102T020000Z"
CHUNK = 100_000


def data_root(n: int, seed: int, share: float) -> Path:
    return WORKDIR / f"synthetic-{n}-{seed}-{share}"


def make_snapshots(n: int, seed: int, share: float) -> dict[str, Any]:
    """Publish night 1 (generate) and night 2 (next_night) of a synthetic Hub of n models."""
    import pyarrow.parquet as pq

    from constellation.contract import SNAPSHOT_SCHEMA, DataLayout
    from constellation.store import atomic_path, write_json_atomic
    from crawler.records import convert_items
    from fakehub.nightly import next_night
    from fakehub.synthetic import generate, to_records

    layout = DataLayout(data_root(n, seed, share))
    layout.snapshots.mkdir(parents=True, exist_ok=True)
    first = generate(n, seed)
    nights = {FIRST: first, SECOND: next_night(first, share, seed)}
    for day, (sid, frame) in enumerate(nights.items(), start=1):
        crawled = datetime(2026, 11, day, 2, tzinfo=UTC)
        with atomic_path(layout.snapshot(sid)) as tmp, pq.ParquetWriter(tmp, SNAPSHOT_SCHEMA) as writer:
            for start in range(0, len(frame), CHUNK):
                writer.write_table(convert_items(list(to_records(frame.iloc[start : start + CHUNK])), crawled).table)
        manifest = {
            "snapshot_id": sid,
            "status": "ok",
            "synthetic": True,
            "scope": {"synthetic": {"n": n, "seed": seed}},
            "scope_key": f"synthetic:{n}:{seed}",
            "counts": {"seen": len(frame), "stored": len(frame), "rejected": 0},
            "finished_at": datetime.now(UTC).isoformat(),
        }
        write_json_atomic(layout.manifest(sid), manifest)
    return {"models": {sid: len(frame) for sid, frame in nights.items()}}


def run_build(n: int, seed: int, share: float, snapshot_id: str, full: bool) -> dict[str, Any]:
    from constellation.build import build
    from constellation.contract import DataLayout

    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    layout = DataLayout(data_root(n, seed, share))
    # The tree's memory counts the forked kNN workers and, on an incremental night, the genealogy's child
    # (build.py), which run beside this process; PSS counts the pages they share with it once.
    with TreeMemory() as memory:
        result = build(layout, snapshot_id, force=True, full=full, publish=True)
    info = result.info
    atlas = info["reports"]["atlas"]
    return {
        "mode": info["mode"],
        "reuse": info["reuse"],
        "build_s": round(result.seconds, 1),
        "stages_s": info["timings_s"],
        "atlas_stages_s": atlas.get("timings_s", {}),
        "knn": atlas.get("knn"),
        "peak_rss_mb": round(process_peak_mb()),
        "genealogy_child_peak_rss_mb": info["peak_rss_mb"].get("genealogy"),  # always a forked child
        **memory.as_dict(),
    }


def compare(n: int, seed: int, share: float) -> dict[str, Any]:
    """Night 2's incremental atlas (kept aside) against its full one: exact columns, similarity edges."""
    import pandas as pd
    import pyarrow.parquet as pq

    from constellation.contract import ATLAS_FILES, INFERRED_COLUMNS, LINEAGE_COLUMNS, PARAMS_COLUMNS, DataLayout

    layout = DataLayout(data_root(n, seed, share))
    folders = {"incremental": data_root(n, seed, share) / "incremental-atlas", "full": layout.atlas(SECOND)}
    exact = ["id", *LINEAGE_COLUMNS, *PARAMS_COLUMNS, *INFERRED_COLUMNS]
    models = {
        name: pq.read_table(folder / ATLAS_FILES.models, columns=exact).to_pandas().sort_values("id", ignore_index=True)
        for name, folder in folders.items()
    }
    edges = {name: pq.read_table(folder / ATLAS_FILES.edges).to_pandas() for name, folder in folders.items()}

    def pairs(frame: pd.DataFrame, kind: str) -> set[tuple[str, str]]:
        chosen = frame[frame["kind"] == kind]
        return set(zip(chosen["source"], chosen["target"]))

    similar = {name: pairs(frame, "similarity") for name, frame in edges.items()}
    community = {
        name: pq.read_table(folder / ATLAS_FILES.models, columns=["id", "community"]).to_pandas().sort_values("id")
        for name, folder in folders.items()
    }
    reports = {
        name: json.loads((folder / ATLAS_FILES.build).read_text())["reports"]["atlas"]["communities"]
        for name, folder in folders.items()
    }
    both = len(similar["incremental"] & similar["full"])
    return {
        "params_lineage_families_equal": bool(models["incremental"].equals(models["full"])),
        "declared_edges_equal": pairs(edges["incremental"], "declared") == pairs(edges["full"], "declared"),
        "inferred_edges_equal": pairs(edges["incremental"], "inferred") == pairs(edges["full"], "inferred"),
        "similarity_edges": {name: len(s) for name, s in similar.items()},
        "similarity_overlap_of_full": round(both / max(1, len(similar["full"])), 4),
        "similarity_overlap_of_incremental": round(both / max(1, len(similar["incremental"])), 4),
        "communities": {
            "seeded": reports["incremental"].get("seeded"),
            "count": {name: report["count"] for name, report in reports.items()},
            "modularity": {name: report["modularity"] for name, report in reports.items()},
            "models_in_matching_communities": matching_share(
                community["incremental"]["community"].to_numpy(), community["full"]["community"].to_numpy()
            ),
        },
    }


def matching_share(left: Any, right: Any) -> float:
    """Share of models whose two communities (one per partition, same models in the same order) are each
    other's best match: the one holding most of the other's models."""
    import pandas as pd

    pairs = pd.DataFrame({"a": left, "b": right}).value_counts().reset_index(name="n")
    pairs = pairs.sort_values(["n", "a", "b"], ascending=[False, True, True])
    mutual = pairs.drop_duplicates("a").merge(pairs.drop_duplicates("b"), on=["a", "b", "n"])
    return round(float(mutual["n"].sum()) / max(1, len(left)), 4)


def run_names(n: int, seed: int, share: float) -> dict[str, Any]:
    """Features and kNN only: night 1 whole, night 2 incremental, night 2 whole; times and kNN pair overlap."""
    from constellation.atlas.config import AtlasConfig
    from constellation.atlas.features import name_features
    from constellation.atlas.reuse import compare_names, known_texts, name_state, refusal, reuse_names
    from constellation.atlas.stage import _knn_recall_report, name_neighbors
    from fakehub.nightly import next_night
    from fakehub.synthetic import generate

    config = AtlasConfig()
    first = generate(n, seed)
    nights = [first["id"].astype(str).tolist(), next_night(first, share, seed)["id"].astype(str).tolist()]
    del first
    out: dict[str, Any] = {"load_before": _load()}

    def whole(ids: list[str]):
        features = name_features(ids, config)
        return features, name_neighbors(features, config)

    t0 = time.perf_counter()
    state = name_state(nights[0], *whole(nights[0]), config)
    out["night1_full_s"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    texts = known_texts(state, nights[1], config)
    change = compare_names(state, texts)
    why = refusal(state, change, config, len(nights[1]))
    if why is not None:
        return {**out, "error": why}
    features, incremental, names = reuse_names(state, nights[1], texts, change, config)
    out["night2_incremental_s"] = round(time.perf_counter() - t0, 1)
    if incremental.method == "windowed":  # map_atlas's recall check, as an incremental build runs it
        out["night2_incremental_recall"] = _knn_recall_report(features, incremental, names, config)
    del features, names
    out["names_added"], out["names_removed"] = change.added, change.removed
    out["distinct_names"] = len(change.texts)
    t0 = time.perf_counter()
    features, full = whole(nights[1])
    out["night2_full_s"] = round(time.perf_counter() - t0, 1)
    if full.method == "windowed":
        out["night2_full_recall"] = _knn_recall_report(
            features, full, name_state(nights[1], features, full, config), config
        )
    del features
    pairs = [set(zip(*(part.tolist() for part in graph.pairs()[:2]))) for graph in (incremental, full)]
    out["knn_pairs"] = {"incremental": len(pairs[0]), "full": len(pairs[1])}
    out["knn_overlap_of_full"] = round(len(pairs[0] & pairs[1]) / max(1, len(pairs[1])), 4)
    out["peak_rss_mb"] = round(process_peak_mb())
    out["load_after"] = _load()
    return out


def _load() -> list[float]:
    """The 1, 5 and 15-minute load averages: the machine is shared, so every figure carries them."""
    return [round(x, 2) for x in os.getloadavg()]


def main(argv: list[str]) -> dict[str, Any]:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--sizes", default="100000", help="comma-separated model counts (default: 100000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic Hub and of its next night")
    p.add_argument("--share", type=float, default=0.02, help="share of the models a night changes (default 0.02)")
    p.add_argument(
        "--locked",
        action="store_true",
        help=f"the caller already holds {BIG_RUN_LOCK} (e.g. `flock {BIG_RUN_LOCK} python -m ...`)",
    )
    p.add_argument("--names-only", action="store_true", help="time features and kNN alone (no snapshot, no build)")
    p.add_argument(
        "--child", choices=["snapshots", "first", "incremental", "full", "compare", "names"], help=argparse.SUPPRESS
    )
    p.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.child:  # one step in this fresh process; prints one JSON line
        n, seed, share = args.size, args.seed, args.share
        if args.child == "snapshots":
            result = make_snapshots(n, seed, share)
        elif args.child == "compare":
            result = compare(n, seed, share)
        elif args.child == "names":
            result = run_names(n, seed, share)
        else:
            sid = FIRST if args.child == "first" else SECOND
            result = run_build(n, seed, share, sid, full=args.child != "incremental")
        print(json.dumps(result, default=str))
        return result

    from constellation.contract import DataLayout

    results: dict[str, Any] = {
        "benchmark": "incremental vs full build (constellation build)",
        "seed": args.seed,
        "share": args.share,
        "runs": {},
    }
    for n in [int(s) for s in args.sizes.split(",") if s.strip()]:
        lock = n >= BIG and not args.locked
        common = ["--size", str(n), "--seed", str(args.seed), "--share", str(args.share)]
        if args.names_only:
            results["runs"][str(n)] = run_child("bench.bench_incremental", ["--child", "names", *common], locked=lock)
            continue
        root = data_root(n, args.seed, args.share)
        run: dict[str, Any] = {"data_dir": str(root), "load_before": _load()}
        if not DataLayout(root).manifest(SECOND).is_file():
            run["snapshots"] = run_child("bench.bench_incremental", ["--child", "snapshots", *common], locked=lock)
        run["first_full"] = run_child("bench.bench_incremental", ["--child", "first", *common], locked=lock)
        run["second_incremental"] = run_child(
            "bench.bench_incremental", ["--child", "incremental", *common], locked=lock
        )
        shutil.rmtree(root / "incremental-atlas", ignore_errors=True)
        shutil.copytree(DataLayout(root).atlas(SECOND), root / "incremental-atlas")
        run["second_full"] = run_child("bench.bench_incremental", ["--child", "full", *common], locked=lock)
        run["compare"] = run_child("bench.bench_incremental", ["--child", "compare", *common], locked=False)
        run["load_after"] = _load()
        results["runs"][str(n)] = run
        print(f"{n}: {json.dumps(run, default=str)[:800]}", file=sys.stderr, flush=True)
    write_results(args.out, results)
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
