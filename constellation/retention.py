"""`constellation prune`: which snapshots and atlases a data directory keeps, restic-style.

Within each scope (manifest `scope_key`: trials, filtered crawls and full listings are counted apart), the
newest snapshot of each of the `keep_daily` most recent days that have one is kept, and the newest of each
of the `keep_monthly` most recent months. An atlas is kept when its snapshot is. Never removed, whatever
the counts say:

- imports (`constellation import`): a deliberate act, not a nightly by-product;
- the atlas and snapshot that atlas/LATEST names (the site shows it), and the ones atlas/PREVIOUS names (a
  site that has not reloaded yet may still open that atlas's files, e.g. the similarity edges on first use);
- a snapshot's files are removed manifest first, so no reader sees a snapshot without its manifest.

Leftover temporary atlas folders (`atlas/.<id>.*.tmp`, `.<id>.old`, from a build killed mid-write) older
than a day go too.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from constellation.contract import DataLayout
from constellation.errors import ContractError, PruneError
from constellation.store import partial_scope, read_manifest

log = logging.getLogger(__name__)

STALE_TEMP_S = 86400.0  # a build writes its folder in minutes; a day-old temporary folder is a leftover


@dataclass
class PrunePlan:
    """What prune keeps and removes (ids oldest first), and the bytes the removals free."""

    keep_snapshots: list[str] = field(default_factory=list)
    remove_snapshots: list[str] = field(default_factory=list)
    keep_atlases: list[str] = field(default_factory=list)
    remove_atlases: list[str] = field(default_factory=list)
    remove_temporary: list[Path] = field(default_factory=list)
    protected: dict[str, str] = field(default_factory=dict)  # id -> why it is kept whatever the counts
    bytes_freed: int = 0


def plan_prune(layout: DataLayout, keep_daily: int, keep_monthly: int, now: float | None = None) -> PrunePlan:
    """Decide, without touching anything, what `prune` removes."""
    if keep_daily < 1:
        raise PruneError(
            f"--keep-daily must be at least 1 (the newest snapshot is the next build's input), got {keep_daily}"
        )
    if keep_monthly < 0:
        raise PruneError(f"--keep-monthly must be 0 or more, got {keep_monthly}")
    plan = PrunePlan()
    for pointer, name in ((layout.latest_atlas_id, "atlas/LATEST"), (layout.previous_atlas_id, "atlas/PREVIOUS")):
        try:
            sid = pointer()
        except ContractError:
            sid = None
        if sid is not None:
            plan.protected.setdefault(sid, f"named by {name}")

    by_scope: dict[str, list[str]] = defaultdict(list)
    for sid in layout.snapshot_ids():
        try:
            manifest = read_manifest(layout, sid)
        except (OSError, ContractError):
            plan.protected.setdefault(sid, "its manifest cannot be read")
            continue
        reason = partial_scope(manifest)
        if reason is not None and reason.startswith("an import"):
            plan.protected.setdefault(sid, "an import")
            continue
        by_scope[str(manifest.get("scope_key"))].append(sid)

    kept: set[str] = set(plan.protected)
    for ids in by_scope.values():
        kept.update(_newest_per_period(ids, 8, keep_daily))  # YYYYMMDD
        kept.update(_newest_per_period(ids, 6, keep_monthly))  # YYYYMM
    snapshots = layout.snapshot_ids()
    plan.keep_snapshots = [sid for sid in snapshots if sid in kept]
    plan.remove_snapshots = [sid for sid in snapshots if sid not in kept]
    atlases = layout.atlas_ids()
    plan.keep_atlases = [sid for sid in atlases if sid in kept]
    plan.remove_atlases = [sid for sid in atlases if sid not in kept]
    now = time.time() if now is None else now
    if layout.atlases.is_dir():
        plan.remove_temporary = sorted(
            p
            for p in layout.atlases.iterdir()
            if p.is_dir() and p.name.startswith(".") and p.name.endswith((".tmp", ".old"))
            if now - p.stat().st_mtime > STALE_TEMP_S
        )
    paths = [layout.snapshot(s) for s in plan.remove_snapshots] + [layout.manifest(s) for s in plan.remove_snapshots]
    plan.bytes_freed = sum(_size(p) for p in paths)
    plan.bytes_freed += sum(_size(layout.atlas(s)) for s in plan.remove_atlases)
    plan.bytes_freed += sum(_size(p) for p in plan.remove_temporary)
    return plan


def _newest_per_period(ids: list[str], prefix: int, count: int) -> list[str]:
    """The newest id of each of the `count` most recent periods (ids sharing their first `prefix` characters)."""
    newest: dict[str, str] = {}
    for sid in sorted(ids):
        newest[sid[:prefix]] = sid
    return [newest[period] for period in sorted(newest)[-count:]] if count else []


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return 0


def apply_prune(layout: DataLayout, plan: PrunePlan) -> None:
    """Remove what `plan` says: atlases first, then snapshots (manifest before Parquet)."""
    for sid in plan.remove_atlases:
        shutil.rmtree(layout.atlas(sid), ignore_errors=True)
        log.info("removed atlas %s", sid)
    for path in plan.remove_temporary:
        shutil.rmtree(path, ignore_errors=True)
        log.info("removed leftover folder %s", path)
    for sid in plan.remove_snapshots:
        layout.manifest(sid).unlink(missing_ok=True)
        layout.snapshot(sid).unlink(missing_ok=True)
        log.info("removed snapshot %s", sid)
