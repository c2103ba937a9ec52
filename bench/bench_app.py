"""Explorer: cold start and per-page render time, with the atlas cached as the site caches it.

    python -m bench.bench_app                       # 20k models, atlas built by the real pipeline
    flock /tmp/constellation-bench.lock python -m bench.bench_app --sizes 1000000 --direct

Each size gets a data dir with a synthetic snapshot. `--direct` (the default above 100k, where the atlas
stage takes many minutes) writes the atlas files of the contract directly, with the same columns, a
declared lineage from the generator, communities from the base families, ten similarity edges per model
and no hierarchy/ (the dendrogram page then computes its community tree from the layout, as it does for
early atlases). Below that, `constellation.build.build` makes the atlas. `--data-dir ROOT` measures the
atlas already in a data dir instead (e.g. one `bench.bench_full_build` built from a synthetic snapshot).
`--snapshots N` writes N-1 earlier nights before the snapshot (a day apart, each going back without a
seeded 2 % of the models and with lower downloads), for the Trends page across snapshots; `--site-files`
writes the build's site/ files (summary, lookups, views, trends) beside a directly written atlas:

    python -m bench.bench_app --sizes 300000 --snapshots 2 --site-files --workdir /tmp/bench-app

Measured in one process, through Streamlit's AppTest (the script runs as in a server session):
- load: `load_atlas` alone (lazy: build.json, communities, the site summary), then every explorer column
  of the models (what the first page that needs them all reads), and the id index for search;
- cold start: the first run of the app (overview page), which loads the atlas into the cache;
- per page: the first render of each page (its own cached work included), then a rerun (warm);
- a filter change on the overview, and a model search;
- memory: the process's peak after the loads and index builds, then (the peak reset) the tour's own peak.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from bench.common import parser, peak_rss_mb, write_results
from constellation.app.pages import PAGES as APP_PAGES
from constellation.contract import ATLAS_FILES, EDGE_SCHEMA, SNAPSHOT_SCHEMA, DataLayout
from constellation.store import set_latest_atlas

SNAPSHOT_ID = "20261120T021500Z"
APP = Path(__file__).resolve().parents[1] / "streamlit_app.py"
PAGES = [page.path for page in APP_PAGES if not page.default]  # the overview is measured on its own
BASES = ["Llama-3", "Mistral", "Qwen2.5", "gemma-2", "phi-3", "bert-base", "whisper", "t5", "falcon", "stablelm"]
SUFFIXES = [
    "instruct",
    "chat",
    "sft",
    "dpo",
    "code",
    "math",
    "de",
    "fr",
    "ja",
    "medical",
    "lora",
    "GGUF",
    "AWQ",
    "merge",
]
PIPELINES = [
    "text-generation",
    "text-classification",
    "fill-mask",
    "automatic-speech-recognition",
    "text-to-image",
    None,
]
LICENSES = ["apache-2.0", "mit", "llama3", "other", "cc-by-4.0", None]
RELATIONS = np.array(["finetune", "adapter", "quantized", "merge"], dtype=object)


# --------------------------------------------------------------------------------------------------
# Synthetic snapshot
# --------------------------------------------------------------------------------------------------


def synthetic_lineage(n: int, seed: int) -> dict[str, np.ndarray]:
    """Ids, parents (row numbers, -1 for roots) and relations of `n` Hub-like models, vectorized."""
    rng = np.random.default_rng(seed)
    n_roots = max(len(BASES), n // 50)
    parent = np.full(n, -1, dtype=np.int64)
    # A child's parent is an earlier model, popular (early) ones more often: a power law over rank.
    later = np.arange(n_roots, n)
    parent[n_roots:] = (later * rng.power(0.35, size=len(later))).astype(np.int64)
    relation = np.where(parent >= 0, RELATIONS[rng.choice(4, size=n, p=[0.55, 0.2, 0.2, 0.05])], None)
    base = np.empty(n, dtype=np.int64)
    base[:n_roots] = np.arange(n_roots) % len(BASES)
    for i in range(n_roots, n):  # parents come first, so one pass gives every model its base family
        base[i] = base[parent[i]]
    owners = rng.integers(0, max(100, n // 20), size=n)
    sizes = np.array(["1B", "3B", "7B", "8B", "13B", "70B"])[rng.integers(0, 6, size=n)]
    suffix = np.array(SUFFIXES)[rng.integers(0, len(SUFFIXES), size=n)]
    ids = np.array(
        [
            f"user{o}/{BASES[b]}-{s}-{x}-{i}"
            for i, (o, b, s, x) in enumerate(zip(owners, base, sizes, suffix, strict=True))
        ],
        dtype=object,
    )
    return {"id": ids, "parent": parent, "relation": relation, "base": base, "rng": rng}


def snapshot_table(lin: dict[str, Any], n: int) -> pa.Table:
    rng = lin["rng"]
    ids = lin["id"]
    created = datetime(2023, 1, 1, tzinfo=UTC) + pd.to_timedelta(np.sort(rng.integers(0, 3 * 365 * 24, n)), unit="h")
    parent_ids = np.where(lin["parent"] >= 0, ids[np.maximum(lin["parent"], 0)], None)
    base_models = [
        [{"id": p, "relation": r}] if p is not None else [] for p, r in zip(parent_ids, lin["relation"], strict=True)
    ]
    downloads = (rng.lognormal(3, 2.5, n)).astype(np.int64)
    return pa.table(
        {
            "id": pa.array(ids, pa.string()),
            "author": pa.array([i.split("/", 1)[0] for i in ids], pa.string()),
            "name": pa.array([i.split("/", 1)[1] for i in ids], pa.string()),
            "downloads": downloads,
            "downloads_all_time": downloads * 5,
            "likes": (rng.lognormal(0.5, 1.5, n)).astype(np.int64),
            "trending_score": rng.random(n),
            "created_at": pa.array(created, pa.timestamp("us", tz="UTC")),
            "last_modified": pa.array(created + timedelta(days=3), pa.timestamp("us", tz="UTC")),
            "pipeline_tag": pa.array(np.array(PIPELINES, dtype=object)[lin["base"] % len(PIPELINES)], pa.string()),
            "library_name": pa.array(["transformers"] * n, pa.string()),
            "license": pa.array(np.array(LICENSES, dtype=object)[rng.integers(0, len(LICENSES), n)], pa.string()),
            "gated": pa.array(["false"] * n, pa.string()),
            "tags": pa.array([[]] * n, pa.list_(pa.string())),
            "base_models": pa.array(base_models, SNAPSHOT_SCHEMA.field("base_models").type),
            "params_safetensors": pa.array(
                np.where(rng.random(n) < 0.6, rng.choice([1, 3, 7, 8, 13, 70], n) * 10**9, None), pa.int64()
            ),
            "params_gguf": pa.nulls(n, pa.int64()),
            "crawled_at": pa.array([datetime(2026, 11, 20, 2, 15, tzinfo=UTC)] * n, pa.timestamp("us", tz="UTC")),
        },
        schema=SNAPSHOT_SCHEMA,
    )


def write_snapshot(layout: DataLayout, table: pa.Table, snapshot_id: str = SNAPSHOT_ID) -> None:
    layout.snapshots.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, layout.snapshot(snapshot_id))
    manifest = {"snapshot_id": snapshot_id, "synthetic": True, "status": "ok", "counts": {"stored": table.num_rows}}
    layout.manifest(snapshot_id).write_text(json.dumps(manifest))


def write_earlier_snapshots(layout: DataLayout, table: pa.Table, nights: int, seed: int = 0) -> list[str]:
    """`nights` snapshots before SNAPSHOT_ID, a day apart: going back, each lacks a seeded 2 % of the models
    of the night after it (they were added since) and had 70–100 % of its downloads. Returns their ids."""
    rng = np.random.default_rng(seed + 1)
    ids = []
    for night in range(1, nights + 1):
        table = table.filter(pa.array(rng.random(table.num_rows) >= 0.02))
        downloads = table.column("downloads").to_numpy(zero_copy_only=False)
        lower = (downloads * rng.uniform(0.7, 1.0, len(downloads))).astype(np.int64)
        table = table.set_column(table.schema.get_field_index("downloads"), "downloads", pa.array(lower))
        snapshot_id = (datetime.strptime(SNAPSHOT_ID, "%Y%m%dT%H%M%SZ") - timedelta(days=night)).strftime(
            "%Y%m%dT%H%M%SZ"
        )
        write_snapshot(layout, table, snapshot_id)
        ids.append(snapshot_id)
    return ids


def write_site_files(layout: DataLayout) -> dict[str, float]:
    """The build's site/ files for the atlas at LATEST (written directly), with the build's writers; the
    seconds each took."""
    from constellation.site_lookup import write_lookup
    from constellation.site_summary import write_summary
    from constellation.site_trends import write_trends
    from constellation.site_views import write_views

    snapshot_id = layout.latest_atlas_id()
    folder = layout.atlas(snapshot_id)
    models = pq.read_table(folder / ATLAS_FILES.models).to_pandas()
    edges = pq.read_table(folder / ATLAS_FILES.edges).to_pandas()
    communities = pq.read_table(folder / ATLAS_FILES.communities).to_pandas()
    listed = {c: bool(models[c].map(len).any()) for c in ("tags", "base_models") if c in models}
    site = folder / ATLAS_FILES.site
    seconds = {}
    _, seconds["site summary"] = _timed(write_summary, folder, models.drop(columns=list(listed)), listed)
    _, seconds["site lookups"] = _timed(write_lookup, site, models, edges)
    _, seconds["site views"] = _timed(write_views, site, models, communities, {})
    _, seconds["site trends"] = _timed(write_trends, site, layout, snapshot_id, models, communities)
    return seconds


# --------------------------------------------------------------------------------------------------
# Atlas written directly (for sizes the atlas stage takes too long on)
# --------------------------------------------------------------------------------------------------


def write_atlas_directly(layout: DataLayout, table: pa.Table, lin: dict[str, Any]) -> None:
    n = table.num_rows
    rng = lin["rng"]
    parent = lin["parent"]
    ids = lin["id"]
    family = np.arange(n)
    depth = np.zeros(n, dtype=np.int32)
    for i in np.flatnonzero(parent >= 0):
        family[i] = family[parent[i]]
        depth[i] = depth[parent[i]] + 1
    counts = {r: np.zeros(n, dtype=np.int64) for r in RELATIONS}
    total = np.zeros(n, dtype=np.int64)
    for i in np.flatnonzero(parent >= 0)[::-1]:  # children before parents: descendants add up
        p = parent[i]
        counts[lin["relation"][i]][p] += 1 + 0  # the child's own edge
        for r in RELATIONS:
            counts[r][p] += counts[r][i]
        total[p] += 1 + total[i]
    # Communities: one per (base, size) pair of the name, so several per family line.
    size_token = np.array([i.split("-")[-3] if i.count("-") >= 3 else "" for i in ids], dtype=object)
    key = pd.Series(lin["base"].astype(str)) + "·" + pd.Series(size_token)
    community = pd.factorize(key)[0].astype(np.int64)
    labels = [f"{BASES[int(k.split('·')[0])].lower()} · {k.split('·')[1].lower()}" for k in pd.unique(key)]
    centers = rng.normal(scale=30, size=(community.max() + 1, 2))
    xy = centers[community] + rng.normal(size=(n, 2))
    models = table.to_pandas()
    parent_ids = np.where(parent >= 0, ids[np.maximum(parent, 0)], None)
    models["params"] = models["params_safetensors"].astype("float64")
    models["params_source"] = np.where(models["params"].notna(), "safetensors", "none")
    models["params_from_name"] = np.nan
    models["active_params"] = np.nan
    models["params_flag"] = None
    models["parent"] = parent_ids
    models["relation"] = lin["relation"]
    models["family"] = ids[family]
    models["depth"] = depth
    for r in RELATIONS:
        models[f"n_{r}"] = counts[r]
    models["n_descendants"] = total
    models["inferred_parent"] = None
    models["inferred_relation"] = None
    models["inferred_confidence"] = np.nan
    models["community"] = community
    models["community_label"] = np.array(labels, dtype=object)[community]
    models["cluster"] = community
    models["x"] = xy[:, 0].astype("float32")
    models["y"] = xy[:, 1].astype("float32")
    folder = layout.atlas(SNAPSHOT_ID)
    (folder / ATLAS_FILES.hierarchy).mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pandas(models, preserve_index=False), folder / ATLAS_FILES.models)
    del models
    # Edges: declared lineage, and ten similarity edges per model inside its community.
    children = np.flatnonzero(parent >= 0)
    order = np.argsort(community, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(community))]
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    k = 10
    src = np.repeat(np.arange(n), k)
    lo, hi = bounds[community[src]], bounds[community[src] + 1]
    dst = order[lo + (rng.random(len(src)) * (hi - lo)).astype(np.int64)]
    keep = dst != src
    src, dst = src[keep], dst[keep]
    kinds = np.concatenate(
        [np.full(len(children), "declared", dtype=object), np.full(len(src), "similarity", dtype=object)]
    )
    edges = pa.table(
        {
            "source": pa.array(np.concatenate([ids[parent[children]], ids[src]]), pa.string()),
            "target": pa.array(np.concatenate([ids[children], ids[dst]]), pa.string()),
            "kind": pa.array(kinds, pa.string()),
            "relation": pa.array(
                np.concatenate([lin["relation"][children], np.full(len(src), None, dtype=object)]), pa.string()
            ),
            "confidence": pa.nulls(len(kinds), pa.float64()),
            "weight": pa.array(np.concatenate([np.full(len(children), np.nan), rng.uniform(0.2, 1.0, len(src))])),
            "evidence": pa.nulls(len(kinds), pa.string()),
        },
        schema=EDGE_SCHEMA,
    )
    pq.write_table(edges, folder / ATLAS_FILES.edges)
    sizes = np.bincount(community)
    communities = pd.DataFrame({"community": np.arange(len(sizes)), "label": labels, "size": sizes})
    pq.write_table(pa.Table.from_pandas(communities, preserve_index=False), folder / ATLAS_FILES.communities)
    build = {
        "snapshot_id": SNAPSHOT_ID,
        "synthetic": True,
        "config": {"add_lineage_edges": False, "written_by": "bench_app --direct"},
    }
    (folder / ATLAS_FILES.build).write_text(json.dumps(build))
    set_latest_atlas(layout, SNAPSHOT_ID)


# --------------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------------


def _hwm_mb() -> float:
    """Peak resident memory of this process image (VmHWM): unlike ru_maxrss it does not carry over
    the parent's peak into a child process."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 0)
    return peak_rss_mb()


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 0)
    return 0.0


