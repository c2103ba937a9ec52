"""What every visitor of the site asks for about the whole atlas, computed once at build time.

The overview's counts and top lists, the sidebar's filter choices and the group sizes the pages offer
in their pickers are the same for every visitor of an atlas with no filter set. Computing them in the
site means reading and grouping every model (seconds at 3M models, 591k families at 1M); the build
already holds the models in memory, so it writes them once into `atlas/<id>/site/summary.json` (a few
kB). The site reads that file instead of the models table, and computes the same summary from the
models itself (`summarize`) for an atlas built before the file existed.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from constellation.arrow_strings import string_values
from constellation.contract import ATLAS_FILES
from constellation.name_ngrams import NgramCounts, ngram_counts, top_ngrams
from constellation.store import share_tree

log = logging.getLogger(__name__)

SUMMARY_FILE = "summary.json"  # inside ATLAS_FILES.site
VERSION = 1  # bump when the fields change: an older file is then recomputed, never misread

TOP_N = 50  # groups kept per top list (the overview shows 15, the trends slider goes to 20)
SIZES_N = 500  # groups kept per size list (the pickers offer the 500 largest)
CHOICES_N = 200  # values kept per filter choice list
GROUP_COLUMNS = ("family", "community")
CHOICE_COLUMNS = ("pipeline_tag", "license")
TRENDS_N = 20  # groups the trends page offers at most (its slider)
CLOUD_WORDS = 150  # n-grams kept for the whole atlas's word cloud (the cloud draws at most 150)


@dataclass(frozen=True)
class SiteSummary:
    """The whole atlas, as the site's landing views need it (no filters applied)."""

    models: int
    has: dict[str, bool]  # column → at least one value (Atlas.has)
    families: int | None  # distinct values; None when the column has none
    communities: int | None
    known_size: int | None  # models with a parameter count
    top: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # column → top_groups rows
    sizes: dict[str, list[list[Any]]] = field(default_factory=dict)  # column → [[value, models], …] largest first
    choices: dict[str, list[str]] = field(default_factory=dict)  # column → values, most common first
    # The whole atlas's word cloud: {"counts": [[n-gram, names], …] most common first (CLOUD_WORDS),
    # "names_used": …, "names_total": …}; empty in summaries written before it existed.
    ngrams: dict[str, Any] = field(default_factory=dict)
    # New models per week of the TRENDS_N families with the most downloads: [[week (ISO date), family, models], …]
    # (`new_models_per_week`); empty in summaries written before it existed.
    weekly: list[list[Any]] = field(default_factory=list)
    models_file_bytes: int | None = None  # size of the models.parquet summarized: a rewritten file voids it
    version: int = VERSION

    def top_frame(self, column: str, n: int) -> pd.DataFrame | None:
        """The top `n` groups of `column` as `top_groups` gives them; None when the summary kept fewer."""
        rows = self.top.get(column)
        if rows is None or (n > len(rows) and len(rows) == TOP_N):
            return None
        frame = pd.DataFrame(rows[:n], columns=[column, "models", "downloads", "likes"])
        return frame.astype({"models": "int64", "downloads": "int64", "likes": "int64"})

    def size_series(self, column: str) -> pd.Series:
        """Models per group of `column`, largest first (at most SIZES_N groups), like `value_counts`."""
        pairs = self.sizes.get(column) or []
        return pd.Series([p[1] for p in pairs], index=[p[0] for p in pairs], dtype="int64", name="count")

    def weekly_frame(self, n: int) -> pd.DataFrame | None:
        """New models per week of the top `n` families, as `new_models_per_week` gives them; None when the
        summary predates them or kept fewer groups."""
        families = self.top_frame("family", n)
        if not self.weekly or n > TRENDS_N or families is None:
            return None
        top = set(families["family"].astype(str))
        rows = [r for r in self.weekly if r[1] in top]
        frame = pd.DataFrame(rows, columns=["week", "family", "models"])
        frame["week"] = pd.to_datetime(frame["week"], utc=True)
        return frame.astype({"models": "int64"})

    def ngram_counts(self) -> NgramCounts | None:
        """The whole atlas's word-cloud counts, as `name_ngrams.ngram_counts` gives their top; None when
        the summary predates them."""
        if not self.ngrams:
            return None
        counts = Counter({str(gram): int(count) for gram, count in self.ngrams["counts"]})
        return NgramCounts(counts, int(self.ngrams["names_used"]), int(self.ngrams["names_total"]))

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, default=_plain) + "\n"

    @classmethod
    def from_json(cls, text: str) -> SiteSummary:
        return cls(**versioned_fields(text, VERSION, "summary"))


