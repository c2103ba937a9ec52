"""The crawl's connection to the Hub: huggingface_hub's shared session, headers and backoff, counted.

We do not re-implement HTTP. huggingface_hub's `http_backoff` retries 429/5xx/408 and network errors and
honours `Retry-After` and `RateLimit`; we add what it lacks (hub-api.md §3.3, §5), in a thin transport
wrapper installed through the library's own `set_client_factory`, so every attempt the library makes,
including its retries, passes through it:

- a tally of every failed attempt by kind, for the manifest and the progress bar;
- a deadline per attempt (`Limits.attempt_s`): connecting, sending, the headers and the whole body must
  fit in it, so a body trickled a byte at a time cannot hold the crawl. Every socket operation's timeout
  is cut to what is left of the attempt (a wrapper around the connection pool's network backend), and
  the body stream checks the clock between chunks; past the deadline the attempt fails as a timeout
  (`httpx2.ReadTimeout`), which the library retries like any other;
- a cap on the size of an answer (`Limits.max_body_bytes`): a larger Content-Length, or a body that
  grows past it, fails the attempt with `ResponseTooLarge`, which the library does not retry. A gzip or
  deflate body is inflated here, not by httpx, so the cap holds for what it inflates to (a few kB of gzip
  can hold gigabytes of whitespace);
- a cap on what the server may ask us to wait (`Limits.max_server_wait_s`): the library would sleep
  whatever `Retry-After` or `RateLimit` says (a day, say); a retried answer that asks for more than the
  cap fails with `ServerWaitTooLong` before the library starts sleeping.
"""

from __future__ import annotations

import logging
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import httpcore2
import httpx2
from huggingface_hub import constants as hf_constants
from huggingface_hub.utils import build_hf_headers, get_token, parse_ratelimit_headers, set_client_factory
from huggingface_hub.utils._http import hf_request_event_hook

import constellation

log = logging.getLogger(__name__)

# Failed attempts, by kind. The first five are seen per HTTP attempt; the others are crawl-level retries.
RETRY_KINDS: tuple[str, ...] = (
    "rate_limit",  # 429
    "server_error",  # 5xx, 408
    "timeout",  # no answer within the request timeout
    "connection",  # refused, reset, DNS
    "protocol",  # truncated body, broken HTTP
    "too_large",  # an answer larger than the cap on a response's size
    "bad_body",  # 200 whose body is not a JSON array: asked again
    "exhausted",  # the library gave up; the crawl waited and asked again
    "cursor_restart",  # the Hub rejected a cursor; the listing restarted from an earlier one
)


@dataclass
class Tally:
    """Requests and failed attempts of one crawl run. Thread-safe: the library may retry from any thread."""

    requests: int = 0
    retries: Counter = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def request(self) -> None:
        with self._lock:
            self.requests += 1

    def failure(self, kind: str) -> None:
        with self._lock:
            self.retries[kind] += 1

    @property
    def total_retries(self) -> int:
        return sum(self.retries.values())

    def retries_dict(self) -> dict[str, int]:
        return {kind: self.retries[kind] for kind in RETRY_KINDS if self.retries[kind]}


@dataclass(frozen=True)
class Limits:
    """What one HTTP attempt may take: seconds (the whole body included), bytes, and a server-asked wait."""

    attempt_s: float
    max_body_bytes: int
    max_server_wait_s: float


class ResponseTooLarge(httpx2.TransportError):
    """The answer is larger than `Limits.max_body_bytes` (not retried by huggingface_hub)."""

    def __init__(self, message: str, limit: int) -> None:
        super().__init__(message)
        self.limit = limit


class ServerWaitTooLong(httpx2.TransportError):
    """The server asked to wait longer than `Limits.max_server_wait_s` (not retried by huggingface_hub)."""

    def __init__(self, asked_s: float, header: str, status: int, cap_s: float) -> None:
        super().__init__(f"HTTP {status} asking to wait {asked_s:g} s ({header}), more than the cap of {cap_s:g} s")
        self.asked_s, self.header, self.status, self.cap_s = asked_s, header, status, cap_s


_current = Tally()  # the tally the shared session reports to; `counting(tally)` swaps it
_limits: Limits | None = None  # the limits of the crawl in progress; None: the library's own behaviour
_attempt = threading.local()  # .deadline (monotonic seconds) and .limit_s of this thread's current attempt

# What huggingface_hub's http_backoff retries, and so may sleep before (hub-api.md §3.2).
_RETRIED_STATUSES = (408, 429, 500, 502, 503, 504)


