"""`constellation build`: snapshot → atlas. Reads once, runs the pure stages, writes once.

    read snapshot ─► genealogy.annotate ─► atlas.map_atlas ─► atlas_store.write_atlas ─► atlas/LATEST

A build is skipped when `atlas/<id>/build.json` already holds the same fingerprint (snapshot content,
config and code version), so re-running on an unchanged snapshot does nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from constellation import __version__
from constellation.atlas.stage import AtlasConfig, map_atlas
from constellation.contract import DataLayout
from constellation.errors import BuildError
from constellation.genealogy.stage import annotate
from constellation.store import (
    AtlasTables,
    read_build_info,
    read_manifest,
    read_snapshot,
    resolve_snapshot_id,
    set_latest_atlas,
    write_atlas,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildResult:
    snapshot_id: str
    skipped: bool  # True when an identical build was already there
    models: int
    seconds: float
    info: dict[str, Any]


def fingerprint(layout: DataLayout, snapshot_id: str, config: AtlasConfig) -> str:
    """What a build depends on: the snapshot's bytes, the config and the code version."""
    with open(layout.snapshot(snapshot_id), "rb") as handle:
        digest = hashlib.file_digest(handle, "sha256")
    digest.update(json.dumps(config.as_dict(), sort_keys=True, default=str).encode())
    digest.update(__version__.encode())
    return digest.hexdigest()


def deduplicate(snapshot: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Keep the last row of each id (the one crawled last). Returns the frame and how many were dropped."""
    before = len(snapshot)
    unique = snapshot.drop_duplicates(subset="id", keep="last").reset_index(drop=True)
    return unique, before - len(unique)


def build(
    layout: DataLayout,
    snapshot_id: str | None = None,
    config: AtlasConfig | None = None,
    *,
    force: bool = False,
) -> BuildResult:
    """Build (or reuse) the atlas of one snapshot and point atlas/LATEST at it."""
    config = config or AtlasConfig()
    config.validate()
    snapshot_id = resolve_snapshot_id(layout, snapshot_id)
    started = time.perf_counter()
    print_ = fingerprint(layout, snapshot_id, config)
    existing = read_build_info(layout, snapshot_id)
    if not force and existing is not None and existing.get("fingerprint") == print_:
        log.info("atlas %s is up to date (same snapshot, config and code); nothing to do", snapshot_id)
        set_latest_atlas(layout, snapshot_id)
        return BuildResult(snapshot_id, True, int(existing.get("counts", {}).get("models", 0)), 0.0, existing)

    manifest = read_manifest(layout, snapshot_id)
    timings: dict[str, float] = {}

    def timed(stage: str, func, *args):
        t0 = time.perf_counter()
        log.info("%s …", stage)
        out = func(*args)
        timings[stage] = round(time.perf_counter() - t0, 3)
        log.info("%s done in %.1f s", stage, timings[stage])
        return out

    snapshot = timed("read snapshot", read_snapshot, layout, snapshot_id)
    snapshot, duplicates = deduplicate(snapshot)
    if duplicates:
        log.warning("snapshot %s repeats %d ids; kept the last row of each", snapshot_id, duplicates)
    if snapshot.empty:
        raise BuildError(f"snapshot {snapshot_id} holds no models, so there is nothing to map; crawl again")

    genealogy = timed("genealogy", annotate, snapshot)
    del snapshot  # annotate returned its own copy; at 3M models every copy of the rows costs GBs
    mapped = timed("atlas", map_atlas, genealogy.models, genealogy.edges, config)
    edges = pd.concat([e for e in (genealogy.edges, mapped.edges) if not e.empty] or [genealogy.edges])

    info: dict[str, Any] = {
        "snapshot_id": snapshot_id,
        "fingerprint": print_,
        "version": __version__,
        "built_at": datetime.now(UTC).isoformat(),
        "config": config.as_dict(),
        "synthetic": bool(manifest.get("synthetic", False)),
        "scope": manifest.get("scope"),
        "counts": {
            "models": int(len(mapped.models)),
            "duplicate_ids_dropped": int(duplicates),
            "edges": {str(k): int(v) for k, v in edges["kind"].value_counts().items()} if len(edges) else {},
            "communities": int(len(mapped.communities)),
        },
        "reports": {"genealogy": genealogy.report, "atlas": mapped.report},
        "timings_s": timings,
    }
    tables = AtlasTables(snapshot_id, mapped.models, edges, mapped.communities, info, mapped.hierarchy)
    timed("write atlas", write_atlas, layout, tables)
    set_latest_atlas(layout, snapshot_id)
    seconds = time.perf_counter() - started
    log.info("atlas %s: %d models in %.1f s → %s", snapshot_id, len(mapped.models), seconds, layout.atlas(snapshot_id))
    return BuildResult(snapshot_id, False, len(mapped.models), seconds, info)
