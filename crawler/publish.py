"""Turn staged pages into a published snapshot: one Parquet file and its manifest, both renamed into
place atomically (Parquet first, manifest last, as docs/data.md requires), and the drop check against the
median count of the last good snapshots of the same scope.

Assembly streams: it holds one buffer of rows and one 8-byte hash per model, never the whole snapshot.
"""

from __future__ import annotations

import json
import logging
import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from constellation.contract import SNAPSHOT_SCHEMA, DataLayout
from constellation.store import atomic_path, write_json_atomic
from crawler.checkpoint import read_part_extras
from crawler.records import ValueFixes

log = logging.getLogger(__name__)

ROW_GROUP_ROWS = 64_000  # buffer this many rows per row group: pages of 1000 would make tiny groups


@dataclass
class Assembled:
    """What went into a snapshot file."""

    seen: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    rejected_lineage: list[dict[str, Any]] = field(default_factory=list)
    fixed: ValueFixes = field(default_factory=ValueFixes)


def assemble(parts: list[Path], target: Path, schema: pa.Schema = SNAPSHOT_SCHEMA) -> Assembled:
    """Concatenate staged parts into `target` in page order. A model listed twice (the ranking moved
    while we paged) keeps its last, freshest row; the others count as duplicates.

    `schema` is SNAPSHOT_SCHEMA, or SNAPSHOT_SCHEMA with extra columns appended (imports)."""
    result = Assembled()
    hashes = []
    for path in parts:
        extras = read_part_extras(path)
        result.seen += extras.seen
        result.rejected.extend(extras.rejected)
        result.rejected_lineage.extend(extras.rejected_lineage)
        result.fixed.merge(extras.fixed)
        hashes.append(_hash_ids(pq.read_table(path, columns=["id"]).column("id")))
    keep_last = _last_occurrences(parts, hashes)

    buffer: list[pa.Table] = []
    buffered = 0
    with pq.ParquetWriter(target, schema) as writer:
        for part_index, path in enumerate(parts):
            table = pq.read_table(path).replace_schema_metadata(None)
            if keep_last:
                mask = [
                    keep_last.get(model_id, (part_index, row)) == (part_index, row)
                    for row, model_id in enumerate(table.column("id").to_pylist())
                ]
                result.duplicates += mask.count(False)
                table = table.filter(pa.array(mask))
            buffer.append(table)
            buffered += table.num_rows
            result.stored += table.num_rows
            if buffered >= ROW_GROUP_ROWS:
                writer.write_table(pa.concat_tables(buffer))
                buffer, buffered = [], 0
        if buffer:
            writer.write_table(pa.concat_tables(buffer))
    return result


def _hash_ids(ids: pa.ChunkedArray) -> np.ndarray:
    return pd.util.hash_array(np.asarray(ids.to_numpy(zero_copy_only=False), dtype=object))


def _last_occurrences(parts: list[Path], hashes: list[np.ndarray]) -> dict[str, tuple[int, int]]:
    """For ids listed more than once, where their last row is. Usually empty, so usually one cheap pass."""
    if not hashes:
        return {}
    everything = np.concatenate(hashes)
    values, counts = np.unique(everything, return_counts=True)
    suspects = set(values[counts > 1].tolist())
    if not suspects:
        return {}
    last: dict[str, tuple[int, int]] = {}
    counted: dict[str, int] = {}
    for part_index, (path, part_hashes) in enumerate(zip(parts, hashes)):
        rows = [i for i, h in enumerate(part_hashes.tolist()) if h in suspects]
        if not rows:
            continue
        ids = pq.read_table(path, columns=["id"]).column("id").to_pylist()
        for row in rows:
            last[ids[row]] = (part_index, row)
            counted[ids[row]] = counted.get(ids[row], 0) + 1
    # Hash collisions between different ids are not duplicates.
    return {model_id: where for model_id, where in last.items() if counted[model_id] > 1}