_TIMEOUTS = {"writing": httpcore2.WriteTimeout, "connecting": httpcore2.ConnectTimeout}


def _overrun(doing: str) -> httpcore2.TimeoutException:
    error = _TIMEOUTS.get(doing, httpcore2.ReadTimeout)
    return error(f"the attempt took longer than its deadline of {_attempt.limit_s:g} s (--timeout) while {doing}")


def _held_to_deadline(operation: Callable[[float | None], Any], timeout: float | None, doing: str) -> Any:
    """Run `operation(timeout)` with the timeout cut to what is left of this thread's attempt; a timeout
    that the cut caused is reported as the attempt's deadline."""
    deadline = getattr(_attempt, "deadline", None)
    if deadline is None:
        return operation(timeout)
    left = deadline - time.monotonic()
    if left <= 0:
        raise _overrun(doing)
    if timeout is not None and timeout <= left:
        return operation(timeout)
    try:
        return operation(left)
    except httpcore2.TimeoutException:
        raise _overrun(doing) from None


class _DeadlineNetworkStream(httpcore2.NetworkStream):
    """A connection whose every read and write waits at most what is left of the current attempt."""

    def __init__(self, inner: httpcore2.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return _held_to_deadline(lambda t: self._inner.read(max_bytes, t), timeout, "reading")

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        _held_to_deadline(lambda t: self._inner.write(buffer, t), timeout, "writing")

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> Any:
        tls = _held_to_deadline(lambda t: self._inner.start_tls(ssl_context, server_hostname, t), timeout, "reading")
        return _DeadlineNetworkStream(tls)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


# httpcore2's socket option type (kept private there, in httpcore2._types.SOCKET_OPTION).
SocketOption = tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]


class _DeadlineBackend(httpcore2.NetworkBackend):
    """The connection pool's network backend, with connecting and every socket operation held to the
    current attempt's deadline."""

    def __init__(self, inner: httpcore2.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore2.NetworkStream:
        def connect(t: float | None) -> httpcore2.NetworkStream:
            return self._inner.connect_tcp(host, port, t, local_address, socket_options)

        return _DeadlineNetworkStream(_held_to_deadline(connect, timeout, "connecting"))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[SocketOption] | None = None
    ) -> httpcore2.NetworkStream:
        def connect(t: float | None) -> httpcore2.NetworkStream:
            return self._inner.connect_unix_socket(path, t, socket_options)

        return _DeadlineNetworkStream(_held_to_deadline(connect, timeout, "connecting"))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _CountingStream(httpx2.SyncByteStream):
    """The body stream of one response: a failure while reading it (truncated body) is counted, and the
    attempt's deadline and size cap are enforced between chunks."""

    def __init__(self, inner: httpx2.SyncByteStream, limits: Limits | None, deadline: float | None) -> None:
        self._inner = inner
        self._limits = limits
        self._deadline = deadline

    def __iter__(self) -> Iterator[bytes]:
        received = 0
        try:
            for chunk in self._inner:
                received += len(chunk)
                if self._limits is not None:
                    if received > self._limits.max_body_bytes:
                        raise _too_large(f"the body grew past {_mib(self._limits.max_body_bytes)}", self._limits)
                    if self._deadline is not None and time.monotonic() > self._deadline:
                        raise httpx2.ReadTimeout(
                            f"the body was still coming after the attempt's deadline of {self._limits.attempt_s:g} s "
                            f"(--timeout); {received:,} bytes received"
                        )
                yield chunk
        except httpx2.TransportError as exc:
            _count_exception(exc)
            raise

    def close(self) -> None:
        self._inner.close()


# Encodings the client asks for (`Accept-Encoding: gzip, deflate`, hub-api.md) and zlib can inflate.
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
_INFLATE_STEP = 1 << 16  # bytes inflated per call, so one small chunk cannot expand past the cap at once


class _InflatingStream(httpx2.SyncByteStream):
    """The body of a gzip- or deflate-encoded answer, inflated with the size cap applied to every stage's
    output. The transport removes `Content-Encoding`, so httpx does not inflate it a second time."""

    def __init__(self, inner: httpx2.SyncByteStream, encodings: list[str], limits: Limits) -> None:
        self._inner = inner
        self._limits = limits
        # `Content-Encoding: a, b` means a was applied first: inflate b's layer first.
        self._layers = [_Layer(encoding) for encoding in reversed(encodings)]

    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in self._inner:
                yield from self._through(chunk, 0)
            yield from self._through(b"", 0, final=True)
        except ResponseTooLarge as exc:
            _count_exception(exc)
            raise

    def _through(self, data: bytes, depth: int, final: bool = False) -> Iterator[bytes]:
        if depth == len(self._layers):
            if data:
                yield data
            return
        layer = self._layers[depth]
        for piece in layer.inflate(data, final):
            if layer.produced > self._limits.max_body_bytes:
                raise _too_large(
                    f"the body grew past {_mib(self._limits.max_body_bytes)} once inflated "
                    f"(Content-Encoding: {layer.encoding})",
                    self._limits,
                )
            yield from self._through(piece, depth + 1)
        if final:
            yield from self._through(b"", depth + 1, final=True)

    def close(self) -> None:
        self._inner.close()


