"""Questions across snapshots: a model's downloads and likes over time, and which models came and went.

Every snapshot is kept, one Parquet file per crawl. DuckDB (in memory, no database file, no locks) reads
only the columns and row groups a query needs straight from those files, so years of nightly snapshots
stay cheap to query.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from constellation.contract import DataLayout, parse_snapshot_id
from constellation.snapshot_io import resolve_snapshot_id

HISTORY_COLUMNS: tuple[str, ...] = ("snapshot_id", "date", "downloads", "likes")


def model_history(layout: DataLayout, model_id: str) -> pd.DataFrame:
    """One row per published snapshot that lists `model_id`, oldest first: snapshot_id, date (UTC),
    downloads, likes. Empty (with those columns) when no snapshot lists it."""
    ids = layout.snapshot_ids()
    if not ids:
        return _empty_history()
    files = [str(layout.snapshot(sid)) for sid in ids]
    with duckdb.connect(":memory:") as con:
        rows = con.execute(
            "SELECT filename, downloads, likes FROM read_parquet(?, filename = true, union_by_name = true) "
            "WHERE id = ?",
            [files, model_id],
        ).fetchall()
    by_file = {str(layout.snapshot(sid)): sid for sid in ids}
    records = sorted((by_file[name], downloads, likes) for name, downloads, likes in rows)
    frame = pd.DataFrame(
        {
            "snapshot_id": pd.Series([r[0] for r in records], dtype="string"),
            "date": pd.Series([parse_snapshot_id(r[0]) for r in records], dtype="datetime64[us, UTC]"),
            "downloads": pd.Series([r[1] for r in records], dtype="Int64"),
            "likes": pd.Series([r[2] for r in records], dtype="Int64"),
        }
    )
    return frame


def snapshot_diff(layout: DataLayout, old_id: str, new_id: str) -> tuple[list[str], list[str]]:
    """(appeared, disappeared): ids in `new_id` but not `old_id`, and the reverse; each sorted."""
    old = str(layout.snapshot(resolve_snapshot_id(layout, old_id)))
    new = str(layout.snapshot(resolve_snapshot_id(layout, new_id)))
    with duckdb.connect(":memory:") as con:
        appeared = con.execute(
            "SELECT id FROM read_parquet(?) EXCEPT SELECT id FROM read_parquet(?)", [new, old]
        ).fetchall()
        disappeared = con.execute(
            "SELECT id FROM read_parquet(?) EXCEPT SELECT id FROM read_parquet(?)", [old, new]
        ).fetchall()
    return sorted(r[0] for r in appeared), sorted(r[0] for r in disappeared)


def _empty_history() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "snapshot_id": pd.Series([], dtype="string"),
            "date": pd.Series([], dtype="datetime64[us, UTC]"),
            "downloads": pd.Series([], dtype="Int64"),
            "likes": pd.Series([], dtype="Int64"),
        }
    )


__all__ = ["HISTORY_COLUMNS", "model_history", "snapshot_diff"]
