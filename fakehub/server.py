"""The fake Hub: a real HTTP server on 127.0.0.1 that answers like huggingface.co does for listing models.

    from fakehub.server import FakeHub
    from fakehub.faults import Fault

    with FakeHub(records, page_size=5, faults=[Fault("server_error", page=2, status=503)]) as hub:
        HfApi(endpoint=hub.url).list_models()      # or HF_ENDPOINT=hub.url before importing huggingface_hub
        hub.requests                                 # what was asked, answered, and which fault fired

Routes (../shared/docs/hub-api.md §5):
- `GET /api/models`: the listing, with its filters, sorts, projections, `Link` pagination and faults;
- `GET /api/models/{namespace}/{name}` (and `.../revision/{rev}`): model_info, with the `baseModels` and
  `childrenModelCount` expands computed from the `base_model:` tags of the whole store;
- `GET /api/agent-harnesses`: `{"standardEnvVars": [], "harnesses": {}}`, which the client fetches once per
  process unless telemetry is disabled;
- anything else: 404 `{"error": "Not Found"}`, never a list.

Every response carries `RateLimit`, `RateLimit-Policy` and `X-Request-Id` (and `X-Fake-Hub-Source:
synthetic` when the models are synthetic). The rate limit is counted and enforced per fixed window, with a
default quota high enough never to interfere; the rate-limit faults inject 429s on demand.

Connections are kept alive, as the Hub's are: every request body is read whole first (fakehub.framing), so
the client can reuse the connection after any answer. An answer that closes says `Connection: close`; only
the truncated_body fault breaks a connection unannounced, which is its point.
"""

from __future__ import annotations

import contextlib
import email.utils
import gzip
import json
import logging
import math
import os
import socket
import socketserver
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

import numpy as np
import pandas as pd

from constellation.errors import FakeHubError
from fakehub.cursor import Cursor, InvalidCursor, decode_cursor, encode_cursor
from fakehub.faults import UNSTORABLE_VALUE_KINDS, Fault, FaultPlan
from fakehub.framing import FramingError, read_body
from fakehub.projections import COMPUTED_KEYS
from fakehub.query import DEFAULT_SORT, BadRequest, parse_expand, parse_list_query
from fakehub.store import HubStore, json_default

logger = logging.getLogger(__name__)

JSON = "application/json; charset=utf-8"
RATE_LIMIT_MESSAGE = (
    "We had to rate limit your IP ({ip}). To continue using our service, create a HF account or login to "
    "your existing account, and make sure you pass a HF_TOKEN if you're using the API."
)
# The default quota is the largest published plan's ("Enterprise Plus with Higher Hub Rate Limits", per 5
# minutes): a crawl of a million models through the fake never meets it unless a test lowers it.
DEFAULT_RATELIMIT_QUOTA = 100_000
DEFAULT_RATELIMIT_WINDOW = 300
_POLL_SECONDS = 0.01  # how long stop() may wait for the serving loop to notice
_TRICKLE_SLICES = 8


@dataclass(frozen=True)
class RequestLog:
    """One request the fake Hub answered."""

    path: str
    query: dict[str, list[str]]
    status: int
    page: int | None  # for /api/models: the 0-based page index the request asked for (None: bad cursor)
    fault: str | None  # the fault kind injected into the answer, if any


@dataclass
class _Response:
    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str = JSON
    declared_length: int | None = None  # a Content-Length that lies (truncated_body), or -1: none (endless_body)
    trickle_seconds: float | None = None  # dribble the body over this long (slow, trickle=True)
    drip: tuple[float, int] | None = None  # (interval, bytes): dribble the body at this pace (trickle_body)
    endless: int | None = None  # repeat the body without end, or up to this many bytes if > 0 (endless_body)
    close: bool = False  # say `Connection: close`, then close (the client must not reuse the connection)
    cut: bool = False  # close without saying so: a connection that breaks is the fault's point (truncated_body)
    ratelimit: tuple[int, int] | None = None  # (remaining, reset seconds) overriding the counted values
    page: int | None = None
    fault: str | None = None


