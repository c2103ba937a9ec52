"""Turn staged pages into a published snapshot: one Parquet file and its manifest, both renamed into
place atomically (Parquet first, manifest last, as docs/data.md requires), and the drop check against the
previous snapshot of the same scope.

Assembly streams: it holds one buffer of rows and one 8-byte hash per model, never the whole snapshot.
"""

from __future__ import annotations

import json
import logging
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


def assemble(parts: list[Path], target: Path, schema: pa.Schema = SNAPSHOT_SCHEMA) -> Assembled:
    """Concatenate staged parts into `target` in page order. A model listed twice (the ranking moved
    while we paged) keeps its last, freshest row; the others count as duplicates.

    `schema` is SNAPSHOT_SCHEMA, or SNAPSHOT_SCHEMA with extra columns appended (imports)."""
    result = Assembled()
    hashes = []
    for path in parts:
        seen, rejected, lineage = read_part_extras(path)
        result.seen += seen
        result.rejected.extend(rejected)
        result.rejected_lineage.extend(lineage)
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
    }
    manifest["rejected"] = assembled.rejected
    manifest["rejected_lineage"] = assembled.rejected_lineage
    return manifest


# --------------------------------------------------------------------------------------------------
# Drop check
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DropCheck:
    previous_snapshot: str | None
    previous_count: int | None
    count: int
    drop: float | None  # share of the previous count that is gone (negative when the count grew)
    max_drop: float
    suspect: bool
    accepted: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def previous_snapshot(layout: DataLayout, scope_key: str, before: str) -> tuple[str, int] | None:
    """The newest `ok` snapshot of the same scope and endpoint published before `before`, with its count."""
    for snapshot_id in reversed(layout.snapshot_ids()):
        if snapshot_id >= before:
            continue
        try:
            manifest = json.loads(layout.manifest(snapshot_id).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if manifest.get("scope_key") == scope_key and manifest.get("status") == "ok":
            return snapshot_id, int(manifest["counts"]["stored"])
    return None


def check_drop(previous: tuple[str, int] | None, count: int, max_drop: float, *, accept_drop: bool) -> DropCheck:
    if previous is None or previous[1] == 0:
        return DropCheck(
            previous[0] if previous else None,
            previous[1] if previous else None,
            count,
            None,
            max_drop,
            suspect=False,
            accepted=False,
        )
    drop = (previous[1] - count) / previous[1]
    too_big = drop > max_drop
    return DropCheck(
        previous[0],
        previous[1],
        count,
        round(drop, 6),
        max_drop,
        suspect=too_big and not accept_drop,
        accepted=too_big and accept_drop,
    )
