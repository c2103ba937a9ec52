"""From raw `/api/models` items to snapshot rows: validate each item on its own, parse lineage and license.

A bad item is rejected with a reason (and its id when it has one); it never stops the page. The rules
follow ../shared/docs/hub-api.md: a.3 for field types, §2 for lineage.

Quarantine is per value: a value of the right JSON type that Arrow/Parquet cannot store as sent is fixed
and counted per field in `ValueFixes` (the manifest's `fixed_values`), and the model is kept:
- a lone surrogate (JSON "\\ud800") or a NUL character in a string is replaced by U+FFFD;
- a string longer than MAX_TEXT_CHARS is nulled (a tag that long is dropped from `tags`);
- an integer outside int64, or a NaN/Infinity where a number is expected, is nulled;
- `gated` that is neither a boolean nor a string is nulled.
Only an item without a usable id (or whose values have the wrong JSON type) is rejected as a whole.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
import pyarrow as pa

from constellation.contract import RELATIONS, SNAPSHOT_COLUMNS, SNAPSHOT_SCHEMA

# Hub ids: "owner/name" or a legacy bare name (gpt2). Never a colon, never whitespace.
_ID_RE = re.compile(r"^[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)?$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")
_TAG_PREFIX = "base_model:"
_LICENSE_PREFIX = "license:"
_MAX_VALUE_CHARS = 200  # how much of a malformed value the manifest keeps
MAX_ID_CHARS = 200  # a Hub id is at most 96 characters per part (owner/name): anything longer is not one
MAX_TEXT_CHARS = 4096  # longer strings are not Hub metadata (tags, pipeline tags, licenses are short)
FIX_EXAMPLES = 5  # ids kept per field in `fixed_values`; the counts are always complete
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_UNSTORABLE_RE = re.compile("[\x00\ud800-\udfff]")  # NUL, and lone surrogates (UTF-8 cannot encode them)
REPLACEMENT_CHAR = "\ufffd"


class InvalidRecord(ValueError):
    """One item is not a valid model record; the message is the reason kept in the manifest."""


@dataclass(frozen=True)
class Rejection:
    """A quarantined item: its id when it had a usable one, and why."""

    id: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "reason": self.reason}


@dataclass(frozen=True)
class LineageRejection:
    """A lineage value that was not used as an edge; the model itself is kept."""

    id: str
    value: Any
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "value": self.value, "reason": self.reason}


@dataclass
class ValueFixes:
    """Values stored other than as sent (see the module docstring), per snapshot column: how many, why,
    and the ids of the first few models. Mergeable, so pages and runs add up."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)  # (column, reason) -> values fixed
    examples: dict[str, list[str]] = field(default_factory=dict)  # column -> first ids

    def note(self, column: str, model_id: str, reason: str) -> None:
        self.counts[(column, reason)] += 1
        ids = self.examples.setdefault(column, [])
        if len(ids) < FIX_EXAMPLES and model_id not in ids:
            ids.append(model_id)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        """`{column: {count, reasons: {reason: count}, examples: [ids]}}`, columns sorted."""
        out: dict[str, Any] = {}
        for (column, reason), count in sorted(self.counts.items()):
            entry = out.setdefault(column, {"count": 0, "reasons": {}, "examples": self.examples.get(column, [])})
            entry["count"] += count
            entry["reasons"][reason] = count
        return out

    def merge(self, data: dict[str, Any]) -> None:
        """Add a `to_dict()` of another page."""
        for column, entry in data.items():
            for reason, count in entry.get("reasons", {}).items():
                self.counts[(column, reason)] += int(count)
            ids = self.examples.setdefault(column, [])
            ids.extend(i for i in entry.get("examples", []) if i not in ids)
            del ids[FIX_EXAMPLES:]


class _Fixer:
    """Per-value fixes for one record: repairs or nulls a value and notes it under the record's id."""

    def __init__(self, fixes: ValueFixes, model_id: str) -> None:
        self.fixes = fixes
        self.model_id = model_id

    def note(self, column: str, reason: str) -> None:
        self.fixes.note(column, self.model_id, reason)

    def text(self, column: str, value: str | None) -> str | None:
        if value is None:
            return None
        if len(value) > MAX_TEXT_CHARS:
            self.note(column, f"longer than {MAX_TEXT_CHARS} characters; nulled")
            return None
        if "\x00" in value or (not value.isascii() and _UNSTORABLE_RE.search(value)):
            self.note(column, "lone surrogate or NUL character replaced by U+FFFD")
            return _UNSTORABLE_RE.sub(REPLACEMENT_CHAR, value)
        return value

    def tags(self, tags: list[str]) -> list[str]:
        joined = "".join(tags)
        clean = "\x00" not in joined and (joined.isascii() or not _UNSTORABLE_RE.search(joined))
        if clean and all(len(t) <= MAX_TEXT_CHARS for t in tags):
            return tags
        kept = []
        for tag in tags:
            if len(tag) > MAX_TEXT_CHARS:
                self.note("tags", f"a tag longer than {MAX_TEXT_CHARS} characters; dropped")
                continue
            kept.append(self.text("tags", tag) or "")
        return kept


