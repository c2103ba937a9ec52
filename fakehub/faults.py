"""Faults the fake Hub injects into `GET /api/models`, one kind per row of the failure table in
../shared/docs/hub-api.md (b/c), and the thread-safe plan that decides which request gets which.

A `Fault` is aimed at a page (`page=k`, the 0-based index of the page a request asks for, so retries of
that page are hit too), at a request (`request=k`, the 0-based index of the `/api/models` request), or at
whatever request comes next (neither). It fires `times` times (`-1`: forever). At most one fault fires per
request: the first pending one, in the order they were added, whose target matches.

Rows of the table that are not faults of the server: "server down" (stop the FakeHub), `HF_HUB_OFFLINE`
(a client setting), `/api/agent-harnesses` answering a list (the fake never does), `limit` out of range
(ordinary request validation).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from constellation.errors import FakeHubError

# kind -> {parameter: default}. Parameters not listed here are refused, so a typo cannot silently
# turn a fault into a different one.
FAULT_PARAMS: dict[str, dict[str, Any]] = {
    # table row 1: 429 + Retry-After (delta-seconds); the client sleeps seconds + 1
    "rate_limit_retry_after": {"seconds": 1},
    # row 2: 429 + `RateLimit: "api";r=0;t=N` + RateLimit-Policy; the client sleeps N + 1
    "rate_limit_header": {"seconds": 1},
    # row 3: 429 whose RateLimit says requests remain (r=5), + Retry-After; the client uses Retry-After
    "rate_limit_not_exhausted": {"seconds": 1},
    # row 4: 429 + Retry-After as an HTTP-date, which the client ignores (exponential backoff instead)
    "rate_limit_http_date": {"seconds": 1},
    # rows 5-8: 500 (JSON body), 502 (HTML body), 503, 504 or 408; optional Retry-After
    "server_error": {"status": 500, "retry_after": None},
    # row 9: Content-Length larger than the bytes sent, then the connection is closed
    "truncated_body": {},
    # row 10: 200 whose body is not JSON (the page cut in half)
    "malformed_json": {},
    # row 11: 200 with a JSON object instead of an array
    "json_object": {},
    # row 12: 200 with one item broken: which = no_id | safetensors_no_total | bad_date | not_dict | all
    # (all: items item..item+3 get one breakage each); the other items stay valid
    "malformed_items": {"which": "no_id", "item": 0},
    # row 12b: 200 with values of the right JSON type that Arrow/Parquet cannot store as sent, one per item
    # from `item` on: which = one of UNSTORABLE_VALUE_KINDS | all (each kind on its own item, in that order)
    "unstorable_values": {"which": "all", "item": 0},
    # row 13: sleep before the headers, or (trickle) send the body in 8 slices over `seconds`
    "slow": {"seconds": 1.0, "trickle": False},
    # row 13 (issue #11): the body dribbled `bytes` bytes every `interval` seconds, each gap shorter than a
    # read timeout, so only a deadline on the whole attempt ends it
    "trickle_body": {"interval": 0.5, "bytes": 1},
    # issue #11: a 200 whose body never ends (a JSON array of the page's items repeated, fast), sent without
    # Content-Length until the client hangs up, or until `stop_after` bytes (0: never); `declare_length`
    # announces a Content-Length of 1 TB instead
    "endless_body": {"stop_after": 0, "declare_length": False},
    # issue #11: a 200 sent with `Content-Encoding: gzip` whose page is padded with whitespace to inflate to
    # `inflates_to` bytes from a body about a thousandth of that: valid JSON, the page's own items (a crawl
    # that inflates it within its size cap gets the page; one that does not must stop reading at the cap)
    "compression_bomb": {"inflates_to": 64 * 2**20},
    # row 14: 400 {"error":"Invalid cursor"}
    "invalid_cursor": {},
    # row 15: 404 for the page's URL
    "cursor_404": {},
    # row 16: `Link: </api/models?...>` (relative)
    "relative_link": {},
    # row 17: `Link` to another origin; the default refuses connections without leaving loopback
    "foreign_link": {"host": "http://127.0.0.1:9"},
    # row 18: the next link repeats the current cursor ...
    "link_loop": {},
    # ... or: `pages` empty arrays, each with a (distinct) next link, before the page's items
    "empty_pages_with_next": {"pages": 1},
    # ... or: the page's items again under a new cursor each time (distinct URLs, no new id)
    "repeat_ids": {},
    # row 19: no Link on that page: the listing "ends" early
    "drop_link": {},
    # row 20: `</.well-known/api-catalog>; rel="api-catalog"` beside rel="next"
    "extra_link_rel": {},
    # row 23: 401 + X-Error-Message, or 403
    "unauthorized": {},
    "forbidden": {},
}
FAULT_KINDS: tuple[str, ...] = tuple(FAULT_PARAMS)

SERVER_ERROR_STATUSES = (500, 502, 503, 504, 408)
MALFORMED_ITEM_KINDS = ("no_id", "safetensors_no_total", "bad_date", "not_dict")
UNSTORABLE_VALUE_KINDS = (
    "surrogate_tag",  # a tag holding a lone surrogate (JSON "\ud800")
    "surrogate_card",  # cardData.license holding a lone surrogate (the license comes from the card)
    "huge_int",  # downloads 2**63, likes 2**64, safetensors.total 10**30: beyond int64
    "not_finite",  # trendingScore NaN, downloadsAllTime Infinity (Python's json writes and reads both)
    "nul",  # library_name with a NUL character
    "long_text",  # pipeline_tag of 100,000 characters
    "nested_gated",  # gated as an object
    "surrogate_id",  # the id itself holds a lone surrogate
)


@dataclass(init=False)
class Fault:
    """One injected failure. `params` holds the kind's parameters (see FAULT_PARAMS), defaults filled in."""

    kind: str
    page: int | None = None
    request: int | None = None
    times: int = 1
    params: dict[str, Any] = field(default_factory=dict)

    def __init__(self, kind: str, page: int | None = None, request: int | None = None, times: int = 1, **params: Any):
        if kind not in FAULT_PARAMS:
            raise FakeHubError(f"unknown fault kind {kind!r}; choose one of: {', '.join(FAULT_KINDS)}")
        unknown = sorted(set(params) - set(FAULT_PARAMS[kind]))
        if unknown:
            allowed = ", ".join(FAULT_PARAMS[kind]) or "none"
            raise FakeHubError(f"fault {kind!r} takes no parameter {', '.join(unknown)}; its parameters: {allowed}")
        for name, value in (("page", page), ("request", request)):
            if value is not None and (not isinstance(value, int) or value < 0):
                raise FakeHubError(f"fault {kind!r}: {name} must be an integer >= 0, got {value!r}")
        if not isinstance(times, int) or times == 0 or times < -1:
            raise FakeHubError(f"fault {kind!r}: times must be a positive integer or -1 (forever), got {times!r}")
        self.kind, self.page, self.request, self.times = kind, page, request, times
        self.params = {**FAULT_PARAMS[kind], **params}
        _check_params(kind, self.params)

    def matches(self, request_index: int, page: int | None) -> bool:
        if self.request is not None and self.request != request_index:
            return False
        return not (self.page is not None and self.page != page)

    def describe(self) -> str:
        """The fault as a spec (see parse_fault_spec); `times` is what is left to fire."""
        where = "" if self.page is None else f"@{self.page}"
        where += "" if self.request is None else f"#{self.request}"
        times = "inf" if self.times == -1 else str(self.times)
        extra = {k: v for k, v in self.params.items() if v != FAULT_PARAMS[self.kind][k]}
        params = ":" + ",".join(f"{k}={v}" for k, v in extra.items()) if extra else ""
        return f"{self.kind}{where}x{times}{params}"


