"""Questions across snapshots: a model's downloads and likes over time, which models came and went, and
how today's families and communities grew (the site's Trends page).

Every snapshot is kept, one Parquet file per crawl. DuckDB (in memory, no database file, no locks) reads
only the columns and row groups a query needs straight from those files, so years of nightly snapshots
stay cheap to query.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd

from constellation import site_trends, store
from constellation.contract import DataLayout, parse_snapshot_id
from constellation.errors import CorruptFile
from constellation.store import (
    parquet_problem,
    reading_snapshots,
    resolve_snapshot_id,
    same_scope_snapshot_ids,
    snapshot_fix,
)

log = logging.getLogger(__name__)

__all__ = [
    "HISTORY_COLUMNS",
    "group_downloads_over_snapshots",
    "model_history",
    "readable_snapshot_files",
    "snapshot_diff",
    "snapshot_files",
    "snapshot_growth",
]

HISTORY_COLUMNS: tuple[str, ...] = ("snapshot_id", "date", "downloads", "likes")


def model_history(layout: DataLayout, model_id: str, snapshot_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per published snapshot (of `snapshot_ids`, default all) that lists `model_id`, oldest first:
    snapshot_id, date (UTC), downloads, likes. Empty (with those columns) when no snapshot lists it. A
    damaged snapshot is left out with a warning (`readable_snapshot_files`)."""
    by_file = {str(path): sid for sid, path in readable_snapshot_files(layout, snapshot_ids)}
    if not by_file:
        return _history_frame([])
    with duckdb.connect(":memory:") as con, reading_snapshots(layout):
        rows = con.execute(
            "SELECT filename, downloads, likes FROM read_parquet(?, filename = true, union_by_name = true) "
            "WHERE id = ?",
            [list(by_file), model_id],
        ).fetchall()
    return _history_frame(sorted((by_file[name], downloads, likes) for name, downloads, likes in rows))


def snapshot_diff(layout: DataLayout, old_id: str, new_id: str) -> tuple[list[str], list[str]]:
    """(appeared, disappeared): ids in `new_id` but not `old_id`, and the reverse; each sorted."""
    old = str(_readable_snapshot(layout, resolve_snapshot_id(layout, old_id)))
    new = str(_readable_snapshot(layout, resolve_snapshot_id(layout, new_id)))
    # One pass over each file: a full outer join of the two id sets, rather than two EXCEPTs reading both twice.
    with duckdb.connect(":memory:") as con, reading_snapshots(layout):
        rows = con.execute(
            "SELECT o.id, n.id FROM (SELECT DISTINCT id FROM read_parquet(?)) o "
            "FULL OUTER JOIN (SELECT DISTINCT id FROM read_parquet(?)) n ON o.id = n.id "
            "WHERE o.id IS NULL OR n.id IS NULL",
            [old, new],
        ).fetchall()
    appeared = sorted(new_only for old_only, new_only in rows if old_only is None)
    disappeared = sorted(old_only for old_only, new_only in rows if new_only is None)
    return appeared, disappeared


def readable_snapshot_files(layout: DataLayout, ids: Sequence[str] | None = None) -> list[tuple[str, Path]]:
    """(id, path) of the snapshots among `ids` (default: all) whose Parquet footer reads; a damaged one is
    left out with a warning (`store.readable_snapshot_files`)."""
    return store.readable_snapshot_files(layout, ids)


def _readable_snapshot(layout: DataLayout, snapshot_id: str) -> Path:
    """The file of a snapshot asked for by id; CorruptFile when it cannot be read."""
    path = layout.snapshot(snapshot_id)
    problem = parquet_problem(path)
    if problem is not None:
        raise CorruptFile(f"snapshot {path} cannot be read ({problem}); {snapshot_fix(layout, snapshot_id)}")
    return path


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


# --------------------------------------------------------------------------------------------------
# Trends of groups (families and communities come from the latest atlas: a model keeps the family and
# community it has today, so a curve shows how today's groups grew)
# --------------------------------------------------------------------------------------------------


def snapshot_files(layout: DataLayout, ids: Sequence[str] | None = None) -> list[tuple[str, Path]]:
    """(id, path) of the snapshots `ids` (default: every published one)."""
    return store.snapshot_files(layout, ids)


def group_downloads_over_snapshots(
    layout: DataLayout, groups: pd.DataFrame, column: str, snapshot_ids: Sequence[str] | None = None
) -> pd.DataFrame:
    """Total downloads per snapshot of each group. `groups` maps `id` → `column` (e.g. family) for the
    models to count. Returns snapshot (timestamp), `column`, models, downloads. Counted by
    `site_trends.group_downloads_over_snapshots`, as the build counts the Trends page's unfiltered curves."""
    return site_trends.group_downloads_over_snapshots(layout, groups, column, snapshot_ids)


def snapshot_growth(layout: DataLayout, current: str | None = None) -> dict[str, int | str] | None:
    """Models added and removed since the snapshot of the same scope before `current` (default: the
    newest); None when there is no earlier one. A trial or an import between two nightly crawls is not
    "the snapshot before"."""
    ids = layout.snapshot_ids()
    if current is None:
        current = ids[-1] if ids else None
    if current not in ids:
        return None
    ids = same_scope_snapshot_ids(layout, current)
    at = ids.index(current)
    if at == 0:
        return None
    previous = ids[at - 1]
    if len(readable_snapshot_files(layout, [previous, current])) < 2:
        return None
    con = duckdb.connect()
    try:
        now, before = str(layout.snapshot(current)), str(layout.snapshot(previous))
        row = con.execute(
            """
            WITH a AS (SELECT DISTINCT id FROM read_parquet(?)), b AS (SELECT DISTINCT id FROM read_parquet(?))
            SELECT (SELECT count(*) FROM a), (SELECT count(*) FROM b),
                   (SELECT count(*) FROM a ANTI JOIN b USING (id)),
                   (SELECT count(*) FROM b ANTI JOIN a USING (id))
            """,
            [now, before],
        ).fetchone()
    finally:
        con.close()
    assert row is not None  # a SELECT of aggregates always returns one row
    return {
        "previous": previous,
        "current": current,
        "models_now": int(row[0]),
        "models_before": int(row[1]),
        "added": int(row[2]),
        "removed": int(row[3]),
    }