@dataclass
class ConvertedPage:
    """The rows of one page, as an Arrow table, plus what was set aside or stored other than as sent."""

    table: pa.Table
    seen: int
    rejected: list[Rejection] = field(default_factory=list)
    rejected_lineage: list[LineageRejection] = field(default_factory=list)
    fixed: ValueFixes = field(default_factory=ValueFixes)


# --------------------------------------------------------------------------------------------------
# Lineage
# --------------------------------------------------------------------------------------------------


def is_model_id(value: Any) -> bool:
    return isinstance(value, str) and _ID_RE.match(value) is not None


def parse_lineage(
    model_id: str, tags: Iterable[str], card: dict[str, Any] | None
) -> tuple[list[dict[str, str | None]], list[LineageRejection]]:
    """Declared parents of `model_id` as `[{id, relation}]`, and the values that could not be used.

    Tags come first because the Hub normalises them: `base_model:<relation>:<id>` gives the relation,
    `base_model:<id>` only names the parent (kept when no relation tag names it). `cardData.base_model`
    (a string or a list) adds parents the tags miss, with `base_model_relation` when it is valid.
    """
    parents: dict[str, str | None] = {}
    rejected: list[LineageRejection] = []

    def bad(value: Any, reason: str) -> None:
        rejected.append(LineageRejection(model_id, _clip(value), reason))

    def add(parent: str, relation: str | None, source: Any) -> None:
        if parent == model_id:
            bad(source, "names the model itself as its base model")
        elif parent not in parents or parents[parent] is None:
            parents[parent] = relation

    for tag in tags:
        if not tag.startswith(_TAG_PREFIX):
            continue
        rest = tag[len(_TAG_PREFIX) :]
        relation: str | None = None
        if ":" in rest:
            relation, _, rest = rest.partition(":")
            if relation not in RELATIONS:
                bad(tag, f"unknown relation {relation!r} (expected one of {', '.join(RELATIONS)})")
                continue
        if not is_model_id(rest):
            bad(tag, f"{rest!r} is not a model id")
            continue
        add(rest, relation, tag)

    if card is not None:
        card_parents, card_relation = _card_lineage(card, bad)
        for parent in card_parents:
            if parent not in parents:
                add(parent, card_relation, parent)
    return [{"id": p, "relation": r} for p, r in parents.items()], rejected


def _card_lineage(card: dict[str, Any], bad: Callable[[Any, str], None]) -> tuple[list[str], str | None]:
    value = card.get("base_model")
    relation = card.get("base_model_relation")
    if relation is not None and relation not in RELATIONS:
        bad(relation, f"base_model_relation {relation!r} is not one of {', '.join(RELATIONS)}")
        relation = None
    if value is None:
        return [], relation
    if not isinstance(value, (str, list)):
        bad(value, f"cardData.base_model is a JSON {_json_type(value)}, not a model id or a list of ids")
        return [], relation
    parents: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        if not isinstance(item, str):
            bad(item, f"cardData.base_model holds a JSON {_json_type(item)}, not a model id")
        elif item.startswith(("http://", "https://")):
            bad(item, "cardData.base_model is a URL, not a model id")
        elif not is_model_id(item):
            bad(item, f"cardData.base_model {item!r} is not a model id")
        elif item not in parents:  # cards sometimes repeat the same parent many times
            parents.append(item)
    return parents, relation


def parse_license(tags: Iterable[str], card: dict[str, Any] | None) -> str | None:
    """The `license:<x>` tag, else `cardData.license` (a string, or a one-element list)."""
    for tag in tags:
        if tag.startswith(_LICENSE_PREFIX) and len(tag) > len(_LICENSE_PREFIX):
            return tag[len(_LICENSE_PREFIX) :]
    if card is not None:
        value = card.get("license")
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


# --------------------------------------------------------------------------------------------------
# One record
# --------------------------------------------------------------------------------------------------