def summarize(
    models: pd.DataFrame,
    listed: Mapping[str, bool] | None = None,
    order: np.ndarray | None = None,
    cloud: dict[str, Any] | None = None,
) -> SiteSummary:
    """The summary of `models` (an atlas's models table, any column dtypes: the build's or the site's).
    `listed`: whether each column the build holds outside the frame (its list columns) has a value; `order`:
    `site_lookup.id_order(models)` when the caller has it; `cloud`: `word_cloud` of the ids, likewise."""

    def present(column: str) -> bool:
        return column in models.columns and bool(models[column].notna().any())

    has = {**{str(c): present(str(c)) for c in models.columns}, **{str(c): bool(v) for c, v in (listed or {}).items()}}
    # Each group column is hashed once (~2M family names at 3M models, ~0.5 s a pass) for its count, top list,
    # sizes and the weekly curves' top families, instead of once for each.
    grouped = {c: GroupCounts.of(models, c) for c in GROUP_COLUMNS if has.get(c)}
    return SiteSummary(
        models=len(models),
        has=has,
        families=grouped["family"].distinct if "family" in grouped else None,
        communities=grouped["community"].distinct if "community" in grouped else None,
        known_size=int(models["params"].notna().sum()) if present("params") else None,
        top={c: _records(g.top(TOP_N)) for c, g in grouped.items()},
        sizes={c: [[_plain(v), n] for v, n in g.largest(SIZES_N)] for c, g in grouped.items()},
        choices={c: choices(models, c, CHOICES_N) for c in CHOICE_COLUMNS if c in models.columns},
        ngrams=cloud if cloud is not None else word_cloud(models["id"], order) if "id" in models.columns else {},
        weekly=_weekly(models, grouped["family"]) if "family" in grouped else [],
    )


@dataclass(frozen=True)
class GroupCounts:
    """The groups of one column of the models, coded once: what the summary counts of them (`top_groups`,
    `_largest`, `nunique`) from the codes."""

    column: str
    codes: np.ndarray  # each row's group (-1: missing)
    uniques: pd.Index  # the group of each code
    downloads: np.ndarray  # int64, missing as 0 (the rows with a group only)
    likes: np.ndarray

    @classmethod
    def of(cls, models: pd.DataFrame, column: str) -> GroupCounts:
        codes, uniques = _group_codes(models[column])
        present = codes >= 0
        downloads, likes = (_integers(models[c])[present] for c in ("downloads", "likes"))
        return cls(column, codes[present], uniques, downloads, likes)

    @property
    def counts(self) -> np.ndarray:
        return np.bincount(self.codes, minlength=len(self.uniques))

    @property
    def distinct(self) -> int:
        """Groups with a row (`nunique(dropna=True)`: a categorical's unused categories are none)."""
        return int((self.counts > 0).sum())

    def top(self, n: int) -> pd.DataFrame:
        """`top_groups(models, column, n)`."""
        return top_coded(self.column, self.codes, len(self.uniques), self.downloads, self.likes, n, self.uniques.take)

    def largest(self, n: int) -> list[tuple[Any, int]]:
        """`_largest(models[column], n)`: the `n` largest groups with their counts, ties by value."""
        counts = self.counts
        kept = np.flatnonzero(counts > 0)
        if len(kept) > n:  # nlargest(n, keep="all"): every group tied with the n-th
            kept = kept[counts[kept] >= np.partition(counts[kept], len(kept) - n)[len(kept) - n]]
        pairs = sorted(
            zip(self.uniques.take(kept).tolist(), counts[kept].tolist(), strict=True), key=lambda p: (-p[1], str(p[0]))
        )
        return [(value, int(count)) for value, count in pairs[:n]]


def top_groups(models: pd.DataFrame, column: str, n: int = 10) -> pd.DataFrame:
    """Groups of `column` by total downloads, then models, then value: column, models, downloads, likes.

    The value breaks ties, so the build (rows in crawl order) and the site (rows sorted by id) list the
    same groups in the same order. Counted with `np.bincount` over the group codes, and only the groups
    that can reach the top `n` are sorted: a filtered 1M-model atlas has ~570k families, which pandas'
    groupby took a second to sort (the overview's filter change waits for it).
    """
    if column not in models or not models[column].notna().any():
        return empty_top(column)
    return GroupCounts.of(models, column).top(n)