def _reset_hwm() -> bool:
    """Reset this process's peak RSS to its current RSS (Linux ≥ 4.0), so the app tour's own peak is
    measured apart from the index builds before it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _timed(func, *args, **kwargs) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = func(*args, **kwargs)
    return out, round(time.perf_counter() - t0, 3)


def measure_app(root: Path, search_query: str) -> dict[str, Any]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from constellation.app.data import load_atlas
    from constellation.app.search import IdIndex
    from constellation.app.similarity import build_similarity_index

    os.environ["CONSTELLATION_DATA"] = str(root)
    out: dict[str, Any] = {}
    rss0 = _hwm_mb()
    atlas, out["load_atlas_s"] = _timed(load_atlas, DataLayout(root))
    out["site_summary"] = "site/summary.json" if getattr(atlas, "precomputed", None) is not None else "none"
    _, out["models_read_s"] = _timed(getattr, atlas, "models")  # lazy: what the first page needing every column reads
    out["models"] = len(atlas.models)
    out["models_frame_mb"] = round(atlas.models.memory_usage(deep=True).sum() / 2**20, 1)
    index, out["id_index_build_s"] = _timed(IdIndex.build, atlas.models["id"].to_numpy())
    t0 = time.perf_counter()
    for q in ("llama-3", "user1/", "qwen2.5-7b-instruct", "zzzz-no-match"):
        index.search(q, 25)
    out["search_ms_avg"] = round((time.perf_counter() - t0) / 4 * 1000, 1)
    out["peak_rss_after_load_mb"] = round(_hwm_mb(), 0)
    similarity, out["similarity_index_build_s"] = _timed(build_similarity_index, atlas.edges_path, atlas.sorted_ids)
    out["similarity_edges"] = similarity.edges
    out["peak_rss_after_similarity_index_mb"] = round(_hwm_mb(), 0)
    del atlas, index, similarity
    st.cache_data.clear()
    st.cache_resource.clear()
    gc.collect()
    out["rss_before_tour_mb"] = _rss_mb()
    out["peak_rss_tour_reset"] = _reset_hwm()

    import constellation.app.ui as ui

    ui.warm_up = lambda atlas: None  # measure each page's own first render, not a background warm-up
    at = AppTest.from_file(str(APP), default_timeout=900)
    _, out["cold_start_overview_s"] = _timed(at.run)
    assert not at.exception, [e.value for e in at.exception]
    _, out["overview_rerun_s"] = _timed(at.run)
    pages: dict[str, dict[str, float]] = {}
    for page in PAGES:
        at.switch_page(page)
        _, first = _timed(at.run)
        assert not at.exception, (page, [e.value for e in at.exception])
        _, again = _timed(at.run)
        pages[page.removeprefix("pages/").removesuffix(".py")] = {"first_s": first, "rerun_s": again}
    out["pages"] = pages
    at.switch_page("pages/model.py").run()
    _, out["model_search_s"] = _timed(at.text_input(key="model_search_query").input(search_query).run)
    assert not at.exception
    out["model_search_found"] = at.selectbox(key="model_search_pick").value if at.selectbox else None
    # The model chosen above stays in the URL: the graph page draws its neighbourhood.
    at.switch_page("pages/graph.py")
    _, out["graph_neighbourhood_s"] = _timed(at.run)
    out["graph_neighbourhood_nodes"] = (
        at.get("iframe")[0].proto.srcdoc.count('"shape": "dot"') if at.get("iframe") else 0
    )
    _, out["graph_community_300_s"] = _timed(at.radio(key="graph_mode").set_value("A community").run)
    assert not at.exception, [e.value for e in at.exception]
    at.switch_page("pages/overview.py").run()
    _, out["filter_change_overview_s"] = _timed(at.number_input(key="f_min_dl").set_value(100).run)
    # With the peak reset above, this is the tour's own peak (the memory freed before it is often still
    # held by the allocator: rss_before_tour_mb is the floor); without, the whole process's.
    out["peak_rss_mb"] = round(_hwm_mb(), 0)
    out["peak_rss_before_mb"] = round(rss0, 0)
    return out


def run_size(
    n: int, direct: bool, workdir: Path, seed: int = 0, snapshots: int = 1, site_files: bool = False
) -> dict[str, Any]:
    root = workdir / f"app-{n}"
    shutil.rmtree(root, ignore_errors=True)
    layout = DataLayout(root)
    result: dict[str, Any] = {
        "n": n,
        "atlas": "written directly (bench_app --direct)" if direct else "constellation.build",
    }
    lin, result["synthesize_s"] = _timed(synthetic_lineage, n, seed)
    table = snapshot_table(lin, n)
    write_snapshot(layout, table)
    result["snapshots"] = snapshots
    if snapshots > 1:
        write_earlier_snapshots(layout, table, snapshots - 1, seed)
    if direct:
        _, result["atlas_write_s"] = _timed(write_atlas_directly, layout, table, lin)
        if site_files:
            result["site_files_s"] = write_site_files(layout)
    else:
        from constellation.build import build

        _, result["build_s"] = _timed(build, layout)
    search_query = str(lin["id"][n // 2])[:-3]
    del table, lin
    result.update(_measure_in_child(root, search_query))
    return result


def run_data_dir(root: Path) -> dict[str, Any]:
    """Measure the app on the atlas already in `root` (atlas/LATEST); search for a model halfway down."""
    layout = DataLayout(root)
    snapshot_id = layout.latest_atlas_id()
    if snapshot_id is None:
        raise SystemExit(f"{root} holds no atlas (atlas/LATEST is missing); build one first")
    ids = pq.read_table(layout.atlas_file(snapshot_id, ATLAS_FILES.models), columns=["id"]).column("id")
    build = json.loads(layout.atlas_file(snapshot_id, ATLAS_FILES.build).read_text())
    result: dict[str, Any] = {"n": len(ids), "atlas": f"existing data dir {root}", "built_by": build.get("version")}
    result.update(_measure_in_child(root, str(ids[len(ids) // 2])[:-3]))
    return result


def _measure_in_child(root: Path, search_query: str) -> dict[str, Any]:
    # A fresh process, so its peak memory is the app's alone, not the generator's.
    child = subprocess.run(
        [sys.executable, "-m", "bench.bench_app", "--measure", str(root), "--query", search_query],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if child.returncode:
        raise RuntimeError(f"measuring the app failed:\n{child.stderr[-3000:]}")
    return json.loads(child.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> dict[str, Any]:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--sizes", default="20000", help="comma-separated model counts (default: 20000)")
    p.add_argument("--direct", action="store_true", help="write the atlas files directly even for small sizes")
    p.add_argument("--snapshots", type=int, default=1, help="snapshots in the data dir, a night apart (default 1)")
    p.add_argument(
        "--site-files", action="store_true", help="write the build's site/ files beside a directly written atlas"
    )
    p.add_argument("--workdir", type=Path, default=None, help="where the data dirs go (default: a temp dir)")
    p.add_argument(
        "--data-dir", type=Path, default=None, help="measure the atlas already in this data dir (no --sizes)"
    )
    p.add_argument("--measure", type=Path, default=None, help=argparse.SUPPRESS)  # child: measure this data dir
    p.add_argument("--query", default="llama", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.measure is not None:
        print(json.dumps(measure_app(args.measure, args.query)))
        return {}
    results: dict[str, Any] = {"benchmark": "app", "runs": []}
    if args.data_dir is not None:
        results["runs"].append(run_data_dir(args.data_dir))
        write_results(args.out, results)
        return results
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-app-"))
    try:
        for size in (int(s) for s in args.sizes.split(",")):
            direct = args.direct or size > 100_000
            results["runs"].append(
                run_size(size, direct, workdir, snapshots=args.snapshots, site_files=args.site_files)
            )
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    write_results(args.out, results)
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
