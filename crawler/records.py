"""From raw `/api/models` items to snapshot rows: validate each item on its own, parse lineage and license.

A bad item is rejected with a reason (and its id when it has one); it never stops the page. The rules
follow ../shared/docs/hub-api.md: a.3 for field types, §2 for lineage.
"""

from __future__ import annotations

import re
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
class ConvertedPage:
    """The rows of one page, as an Arrow table, plus what was set aside."""

    table: pa.Table
    seen: int
    rejected: list[Rejection] = field(default_factory=list)
    rejected_lineage: list[LineageRejection] = field(default_factory=list)


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


def parse_record(item: Any) -> tuple[dict[str, Any], list[LineageRejection]]:
    """One `/api/models` item as a snapshot row (without `crawled_at`). Raises InvalidRecord."""
    if not isinstance(item, dict):
        raise InvalidRecord(f"item is a JSON {_json_type(item)}, not an object")
    model_id = item.get("id")
    if model_id is None:
        raise InvalidRecord("item has no id")
    if not is_model_id(model_id):
        raise InvalidRecord(f"id {_clip(model_id)!r} is not a model id (owner/name)")

    tags = item.get("tags")
    if tags is None:
        tags = []
    elif not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise InvalidRecord("tags is not a list of strings")
    card = item.get("cardData")
    lineage_rejected: list[LineageRejection] = []
    if card is not None and not isinstance(card, dict):
        lineage_rejected.append(LineageRejection(model_id, _clip(card), "cardData is not an object; ignored"))
        card = None

    owner, _, name = model_id.rpartition("/")
    author = _opt_str(item, "author") or owner or None
    base_models, lineage_bad = parse_lineage(model_id, tags, card)
    row = {
        "id": model_id,
        "author": author,
        "name": name,
        "downloads": _opt_int(item, "downloads"),
        "downloads_all_time": _opt_int(item, "downloadsAllTime"),
        "likes": _opt_int(item, "likes"),
        "trending_score": _opt_float(item, "trendingScore"),
        "created_at": _opt_date(item, "createdAt"),
        "last_modified": _opt_date(item, "lastModified"),
        "pipeline_tag": _opt_str(item, "pipeline_tag"),
        "library_name": _opt_str(item, "library_name"),
        "license": parse_license(tags, card),
        "gated": _gated(item.get("gated")),
        "tags": tags,
        "base_models": base_models,
        "params_safetensors": _params(item, "safetensors", required_total=True),
        "params_gguf": _params(item, "gguf", required_total=False),
    }
    return row, lineage_rejected + lineage_bad


def convert_items(items: list[Any], crawled_at: datetime) -> ConvertedPage:
    """Validate every item of a page and build its Arrow table (SNAPSHOT_SCHEMA)."""
    columns: dict[str, list[Any]] = {name: [] for name in SNAPSHOT_COLUMNS}
    page = ConvertedPage(table=SNAPSHOT_SCHEMA.empty_table(), seen=len(items))
    for item in items:
        try:
            row, lineage_bad = parse_record(item)
        except InvalidRecord as exc:
            page.rejected.append(Rejection(_usable_id(item), str(exc)))
            continue
        page.rejected_lineage.extend(lineage_bad)
        row["crawled_at"] = crawled_at
        for name in SNAPSHOT_COLUMNS:
            columns[name].append(row[name])
    page.table = pa.Table.from_pydict(columns, schema=SNAPSHOT_SCHEMA)
    return page


# --------------------------------------------------------------------------------------------------
# Model lists that carry only Hub tags (no cardData) as snapshot-shaped frames
# --------------------------------------------------------------------------------------------------


def base_models_from_tags(tags: list[str]) -> list[dict[str, str | None]]:
    """Declared parents from Hub tags: `base_model:<relation>:<id>`, else the relation-less `base_model:<id>`."""
    with_relation: dict[str, str] = {}
    plain: list[str] = []
    for tag in tags:
        if not isinstance(tag, str) or not tag.startswith(_TAG_PREFIX):
            continue
        parts = tag.split(":", 2)
        if len(parts) == 3 and parts[1] in RELATIONS:
            with_relation.setdefault(parts[2], parts[1])
        else:
            plain.append(tag[len(_TAG_PREFIX) :])
    out: list[dict[str, str | None]] = [{"id": pid, "relation": rel} for pid, rel in with_relation.items()]
    out += [{"id": pid, "relation": None} for pid in dict.fromkeys(plain) if pid not in with_relation]
    return out


def snapshot_frame_from_records(records: pd.DataFrame) -> pd.DataFrame:
    """A snapshot-shaped frame from records holding at least `id` and `tags`; lineage comes from the tags."""
    frame = records.copy()
    for column in SNAPSHOT_COLUMNS:
        if column not in frame:
            frame[column] = None
    frame["author"] = frame["id"].map(lambda i: i.split("/", 1)[0] if "/" in i else None)
    frame["name"] = frame["id"].map(lambda i: i.split("/", 1)[-1])
    frame["base_models"] = frame["tags"].map(base_models_from_tags)
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


def _opt_int(item: dict[str, Any], key: str) -> int | None:
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidRecord(f"{key} is not a number: {_clip(value)!r}")
    if isinstance(value, float):
        if not value.is_integer():
            raise InvalidRecord(f"{key} is not a whole number: {value!r}")
        value = int(value)
    return value


def _opt_float(item: dict[str, Any], key: str) -> float | None:
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidRecord(f"{key} is not a number: {_clip(value)!r}")
    return float(value)


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


def _gated(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _params(item: dict[str, Any], key: str, *, required_total: bool) -> int | None:
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidRecord(f"{key} is a {_json_type(value)}, not an object")
    if "total" not in value:
        if required_total:  # huggingface_hub itself fails on this (KeyError 'total')
            raise InvalidRecord(f"{key} has no 'total'")
        return None
    total = _opt_int(value, "total")
    if total is not None and total < 0:
        raise InvalidRecord(f"{key}.total is negative: {total}")
    return total


def _usable_id(item: Any) -> str | None:
    if isinstance(item, dict):
        value = item.get("id")
        if isinstance(value, str):
            return value[:_MAX_VALUE_CHARS]
    return None


def _clip(value: Any) -> Any:
    """A malformed value as the manifest keeps it: JSON-safe and short."""
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 1] + "…"


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
