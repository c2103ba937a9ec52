"""Writes small snapshots that follow the data contract, for tests that need a published snapshot."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from constellation.contract import SNAPSHOT_SCHEMA, DataLayout


def model_row(model_id: str, **fields: Any) -> dict[str, Any]:
    """A snapshot row with every contract column; unspecified ones are null (tags/base_models empty)."""
    author, _, name = model_id.rpartition("/")
    row: dict[str, Any] = dict.fromkeys(SNAPSHOT_SCHEMA.names)
    row.update(id=model_id, author=author or None, name=name, tags=[], base_models=[])
    row.update(fields)
    return row


def write_snapshot(
    layout: DataLayout,
    snapshot_id: str,
    rows: list[dict[str, Any]],
    manifest: dict[str, Any] | None = None,
) -> Path:
    table = pa.Table.from_pylist(rows, schema=SNAPSHOT_SCHEMA)
    layout.snapshots.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, layout.snapshot(snapshot_id))
    payload = {
        "snapshot_id": snapshot_id,
        "status": "ok",
        "synthetic": False,
        "counts": {"seen": len(rows), "stored": len(rows), "rejected": 0},
        "finished_at": datetime.now(UTC).isoformat(),
    }
    payload.update(manifest or {})
    layout.manifest(snapshot_id).write_text(json.dumps(payload))
    return layout.snapshot(snapshot_id)
