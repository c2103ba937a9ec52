"""The sidebar filters: what they hold, their form in the URL, and the rows they keep.

Every page applies the same `Filters` to the models before drawing, and the URL query string carries
them, so a link reproduces the view:

    ?pipeline=text-generation&pipeline=text2text-generation&min_dl=1000&pmin=1&pmax=13&license=mit&relation=finetune
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# "root" stands for models that declare no parent, so a visitor can ask for base models only.
ROOT = "root"

PARAM_KEYS = {
    "pipeline_tags": "pipeline",
    "min_downloads": "min_dl",
    "params_min_b": "pmin",
    "params_max_b": "pmax",
    "licenses": "license",
    "relations": "relation",
}
# Every column a filter can read (Filters.columns picks those of the constraints that are set).
FILTER_COLUMNS = ("pipeline_tag", "downloads", "params", "license", "relation", "parent")


@dataclass(frozen=True)
class Filters:
    """Empty/None means "no constraint". Parameter bounds are in billions (the unit people use)."""

    pipeline_tags: tuple[str, ...] = ()
    min_downloads: int = 0
    params_min_b: float | None = None
    params_max_b: float | None = None
    licenses: tuple[str, ...] = ()
    relations: tuple[str, ...] = ()  # values of `relation`, or ROOT

    @property
    def active(self) -> bool:
        return self != Filters()

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns of the models `filter_mask` reads for these constraints (none without a filter)."""
        needed = {
            "pipeline_tag": bool(self.pipeline_tags),
            "downloads": bool(self.min_downloads),
            "params": self.params_min_b is not None or self.params_max_b is not None,
            "license": bool(self.licenses),
            "relation": any(r != ROOT for r in self.relations),
            "parent": ROOT in self.relations,
        }
        return tuple(column for column, used in needed.items() if used)

    def to_query_params(self) -> dict[str, str | list[str]]:
        """The URL form: only the constraints that are set, lists as repeated keys."""
        out: dict[str, str | list[str]] = {}
        if self.pipeline_tags:
            out[PARAM_KEYS["pipeline_tags"]] = list(self.pipeline_tags)
        if self.min_downloads:
            out[PARAM_KEYS["min_downloads"]] = str(self.min_downloads)
        if self.params_min_b is not None:
            out[PARAM_KEYS["params_min_b"]] = _number(self.params_min_b)
        if self.params_max_b is not None:
            out[PARAM_KEYS["params_max_b"]] = _number(self.params_max_b)
        if self.licenses:
            out[PARAM_KEYS["licenses"]] = list(self.licenses)
        if self.relations:
            out[PARAM_KEYS["relations"]] = list(self.relations)
        return out


@dataclass
class ParsedFilters:
    filters: Filters
    ignored: list[str] = field(default_factory=list)  # "key=value: why", shown to the visitor


def filters_from_query_params(params: Mapping[str, str | list[str]]) -> ParsedFilters:
    """Filters from a URL query. A malformed value is ignored and reported, never fatal."""
    ignored: list[str] = []

    def values(key: str) -> tuple[str, ...]:
        raw = params.get(key, ())
        items = [raw] if isinstance(raw, str) else list(raw)
        return tuple(dict.fromkeys(v for v in items if v))  # keep order, drop repeats and blanks

    def number(key: str, minimum: float = 0.0) -> float | None:
        raw = values(key)
        if not raw:
            return None
        try:
            value = float(raw[-1])
        except ValueError:
            ignored.append(f"{key}={raw[-1]}: not a number")
            return None
        if not math.isfinite(value) or value < minimum:
            ignored.append(f"{key}={raw[-1]}: must be a finite number ≥ {minimum:g}")
            return None
        return value

    min_dl = number(PARAM_KEYS["min_downloads"])
    pmin = number(PARAM_KEYS["params_min_b"])
    pmax = number(PARAM_KEYS["params_max_b"])
    if pmin is not None and pmax is not None and pmin > pmax:
        ignored.append(f"pmin={_number(pmin)} > pmax={_number(pmax)}: swapped them")
        pmin, pmax = pmax, pmin
    filters = Filters(
        pipeline_tags=values(PARAM_KEYS["pipeline_tags"]),
        min_downloads=int(min_dl or 0),
        params_min_b=pmin,
        params_max_b=pmax,
        licenses=values(PARAM_KEYS["licenses"]),
        relations=values(PARAM_KEYS["relations"]),
    )
    return ParsedFilters(filters, ignored)


def filter_mask(models: pd.DataFrame, filters: Filters) -> np.ndarray:
    """A boolean mask of the rows `filters` keep. A filter on a column the atlas lacks keeps nothing
    (an empty answer is honest; ignoring the filter would not be)."""
    mask = np.ones(len(models), dtype=bool)
    if filters.pipeline_tags:
        mask &= _isin(models, "pipeline_tag", filters.pipeline_tags)
    if filters.min_downloads:
        mask &= _column(models, "downloads").fillna(0).to_numpy(dtype="int64") >= filters.min_downloads
    if filters.params_min_b is not None or filters.params_max_b is not None:
        params = _column(models, "params").astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
        keep = ~np.isnan(params)  # unknown sizes drop out of any size range
        if filters.params_min_b is not None:
            keep &= params >= filters.params_min_b * 1e9
        if filters.params_max_b is not None:
            keep &= params <= filters.params_max_b * 1e9
        mask &= keep
    if filters.licenses:
        mask &= _isin(models, "license", filters.licenses)
    if filters.relations:
        wanted = [r for r in filters.relations if r != ROOT]
        keep = _isin(models, "relation", wanted) if wanted else np.zeros(len(models), dtype=bool)
        if ROOT in filters.relations:
            keep |= _column(models, "parent").isna().to_numpy(dtype=bool)
        mask &= keep
    return mask


def kept_rows(models: pd.DataFrame, filters: Filters) -> np.ndarray:
    """The positions of the rows `filters` keep (int32 when they fit: a 3M-row selection in 12 MB)."""
    rows = np.flatnonzero(filter_mask(models, filters))
    return rows.astype(np.int32) if len(models) < 2**31 else rows


def apply_filters(models: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    if not filters.active:
        return models
    return models[filter_mask(models, filters)]


def choices(models: pd.DataFrame, column: str, limit: int = 200) -> list[str]:
    """The values of `column` most common first (for the sidebar's multiselects)."""
    if column not in models:
        return []
    counts = models[column].value_counts(dropna=True)
    return [str(v) for v in counts.index[:limit]]


def _column(models: pd.DataFrame, column: str) -> pd.Series:
    if column in models:
        return models[column]
    return pd.Series(pd.NA, index=models.index, dtype="object")


def _isin(models: pd.DataFrame, column: str, wanted: tuple[str, ...] | list[str]) -> np.ndarray:
    return np.array(_column(models, column).isin(list(wanted)).to_numpy(dtype=bool, na_value=False))  # writable


def _number(value: float) -> str:
    return f"{value:g}"
