"""The fake Hub's models, held column by column so that a million of them serve quickly.

Numbers and booleans are numpy arrays (with a presence mask when some are unknown); text stays in the
frame's Arrow arrays; lists and dicts are object arrays. A missing value is one the Hub would omit from
the JSON. Nested values may be JSON text, spliced verbatim into the page. Listing a page costs one binary
search in a precomputed sort order plus building that page's objects, whatever the store's size:

- each sort key gets, on first use, the order of all rows by (key desc, `_id` asc), the Hub's keyset order;
- a selection (search/author/filter/pipeline_tag/gated) becomes a boolean mask, and per sort the sorted
  positions of its rows in that order; both are cached (LRU), tag masks separately per tag.

The input is a "raw Hub frame" (../../notes/fakehub-api.md §1): one row per model, columns named as the
`/api/models` JSON keys; a list of such dicts; or a JSONL(.gz) file of them.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from constellation.contract import RELATIONS
from constellation.errors import FakeHubError
from fakehub.projections import FULL_KEYS
from fakehub.query import SORT_KEYS, Selection

NUMBER_KEYS = ("downloads", "downloadsAllTime", "likes", "trendingScore", "usedStorage")
BOOL_KEYS = ("private", "disabled")
DATE_KEYS = ("createdAt", "lastModified")
# Nested values that may arrive as JSON text; the store decodes them only for the page being served.
NESTED_KEYS = ("cardData", "safetensors", "gguf", "config", "siblings", "transformersInfo", "widgetData")
_HUB_DATE_RE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"
_CACHE_SIZE = 32
_PLACEHOLDER = re.compile(r'"\\u0000\\u0001fakehub(\d+)"')


@dataclass(frozen=True)
class Column:
    """One key's values for every model. Text stays in Arrow (compact, zero-copy from the frame) and
    becomes Python objects only for the rows being served."""

    values: np.ndarray | pa.Array  # int64/float64/bool; object with None for absent; or Arrow with nulls
    present: np.ndarray | None = None  # for numeric/bool arrays with unknown values; None = all known
    json_text: bool = False  # some values are JSON text to decode when served

    def take(self, rows: np.ndarray, decode: bool = True) -> list[Any]:
        """The values of `rows`, None where unknown; JSON text decoded unless `decode` is False."""
        values = self.values.take(rows).to_pylist() if isinstance(self.values, pa.Array) else self.values[rows].tolist()
        if self.present is not None:
            known = self.present[rows]
            if not known.all():
                values = [v if k else None for v, k in zip(values, known.tolist())]
        if self.json_text and decode:
            values = [json.loads(v) if isinstance(v, str) else v for v in values]
        return values

    def get(self, row: int) -> Any:
        return self.take(np.array([row], dtype=np.int64))[0]

    def all(self) -> list[Any]:
        """Every value as Python objects (a full scan: for lazily built indexes only)."""
        return self.take(np.arange(len(self.values)), decode=False)

    def equals(self, text: str) -> np.ndarray:
        if isinstance(self.values, pa.Array):
            return pc.fill_null(pc.equal(self.values, text), False).to_numpy(zero_copy_only=False)
        return np.asarray(self.values == text, dtype=bool)

    def contains(self, item: str) -> np.ndarray:
        """Which rows hold a list containing `item` (the tag filter)."""
        n = len(self.values)
        kind = getattr(self.values, "type", None)
        if kind is not None and (pa.types.is_list(kind) or pa.types.is_large_list(kind)):
            flat = pc.list_flatten(self.values)
            parents = pc.list_parent_indices(self.values).to_numpy()
            hits = pc.fill_null(pc.equal(flat, item), False).to_numpy(zero_copy_only=False)
            mask = np.zeros(n, dtype=bool)
            mask[parents[hits]] = True
            return mask
        values = self.values if isinstance(self.values, np.ndarray) else self.all()
        return np.fromiter((isinstance(v, list) and item in v for v in values), dtype=bool, count=n)


@dataclass(frozen=True)
class _SortOrder:
    rows: np.ndarray  # row indices by (key desc, _id asc)
    neg_keys: np.ndarray  # -key of those rows, ascending (absent keys are -inf, so last)
    ids: np.ndarray  # their _id as bytes


@dataclass(frozen=True)
class Page:
    rows: np.ndarray
    has_next: bool
    last_value: float | None  # keyset position of the last row (None: key absent), for the next cursor
    last_id: str | None


class HubStore:
    """Read-only after construction; safe to query from many threads."""

    def __init__(self, frame: pd.DataFrame):
        if not isinstance(frame, pd.DataFrame):
            raise FakeHubError(f"HubStore takes a pandas DataFrame (a raw Hub frame), got {type(frame).__name__}")
        frame = frame.reset_index(drop=True)
        self.n = len(frame)
        ids = _ids(frame)
        self.ids = ids
        self.columns: dict[str, Column] = {}
        self._sort_keys: dict[str, np.ndarray] = {}
        for name in frame.columns:
            if name in ("id", "modelId", "_id", "author"):
                continue
            self.columns[str(name)] = self._column(str(name), frame[name])
        self.columns["id"] = Column(ids)
        self.columns["modelId"] = self.columns["id"]
        self.columns["_id"] = Column(_mongo_ids(frame, ids))
        namespaces = _namespaces(ids)
        self.columns["author"] = Column(_authors(frame, namespaces))
        self._namespaces = Column(namespaces)
        self._id_bytes = _as_bytes(self.columns["_id"].values)
        _refuse_duplicates(ids, "id")
        _refuse_duplicates(self.columns["_id"].values, "_id")
        self._lock = threading.Lock()
        self._orders: dict[str, _SortOrder] = {}
        self._masks: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self._positions: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self._arrow_ids: pa.Array | None = None
        self._arrow_tags: Column | None = None
        self._row_of_id: dict[str, int] | None = None
        self._children: dict[str, Counter] | None = None

    # ---------------------------------------------------------------------------------------- loading

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]]) -> HubStore:
        records = list(records)
        for i, record in enumerate(records):
            if not isinstance(record, Mapping):
                raise FakeHubError(f"record {i} is a {type(record).__name__}, not a dict of /api/models keys")
        return cls(pd.DataFrame.from_records(records) if records else pd.DataFrame({"id": []}))

    @classmethod
    def from_jsonl(cls, path: str | Path) -> HubStore:
        path = Path(path)
        if not path.is_file():
            raise FakeHubError(f"JSONL file not found: {path}; pass a .jsonl or .jsonl.gz of /api/models records")
        opener = gzip.open if path.suffix == ".gz" else open
        records = []
        with opener(path, "rt", encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise FakeHubError(f"{path} line {number} is not JSON ({exc}); fix or remove that line") from None
        return cls.from_records(records)

    def _column(self, name: str, series: pd.Series) -> Column:
        absent = series.isna().to_numpy(dtype=bool)
        if name in NUMBER_KEYS:
            return self._number_column(name, series, absent)
        if name in BOOL_KEYS:
            return _bool_column(name, series, absent, self.ids)
        if name in DATE_KEYS:
            values, sort_key = _date_column(name, series, absent, self.ids)
            self._sort_keys[name] = sort_key
            return Column(values)
        if isinstance(series.dtype, (pd.StringDtype, pd.ArrowDtype)):
            values = pa.array(series.array)
            if isinstance(values, pa.ChunkedArray):
                values = values.combine_chunks()
            is_text = pa.types.is_string(values.type) or pa.types.is_large_string(values.type)
            return Column(values, json_text=is_text and name in NESTED_KEYS)
        values = series.to_numpy(dtype=object, copy=True)
        values[absent] = None
        first = next((v for v in values if v is not None), None)
        if isinstance(first, np.ndarray):  # list columns read back from Parquet
            for row, value in enumerate(values):
                if isinstance(value, np.ndarray):
                    values[row] = value.tolist()
        json_text = name in NESTED_KEYS and any(isinstance(v, str) for v in values)
        return Column(values, json_text=json_text)

    def _number_column(self, name: str, series: pd.Series, absent: np.ndarray) -> Column:
        numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.isnan(numbers) & ~absent
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise FakeHubError(f"model {self.ids[row]!r}: {name} must be a number, got {series.iloc[row]!r}")
        present = None if not absent.any() else ~absent
        self._sort_keys[name] = np.where(absent, -np.inf, numbers)
        whole = np.mod(numbers, 1) == 0
        if np.all(whole | absent):
            return Column(np.where(absent, 0, numbers).astype(np.int64), present)
        # Mixed (trendingScore can be 0.2): whole numbers stay ints in the JSON, as the Hub writes them.
        values = np.full(len(numbers), None, dtype=object)
        values[whole & ~absent] = numbers[whole & ~absent].astype(np.int64).tolist()
        values[~whole & ~absent] = numbers[~whole & ~absent].tolist()
        return Column(values)

    # -------------------------------------------------------------------------------------- listing

    def page(self, selection: Selection, sort: str, limit: int, after: tuple[float | None, str] | None) -> Page:
        """The `limit` models of `selection` that follow the keyset position `after` in `sort` order."""
        order = self._order(sort)
        start = 0 if after is None else _position_after(order, *after)
        if selection.is_everything:
            positions = np.arange(start, min(start + limit, self.n))
            has_next = start + limit < self.n
        else:
            selected = self._selected_positions(selection, sort)
            first = int(np.searchsorted(selected, start, side="left"))
            positions = selected[first : first + limit]
            has_next = first + limit < len(selected)
        rows = order.rows[positions]
        if len(rows) == 0:
            return Page(rows, False, None, None)
        last = int(rows[-1])
        value = float(self._sort_key(sort)[last])
        return Page(rows, has_next, None if value == -np.inf else value, str(self.columns["_id"].values[last]))

    def render(self, rows: np.ndarray, keys: Iterable[str]) -> list[dict[str, Any]]:
        """The JSON objects of `rows` with `keys`, in that order, leaving out unknown values."""
        items: list[dict[str, Any]] = [{} for _ in range(len(rows))]
        for key in keys:
            column = self.columns.get(key)
            if column is None:
                continue
            for item, value in zip(items, column.take(rows)):
                if value is not None:
                    item[key] = value
        return items

    def render_json(self, rows: np.ndarray, keys: Iterable[str]) -> bytes:
        """`render` encoded as the Hub's compact JSON array, faster: values held as JSON text are spliced
        in verbatim instead of being decoded and encoded again."""
        items: list[dict[str, Any]] = [{} for _ in range(len(rows))]
        texts: list[str] = []
        for key in keys:
            column = self.columns.get(key)
            if column is None:
                continue
            values = column.take(rows, decode=False)
            if column.json_text:  # a placeholder now, the text after encoding
                for item, value in zip(items, values):
                    if isinstance(value, str):
                        item[key] = f"\x00\x01fakehub{len(texts)}"
                        texts.append(value)
                    elif value is not None:
                        item[key] = value
            else:
                for item, value in zip(items, values):
                    if value is not None:
                        item[key] = value
        encoded = json.dumps(items, separators=(",", ":"), default=json_default)  # ASCII, so "\x00" becomes "\\u0000"
        if texts:
            encoded = _PLACEHOLDER.sub(lambda match: texts[int(match.group(1))], encoded)
        return encoded.encode()

    # ----------------------------------------------------------------------------------- model_info

    def row_of(self, repo_id: str) -> int | None:
        if self._row_of_id is None:
            table = {repo_id: row for row, repo_id in enumerate(self.ids)}
            self._row_of_id = table
        return self._row_of_id.get(repo_id)

    def model_keys(self) -> tuple[str, ...]:
        """Every key model_info returns without expand: all the store knows, Hub order first."""
        known = [k for k in FULL_KEYS if k in self.columns]
        return (*known, *(k for k in self.columns if k not in known))

    def base_models(self, row: int) -> dict[str, Any] | None:
        """The `baseModels` expand of model_info: immediate parents from the `base_model:` tags."""
        parents: dict[str, str | None] = {}
        tags = self.columns["tags"].get(row) if "tags" in self.columns else None
        for tag in tags or ():
            relation, parent = _split_base_model_tag(tag)
            if parent is not None and (relation is not None or parent not in parents):
                parents[parent] = relation or parents.get(parent)
        if not parents:
            return None
        relations = [r for r in parents.values() if r is not None]
        models = []
        for parent in parents:
            parent_row = self.row_of(parent)
            if parent_row is None:  # a parent that is not (or no longer) on the Hub
                models.append({"id": parent})
            else:
                models.append({"_id": self.columns["_id"].values[parent_row], "id": parent})
        result: dict[str, Any] = {"models": models}
        if relations:
            result = {"relation": relations[0], **result}
        return result

    def children_count(self, repo_id: str) -> dict[str, int]:
        """The `childrenModelCount` expand: how many models name `repo_id` as parent, per relation."""
        with self._lock:
            if self._children is None:
                children: dict[str, Counter] = {}
                for tags in self.columns["tags"].all() if "tags" in self.columns else ():
                    for tag in tags or ():
                        relation, parent = _split_base_model_tag(tag)
                        if relation is not None and parent is not None:
                            children.setdefault(parent, Counter())[relation] += 1
                self._children = children
        return dict(self._children.get(repo_id, {}))

    # ------------------------------------------------------------------------------------ internals

    def _sort_key(self, sort: str) -> np.ndarray:
        key = self._sort_keys.get(sort)
        if key is None:  # the whole column is absent: every model sorts last, by _id
            key = self._sort_keys[sort] = np.full(self.n, -np.inf)
        return key

    def _order(self, sort: str) -> _SortOrder:
        if sort not in SORT_KEYS:
            raise ValueError(f"unknown sort {sort!r}")
        with self._lock:
            order = self._orders.get(sort)
            if order is None:
                key = self._sort_key(sort)
                rows = np.lexsort((self._id_bytes, -key))
                order = self._orders[sort] = _SortOrder(rows, -key[rows], self._id_bytes[rows])
        return order

    def _selected_positions(self, selection: Selection, sort: str) -> np.ndarray:
        return self._cached(
            self._positions, (selection, sort), lambda: np.flatnonzero(self._mask(selection)[self._order(sort).rows])
        )

    def _mask(self, selection: Selection) -> np.ndarray:
        return self._cached(self._masks, selection, lambda: self._compute_mask(selection))

    def _compute_mask(self, selection: Selection) -> np.ndarray:
        mask = np.ones(self.n, dtype=bool)
        for text in selection.search:
            if self._arrow_ids is None:
                self._arrow_ids = pa.array(self.ids, type=pa.string())
            mask &= pc.match_substring(self._arrow_ids, text, ignore_case=True).to_numpy(zero_copy_only=False)
        if selection.author is not None:
            mask &= self._namespaces.equals(selection.author)
        if selection.pipeline_tag is not None:
            column = self.columns.get("pipeline_tag")
            mask &= False if column is None else column.equals(selection.pipeline_tag)
        if selection.gated is not None:
            mask &= self._gated() == selection.gated
        for tag in selection.tags:
            mask &= self._cached(self._masks, ("tag", tag), functools.partial(self._tag_mask, tag))
        return mask

    def _tag_mask(self, tag: str) -> np.ndarray:
        column = self.columns.get("tags")
        if column is None:
            return np.zeros(self.n, dtype=bool)
        with self._lock:
            if self._arrow_tags is None:  # once: then each tag is a vectorised scan, not a Python loop
                try:
                    self._arrow_tags = Column(pa.array(column.values, type=pa.list_(pa.string())))
                except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):  # tags that are not lists of text
                    self._arrow_tags = column
        return self._arrow_tags.contains(tag)

    def _gated(self) -> np.ndarray:
        column = self.columns.get("gated")
        if column is None:
            return np.zeros(self.n, dtype=bool)
        return np.fromiter((g is True or g in ("auto", "manual") for g in column.all()), dtype=bool, count=self.n)

    def _cached(self, cache: OrderedDict, key: Hashable, compute: Callable[[], np.ndarray]) -> np.ndarray:
        with self._lock:
            if key in cache:
                cache.move_to_end(key)
                return cache[key]
        value = compute()  # outside the lock: two threads may both compute it, harmlessly
        with self._lock:
            cache[key] = value
            while len(cache) > _CACHE_SIZE:
                cache.popitem(last=False)
        return value


# -------------------------------------------------------------------------------------------------


def json_default(value: Any) -> Any:
    """numpy values that a Parquet-read frame may hold in nested columns."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _position_after(order: _SortOrder, value: float | None, last_id: str) -> int:
    """Index in `order` of the first row strictly after (value, last_id) in (key desc, _id asc) order."""
    neg = np.inf if value is None else -value
    lo = int(np.searchsorted(order.neg_keys, neg, side="left"))
    hi = int(np.searchsorted(order.neg_keys, neg, side="right"))
    return lo + int(np.searchsorted(order.ids[lo:hi], last_id.encode(), side="right"))