def empty_top(column: str) -> pd.DataFrame:
    """The top list of no group (`top_groups`' columns)."""
    return pd.DataFrame(columns=[column, "models", "downloads", "likes"])


def top_coded(
    column: str,
    codes: np.ndarray,
    groups: int,
    downloads: np.ndarray,
    likes: np.ndarray,
    n: int,
    names: Callable[[np.ndarray], pd.Index],
) -> pd.DataFrame:
    """`top_groups` of rows given as group codes (0..`groups`-1, no missing ones) with their downloads and
    likes (int64, missing as 0); `names` gives the value of the codes asked, only the few that can be listed
    (the site's filter change names ~15 of ~2M families: constellation.site_views.FilterCounts)."""
    counts = np.bincount(codes, minlength=groups).astype("int64")
    downloads = group_sums(codes, downloads, groups)
    likes = group_sums(codes, likes, groups)
    candidates = np.flatnonzero(counts > 0)  # a category no row has is no group
    if len(candidates) > n:  # a group below the n-th largest download total cannot be listed
        totals = downloads[candidates]
        threshold = np.partition(totals, len(totals) - n)[len(totals) - n]
        candidates = candidates[totals >= threshold]
    keys = names(candidates)
    if keys.dtype == object:  # as groupby gives them: pandas infers str for object keys
        keys = pd.Index(keys.tolist())
    grouped = pd.DataFrame(
        {
            column: pd.Series(keys),
            "models": counts[candidates],
            "downloads": downloads[candidates],
            "likes": likes[candidates],
        }
    )
    grouped = grouped.sort_values(["downloads", "models"], ascending=False, kind="stable")
    if len(grouped) > n:  # keep the n-th group's ties too, then order those by value
        last = grouped.iloc[n - 1]
        tied = (grouped["downloads"] == last["downloads"]) & (grouped["models"] >= last["models"])
        grouped = grouped[(grouped["downloads"] > last["downloads"]) | tied]
    grouped = grouped.assign(_key=[str(v) for v in grouped[column].tolist()])  # the few candidates only
    grouped = grouped.sort_values(["downloads", "models", "_key"], ascending=[False, False, True], kind="stable")
    return grouped.drop(columns="_key").head(n).reset_index(drop=True)


def _group_codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Each row's group number (-1 for missing) and the groups: a categorical's own codes (free) and its
    categories as plain values (a categorical key would carry all ~570k families into every cached top
    list), else `pd.factorize`."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(dtype="int64"), pd.Index(values.dtype.categories)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes, pd.Index(uniques)


def _integers(values: pd.Series) -> np.ndarray:
    """An integer column as int64, missing as 0 (how the top lists count a model without downloads)."""
    return values.to_numpy(dtype="int64", na_value=0)


def group_sums(codes: np.ndarray, numbers: np.ndarray, groups: int) -> np.ndarray:
    """Per-group sums of `numbers` (int64, one per code), exact: float64 bincount sums are exact below 2**53,
    and larger totals are summed in int64 instead."""
    if not len(numbers) or int(np.abs(numbers).max()) * len(numbers) < 2**53:
        return np.rint(np.bincount(codes, weights=numbers, minlength=groups)).astype("int64")
    sums = np.zeros(groups, dtype="int64")
    np.add.at(sums, codes, numbers)
    return sums


def choices(models: pd.DataFrame, column: str, limit: int = CHOICES_N) -> list[str]:
    """The values of `column` most common first (ties by value), at most `limit`."""
    if column not in models:
        return []
    return [str(value) for value, _ in _largest(models[column], limit)]


def write_summary(
    folder: Path,
    models: pd.DataFrame,
    listed: Mapping[str, bool] | None = None,
    order: np.ndarray | None = None,
    cloud: dict[str, Any] | None = None,
) -> Path:
    """Write `folder`/site/summary.json for `models` (and the `listed` columns, the id `order` and the word
    `cloud`, as `summarize`); the build calls it on the atlas folder it just wrote.

    The site/ folder is written beside and renamed into place, so a site reading it sees the old file or
    the new one, never half of one.
    """
    site = folder / ATLAS_FILES.site
    work = folder / f".{ATLAS_FILES.site}.tmp"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    summary = replace(
        summarize(models, listed, order, cloud), models_file_bytes=(folder / ATLAS_FILES.models).stat().st_size
    )
    (work / SUMMARY_FILE).write_text(summary.to_json(), encoding="utf-8")
    share_tree(work)
    shutil.rmtree(site, ignore_errors=True)
    work.rename(site)
    return site / SUMMARY_FILE