def _check_params(kind: str, params: dict[str, Any]) -> None:
    def positive_number(name: str) -> None:
        value = params[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise FakeHubError(f"fault {kind!r}: {name} must be a number >= 0, got {value!r}")

    if kind == "trickle_body":
        positive_number("interval")
        if not isinstance(params["bytes"], int) or params["bytes"] < 1:
            raise FakeHubError(f"fault 'trickle_body': bytes must be an integer >= 1, got {params['bytes']!r}")
    inflates_to = params.get("inflates_to")
    if kind == "compression_bomb" and (
        isinstance(inflates_to, bool) or not isinstance(inflates_to, int) or inflates_to < 1
    ):
        raise FakeHubError(
            f"fault 'compression_bomb': inflates_to must be an integer >= 1 (bytes), got {inflates_to!r}"
        )
    if kind == "endless_body" and (not isinstance(params["stop_after"], int) or params["stop_after"] < 0):
        raise FakeHubError(
            f"fault 'endless_body': stop_after must be an integer >= 0 (0: never), got {params['stop_after']!r}"
        )
    if kind.startswith("rate_limit") or kind == "slow":
        positive_number("seconds")
        if kind.startswith("rate_limit") and not float(params["seconds"]).is_integer():
            raise FakeHubError(f"fault {kind!r}: seconds must be a whole number (headers carry integers)")
    if kind == "server_error":
        if params["status"] not in SERVER_ERROR_STATUSES:
            raise FakeHubError(
                f"fault 'server_error': status must be one of {SERVER_ERROR_STATUSES}, got {params['status']!r}"
            )
        if params["retry_after"] is not None:
            positive_number("retry_after")
    if kind == "malformed_items":
        if params["which"] not in (*MALFORMED_ITEM_KINDS, "all"):
            raise FakeHubError(
                f"fault 'malformed_items': which must be one of {', '.join(MALFORMED_ITEM_KINDS)}, all;"
                f" got {params['which']!r}"
            )
        if not isinstance(params["item"], int) or params["item"] < 0:
            raise FakeHubError(f"fault 'malformed_items': item must be an integer >= 0, got {params['item']!r}")
    if kind == "unstorable_values":
        if params["which"] not in (*UNSTORABLE_VALUE_KINDS, "all"):
            raise FakeHubError(
                f"fault 'unstorable_values': which must be one of {', '.join(UNSTORABLE_VALUE_KINDS)}, all;"
                f" got {params['which']!r}"
            )
        if not isinstance(params["item"], int) or params["item"] < 0:
            raise FakeHubError(f"fault 'unstorable_values': item must be an integer >= 0, got {params['item']!r}")
    if kind == "empty_pages_with_next" and (not isinstance(params["pages"], int) or params["pages"] < 1):
        raise FakeHubError(f"fault 'empty_pages_with_next': pages must be an integer >= 1, got {params['pages']!r}")
    if kind == "foreign_link" and not str(params["host"]).startswith(("http://", "https://")):
        raise FakeHubError(f"fault 'foreign_link': host must start with http:// or https://, got {params['host']!r}")


class FaultPlan:
    """The pending faults. Thread-safe: the server's request threads consume it under a lock, and tests
    may add faults while the server runs."""

    def __init__(self, faults: list[Fault] | tuple[Fault, ...] = ()):
        self._lock = threading.Lock()
        self._pending: list[Fault] = []
        self.fired: list[tuple[int, str]] = []  # (request index, fault kind), in firing order
        for fault in faults:
            self.add(fault)

    def add(self, fault: Fault) -> Fault:
        if not isinstance(fault, Fault):
            raise FakeHubError(f"a FaultPlan holds Fault objects, got {fault!r}")
        with self._lock:
            self._pending.append(fault)
        return fault

    def take(self, request_index: int, page: int | None) -> Fault | None:
        """The fault this request gets, if any, counting it as fired once."""
        with self._lock:
            for fault in self._pending:
                if fault.matches(request_index, page):
                    if fault.times > 0:
                        fault.times -= 1
                        if fault.times == 0:
                            self._pending = [f for f in self._pending if f is not fault]
                    self.fired.append((request_index, fault.kind))
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()

    @property
    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._pending)

    def __len__(self) -> int:
        with self._lock:
            return len(self._pending)

    def __repr__(self) -> str:
        return f"FaultPlan([{', '.join(f.describe() for f in self.pending)}])"