def _split_base_model_tag(tag: str) -> tuple[str | None, str | None]:
    """`base_model:<relation>:<id>` -> (relation, id); `base_model:<id>` -> (None, id); else (None, None)."""
    if not isinstance(tag, str) or not tag.startswith("base_model:"):
        return None, None
    rest = tag[len("base_model:") :]
    relation, sep, parent = rest.partition(":")
    if sep and relation in RELATIONS:
        return relation, parent
    return None, rest


def _ids(frame: pd.DataFrame) -> np.ndarray:
    if "id" in frame.columns:
        ids = frame["id"].to_numpy(dtype=object, copy=True)
        if "modelId" in frame.columns:  # 2022-era records carry only modelId
            missing = pd.isna(ids)
            ids[missing] = frame["modelId"].to_numpy(dtype=object)[missing]
    elif "modelId" in frame.columns:
        ids = frame["modelId"].to_numpy(dtype=object, copy=True)
    else:
        raise FakeHubError("the records have no 'id' (or 'modelId') column; every model needs its 'owner/name' id")
    usable = np.fromiter((isinstance(v, str) and v != "" for v in ids), dtype=bool, count=len(ids))
    if not usable.all():
        row = int(np.flatnonzero(~usable)[0])
        raise FakeHubError(f"record {row} has no usable 'id' (got {ids[row]!r}); every model needs 'owner/name'")
    return ids