def read_summary(folder: Path) -> SiteSummary | None:
    """`folder`/site/summary.json, or None when it is missing, unreadable, of another version or of another
    models.parquet than the one beside it (`read_stamped`)."""
    return read_stamped(folder / ATLAS_FILES.site / SUMMARY_FILE, folder / ATLAS_FILES.models, SiteSummary.from_json)


def versioned_fields(text: str, version: int, what: str) -> dict[str, Any]:
    """The fields of a site JSON file of `version`; ValueError naming `what` for any other (or no) version."""
    raw = json.loads(text)
    if not isinstance(raw, dict) or raw.get("version") != version:
        raise ValueError(f"{what} version {raw.get('version') if isinstance(raw, dict) else '?'} != {version}")
    return raw


class _Stamped(Protocol):
    @property
    def models_file_bytes(self) -> int | None: ...


_S = TypeVar("_S", bound=_Stamped)


def read_stamped(path: Path, models_file: Path, parse: Callable[[str], _S]) -> _S | None:
    """The build's JSON file `path` of the site (the summary, the trends) as `parse` reads it, or None when it
    is missing, unreadable, of another version (`parse` raises ValueError) or made from another models.parquet
    than `models_file` (an atlas folder rewritten by hand): a damaged file costs a recomputation, not the site."""
    try:
        stamped = parse(path.read_text(encoding="utf-8"))
        size = models_file.stat().st_size
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as exc:
        log.warning("ignored %s: %s", path, exc)
        return None
    if stamped.models_file_bytes != size:
        log.warning(
            "ignored %s: it was made from another models.parquet (%s bytes, now %s)",
            path,
            stamped.models_file_bytes,
            size,
        )
        return None
    return stamped


def word_cloud(ids: pd.Series, order: np.ndarray | None = None) -> dict[str, Any]:
    """The word cloud of every name, as the site counts it: ids sorted first (the site's row order, `order`
    when given), so the sample and the order of tied counts do not depend on the build's row order. It reads
    the ids alone, so a nightly build counts it beside the genealogy (build.py).

    Sorted by Arrow, in the ids' UTF-8 bytes: the code-point order numpy sorts Python strings in, without a
    Python string per id (at 3M ids, 4 s of the build against 1 s); only the sample counted becomes Python."""
    # One Arrow array (string_values): wrapping a chunked one in pa.chunked_array went value by value (2.7 s at 3M).
    if order is None or ids.isna().any():  # `order` ranks every row; a missing id has no name to count
        names = string_values(ids.dropna().astype(str))
        order = pc.sort_indices(names)
    else:
        names = string_values(ids.astype(str))
    ordered = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([pc.take(names, order)])))
    counted = ngram_counts(ordered)
    return {
        "counts": [[gram, count] for gram, count in top_ngrams(counted.counts, CLOUD_WORDS)],
        "names_used": counted.names_used,
        "names_total": counted.names_total,
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _largest(values: pd.Series, n: int) -> list[tuple[Any, int]]:
    """The `n` most common values with their counts, ties broken by value (so any row order gives the same)."""
    counts = values.value_counts(dropna=True)
    counts = counts[counts > 0].nlargest(n, keep="all")
    pairs = sorted(zip(counts.index, counts.to_numpy().tolist(), strict=True), key=lambda p: (-p[1], str(p[0])))
    return [(value, int(count)) for value, count in pairs[:n]]


def _plain(value: Any) -> Any:
    """numpy and pandas scalars as JSON's own types."""
    if hasattr(value, "item"):
        return value.item()
    return value


def _weekly(models: pd.DataFrame, families: GroupCounts) -> list[list[Any]]:
    top = families.top(TRENDS_N)["family"].astype(str).tolist()
    weekly = new_models_per_week(models, "family", top)
    return [[w.isoformat(), str(f), int(m)] for w, f, m in weekly.itertuples(index=False)]


def new_models_per_week(
    models: pd.DataFrame, group: str, groups: Sequence[str], since: pd.Timestamp | None = None
) -> pd.DataFrame:
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
        # the week's own array: to_numpy() made a Timestamp object of each time-zoned value (0.2 s per 24k rows)
        pd.DataFrame({"week": week.array, group: frame[group].astype(str).to_numpy()})
        .groupby(["week", group], sort=True)
        .size()
        .rename("models")
        .reset_index()
    )
    return counted[out_cols]