class FakeHub:
    """A fake Hugging Face Hub serving `models` over HTTP on `host` (loopback by default).

    `models`: a raw Hub frame (pandas DataFrame, columns named as the /api/models keys), a list of such
    dicts, or a HubStore. `page_size` is the page size when a request has no `limit` (the Hub's is not
    documented; 1000 is its largest). `faults`: a FaultPlan or a list of Fault. `port=0` picks a free port.
    """

    def __init__(
        self,
        models: pd.DataFrame | Sequence[Mapping[str, Any]] | HubStore,
        *,
        page_size: int = 1000,
        faults: FaultPlan | Iterable[Fault] | None = None,
        synthetic: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
        ratelimit_quota: int = DEFAULT_RATELIMIT_QUOTA,
        ratelimit_window: int = DEFAULT_RATELIMIT_WINDOW,
    ):
        if isinstance(models, HubStore):
            self.store = models
        elif isinstance(models, pd.DataFrame):
            self.store = HubStore(models)
            synthetic = synthetic or bool(models.attrs.get("synthetic"))  # fakehub.synthetic marks its frames
        elif isinstance(models, (list, tuple)):
            self.store = HubStore.from_records(models)
        else:
            raise FakeHubError(
                f"FakeHub serves a DataFrame, a list of dicts or a HubStore, got {type(models).__name__}"
            )
        if not isinstance(page_size, int) or isinstance(page_size, bool) or not 1 <= page_size <= 1000:
            raise FakeHubError(
                f"page_size must be an integer from 1 to 1000 (the Hub's largest page), got {page_size!r}"
            )
        if not isinstance(port, int) or not 0 <= port <= 65535:
            raise FakeHubError(f"port must be 0 (any free port) or 1..65535, got {port!r}")
        if ratelimit_quota < 1 or ratelimit_window < 1:
            raise FakeHubError("ratelimit_quota and ratelimit_window must be at least 1")
        self.page_size = page_size
        self.faults = faults if isinstance(faults, FaultPlan) else FaultPlan(list(faults or ()))
        # The instance flag shadows the class-level constructor FakeHub.synthetic(n, seed) on purpose (both are
        # public: `hub.synthetic is True`), which mypy cannot express for one name.
        self.synthetic = synthetic  # type: ignore[method-assign,assignment]
        self.host = host
        self.port = port
        self.ratelimit_quota = ratelimit_quota
        self.ratelimit_window = ratelimit_window
        self.requests: list[RequestLog] = []
        self._requests_changed = threading.Condition()
        self._lock = threading.Lock()
        self._models_requests = 0
        self._window_start = time.monotonic()
        self._window_count = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()

    @classmethod
    def from_jsonl(cls, path: str | Path, **options: Any) -> FakeHub:
        """A fake Hub serving a JSONL or JSONL.gz file of /api/models records."""
        return cls(HubStore.from_jsonl(path), **options)

    @classmethod
    def synthetic(cls, n: int, seed: int = 0, **options: Any) -> FakeHub:
        """A fake Hub serving `fakehub.synthetic.generate(n, seed)`, marked synthetic in every response.

        On an instance, `hub.synthetic` is the flag set by __init__, which shadows this constructor."""
        from fakehub.synthetic import generate

        return cls(generate(n, seed), synthetic=True, **options)

    # ------------------------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        if self._server is None:
            raise FakeHubError("the fake Hub is not running; call start() or use it as a context manager")
        return f"http://{self.host}:{self.port}"

    def start(self) -> FakeHub:
        """Listen and serve in a background thread. After stop(), start() listens on the same port again."""
        if self._server is not None:
            return self
        try:
            server = _Server((self.host, self.port), _Handler)
        except OSError as exc:
            raise FakeHubError(
                f"cannot listen on {self.host}:{self.port} ({exc}); choose another --port, or 0"
            ) from None
        server.hub = self
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": _POLL_SECONDS},
            name=f"fakehub:{self.port}",
            daemon=True,
        )
        self._thread.start()
        logger.debug("fake Hub listening on %s (%d models)", self.url, self.store.n)
        return self

    def stop(self) -> None:
        """Stop listening and cut open connections (clients then see connection refused/reset)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        with self._lock:
            connections, self._connections = list(self._connections), set()
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------------------------- inspection

    @property
    def model_requests(self) -> list[RequestLog]:
        """The requests to `/api/models` (the listing), in arrival order."""
        return [r for r in list(self.requests) if r.path == "/api/models"]

    def wait_requests(self, count: int, timeout: float = 5.0) -> list[RequestLog]:
        """Block until at least `count` requests were answered; returns them. Raises TimeoutError."""
        deadline = time.monotonic() + timeout
        with self._requests_changed:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"the fake Hub answered {len(self.requests)} requests, expected {count}")
                self._requests_changed.wait(left)
            return list(self.requests)

    # ------------------------------------------------------------------------------------- routing

    def _serve(self, handler: BaseHTTPRequestHandler, framing_error: FramingError | None = None) -> None:
        """Answers one request whose body was read (or, with `framing_error`, could not be)."""
        parts = urlsplit(handler.path)
        path = parts.path.rstrip("/") or "/"
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        if framing_error is not None:
            # The body's end is unknown, so the rest of the stream cannot be read as requests (RFC 9112 §6.3).
            response = _error(400, f"Bad Request: {framing_error}")
            response.close = True
        elif handler.command != "GET":
            response = _error(404, "Not Found")
        elif path == "/api/models":
            response = self._list_models(handler, pairs)
        elif path == "/api/agent-harnesses":
            response = _json(200, {"standardEnvVars": [], "harnesses": {}})
        elif path.startswith("/api/models/"):
            response = self._model_info(unquote(path[len("/api/models/") :]), pairs)
        else:
            response = _error(404, "Not Found")
        query: dict[str, list[str]] = {}
        for key, value in pairs:
            query.setdefault(key, []).append(value)
        # Logged before sending, so that a client that has its answer always finds it in the log.
        with self._requests_changed:
            self.requests.append(RequestLog(path, query, response.status, response.page, response.fault))
            self._requests_changed.notify_all()
        self._send(handler, response)

    def _list_models(self, handler: BaseHTTPRequestHandler, pairs: list[tuple[str, str]]) -> _Response:
        with self._lock:
            index = self._models_requests
            self._models_requests += 1
        page = _page_asked(pairs)
        over_quota = self._count_against_quota()
        fault = None if over_quota else self.faults.take(index, page)
        if fault is not None:
            logger.info("fake Hub: request %d (page %s) gets %s (left: %s)", index, page, fault.kind, fault.describe())
        response = self._listing(handler, pairs, fault, over_quota)
        response.page = page
        if fault is not None:
            response.fault = fault.kind
        return response

    def _listing(
        self, handler: BaseHTTPRequestHandler, pairs: list[tuple[str, str]], fault: Fault | None,
        over_quota: tuple[int, int] | None,
    ) -> _Response:  # fmt: skip
        kind = fault.kind if fault else None
        params = fault.params if fault else {}
        ip = handler.client_address[0]
        if over_quota is not None:
            return _rate_limited(ip, [], ratelimit=(0, over_quota[1]))
        if kind is not None and kind in _EARLY_ANSWERS:
            return _EARLY_ANSWERS[kind](params, ip)
        if kind == "slow" and not params["trickle"]:
            time.sleep(params["seconds"])

        try:
            query = parse_list_query(pairs, self.page_size)
        except BadRequest as exc:
            return _error(400, str(exc))
        cursor = query.cursor or Cursor(query.sort, 0)
        here = cursor.page

        if cursor.empty_left > 0 or kind == "empty_pages_with_next":
            left = cursor.empty_left - 1 if cursor.empty_left > 0 else params["pages"] - 1
            next_empty = Cursor(query.sort, here, cursor.value, cursor.last_id, left, cursor.nonce + 1)
            response = _Response(200, b"[]", fault="empty_pages_with_next")
            self._link(response, handler, pairs, next_empty, fault=None)
            return response

        # cursor.at_start, spelled out so that the type checker knows last_id is a str in the tuple
        after = None if cursor.last_id is None else (cursor.value, cursor.last_id)
        result = self.store.page(query.selection, query.sort, query.limit, after)
        next_cursor = Cursor(query.sort, here + 1, result.last_value, result.last_id) if result.has_next else None

        if kind in ("malformed_items", "unstorable_values", "json_object"):
            items = self.store.render(result.rows, query.keys)
            if kind == "malformed_items":
                _break_items(items, params["which"], params["item"])
            elif kind == "unstorable_values":
                _unstorable_values(items, params["which"], params["item"])
            body = _encode({"models": items}) if kind == "json_object" else _encode(items)
        else:
            body = self.store.render_json(result.rows, query.keys)
        response = _Response(200, body)
        if kind == "malformed_json":
            response.body = body[: max(1, len(body) // 2)]
        elif kind == "truncated_body":
            response.body, response.declared_length, response.cut = body[: len(body) // 2], len(body), True
        elif kind == "slow":
            response.trickle_seconds = params["seconds"]
        elif kind == "trickle_body":
            response.drip = (float(params["interval"]), int(params["bytes"]))
        elif kind == "compression_bomb":
            padded = body[:-1] + b" " * max(0, int(params["inflates_to"]) - len(body)) + body[-1:]
            response.body = gzip.compress(padded, compresslevel=9, mtime=0)
            response.headers.append(("Content-Encoding", "gzip"))
        elif kind == "endless_body":
            response.endless, response.close = int(params["stop_after"]), True
            response.declared_length = 10**12 if params["declare_length"] else -1  # -1: no Content-Length

        if kind == "repeat_ids":  # the same position under a new cursor: the same items, a new URL
            next_cursor = Cursor(query.sort, here, cursor.value, cursor.last_id, 0, cursor.nonce + 1)

        if kind == "link_loop":
            next_cursor = cursor if query.cursor is not None else Cursor(query.sort, here)
        if kind != "drop_link":
            self._link(response, handler, pairs, next_cursor, fault=fault)
        return response

    def _link(
        self, response: _Response, handler: BaseHTTPRequestHandler, pairs: list[tuple[str, str]],
        cursor: Cursor | None, fault: Fault | None,
    ) -> None:  # fmt: skip
        """The `Link` header: absolute (from the request's Host), echoing every parameter, sort added."""
        links = []
        if cursor is not None:
            kept = [(k, v) for k, v in pairs if k != "cursor"]
            if not any(k == "sort" for k, _ in kept):
                kept.append(("sort", DEFAULT_SORT))
            kept.append(("cursor", encode_cursor(cursor)))
            target = "/api/models?" + urlencode(kept, quote_via=quote)
            kind = fault.kind if fault else None
            if kind == "relative_link":
                url = target
            elif kind == "foreign_link" and fault is not None:  # (kind is set only with a fault)
                url = str(fault.params["host"]).rstrip("/") + target
            else:
                url = f"http://{handler.headers.get('Host') or f'{self.host}:{self.port}'}{target}"
            links.append(f'<{url}>; rel="next"')
        if fault is not None and fault.kind == "extra_link_rel":
            links.append('</.well-known/api-catalog>; rel="api-catalog"')
        if links:
            response.headers.append(("Link", ", ".join(links)))

    def _model_info(self, path: str, pairs: list[tuple[str, str]]) -> _Response:
        parts = path.split("/")
        if len(parts) in (3, 4) and parts[-2] == "revision":
            parts = parts[:-2]
        if len(parts) not in (1, 2) or not all(parts):
            return _error(404, "Not Found")
        repo_id = "/".join(parts)
        row = self.store.row_of(repo_id)
        if row is None:
            return _error(404, "Repository not found", headers=[("X-Error-Code", "RepoNotFound")])
        try:
            expand = parse_expand(pairs)
        except BadRequest as exc:
            return _error(400, str(exc))
        keys = ("_id", "id", *expand) if expand else self.store.model_keys()
        item = self.store.render(np.array([row]), [k for k in keys if k not in COMPUTED_KEYS])[0]
        if "baseModels" in expand and (base_models := self.store.base_models(row)) is not None:
            item["baseModels"] = base_models
        if "childrenModelCount" in expand:
            item["childrenModelCount"] = self.store.children_count(repo_id)
        return _Response(200, _encode(item))

    # ------------------------------------------------------------------------------------- writing

    def _count_against_quota(self) -> tuple[int, int] | None:
        """Counts the request in the current fixed window; (0, reset) when the quota is exhausted."""
        with self._lock:
            remaining, reset = self._tick()
            return (0, reset) if remaining < 0 else None

    def _tick(self) -> tuple[int, int]:
        now = time.monotonic()
        elapsed = now - self._window_start
        if elapsed >= self.ratelimit_window:
            self._window_start += self.ratelimit_window * (elapsed // self.ratelimit_window)
            self._window_count = 0
            elapsed = now - self._window_start
        self._window_count += 1
        return self.ratelimit_quota - self._window_count, max(1, math.ceil(self.ratelimit_window - elapsed))

    def _ratelimit_now(self) -> tuple[int, int]:
        with self._lock:
            elapsed = time.monotonic() - self._window_start
            remaining = max(0, self.ratelimit_quota - self._window_count)
            return remaining, max(1, math.ceil(self.ratelimit_window - elapsed % self.ratelimit_window))

    def _send(self, handler: BaseHTTPRequestHandler, response: _Response) -> None:
        remaining, reset = response.ratelimit or self._ratelimit_now()
        length = response.declared_length if response.declared_length is not None else len(response.body)
        headers = [
            ("Content-Type", response.content_type),
            *([("Content-Length", str(length))] if length >= 0 else []),
            ("RateLimit", f'"api";r={remaining};t={reset}'),
            ("RateLimit-Policy", f'"fixed window";"api";q={self.ratelimit_quota};w={self.ratelimit_window}'),
            ("X-Request-Id", f"Root=1-{int(time.time()):08x}-{os.urandom(12).hex()}"),
            ("X-Powered-By", "fakehub"),
        ]
        if self.synthetic:  # type: ignore[truthy-function]  # the instance flag set in __init__, not the constructor
            headers.append(("X-Fake-Hub-Source", "synthetic"))
        headers.extend(response.headers)
        if response.close:
            headers.append(("Connection", "close"))  # send_header then sets handler.close_connection
        if response.cut:
            handler.close_connection = True
        try:
            handler.send_response(response.status)
            for name, value in headers:
                handler.send_header(name, value)
            handler.end_headers()
            if handler.command == "HEAD":
                pass
            elif response.endless is not None:
                _send_endless(handler, response.body, response.endless)
            elif response.drip is not None:
                interval, size = response.drip
                for start in range(0, len(response.body), size):
                    time.sleep(interval)
                    handler.wfile.write(response.body[start : start + size])
                    handler.wfile.flush()
            elif response.trickle_seconds:
                body, pause = response.body, response.trickle_seconds / _TRICKLE_SLICES
                step = max(1, math.ceil(len(body) / _TRICKLE_SLICES))
                for start in range(0, len(body), step):
                    time.sleep(pause)
                    handler.wfile.write(body[start : start + step])
                    handler.wfile.flush()
            else:
                handler.wfile.write(response.body)
        except OSError:  # broken pipe, reset, timeout: the client went away (or stop() cut it)
            handler.close_connection = True

    def _track(self, connection: socket.socket, open_: bool) -> None:
        with self._lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)


# -------------------------------------------------------------------------------------------------
# Answers and helpers


def _encode(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), default=json_default).encode()


