"""The Trends page's curves when the build's site summary already holds them (no model, no snapshot read)."""

from __future__ import annotations

import pandas as pd

from constellation.contract import parse_snapshot_id
from constellation.site_summary import SiteSummary


def lone_snapshot(summary: SiteSummary, snapshot_id: str, column: str, top_n: int) -> pd.DataFrame | None:
    """The top `top_n` groups of `column` at the atlas's own snapshot, as `history.group_downloads_over_snapshots`
    gives them when it is the only one: the downloads of today's groups in the snapshot they were built from
    are the summary's top list. None when the summary kept fewer groups."""
    top = summary.top_frame(column, top_n)
    if top is None:
        return None
    when = pd.Timestamp(parse_snapshot_id(snapshot_id))
    frame = pd.DataFrame(
        {
            "snapshot": pd.Series([when] * len(top), dtype="datetime64[ns, UTC]"),
            column: top[column].astype(str).to_numpy(),
            "models": top["models"].astype("int64").to_numpy(),
            "downloads": top["downloads"].astype("int64").to_numpy(),
        }
    )
    return frame.sort_values(column, kind="stable").reset_index(drop=True)
