"""The crawl's connection to the Hub: huggingface_hub's shared session, headers and backoff, counted.

We do not re-implement HTTP. huggingface_hub's `http_backoff` retries 429/5xx/408 and network errors and
honours `Retry-After` and `RateLimit`; we add what it lacks (hub-api.md §3.3, §5): a timeout on every
request, and a tally of every failed attempt by kind for the manifest and the progress bar. The tally
comes from a thin transport wrapper installed through the library's own `set_client_factory`, so every
attempt the library makes, including its retries, is seen.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import cast

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


_current = Tally()  # the tally the shared session reports to; `counting(tally)` swaps it


class _CountingStream(httpx2.SyncByteStream):
    """The body stream of one response; a failure while reading it (truncated body) is counted."""

    def __init__(self, inner: httpx2.SyncByteStream) -> None:
        self._inner = inner

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._inner
        except httpx2.TransportError as exc:
            _count_exception(exc)
            raise

    def close(self) -> None:
        self._inner.close()


class _CountingTransport(httpx2.BaseTransport):
    def __init__(self, inner: httpx2.BaseTransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        _current.request()
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
        # A sync transport's responses carry sync streams; the declared type also allows async ones.
        response.stream = _CountingStream(cast(httpx2.SyncByteStream, response.stream))
        return response

    def close(self) -> None:
        self._inner.close()


def _count_exception(exc: Exception) -> None:
    if isinstance(exc, httpx2.TimeoutException):
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
        transport=_CountingTransport(httpx2.HTTPTransport()),
    )


_installed = False


def install_session() -> None:
    """Make huggingface_hub's shared session count attempts (idempotent)."""
    global _installed
    if not _installed:
        set_client_factory(_client_factory)
        _installed = True


class counting:
    """`with counting(tally):` routes the shared session's counts to `tally`."""

    def __init__(self, tally: Tally) -> None:
        self._tally = tally
        self._previous: Tally | None = None

    def __enter__(self) -> Tally:
        global _current
        install_session()
        self._previous, _current = _current, self._tally
        return self._tally

    def __exit__(self, *exc: object) -> None:
        global _current
        assert self._previous is not None
        _current = self._previous


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