class _Layer:
    """One encoding of a body, inflated a bounded step at a time."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self.produced = 0
        self._wbits = _WBITS[encoding]
        self._inflater = zlib.decompressobj(self._wbits)
        self._started = False

    def inflate(self, data: bytes, final: bool) -> Iterator[bytes]:
        while data:
            try:
                piece = self._inflater.decompress(data, _INFLATE_STEP)
            except zlib.error as exc:
                if self.encoding == "deflate" and not self._started:
                    # Some servers send "deflate" as a raw stream without the zlib header, as httpx allows.
                    self._wbits, self._inflater = -zlib.MAX_WBITS, zlib.decompressobj(-zlib.MAX_WBITS)
                    self._started = True
                    continue
                raise httpx2.DecodingError(f"the body is not valid {self.encoding}: {exc}") from exc
            self._started = True
            data = self._inflater.unconsumed_tail
            self.produced += len(piece)
            if piece:
                yield piece
        if final:
            rest = self._inflater.flush()
            self.produced += len(rest)
            if rest:
                yield rest


def _inflated_here(response: httpx2.Response) -> list[str] | None:
    """The encodings of the body when this module inflates them all; None when httpx keeps the job (none,
    or one zlib cannot do, which the client never asks for)."""
    values = response.headers.get_list("content-encoding", split_commas=True)
    encodings = [value.strip().lower() for value in values if value.strip().lower() not in ("", "identity")]
    if encodings and all(encoding in _WBITS for encoding in encodings):
        return encodings
    return None


class _CountingTransport(httpx2.BaseTransport):
    def __init__(self, inner: httpx2.BaseTransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        _current.request()
        limits = _limits
        deadline = None
        if limits is not None:
            deadline = time.monotonic() + limits.attempt_s
            _attempt.deadline, _attempt.limit_s = deadline, limits.attempt_s
        else:
            _attempt.deadline = None
        try:
            response = self._inner.handle_request(request)
        except httpx2.TransportError as exc:
            _count_exception(exc)
            raise
        status = response.status_code
        if status == 429:
            _current.failure("rate_limit")
            log.info("rate limited (429); %s", _wait_hint(response))
        elif status >= 500 or status == 408:
            _current.failure("server_error")
            log.info("server error %d; %s", status, _wait_hint(response))
        if limits is not None:
            _check_server_wait(response, limits)
            _check_declared_length(response, limits)
        # A sync transport's responses carry sync streams; the declared type also allows async ones.
        stream: httpx2.SyncByteStream = _CountingStream(cast(httpx2.SyncByteStream, response.stream), limits, deadline)
        encodings = _inflated_here(response) if limits is not None else None
        if encodings is not None and limits is not None:
            stream = _InflatingStream(stream, encodings, limits)
            del response.headers["content-encoding"]
        response.stream = stream
        return response

    def close(self) -> None:
        self._inner.close()


def _check_server_wait(response: httpx2.Response, limits: Limits) -> None:
    """Refuse, before huggingface_hub sleeps it, a wait longer than the cap (the same rule as http_backoff's:
    on 429 a RateLimit with r=0 gives t, else an integer Retry-After on any retried status)."""
    if response.status_code not in _RETRIED_STATUSES:
        return
    asked, header = server_wait(response)
    if asked is not None and asked > limits.max_server_wait_s:
        response.close()
        raise ServerWaitTooLong(asked, header, response.status_code, limits.max_server_wait_s)


def server_wait(response: httpx2.Response) -> tuple[float | None, str]:
    """The wait the server asks for, in seconds, and the header that says so; (None, "") if none."""
    info = parse_ratelimit_headers(response.headers) if response.status_code == 429 else None
    if info is not None and info.remaining == 0:
        return float(info.reset_in_seconds), f"RateLimit: {response.headers.get('ratelimit', '')}"
    retry_after = response.headers.get("retry-after", "").strip()
    if retry_after.isdigit():
        return float(retry_after), f"Retry-After: {retry_after}"
    return None, ""


def _check_declared_length(response: httpx2.Response, limits: Limits) -> None:
    declared = response.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > limits.max_body_bytes:
        response.close()
        _current.failure("too_large")
        raise ResponseTooLarge(
            f"the answer declares {int(declared):,} bytes (Content-Length), more than the cap of "
            f"{_mib(limits.max_body_bytes)} (--max-response-size)",
            limits.max_body_bytes,
        )


def _too_large(what: str, limits: Limits) -> ResponseTooLarge:
    return ResponseTooLarge(
        f"{what}, the cap on an answer's size (--max-response-size); stopped reading it", limits.max_body_bytes
    )


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):g} MiB"


def _count_exception(exc: Exception) -> None:
    if isinstance(exc, ResponseTooLarge):
        _current.failure("too_large")
    elif isinstance(exc, ServerWaitTooLong):
        return  # the 429/5xx was counted as it came
    elif isinstance(exc, httpx2.TimeoutException):
        _current.failure("timeout")
    elif isinstance(exc, httpx2.RemoteProtocolError):
        _current.failure("protocol")
    else:
        _current.failure("connection")
    log.info("request failed: %s: %s", type(exc).__name__, exc)


def _wait_hint(response: httpx2.Response) -> str:
    retry_after = response.headers.get("retry-after")
    if retry_after:
        return f"the Hub asks to wait (Retry-After: {retry_after})"
    info = parse_ratelimit_headers(response.headers)
    if response.status_code == 429 and info is not None and info.remaining == 0:
        return f"the rate-limit window resets in {info.reset_in_seconds} s"
    return "backing off"


def _client_factory() -> httpx2.Client:
    # Same as huggingface_hub's default_client_factory, with the counting transport underneath.
    return httpx2.Client(
        event_hooks={"request": [hf_request_event_hook]},
        follow_redirects=True,
        timeout=None,
        transport=_CountingTransport(_deadline_transport()),
    )


def _deadline_transport() -> httpx2.HTTPTransport:
    """httpx2's transport with its connection pool's network backend held to the attempt's deadline.

    httpx2 does not let us pass a network backend, so we wrap the one its pool made (`_network_backend`, an
    httpcore2 attribute); if a future version renames it, the deadline is still enforced between the body's
    chunks (_CountingStream), only not inside a read that never returns a byte (the --timeout bounds that)."""
    transport = httpx2.HTTPTransport()
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if isinstance(backend, httpcore2.NetworkBackend):
        pool._network_backend = _DeadlineBackend(backend)  # type: ignore[union-attr]
    else:
        log.debug("cannot wrap the connection pool's network backend; the attempt deadline is checked per chunk")
    return transport


_installed = False


def install_session() -> None:
    """Make huggingface_hub's shared session count attempts (idempotent)."""
    global _installed
    if not _installed:
        set_client_factory(_client_factory)
        _installed = True


