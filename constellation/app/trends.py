"""Trends across snapshots, read straight from the snapshot Parquet files with an in-memory DuckDB
(`read_parquet([...])` takes no file lock, so the nightly crawler is never blocked).

Families and communities come from the latest atlas: a model keeps the family and community it has
today, so a curve shows how today's groups grew.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd

from constellation.contract import DataLayout, parse_snapshot_id


def snapshot_files(layout: DataLayout, ids: Sequence[str] | None = None) -> list[tuple[str, Path]]:
    ids = layout.snapshot_ids() if ids is None else list(ids)
    return [(sid, layout.snapshot(sid)) for sid in ids]


def group_downloads_over_snapshots(
    layout: DataLayout, groups: pd.DataFrame, column: str, snapshot_ids: Sequence[str] | None = None
) -> pd.DataFrame:
    """Total downloads per snapshot of each group. `groups` maps `id` → `column` (e.g. family) for the
    models to count. Returns snapshot (timestamp), `column`, models, downloads."""
    files = snapshot_files(layout, snapshot_ids)
    out_cols = ["snapshot", column, "models", "downloads"]
    if not files or groups.empty:
        return pd.DataFrame(columns=out_cols)
    members = pd.DataFrame({"id": groups["id"].astype(str).to_numpy(), "grp": groups[column].astype(str).to_numpy()})
    con = duckdb.connect()
    try:
        con.register("members", members)
        frame = con.execute(
            """
            SELECT regexp_extract(s.filename, '(\\d{8}T\\d{6}Z)\\.parquet$', 1) AS snapshot_id,
                   m.grp AS grp, count(*) AS models, sum(coalesce(s.downloads, 0)) AS downloads
            FROM read_parquet(?, filename = true, union_by_name = true) AS s JOIN members AS m USING (id)
            GROUP BY ALL ORDER BY snapshot_id, grp
            """,
            [[str(path) for _, path in files]],
        ).fetch_df()
    finally:
        con.close()
    frame["snapshot"] = pd.to_datetime([parse_snapshot_id(s) for s in frame["snapshot_id"]], utc=True)
    frame = frame.rename(columns={"grp": column})
    frame["models"] = frame["models"].astype("int64")
    frame["downloads"] = frame["downloads"].astype("int64")
    return frame[out_cols]


def snapshot_growth(layout: DataLayout, current: str | None = None) -> dict[str, int | str] | None:
    """Models added and removed since the snapshot before `current` (default: the newest); None when
    there is only one snapshot."""
    ids = layout.snapshot_ids()
    if current is None:
        current = ids[-1] if ids else None
    if current not in ids:
        return None
    at = ids.index(current)
    if at == 0:
        return None
    previous = ids[at - 1]
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
    return {
        "previous": previous,
        "current": current,
        "models_now": int(row[0]),
        "models_before": int(row[1]),
        "added": int(row[2]),
        "removed": int(row[3]),
    }


def new_models_per_week(models: pd.DataFrame, group: str, groups: Sequence[str], since: pd.Timestamp | None = None) -> pd.DataFrame:
    """Models created per week (weeks start on Monday) in each of `groups` of column `group`:
    week, `group`, models. Rows with an unknown creation date are left out."""
    out_cols = ["week", group, "models"]
    if group not in models or "created_at" not in models or not len(groups):
        return pd.DataFrame(columns=out_cols)
    keep = models[group].isin(list(groups)).to_numpy(dtype=bool, na_value=False)
    frame = models.loc[keep, [group, "created_at"]].dropna()
    if since is not None:
        frame = frame[frame["created_at"] >= since]
    if frame.empty:
        return pd.DataFrame(columns=out_cols)
    created = pd.to_datetime(frame["created_at"], utc=True)
    week = (created - pd.to_timedelta(created.dt.day_of_week, unit="D")).dt.normalize()
    counted = (
        pd.DataFrame({"week": week.to_numpy(), group: frame[group].astype(str).to_numpy()})
        .groupby(["week", group], sort=True)
        .size()
        .rename("models")
        .reset_index()
    )
    return counted[out_cols]