def _mongo_ids(frame: pd.DataFrame, ids: np.ndarray) -> np.ndarray:
    """The `_id` column, made up from the repo id where absent so it is stable across runs."""
    if "_id" not in frame.columns:
        return np.array([hashlib.sha1(i.encode()).hexdigest()[:24] for i in ids], dtype=object)
    given = frame["_id"].to_numpy(dtype=object, copy=True)
    missing = pd.isna(frame["_id"]).to_numpy(dtype=bool)
    for row in np.flatnonzero(missing):
        given[row] = hashlib.sha1(ids[row].encode()).hexdigest()[:24]
    if not isinstance(frame["_id"].dtype, pd.StringDtype):
        for index, value in enumerate(given):
            if not isinstance(value, str):
                raise FakeHubError(f"model {ids[index]!r}: _id must be a string (24 hex digits), got {value!r}")
    return given


def _namespaces(ids: np.ndarray) -> pa.Array:
    """The part of each id before "/" (null for legacy ids without one), which `author=` matches."""
    text = pa.array(ids, type=pa.string())
    parts = pc.split_pattern(text, "/", max_splits=1)
    has_namespace = pc.greater(pc.list_value_length(parts), 1)
    return pc.if_else(has_namespace, pc.list_element(parts, 0), pa.scalar(None, pa.string()))