def parse_record(item: Any, fixes: ValueFixes | None = None) -> tuple[dict[str, Any], list[LineageRejection]]:
    """One `/api/models` item as a snapshot row (without `crawled_at`). Raises InvalidRecord.

    Values that cannot be stored as sent are fixed and noted in `fixes` (see the module docstring)."""
    if not isinstance(item, dict):
        raise InvalidRecord(f"item is a JSON {_json_type(item)}, not an object")
    model_id = item.get("id")
    if model_id is None:
        raise InvalidRecord("item has no id")
    if not is_model_id(model_id):
        raise InvalidRecord(f"id {_clip(model_id)!r} is not a model id (owner/name)")
    if len(model_id) > MAX_ID_CHARS:
        raise InvalidRecord(f"id is {len(model_id)} characters long, more than a Hub id can be ({MAX_ID_CHARS})")
    fix = _Fixer(fixes if fixes is not None else ValueFixes(), model_id)

    tags = item.get("tags")
    if tags is None:
        tags = []
    elif not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise InvalidRecord("tags is not a list of strings")
    tags = fix.tags(tags)
    card = item.get("cardData")
    lineage_rejected: list[LineageRejection] = []
    if card is not None and not isinstance(card, dict):
        lineage_rejected.append(LineageRejection(model_id, _clip(card), "cardData is not an object; ignored"))
        card = None

    owner, _, name = model_id.rpartition("/")
    author = fix.text("author", _opt_str(item, "author")) or owner or None
    base_models, lineage_bad = parse_lineage(model_id, tags, card)
    row = {
        "id": model_id,
        "author": author,
        "name": name,
        "downloads": _opt_int(item, "downloads", fix, "downloads"),
        "downloads_all_time": _opt_int(item, "downloadsAllTime", fix, "downloads_all_time"),
        "likes": _opt_int(item, "likes", fix, "likes"),
        "trending_score": _opt_float(item, "trendingScore", fix, "trending_score"),
        "created_at": _opt_date(item, "createdAt"),
        "last_modified": _opt_date(item, "lastModified"),
        "pipeline_tag": fix.text("pipeline_tag", _opt_str(item, "pipeline_tag")),
        "library_name": fix.text("library_name", _opt_str(item, "library_name")),
        "license": fix.text("license", parse_license(tags, card)),
        "gated": _gated(item.get("gated"), fix),
        "tags": tags,
        "base_models": base_models,
        "params_safetensors": _params(item, "safetensors", fix, required_total=True),
        "params_gguf": _params(item, "gguf", fix, required_total=False),
    }
    return row, lineage_rejected + lineage_bad


def convert_items(items: list[Any], crawled_at: datetime) -> ConvertedPage:
    """Validate every item of a page and build its Arrow table (SNAPSHOT_SCHEMA)."""
    page = ConvertedPage(table=SNAPSHOT_SCHEMA.empty_table(), seen=len(items))
    rows: list[dict[str, Any]] = []
    for item in items:
        try:
            row, lineage_bad = parse_record(item, page.fixed)
        except InvalidRecord as exc:
            page.rejected.append(Rejection(usable_id(item), str(exc)))
            continue
        page.rejected_lineage.extend(lineage_bad)
        row["crawled_at"] = crawled_at
        rows.append(row)
    try:
        page.table = _to_table(rows)
    except _ARROW_ERRORS:
        # A value the checks above did not foresee: find its row, quarantine that one, keep the others.
        kept = []
        for row in rows:
            try:
                _to_table([row])
            except _ARROW_ERRORS as exc:
                page.rejected.append(Rejection(row["id"], f"cannot be stored: {_clip(str(exc))}"))
            else:
                kept.append(row)
        page.table = _to_table(kept)
    return page


_ARROW_ERRORS = (pa.ArrowException, OverflowError, UnicodeError, TypeError, ValueError)


def _to_table(rows: list[dict[str, Any]]) -> pa.Table:
    columns = {name: [row[name] for row in rows] for name in SNAPSHOT_COLUMNS}
    return pa.Table.from_pydict(columns, schema=SNAPSHOT_SCHEMA)


# --------------------------------------------------------------------------------------------------
# Model lists that carry only Hub tags (no cardData) as snapshot-shaped frames
# --------------------------------------------------------------------------------------------------