def publish(
    layout: DataLayout,
    snapshot_id: str,
    parts: list[Path],
    manifest: dict[str, Any],
    decide: Callable[[Assembled], dict[str, Any]] | None = None,
    schema: pa.Schema = SNAPSHOT_SCHEMA,
) -> tuple[Assembled, dict[str, Any]]:
    """Write `<id>.parquet` then `<id>.json`, each under a temporary name renamed into place.

    `decide(assembled)` returns the manifest fields that depend on the counts (status, drop check).
    """
    with atomic_path(layout.snapshot(snapshot_id)) as tmp:
        assembled = assemble(parts, tmp, schema)
    manifest = finish_manifest(manifest, assembled)
    if decide is not None:
        manifest.update(decide(assembled))
    write_json_atomic(layout.manifest(snapshot_id), manifest)
    return assembled, manifest


def finish_manifest(manifest: dict[str, Any], assembled: Assembled) -> dict[str, Any]:
    manifest = dict(manifest)
    manifest["counts"] = {
        "seen": assembled.seen,
        "stored": assembled.stored,
        "rejected": len(assembled.rejected),
        "duplicates": assembled.duplicates,
        "rejected_lineage": len(assembled.rejected_lineage),
        "fixed_values": assembled.fixed.total,
    }
    manifest["rejected"] = assembled.rejected
    manifest["rejected_lineage"] = assembled.rejected_lineage
    manifest["fixed_values"] = assembled.fixed.to_dict()
    return manifest


# --------------------------------------------------------------------------------------------------
# Drop check
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DropCheck:
    """The count against the baseline: the median count of the last `ok` snapshots of the scope (one bad
    night, or a run of small drops, cannot move a median of several nights the way it moves "the last one")."""

    previous_snapshot: str | None  # the newest snapshot of the baseline
    previous_count: int | None
    baseline_snapshots: list[str]  # newest first
    baseline_count: float | None  # their median count
    count: int
    drop: float | None  # share of the baseline count that is gone (negative when the count grew)
    max_drop: float
    suspect: bool
    accepted: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        return (
            f"{self.count:,} models, {100 * (self.drop or 0):.1f} % fewer than the median "
            f"{_number(self.baseline_count)} of the last {len(self.baseline_snapshots)} good snapshots of this "
            f"scope (the newest: {self.previous_snapshot}, {self.previous_count:,}); more than the allowed "
            f"{100 * self.max_drop:.0f} %"
        )


def _number(value: float | None) -> str:
    if value is None:
        return "none"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def good_snapshots(layout: DataLayout, scope_key: str, before: str, limit: int) -> list[tuple[str, int]]:
    """The newest `ok` snapshots of the same scope and endpoint published before `before`, newest first,
    with their counts (at most `limit`). Unreadable manifests are skipped."""
    found: list[tuple[str, int]] = []
    for snapshot_id in reversed(layout.snapshot_ids()):
        if len(found) >= limit:
            break
        if snapshot_id >= before:
            continue
        try:
            manifest = json.loads(layout.manifest(snapshot_id).read_text(encoding="utf-8"))
            if manifest.get("scope_key") == scope_key and manifest.get("status") == "ok":
                found.append((snapshot_id, int(manifest["counts"]["stored"])))
        except (OSError, ValueError, TypeError, KeyError, AttributeError):  # ValueError: JSON
            continue
    return found


def previous_snapshot(layout: DataLayout, scope_key: str, before: str) -> tuple[str, int] | None:
    """The newest `ok` snapshot of the same scope and endpoint published before `before`, with its count."""
    found = good_snapshots(layout, scope_key, before, 1)
    return found[0] if found else None


def check_drop(
    baseline: list[tuple[str, int]] | tuple[str, int] | None, count: int, max_drop: float, *, accept_drop: bool
) -> DropCheck:
    """`baseline`: the last good snapshots, newest first (or one `(id, count)`, or None)."""
    if baseline is None:
        baseline = []
    elif isinstance(baseline, tuple):
        baseline = [baseline]
    ids = [snapshot_id for snapshot_id, _ in baseline]
    previous = baseline[0] if baseline else (None, None)
    median = statistics.median(n for _, n in baseline) if baseline else None
    if median is None or median == 0:
        return DropCheck(previous[0], previous[1], ids, median, count, None, max_drop, suspect=False, accepted=False)
    drop = (median - count) / median
    too_big = drop > max_drop
    return DropCheck(
        previous[0],
        previous[1],
        ids,
        median,
        count,
        round(drop, 6),
        max_drop,
        suspect=too_big and not accept_drop,
        accepted=too_big and accept_drop,
    )
