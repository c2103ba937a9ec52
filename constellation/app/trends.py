"""The Trends page's curves when the build already counted them (no model, no snapshot read): its
site/trends.json, or, for an atlas built before that file with its own snapshot alone, the summary's top lists."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from constellation.app.data import Atlas
from constellation.site_summary import SiteSummary
from constellation.site_trends import group_names, trend_frame


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