class counting:
    """`with counting(tally, limits):` routes the shared session's counts to `tally` and holds every attempt
    to `limits` (None: no limits but the library's)."""

    def __init__(self, tally: Tally, limits: Limits | None = None) -> None:
        self._tally = tally
        self._new_limits = limits
        self._previous: Tally | None = None
        self._previous_limits: Limits | None = None

    def __enter__(self) -> Tally:
        global _current, _limits
        install_session()
        self._previous, _current = _current, self._tally
        self._previous_limits, _limits = _limits, self._new_limits
        return self._tally

    def __exit__(self, *exc: object) -> None:
        global _current, _limits
        assert self._previous is not None
        _current, _limits = self._previous, self._previous_limits
        _attempt.deadline = None


def ensure_online() -> None:
    """A crawl must reach the Hub: an inherited HF_HUB_OFFLINE would block every request (hub-api.md #22)."""
    if hf_constants.HF_HUB_OFFLINE:
        log.warning("HF_HUB_OFFLINE is set in the environment; ignoring it for the crawl, which must reach the Hub")
        hf_constants.HF_HUB_OFFLINE = False


def resolve_token() -> str | None:
    """HF_TOKEN, else the token saved by `hf auth login`. Never log or store the returned value."""
    return get_token()


def hub_headers(token: str | None) -> dict[str, str]:
    # token=False rather than None: with None the library would look the token up again on its own terms.
    # The user agent names Constellation, so the Hub's operators can tell who is crawling.
    return build_hf_headers(
        token=token or False, library_name="constellation", library_version=constellation.__version__
    )