def _declared_parents(model_id: str, tags: Any) -> list[dict[str, str | None]]:
    """The parents a record's tags declare, read as a crawl reads them (`parse_lineage`, no cardData).

    Values a crawl would set aside (a model naming itself, an unknown relation, a malformed id) are left out
    here too, so a reference list and a crawled snapshot of the same models declare the same parents.
    """
    strings = [tag for tag in (tags if tags is not None else []) if isinstance(tag, str)]
    return parse_lineage(model_id, strings, None)[0]


def snapshot_frame_from_records(records: pd.DataFrame) -> pd.DataFrame:
    """A snapshot-shaped frame from records holding at least `id` and `tags`; lineage comes from the tags."""
    frame = records.copy()
    for column in SNAPSHOT_COLUMNS:
        if column not in frame:
            frame[column] = None
    frame["author"] = frame["id"].map(lambda i: i.split("/", 1)[0] if "/" in i else None)
    frame["name"] = frame["id"].map(lambda i: i.split("/", 1)[-1])
    frame["base_models"] = [_declared_parents(i, tags) for i, tags in zip(frame["id"], frame["tags"])]
    for column in ("created_at", "last_modified", "crawled_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True, errors="coerce")
    for column in ("downloads", "downloads_all_time", "likes", "params_safetensors", "params_gguf"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
    return frame[list(SNAPSHOT_COLUMNS)].drop_duplicates("id", keep="last").reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# Field readers: absent or null stays None; a present value of the wrong type rejects the item.
# --------------------------------------------------------------------------------------------------


def _opt_str(item: dict[str, Any], key: str) -> str | None:
    value = item.get(key)
    if value is None or isinstance(value, str):
        return value
    raise InvalidRecord(f"{key} is a {_json_type(value)}, not a string: {_clip(value)!r}")


def _opt_int(item: dict[str, Any], key: str, fix: _Fixer, column: str) -> int | None:
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidRecord(f"{key} is not a number: {_clip(value)!r}")
    if isinstance(value, float):
        if not math.isfinite(value):  # Python's JSON reads NaN, Infinity and 1e999
            fix.note(column, "not a finite number; nulled")
            return None
        if not value.is_integer():
            raise InvalidRecord(f"{key} is not a whole number: {value!r}")
        value = int(value)
    if not _INT64_MIN <= value <= _INT64_MAX:
        fix.note(column, "outside the 64-bit integer range; nulled")
        return None
    return value


def _opt_float(item: dict[str, Any], key: str, fix: _Fixer, column: str) -> float | None:
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidRecord(f"{key} is not a number: {_clip(value)!r}")
    try:
        number = float(value)
    except OverflowError:  # an integer beyond any float
        number = math.inf
    if not math.isfinite(number):
        fix.note(column, "not a finite number; nulled")
        return None
    return number


def _opt_date(item: dict[str, Any], key: str) -> datetime | None:
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not _DATE_RE.match(value):
        raise InvalidRecord(f"{key} {_clip(value)!r} is not a Hub date (YYYY-MM-DDTHH:MM:SS.mmmZ)")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise InvalidRecord(f"{key} {value!r} is not a real date") from None


def _gated(value: Any, fix: _Fixer) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return fix.text("gated", value)
    fix.note("gated", f"a JSON {_json_type(value)}, not a boolean or a string; nulled")
    return None


def _params(item: dict[str, Any], key: str, fix: _Fixer, *, required_total: bool) -> int | None:
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidRecord(f"{key} is a {_json_type(value)}, not an object")
    if "total" not in value:
        if required_total:  # huggingface_hub itself fails on this (KeyError 'total')
            raise InvalidRecord(f"{key} has no 'total'")
        return None
    total = _opt_int(value, "total", fix, f"params_{key}")
    if total is not None and total < 0:
        raise InvalidRecord(f"{key}.total is negative: {total}")
    return total


def usable_id(item: Any) -> str | None:
    """An item's id as the manifest keeps it, also for an item that is rejected; None if it has none."""
    if isinstance(item, dict):
        value = item.get("id")
        if isinstance(value, str):
            return _UNSTORABLE_RE.sub(REPLACEMENT_CHAR, value[:_MAX_VALUE_CHARS])
    return None


def _clip(value: Any) -> Any:
    """A malformed value as the manifest keeps it: JSON-safe (finite, no lone surrogates) and short."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, int) and not _INT64_MIN <= value <= _INT64_MAX:
        value = repr(value)
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    text = value if isinstance(value, str) else repr(value)
    text = text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 1] + "…"
    return _UNSTORABLE_RE.sub(REPLACEMENT_CHAR, text)


def _json_type(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return "null" if value is None else type(value).__name__