def parse_fault_spec(spec: str) -> Fault:
    """`KIND[@PAGE][#REQUEST][xTIMES][:key=value,...]`, e.g. `server_error@2x3:status=503`, `drop_link@5`
    or `forbidden#0` (the first /api/models request). The inverse of `Fault.describe()`.

    TIMES may be `-1` or `inf` (forever). Values are read as int, float, true/false, or else text.
    """
    text = spec.strip()
    head, _, tail = text.partition(":")
    params: dict[str, Any] = {}
    if tail:
        for pair in tail.split(","):
            key, sep, value = pair.partition("=")
            if not sep or not key.strip():
                raise FakeHubError(f"fault spec {spec!r}: expected key=value after ':', got {pair!r}")
            params[key.strip()] = _parse_value(value.strip())
    times = 1
    if "x" in head and head.rsplit("x", 1)[1] and _is_times(head.rsplit("x", 1)[1]):
        head, times_text = head.rsplit("x", 1)
        times = -1 if times_text in ("inf", "-1") else int(times_text)
    request = None
    if "#" in head:
        head, request_text = head.split("#", 1)
        if not request_text.isdigit():
            raise FakeHubError(
                f"fault spec {spec!r}: the request after '#' must be an integer >= 0, got {request_text!r}"
            )
        request = int(request_text)
    page = None
    if "@" in head:
        head, page_text = head.split("@", 1)
        if not page_text.isdigit():
            raise FakeHubError(f"fault spec {spec!r}: the page after '@' must be an integer >= 0, got {page_text!r}")
        page = int(page_text)
    return Fault(head, page=page, request=request, times=times, **params)


def _is_times(text: str) -> bool:
    return text.isdigit() or text in ("inf", "-1")


def _parse_value(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text
