"""Reading the query string of `GET /api/models` into a typed request, with the Hub's 400 answers.

Parameters arrive as an ordered list of pairs because `filter` and `expand` repeat.
"""

from __future__ import annotations

from dataclasses import dataclass

from fakehub.cursor import Cursor, InvalidCursor, decode_cursor
from fakehub.projections import EXPAND_VALUES, NOT_ALLOWED_IN_LISTINGS, listing_keys

SORT_KEYS: tuple[str, ...] = ("trendingScore", "downloads", "likes", "createdAt", "lastModified")
# The Hub echoes sort=trendingScore into the next link of a query without sort (huggingface_hub #2741).
DEFAULT_SORT = "trendingScore"
MAX_PAGE_SIZE = 1000

_TRUE = ("true", "True", "1")
_FALSE = ("false", "False", "0")


class BadRequest(ValueError):
    """A request the Hub answers with 400 {"error": message}."""


@dataclass(frozen=True)
class Selection:
    """Which models a listing covers (independent of sort and page)."""

    search: tuple[str, ...] = ()  # case-insensitive substrings of the id, all required
    author: str | None = None
    tags: tuple[str, ...] = ()  # every tag required
    pipeline_tag: str | None = None
    gated: bool | None = None

    @property
    def is_everything(self) -> bool:
        return self == Selection()


@dataclass(frozen=True)
class ListQuery:
    selection: Selection
    sort: str
    limit: int
    cursor: Cursor | None
    keys: tuple[str, ...]  # the projection


def parse_list_query(pairs: list[tuple[str, str]], default_limit: int) -> ListQuery:
    """Raises BadRequest with the Hub's message for a bad sort, limit, expand, boolean or cursor."""
    values: dict[str, list[str]] = {}
    for key, value in pairs:
        values.setdefault(key, []).append(value)

    def last(name: str) -> str | None:
        return values[name][-1] if name in values else None

    tags = tuple(
        dict.fromkeys(part.strip() for value in values.get("filter", ()) for part in value.split(",") if part.strip())
    )
    gated = _boolean(last("gated"), "gated")
    selection = Selection(
        search=tuple(s.lower() for s in values.get("search", ()) if s),
        author=last("author") or None,
        tags=tags,
        pipeline_tag=last("pipeline_tag") or None,
        gated=gated,
    )

    sort = last("sort") or DEFAULT_SORT
    if sort not in SORT_KEYS:
        raise BadRequest("Invalid sort parameter")

    limit = default_limit
    if (limit_text := last("limit")) is not None:
        try:
            limit = int(limit_text)
        except ValueError:
            raise BadRequest("Invalid limit parameter") from None
        if limit <= 0:
            raise BadRequest("Invalid limit parameter")
    limit = min(limit, MAX_PAGE_SIZE)

    expand = parse_expand(pairs)
    for value in expand:
        if value in NOT_ALLOWED_IN_LISTINGS:
            raise BadRequest(f"Invalid expand parameter: {value!r} is not allowed when listing models")

    keys = listing_keys(
        full=bool(_boolean(last("full"), "full")),
        card_data=bool(_boolean(last("cardData"), "cardData")),
        config=bool(_boolean(last("config"), "config")),
        expand=expand,
    )

    cursor = None
    if (token := last("cursor")) is not None:
        try:
            cursor = decode_cursor(token)
        except InvalidCursor:
            raise BadRequest("Invalid cursor") from None
        if cursor.sort != sort:
            raise BadRequest("Invalid cursor")
    return ListQuery(selection=selection, sort=sort, limit=limit, cursor=cursor, keys=keys)


def parse_expand(pairs: list[tuple[str, str]]) -> tuple[str, ...]:
    """The expand values of a request, each a model property (a listing refuses a few more).

    httpx sends lists as repeated `expand=`; other clients and the docs use `expand[]=`."""
    expand = tuple(
        part.strip()
        for key, value in pairs
        if key in ("expand", "expand[]")
        for part in value.split(",")
        if part.strip()
    )
    for value in expand:
        if value not in EXPAND_VALUES:
            raise BadRequest(f"Invalid expand parameter: {value!r} is not a model property")
    return expand


def _boolean(value: str | None, name: str) -> bool | None:
    if value is None or value == "":
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise BadRequest(f"Invalid {name} parameter: expected true or false, got {value!r}")
