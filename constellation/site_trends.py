"""The Trends page's curves with no filter set, counted once at build time.

The page draws today's top families and communities (those of the atlas) across every snapshot of the
atlas's scope: in each snapshot, how many of their models it lists and their downloads. With no filter set
every visitor asks the same thing, and the site answered it on the first visit by reading six columns of
every model and the ids and downloads of every snapshot (0.6–0.8 s at 300k models and two snapshots,
2.5–4.6 s at 3M; docs/benchmarks.md). The build counts
it for the TRENDS_N largest groups and writes `atlas/<id>/site/trends.json` (a few kB); the page takes its
top n of them, and counts a filtered selection, or an atlas built before the file, itself.

One function counts in both places (`group_downloads_over_snapshots`: DuckDB over the snapshots' Parquet,
which reads only the id and downloads columns), one picks the groups and names them (`trend_members`), and
`constellation.history` delegates to the first, so the build, the page and the library count alike.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from constellation.arrow_strings import rows_of
from constellation.contract import ATLAS_FILES, DataLayout, parse_snapshot_id
from constellation.errors import CorruptFile
from constellation.site_downloads import carried_members, count_rows
from constellation.site_summary import TRENDS_N, read_stamped, top_groups, versioned_fields
from constellation.site_views import community_labels
from constellation.store import readable_snapshot_files, reading_snapshots, same_scope_snapshot_ids, write_text_atomic

log = logging.getLogger(__name__)

TRENDS_FILE = "trends.json"  # inside ATLAS_FILES.site
VERSION = 1  # bump when the fields change: an older file is then recomputed, never misread
GROUP_COLUMNS = ("family", "community")
_COUNTED = ["snapshot_id", "group", "models", "downloads"]  # a counted row, as the query gives it


@dataclass(frozen=True)
class SiteTrends:
    """Today's TRENDS_N top groups of each column across the snapshots of the atlas's scope."""

    snapshot_id: str  # the atlas's
    snapshot_ids: list[str]  # the snapshots counted over (the atlas's scope), oldest first
    groups: dict[str, list[str]] = field(default_factory=dict)  # column → top groups, named as the page names them
    # column → [[snapshot_id, group, models, downloads], …] in the query's order (snapshot, then group)
    counts: dict[str, list[list[Any]]] = field(default_factory=dict)
    models_file_bytes: int | None = None  # size of the models.parquet counted: a rewritten file voids it
    version: int = VERSION

    def frame(self, column: str, top_n: int, snapshot_ids: Sequence[str]) -> pd.DataFrame | None:
        """The top `top_n` groups of `column` across `snapshot_ids`, as `group_downloads_over_snapshots` gives
        them for `trend_members(models, column, top_n)`; None when the file was counted over other snapshots
        (a crawl since the build), lacks the column, or kept fewer groups than asked."""
        groups = self.groups.get(column)
        if list(snapshot_ids) != self.snapshot_ids or groups is None:
            return None
        if top_n > len(groups) and len(groups) == TRENDS_N:
            return None
        wanted = set(groups[:top_n])
        return trend_frame(pd.DataFrame([r for r in self.counts[column] if r[1] in wanted], columns=_COUNTED), column)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> SiteTrends:
        return cls(**versioned_fields(text, VERSION, "trends"))


# --------------------------------------------------------------------------------------------------
# Which groups, and their names
# --------------------------------------------------------------------------------------------------


def trend_members(models: pd.DataFrame, column: str, n: int, labels: pd.Series | None = None) -> pd.DataFrame:
    """`id` and `column` of the models in the top `n` groups of `column` by downloads (`site_summary.top_groups`,
    so the build's rows and the site's agree), each group named as the page shows it (`group_names`)."""
    return _members(models, column, top_groups(models, column, n)[column].tolist(), labels)


def _members(models: pd.DataFrame, column: str, top: list[Any], labels: pd.Series | None) -> pd.DataFrame:
    keep = models[column].isin(top).to_numpy(dtype=bool, na_value=False)
    members = models.loc[keep, ["id", column]]
    return members.assign(**{column: group_names(members[column], labels)})


def group_names(values: pd.Series, labels: pd.Series | None = None) -> list[str]:
    """Groups as a reader sees them: a community as its number and label ("3: mistral · 7b · v0.1", a number
    alone means nothing), looked up by the number itself (`labels`: community → label); else the value."""
    # Each distinct value is named once: the top 20 communities of a 3M atlas hold hundreds of thousands of rows.
    codes, distinct = pd.factorize(values, use_na_sentinel=False)
    names = [str(v) for v in distinct] if labels is None else [f"{v}: {labels.get(v, '')}" for v in distinct]
    return np.asarray(names, dtype=object)[codes].tolist()


# --------------------------------------------------------------------------------------------------
# Counting across snapshots
# --------------------------------------------------------------------------------------------------


def group_downloads_over_snapshots(
    layout: DataLayout, groups: pd.DataFrame, column: str, snapshot_ids: Sequence[str] | None = None
) -> pd.DataFrame:
    """Total downloads per snapshot of each group. `groups` maps `id` → `column` (e.g. family) for the
    models to count. Returns snapshot (timestamp), `column`, models, downloads; a damaged snapshot is left
    out with a warning (`store.readable_snapshot_files`)."""
    return trend_frame(count_groups(layout, groups, column, snapshot_ids), column)


def trend_frame(counted: pd.DataFrame, column: str) -> pd.DataFrame:
    """Counted rows (snapshot_id, group, models, downloads) as the page draws them: snapshot (UTC timestamp),
    `column`, models, downloads."""
    out_cols = ["snapshot", column, "models", "downloads"]
    if counted.empty:
        return pd.DataFrame(columns=out_cols)
    frame = counted.rename(columns={"group": column})
    frame["snapshot"] = pd.to_datetime([parse_snapshot_id(s) for s in frame["snapshot_id"]], utc=True)
    frame["models"] = frame["models"].astype("int64")
    frame["downloads"] = frame["downloads"].astype("int64")
    return frame[out_cols].reset_index(drop=True)


def count_groups(
    layout: DataLayout, groups: pd.DataFrame, column: str, snapshot_ids: Sequence[str] | None
) -> pd.DataFrame:
    """The counted rows (snapshot_id, group, models, downloads) of `group_downloads_over_snapshots`, before
    `trend_frame`."""
    files = readable_snapshot_files(layout, snapshot_ids)
    if not files or groups.empty:
        return pd.DataFrame(columns=_COUNTED)
    members = pd.DataFrame({"id": groups["id"].astype(str).to_numpy(), "grp": groups[column].astype(str).to_numpy()})
    con = duckdb.connect()
    try:
        con.register("members", members)
        with reading_snapshots(layout):
            return con.execute(
                """
                SELECT regexp_extract(s.filename, '(\\d{8}T\\d{6}Z)\\.parquet$', 1) AS snapshot_id,
                       m.grp AS "group", count(*) AS models, sum(coalesce(s.downloads, 0)) AS downloads
                FROM read_parquet(?, filename = true, union_by_name = true) AS s JOIN members AS m USING (id)
                GROUP BY ALL ORDER BY snapshot_id, "group"
                """,
                [[str(path) for _, path in files]],
            ).fetch_df()
    finally:
        con.close()


# --------------------------------------------------------------------------------------------------
# The build's file
# --------------------------------------------------------------------------------------------------


def count_trends(
    layout: DataLayout, snapshot_id: str, models: pd.DataFrame, labels: pd.Series, n: int = TRENDS_N
) -> SiteTrends:
    """The top `n` groups of each of GROUP_COLUMNS that `models` (atlas `snapshot_id`'s) has, counted across
    the snapshots of its scope; `labels`: community → label."""
    snapshot_ids = same_scope_snapshot_ids(layout, snapshot_id)
    groups: dict[str, list[str]] = {}
    members: dict[str, pd.DataFrame] = {}
    for column in GROUP_COLUMNS:
        if column not in models or not models[column].notna().any():
            continue
        named = labels if column == "community" else None
        top = top_groups(models, column, n)[column].tolist()
        groups[column] = group_names(pd.Series(top, dtype="object"), named)
        members[column] = _members(models, column, top, named)
    counted = carried_counts(layout, snapshot_id, members)
    if counted is None:
        counted = {column: count_groups(layout, m, column, snapshot_ids) for column, m in members.items()}
    counts = {
        column: [[str(s), str(g), int(m), int(d)] for s, g, m, d in frame[_COUNTED].itertuples(index=False)]
        for column, frame in counted.items()
    }
    return SiteTrends(snapshot_id=snapshot_id, snapshot_ids=list(snapshot_ids), groups=groups, counts=counts)


def carried_counts(
    layout: DataLayout, snapshot_id: str, members: dict[str, pd.DataFrame]
) -> dict[str, pd.DataFrame] | None:
    """`count_groups` of each column's `members` (id → group name) across the scope's readable snapshots, from
    the previous atlas's snapshots by row carried over (`site_downloads.carried_members`: tonight's snapshot is
    the one read whole); None when there is nothing to carry over. The groups are today's: yesterday's counts
    are not carried (its top groups and their members differ), each member's numbers in each snapshot are."""
    if not members or any(m["id"].duplicated().any() or m.empty for m in members.values()):
        return None
    ids = pa.array(
        pd.unique(pd.concat([m["id"] for m in members.values()], ignore_index=True).astype(str)), pa.string()
    )
    mapped = carried_members(layout, snapshot_id, ids)
    if mapped is None:
        return None
    counted = {}
    for column, frame in members.items():
        rows = rows_of(frame["id"].astype(str), ids)  # hashed in Arrow: a pandas index of the ids cost 4x
        codes, names = pd.factorize(frame[column].astype(str), sort=False)
        by_row = np.argsort(rows, kind="stable")
        counted[column] = count_rows(mapped, list(mapped.mapped), rows[by_row], codes[by_row], list(names))
    return counted


def write_trends(
    site: Path, layout: DataLayout, snapshot_id: str, models: pd.DataFrame, communities: pd.DataFrame
) -> Path | None:
    """Write `site`/trends.json (atlas/<id>/site/, beside the summary) for the atlas `snapshot_id` holding
    `models` and `communities` (its tables as the build holds them), atomically. None, with a warning and no
    file, when a snapshot is damaged inside: the site then counts on a visit and says which file it is."""
    try:
        trends = count_trends(layout, snapshot_id, models, community_labels(models, communities))
    except CorruptFile as exc:
        log.warning("wrote no %s: %s", TRENDS_FILE, exc)
        return None
    trends = replace(trends, models_file_bytes=(site.parent / ATLAS_FILES.models).stat().st_size)
    path = site / TRENDS_FILE
    write_text_atomic(path, trends.to_json())
    return path


def read_trends(site: Path) -> SiteTrends | None:
    """`site`/trends.json, or None when it is missing, unreadable, of another version or of another
    models.parquet than the one beside the site folder (`site_summary.read_stamped`)."""
    return read_stamped(site / TRENDS_FILE, site.parent / ATLAS_FILES.models, SiteTrends.from_json)