def _authors(frame: pd.DataFrame, namespaces: pa.Array) -> pa.Array:
    if "author" not in frame.columns:
        return namespaces
    given = pa.array(frame["author"].astype("str").array) if frame["author"].notna().any() else namespaces
    if isinstance(given, pa.ChunkedArray):
        given = given.combine_chunks()
    return pc.coalesce(given.cast(pa.string()), namespaces)


def _as_bytes(texts: np.ndarray) -> np.ndarray:
    try:
        return np.array(texts, dtype=bytes)  # ASCII, as Mongo ids are
    except UnicodeEncodeError:
        return np.array([t.encode() for t in texts], dtype=bytes)


def _refuse_duplicates(values: np.ndarray, name: str) -> None:
    duplicated = pd.Series(values, dtype=object).duplicated()
    if duplicated.any():
        value = values[int(np.flatnonzero(duplicated.to_numpy())[0])]
        raise FakeHubError(f"{name} {value!r} appears more than once; every model needs a unique {name}")


def _bool_column(name: str, series: pd.Series, absent: np.ndarray, ids: np.ndarray) -> Column:
    if pd.api.types.is_bool_dtype(series.dtype) and not absent.any():
        return Column(series.to_numpy(dtype=bool))
    values = series.to_numpy(dtype=object)
    for row in np.flatnonzero(~absent):
        if not isinstance(values[row], (bool, np.bool_)):
            raise FakeHubError(f"model {ids[row]!r}: {name} must be true or false, got {values[row]!r}")
    flags = np.zeros(len(values), dtype=bool)
    flags[~absent] = values[~absent].astype(bool)
    return Column(flags, None if not absent.any() else ~absent)


