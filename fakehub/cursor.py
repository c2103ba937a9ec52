"""The opaque pagination cursor of the fake Hub.

The real Hub's cursor is base64 JSON of a keyset predicate on (sort key desc, `_id` asc); ours carries the
same keyset position plus bookkeeping the fake needs to script faults: the page index (faults are aimed at
pages) and the state of a run of injected empty pages. Clients must treat it as opaque.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass


class InvalidCursor(ValueError):
    """The cursor cannot be decoded, or belongs to another sort."""


@dataclass(frozen=True)
class Cursor:
    sort: str
    page: int  # 0-based index of the page this cursor asks for
    value: float | None = None  # keyset position: the sort value of the last item served
    last_id: str | None = None  # ... and its `_id`; both None = the start of the listing
    empty_left: int = 0  # injected empty pages still to serve before this page's items
    nonce: int = 0  # keeps the URLs of successive injected empty pages distinct

    @property
    def at_start(self) -> bool:
        return self.last_id is None


def encode_cursor(cursor: Cursor) -> str:
    payload: dict = {"s": cursor.sort, "p": cursor.page}
    if cursor.last_id is not None:
        value = cursor.value
        if value is not None and float(value).is_integer():
            value = int(value)
        payload["v"] = value
        payload["i"] = cursor.last_id
    if cursor.empty_left:
        payload["e"] = cursor.empty_left
    if cursor.nonce:
        payload["n"] = cursor.nonce
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> Cursor:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
        sort = payload["s"]
        page = payload["p"]
        value = payload.get("v")
        last_id = payload.get("i")
        empty_left = payload.get("e", 0)
        nonce = payload.get("n", 0)
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError):
        raise InvalidCursor(token) from None
    if not (
        isinstance(sort, str)
        and _is_int(page)
        and page >= 0
        and (value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)))
        and (last_id is None or isinstance(last_id, str))
        and _is_int(empty_left)
        and empty_left >= 0
        and _is_int(nonce)
    ):
        raise InvalidCursor(token)
    return Cursor(sort, page, None if value is None else float(value), last_id, empty_left, nonce)


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)
