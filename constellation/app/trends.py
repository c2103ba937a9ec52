"""The Trends page's curves when the build already counted them (no model, no snapshot read): its
site/trends.json, or, for an atlas built before that file with its own snapshot alone, the summary's top lists;
and a filtered selection's, from the build's group codes and snapshots by row (site_views, site_downloads)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from constellation import site_summary
from constellation.app.data import Atlas
from constellation.app.overview import coded_rows
from constellation.contract import DataLayout
from constellation.site_downloads import count_rows
from constellation.site_summary import SiteSummary
from constellation.site_trends import count_groups, group_names, trend_frame
from constellation.site_views import FilterCounts


def unfiltered(
    atlas: Atlas, column: str, top_n: int, snapshot_ids: Sequence[str], labels: Callable[[], pd.Series | None]
) -> pd.DataFrame | None:
    """The top `top_n` groups of `column` across `snapshot_ids` with no filter set, as the page counts them
    (`site_trends.trend_members`, then `group_downloads_over_snapshots`), from what the build wrote; None when
    it wrote nothing that holds them (the page then counts). `labels`: community → label, asked only when
    needed."""
    trends = atlas.trends
    frame = trends.frame(column, top_n, snapshot_ids) if trends is not None else None
    if frame is None and list(snapshot_ids) == [atlas.snapshot_id]:
        frame = lone_snapshot(
            atlas.summary, atlas.snapshot_id, column, top_n, labels() if column == "community" else None
        )
    return frame


def lone_snapshot(
    summary: SiteSummary, snapshot_id: str, column: str, top_n: int, labels: pd.Series | None = None
) -> pd.DataFrame | None:
    """The top `top_n` groups of `column` at the atlas's own snapshot, as `history.group_downloads_over_snapshots`
    gives them when it is the only one: the downloads of today's groups in the snapshot they were built from
    are the summary's top list. Groups named by `site_trends.group_names` (`labels`: community → label).
    None when the summary kept fewer groups."""
    top = summary.top_frame(column, top_n)
    if top is None:
        return None
    counted = pd.DataFrame(
        {
            "snapshot_id": snapshot_id,
            "group": group_names(top[column], labels),
            "models": top["models"].to_numpy(),
            "downloads": top["downloads"].to_numpy(),
        }
    )
    return trend_frame(counted.sort_values("group", kind="stable"), column)


# --------------------------------------------------------------------------------------------------
# A filtered selection, from the build's codes and mapped snapshots (no model id, no snapshot read)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Members:
    """The models of a selection's top groups: their site rows (ascending), each one's group (0..k-1) and
    each group's value, best first as `site_summary.top_groups` lists them."""

    rows: np.ndarray
    groups: np.ndarray
    values: pd.Series


def coded_members(counts: FilterCounts, column: str, rows: np.ndarray, n: int) -> Members | None:
    """The members of the top `n` groups of `column` among the site rows `rows`, picked as
    `site_trends.trend_members` picks them (`site_summary.top_coded` over the build's codes: the overview's
    `coded_top_groups`); None when the build did not code `column` or its numbers."""
    if column not in counts.codes or not {"downloads", "likes"} <= counts.numbers.keys():
        return None
    selected = coded_rows(counts, column, rows)
    if not selected.present.any():
        return Members(rows[:0], np.zeros(0, dtype=np.int64), pd.Series([], dtype="object"))
    code_of: dict[Any, int] = {}  # value → code of the few groups named: top_coded returns values only

    def names(wanted: np.ndarray) -> pd.Index:
        found = counts.names(column, wanted)
        code_of.update(zip(found.tolist(), wanted.tolist(), strict=True))
        return found

    top = selected.top(column, n, names)
    top_codes = np.asarray([code_of[v] for v in top[column].tolist()], dtype=np.int64)
    by_code = np.argsort(top_codes)
    kept = selected.codes
    at = np.minimum(np.searchsorted(top_codes[by_code], kept), len(top_codes) - 1)
    hit = (top_codes[by_code][at] == kept) & selected.present
    return Members(rows[hit], by_code[at[hit]], top[column])


def filtered(
    atlas: Atlas,
    layout: DataLayout,
    members: Members,
    column: str,
    snapshot_ids: Sequence[str],
    labels: Callable[[], pd.Series | None],
) -> pd.DataFrame | None:
    """The curves of the top groups of `column` whose `members` (`coded_members`: a filter's selection) are
    given, across `snapshot_ids`, as the page counts them live (`site_trends.trend_members`, then
    `group_downloads_over_snapshots`), from the build's snapshots by row (site_downloads); a snapshot crawled
    since the build is counted in DuckDB. None for an atlas built before those files (the page then counts
    live)."""
    mapped = atlas.snapshot_downloads
    if mapped is None:
        return None
    names = group_names(members.values, labels() if column == "community" else None)
    held = mapped.held(snapshot_ids)
    counted = count_rows(mapped, held, members.rows, members.groups, names)
    missing = [s for s in snapshot_ids if s not in set(held)]
    if missing and len(members.rows):
        ids = atlas.frame(["id"])["id"].to_numpy()[members.rows]
        live = pd.DataFrame({"id": ids, column: np.asarray(names, dtype=object)[members.groups]})
        counted = pd.concat([counted, count_groups(layout, live, column, missing)], ignore_index=True)
        counted = counted.sort_values(["snapshot_id", "group"], kind="stable", ignore_index=True)
    return trend_frame(counted, column)


def weekly_filtered(atlas: Atlas, members: Members) -> pd.DataFrame:
    """New models per week of the top families whose `members` (`coded_members` of "family") are given, as the
    page counts them from the filtered models (`site_summary.new_models_per_week`), reading the creation dates
    alone."""
    names = np.asarray([str(v) for v in members.values.tolist()], dtype=object)
    created = atlas.frame(["created_at"])["created_at"].take(members.rows).reset_index(drop=True)
    # a Series, not to_numpy(): a time-zoned column becomes one Timestamp object per row there
    frame = pd.DataFrame({"family": names[members.groups], "created_at": created})
    return site_summary.new_models_per_week(frame, "family", names.tolist())
