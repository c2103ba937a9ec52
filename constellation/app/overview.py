"""The numbers of the overview page: counts, shares and top lists."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from constellation import site_summary
from constellation.contract import parse_snapshot_id
from constellation.site_summary import SiteSummary
from constellation.site_views import FilterCounts


@dataclass(frozen=True)
class AtlasCounts:
    models: int
    families: int | None  # None when the atlas has no genealogy yet
    communities: int | None
    known_size: int | None  # models with a parameter count
    snapshot_date: str  # YYYY-MM-DD HH:MM UTC

    @property
    def known_size_share(self) -> float | None:
        if self.known_size is None or not self.models:
            return None
        return self.known_size / self.models


STALE_AFTER_S = 36 * 3600.0  # the nightly job's period plus its six-hour budget and some slack


@dataclass(frozen=True)
class DataAge:
    seconds: float
    text: str  # "Data as of 2026-12-04 02:15 UTC (15 h ago)"
    stale: bool


def data_age(snapshot_id: str, now: datetime | None = None) -> DataAge:
    """How old the site's data is: since the start of the crawl behind the atlas (its snapshot id)."""
    taken = parse_snapshot_id(snapshot_id)
    seconds = max(0.0, ((now or datetime.now(UTC)) - taken).total_seconds())
    if seconds < 3600:
        ago = f"{int(seconds // 60)} min ago"
    elif seconds < 2 * 86400:
        ago = f"{int(seconds // 3600)} h ago"
    else:
        ago = f"{int(seconds // 86400)} days ago"
    text = f"Data as of {taken.strftime('%Y-%m-%d %H:%M UTC')} ({ago})"
    return DataAge(seconds, text, seconds > STALE_AFTER_S)


def atlas_counts(models: pd.DataFrame, snapshot_id: str) -> AtlasCounts:
    def distinct(column: str) -> int | None:
        if column not in models or not models[column].notna().any():
            return None
        return int(models[column].nunique(dropna=True))

    known = int(models["params"].notna().sum()) if "params" in models and models["params"].notna().any() else None
    return AtlasCounts(
        models=len(models),
        families=distinct("family"),
        communities=distinct("community"),
        known_size=known,
        snapshot_date=parse_snapshot_id(snapshot_id).strftime("%Y-%m-%d %H:%M UTC"),
    )


def coded_counts(counts: FilterCounts, rows: np.ndarray, snapshot_id: str) -> AtlasCounts:
    """`atlas_counts` of the models at `rows` (positions in the site's id order), from the build's codes
    and numbers: no model is read."""

    def distinct(column: str) -> int | None:
        if column not in counts.codes:
            return None
        codes = counts.codes[column][rows]
        codes = codes[codes >= 0]
        return int(np.count_nonzero(np.bincount(codes))) if len(codes) else None

    params = counts.numbers.get("params")
    known = int(np.count_nonzero(~np.isnan(params[rows]))) if params is not None else 0
    return AtlasCounts(
        models=len(rows),
        families=distinct("family"),
        communities=distinct("community"),
        known_size=known or None,  # as atlas_counts: None when no kept model has a size
        snapshot_date=parse_snapshot_id(snapshot_id).strftime("%Y-%m-%d %H:%M UTC"),
    )


def summary_counts(summary: SiteSummary, snapshot_id: str) -> AtlasCounts:
    """The counts of a whole atlas, from the build's site summary (no model read)."""
    return AtlasCounts(
        models=summary.models,
        families=summary.families,
        communities=summary.communities,
        known_size=summary.known_size,
        snapshot_date=parse_snapshot_id(snapshot_id).strftime("%Y-%m-%d %H:%M UTC"),
    )


def top_groups(models: pd.DataFrame, column: str, n: int = 10, label: pd.Series | None = None) -> pd.DataFrame:
    """Groups of `column` by total downloads: column, models, downloads, likes (and label, when given).
    The same function makes the build's precomputed lists (site_summary), so both agree."""
    return _labelled(site_summary.top_groups(models, column, n), column, label)


def coded_top_groups(
    counts: FilterCounts, column: str, rows: np.ndarray, n: int = 10, label: pd.Series | None = None
) -> pd.DataFrame:
    """`top_groups` of the models at `rows` (positions in the site's id order), from the build's codes and
    numbers: only the values of the groups that can be listed are looked up (~15 of ~2M families)."""
    selected = coded_rows(counts, column, rows)
    if not selected.present.any():
        return _labelled(site_summary.empty_top(column), column, label)
    grouped = selected.top(column, n, lambda wanted: counts.names(column, wanted))
    return _labelled(grouped, column, label)


@dataclass(frozen=True)
class CodedRows:
    """The build's group codes of one column at a selection's rows, and the numbers groups are ranked by."""

    codes: np.ndarray  # each selected row's group (-1: none)
    present: np.ndarray  # which selected rows have a group
    downloads: np.ndarray  # of the rows with a group
    likes: np.ndarray

    def top(self, column: str, n: int, names: Callable[[np.ndarray], pd.Index]) -> pd.DataFrame:
        """`site_summary.top_coded` of the rows with a group; `names` gives the value of the codes it lists."""
        codes = self.codes[self.present]
        return site_summary.top_coded(column, codes, int(codes.max()) + 1, self.downloads, self.likes, n, names)


def coded_rows(counts: FilterCounts, column: str, rows: np.ndarray) -> CodedRows:
    """`CodedRows` of `column` at `rows` (positions in the site's id order)."""
    codes = counts.codes[column][rows]
    present = codes >= 0
    downloads, likes = (np.asarray(counts.numbers[c][rows][present], dtype=np.int64) for c in ("downloads", "likes"))
    return CodedRows(codes, present, downloads, likes)


def _labelled(grouped: pd.DataFrame, column: str, label: pd.Series | None) -> pd.DataFrame:
    if label is not None:
        grouped.insert(1, "label", grouped[column].map(label).astype("object"))
    return grouped


def params_text(value: float) -> str:
    """A parameter count as people write it: 7.24B, 125M, 1.1T."""
    for unit, size in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if value >= size:
            return f"{value / size:.3g}{unit}"
    return f"{value:.0f}"