def _json(status: int, value: Any, headers: list[tuple[str, str]] | None = None) -> _Response:
    return _Response(status, _encode(value), headers=list(headers or []))


def _error(
    status: int, message: str, headers: list[tuple[str, str]] | None = None, ratelimit: tuple[int, int] | None = None
) -> _Response:
    response = _json(status, {"error": message}, headers)
    response.ratelimit = ratelimit
    return response


def _send_endless(handler: BaseHTTPRequestHandler, page: bytes, stop_after: int) -> None:
    """`[` then the page's items over and over, fast, until the client hangs up (or `stop_after` bytes)."""
    items = page.strip()[1:-1] or b'{"id":"x"}'
    chunk = (items + b",") * max(1, 65536 // (len(items) + 1))
    handler.wfile.write(b"[")
    sent = 1
    while not stop_after or sent < stop_after:
        handler.wfile.write(chunk)
        sent += len(chunk)
    handler.wfile.flush()


def _page_asked(pairs: list[tuple[str, str]]) -> int | None:
    """The page index a request asks for: 0 without a cursor, None with one that cannot be read."""
    tokens = [v for k, v in pairs if k == "cursor"]
    if not tokens:
        return 0
    try:
        return decode_cursor(tokens[-1]).page
    except InvalidCursor:
        return None


def _rate_limited(ip: str, headers: list[tuple[str, str]], ratelimit: tuple[int, int] | None = None) -> _Response:
    return _error(429, RATE_LIMIT_MESSAGE.format(ip=ip), headers=headers, ratelimit=ratelimit)


_SERVER_ERROR_TEXT = {500: "Internal Error", 503: "Service Unavailable", 504: "Gateway Timeout", 408: "Request Timeout"}
_BAD_GATEWAY_HTML = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n"
    b"<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)


def _server_error(params: dict[str, Any], ip: str) -> _Response:
    status = params["status"]
    headers = [] if params["retry_after"] is None else [("Retry-After", str(int(params["retry_after"])))]
    if status == 502:  # what a load balancer in front of the Hub answers
        return _Response(502, _BAD_GATEWAY_HTML, headers=headers, content_type="text/html")
    return _error(status, _SERVER_ERROR_TEXT[status], headers=headers)


_EARLY_ANSWERS = {
    "rate_limit_retry_after": lambda p, ip: _rate_limited(ip, [("Retry-After", str(int(p["seconds"])))]),
    "rate_limit_header": lambda p, ip: _rate_limited(ip, [], ratelimit=(0, int(p["seconds"]))),
    "rate_limit_not_exhausted": lambda p, ip: _rate_limited(
        ip, [("Retry-After", str(int(p["seconds"])))], ratelimit=(5, int(p["seconds"]))
    ),
    "rate_limit_http_date": lambda p, ip: _rate_limited(
        ip, [("Retry-After", email.utils.formatdate(time.time() + p["seconds"], usegmt=True))]
    ),
    "server_error": _server_error,
    "unauthorized": lambda p, ip: _error(
        401,
        "Invalid credentials in Authorization header",
        headers=[("X-Error-Message", "Invalid credentials in Authorization header")],
    ),  # fmt: skip
    "forbidden": lambda p, ip: _error(403, "You don't have the rights to access this resource"),
    "invalid_cursor": lambda p, ip: _error(400, "Invalid cursor"),
    "cursor_404": lambda p, ip: _error(404, "Not Found"),
}


def _break_items(items: list[Any], which: str, first: int) -> None:
    """Breaks items in place the ways the client chokes on (table row 12); the others stay valid."""
    if not items:
        return
    kinds = ("no_id", "safetensors_no_total", "bad_date", "not_dict") if which == "all" else (which,)
    for offset, kind in enumerate(kinds):
        at = min(first + offset, len(items) - 1)
        item = items[at]
        if kind == "no_id":
            item.pop("id", None)
        elif kind == "safetensors_no_total":
            item["safetensors"] = {"parameters": {"BF16": (item.get("safetensors") or {}).get("total", 1_000_000)}}
        elif kind == "bad_date":
            item["createdAt"] = "yesterday"
        else:
            items[at] = "not a model"


def _unstorable_values(items: list[Any], which: str, first: int) -> None:
    """Puts values Arrow cannot store as sent into items in place, one kind per item (table row 12b)."""
    kinds = UNSTORABLE_VALUE_KINDS if which == "all" else (which,)
    for offset, kind in enumerate(kinds):
        if first + offset >= len(items) or not isinstance(items[first + offset], dict):
            return
        item = items[first + offset]
        if kind == "surrogate_tag":
            item["tags"] = [*(item.get("tags") or []), "odd-\ud800-tag"]
        elif kind == "surrogate_card":
            item["tags"] = [t for t in item.get("tags") or [] if not t.startswith("license:")]
            item["cardData"] = {**(item.get("cardData") or {}), "license": "mit-\udfff"}
        elif kind == "huge_int":
            item.update(downloads=2**63, likes=2**64, safetensors={"parameters": {}, "total": 10**30})
        elif kind == "not_finite":
            item.update(trendingScore=float("nan"), downloadsAllTime=float("inf"))
        elif kind == "nul":
            item["library_name"] = "trans\x00formers"
        elif kind == "long_text":
            item["pipeline_tag"] = "x" * 100_000
        elif kind == "nested_gated":
            item["gated"] = {"mode": "manual"}
        else:
            item["id"] = f"{item['id']}\ud800"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    hub: FakeHub

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host up in DNS (getfqdn), which can take seconds offline.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("fake Hub: error while serving %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the Hub; the client reuses its connection
    server_version = "fakehub"
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.hub._track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.hub._track(self.connection, False)

    def _read_then_serve(self) -> None:
        # Every method, GET included, has its body read before the answer: the connection then stays usable
        # for the client's next request (fakehub.framing says why that matters).
        try:
            read_body(self.headers, self.rfile)
        except FramingError as exc:
            self.server.hub._serve(self, framing_error=exc)
        else:
            self.server.hub._serve(self)

    # Methods other than GET are all 404 (HEAD's without a body): the fake serves GET routes only.
    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = _read_then_serve

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        logger.debug("fake Hub: " + format, *args)
