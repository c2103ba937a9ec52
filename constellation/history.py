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
        return _history_frame([])
    by_file = {str(layout.snapshot(sid)): sid for sid in ids}
    with duckdb.connect(":memory:") as con:
        rows = con.execute(
            "SELECT filename, downloads, likes FROM read_parquet(?, filename = true, union_by_name = true) "
            "WHERE id = ?",
            [list(by_file), model_id],
        ).fetchall()
    return _history_frame(sorted((by_file[name], downloads, likes) for name, downloads, likes in rows))


def snapshot_diff(layout: DataLayout, old_id: str, new_id: str) -> tuple[list[str], list[str]]:
    """(appeared, disappeared): ids in `new_id` but not `old_id`, and the reverse; each sorted."""
    old = str(layout.snapshot(resolve_snapshot_id(layout, old_id)))
    new = str(layout.snapshot(resolve_snapshot_id(layout, new_id)))
    # One pass over each file: a full outer join of the two id sets, rather than two EXCEPTs reading both twice.
    with duckdb.connect(":memory:") as con:
        rows = con.execute(
            "SELECT o.id, n.id FROM (SELECT DISTINCT id FROM read_parquet(?)) o "
            "FULL OUTER JOIN (SELECT DISTINCT id FROM read_parquet(?)) n ON o.id = n.id "
            "WHERE o.id IS NULL OR n.id IS NULL",
            [old, new],
        ).fetchall()
    appeared = sorted(new_only for old_only, new_only in rows if old_only is None)
    disappeared = sorted(old_only for old_only, new_only in rows if new_only is None)
    return appeared, disappeared


def _history_frame(records: list[tuple[str, int | None, int | None]]) -> pd.DataFrame:
    """HISTORY_COLUMNS from (snapshot_id, downloads, likes) records."""
    return pd.DataFrame(
        {
            "snapshot_id": pd.Series([r[0] for r in records], dtype="string"),
            "date": pd.Series([parse_snapshot_id(r[0]) for r in records], dtype="datetime64[us, UTC]"),
            "downloads": pd.Series([r[1] for r in records], dtype="Int64"),
            "likes": pd.Series([r[2] for r in records], dtype="Int64"),
        },
        columns=list(HISTORY_COLUMNS),
    )


__all__ = ["HISTORY_COLUMNS", "model_history", "snapshot_diff"]
