"""Reading published snapshots and their manifests (the crawler is the only writer)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from constellation.contract import SNAPSHOT_COLUMNS, ContractError, DataLayout


log = logging.getLogger(__name__)


class SnapshotNotFound(ContractError):
    """No published snapshot matches the request."""


def resolve_snapshot_id(layout: DataLayout, snapshot_id: str | None) -> str:
    """`snapshot_id` if it is published, else the newest one; a clear error when there is none."""
    if snapshot_id is None:
        ids = layout.snapshot_ids()
        if not ids:
            raise SnapshotNotFound(
                f"no snapshot in {layout.snapshots}. Run `make crawl` (real Hub), `make demo` (offline) "
                "or `constellation import FILE` first."
            )
        for candidate in reversed(ids):
            if read_manifest(layout, candidate).get("status", "ok") != "suspect":
                return candidate
            log.warning(
                "skipping snapshot %s: its manifest marks it suspect (the model count dropped); "
                "name it with --snapshot to use it anyway",
                candidate,
            )
        raise SnapshotNotFound(
            f"every snapshot in {layout.snapshots} is marked suspect; name one with --snapshot to use it anyway"
        )
    if not layout.snapshot(snapshot_id).is_file() or not layout.manifest(snapshot_id).is_file():
        known = ", ".join(layout.snapshot_ids()[-5:]) or "none"
        raise SnapshotNotFound(f"snapshot {snapshot_id} is not published in {layout.snapshots} (latest: {known})")
    return snapshot_id


def read_snapshot(layout: DataLayout, snapshot_id: str, columns: list[str] | None = None) -> pd.DataFrame:
    """The snapshot as a DataFrame with the contract's columns (extra columns kept)."""
    path = layout.snapshot(snapshot_id)
    table = pq.read_table(path, columns=columns)
    missing = [c for c in (columns or SNAPSHOT_COLUMNS) if c not in table.column_names]
    if missing:
        raise ContractError(f"{path} lacks the contract's columns {missing}; was it written by another tool?")
    return table.to_pandas()


def read_manifest(layout: DataLayout, snapshot_id: str) -> dict[str, Any]:
    return _read_json(layout.manifest(snapshot_id))


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ContractError(f"{path} is not valid JSON: {exc}") from None