def _date_column(
    name: str, series: pd.Series, absent: np.ndarray, ids: np.ndarray
) -> tuple[np.ndarray | pa.Array, np.ndarray]:
    """Dates as the Hub writes them ("2024-01-02T10:00:00.000Z") and as epoch milliseconds for sorting."""
    present = ~absent
    millis = np.zeros(len(series), dtype=np.int64)
    well_formed = np.zeros(len(series), dtype=bool)
    strings: pa.Array | None = None
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        millis[present] = _epoch_millis(pd.to_datetime(series[present], utc=True))
    else:
        try:  # Arrow parses a million ISO dates in milliseconds; anything else takes the slow road below
            if isinstance(series.dtype, pd.StringDtype):
                strings = pa.array(series.array)
                if isinstance(strings, pa.ChunkedArray):
                    strings = strings.combine_chunks()
                strings = strings.cast(pa.string())
            else:
                strings = pa.array(np.where(absent, None, series.to_numpy(dtype=object)), type=pa.string())
            stamps = pc.cast(strings, pa.timestamp("ms", tz="UTC")).cast(pa.int64())
            millis = pc.fill_null(stamps, 0).to_numpy(zero_copy_only=False)
            hub_spelling = pc.fill_null(pc.match_substring_regex(strings, _HUB_DATE_RE), False)
            well_formed = hub_spelling.to_numpy(zero_copy_only=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            # other spellings ("2025-01-29 08:35:53", datetime objects) are normalised; nonsense is refused
            strings = None
            texts = series.to_numpy(dtype=object)
            parsed = pd.to_datetime(pd.Series(texts[present], dtype=object), utc=True, format="mixed", errors="coerce")
            if parsed.isna().any():
                row = int(np.flatnonzero(present)[int(np.flatnonzero(parsed.isna().to_numpy())[0])])
                raise FakeHubError(
                    f"model {ids[row]!r}: {name} {texts[row]!r} is not a date; use the Hub's format, e.g. "
                    "2024-01-02T10:00:00.000Z"
                ) from None
            millis[present] = _epoch_millis(parsed)
    sort_key = np.where(absent, -np.inf, millis.astype(np.float64))
    to_format = ~well_formed & present
    if strings is not None and not to_format.any():
        return strings, sort_key  # already the Hub's spelling: served verbatim
    texts = np.full(len(series), None, dtype=object)
    texts[well_formed] = series.to_numpy(dtype=object)[well_formed]
    if to_format.any():
        stamps = np.datetime_as_string(millis[to_format].astype("datetime64[ms]"), unit="ms")
        texts[to_format] = np.char.add(stamps, "Z")
    return texts, sort_key


def _epoch_millis(stamps: pd.Series) -> np.ndarray:
    return stamps.dt.tz_convert(None).to_numpy().astype("datetime64[ms]").astype(np.int64)
