"""Fetch one page of `GET /api/models` and decide where the listing goes next, with the guards the
client lacks (hub-api.md rows 10–19): a body that is not a list, relative or foreign `Link`s, link
loops, empty pages that still say "next", pages that bring no new id, rejected cursors, exhausted
retries, answers too large and server-asked waits too long.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import httpx2
import numpy as np
import pandas as pd
from huggingface_hub.utils import HfHubHTTPError, hf_raise_for_status, http_backoff, parse_ratelimit_headers

from constellation.errors import EndlessEmptyPages, HubAuthError, HubUnavailable, ListingError, RepeatingPages
from crawler.budget import Deadline
from crawler.http import Limits, ResponseTooLarge, ServerWaitTooLong, Tally
from crawler.scope import EXPAND_FIELDS, CrawlSettings, Scope

log = logging.getLogger(__name__)

SYNTHETIC_HEADER = "X-Fake-Hub-Source"
_NETWORK_ERRORS = (httpx2.TimeoutException, httpx2.NetworkError, httpx2.RemoteProtocolError)
_RETRIED_STATUSES = (408, 429, 500, 502, 503, 504)


class CursorRefused(Exception):
    """The Hub answered a next-page URL with 400/404/410: its cursor is unknown or expired."""

    def __init__(self, url: str, status: int, message: str) -> None:
        super().__init__(f"HTTP {status} for a next-page cursor: {message}")
        self.url = url
        self.status = status


@dataclass(frozen=True)
class Page:
    url: str
    items: list[Any]
    next_url: str | None
    synthetic: bool
    fetched_at: datetime


def limits_of(settings: CrawlSettings) -> Limits:
    """What one HTTP attempt of this crawl may take (crawler.http enforces it)."""
    return Limits(
        attempt_s=settings.request_timeout_s,
        max_body_bytes=settings.max_response_bytes,
        max_server_wait_s=settings.max_server_wait_s,
    )


def first_url(endpoint: str, scope: Scope, page_size: int) -> str:
    """The URL of the listing's first page: the scope, the page size and only the fields we need."""
    limit = page_size if scope.limit is None else min(page_size, scope.limit)
    params = [*scope.query(), ("limit", str(limit)), *(("expand", f) for f in EXPAND_FIELDS)]
    return f"{endpoint}/api/models?{urlencode(params)}"


def same_origin(url: str, endpoint: str) -> bool:
    a, b = urlsplit(url), urlsplit(endpoint)
    return (a.scheme, a.hostname, _port(a)) == (b.scheme, b.hostname, _port(b))


def _port(parts: Any) -> int | None:
    return parts.port or {"http": 80, "https": 443}.get(parts.scheme)


class PageFetcher:
    """Gets pages over huggingface_hub's session with a timeout; retries what is worth retrying."""

    def __init__(
        self, endpoint: str, settings: CrawlSettings, headers: dict[str, str], deadline: Deadline, tally: Tally
    ) -> None:
        self.endpoint = endpoint
        self.settings = settings
        self._headers = headers  # holds the token: never log it
        self.deadline = deadline
        self.tally = tally
        self._warned_relative = False

    def fetch(self, url: str, *, is_first: bool) -> Page:
        last_problem = ""
        for attempt in range(1, self.settings.page_attempts + 1):
            wait = self.settings.exhausted_wait_s
            try:
                with self.deadline.network("fetching a page"):
                    response = http_backoff(
                        "GET",
                        url,
                        headers=self._headers,
                        timeout=self.settings.request_timeout_s,
                        max_retries=self.settings.max_retries,
                        base_wait_time=self.settings.base_wait_s,
                        max_wait_time=self.settings.max_wait_s,
                    )
                    hf_raise_for_status(response)
                fetched_at = datetime.now(UTC)
                body = response.json()
                if not isinstance(body, list):
                    raise ValueError(f"the body is a JSON {type(body).__name__}, not an array of models")
            except ServerWaitTooLong as exc:
                raise HubUnavailable(
                    f"the Hub answered {_strip_query(url)} with HTTP {exc.status} and asked to wait "
                    f"{exc.asked_s:,.0f} s ({exc.header}), more than the cap of {exc.cap_s:g} s (--max-server-wait). "
                    "Stopping instead of sleeping; the checkpoint is kept: run the crawl again later to resume."
                ) from None
            except ResponseTooLarge as exc:
                last_problem = f"an answer too large: {exc}"
                wait = self.settings.base_wait_s
            except HfHubHTTPError as exc:
                status = exc.response.status_code if exc.response is not None else None
                self._raise_if_final(url, status, exc, is_first)
                last_problem = f"HTTP {status} after {self.settings.max_retries} retries"
                self.tally.failure("exhausted")
                wait = max(wait, self._ratelimit_wait(url, exc.response))
            except _NETWORK_ERRORS as exc:
                last_problem = f"{type(exc).__name__} after {self.settings.max_retries} retries ({exc})"
                self.tally.failure("exhausted")
            except ValueError as exc:  # includes json.JSONDecodeError
                last_problem = f"a 200 answer that is not a JSON array of models ({_short(exc)})"
                self.tally.failure("bad_body")
                wait = self.settings.base_wait_s
            else:
                return Page(
                    url=url,
                    items=body,
                    next_url=self._next_url(response),
                    synthetic=response.headers.get(SYNTHETIC_HEADER, "").lower() == "synthetic",
                    fetched_at=fetched_at,
                )
            if attempt < self.settings.page_attempts:
                log.warning(
                    "page request failed: %s; asking again in %.1f s (attempt %d of %d)",
                    last_problem,
                    wait,
                    attempt + 1,
                    self.settings.page_attempts,
                )
                self.deadline.sleep(wait, "waiting to retry a page")
        if last_problem.startswith("an answer too large"):
            raise ListingError(
                f"the Hub kept answering {_strip_query(url)} with {last_problem}, {self.settings.page_attempts} "
                "times. The checkpoint is kept; run the crawl again later, or raise --max-response-size if pages "
                "really are that large."
            )
        if "JSON" in last_problem:
            raise ListingError(
                f"the Hub kept answering {_strip_query(url)} with {last_problem}, {self.settings.page_attempts} "
                "times. The checkpoint is kept; run the crawl again later."
            )
        raise HubUnavailable(
            f"the Hub did not answer {_strip_query(url)} properly: {last_problem}, {self.settings.page_attempts} "
            "times. The checkpoint is kept; run the crawl again later to resume."
        )

    def _ratelimit_wait(self, url: str, response: httpx2.Response | None) -> float:
        wait = _ratelimit_wait(response)
        if wait - 1 > self.settings.max_server_wait_s:
            raise HubUnavailable(
                f"the Hub rate-limits {_strip_query(url)} and asks to wait {wait - 1:,.0f} s for its window to "
                f"reset, more than the cap of {self.settings.max_server_wait_s:g} s (--max-server-wait). Stopping "
                "instead of sleeping; the checkpoint is kept: run the crawl again later to resume."
            )
        return wait

    def _raise_if_final(self, url: str, status: int | None, exc: HfHubHTTPError, is_first: bool) -> None:
        message = _server_message(exc)
        if status in (401, 403):
            raise HubAuthError(
                f"the Hub refused the request with HTTP {status} ({message}). A bad or expired token breaks even "
                "public listings: check HF_TOKEN or run `hf auth login` again (or unset HF_TOKEN to crawl "
                "anonymously). The checkpoint is kept."
            ) from None
        if status in (400, 404, 410) and not is_first:
            raise CursorRefused(url, status, message)
        if status not in _RETRIED_STATUSES:
            raise ListingError(
                f"the Hub answered {_strip_query(url)} with HTTP {status} ({message}); check the scope options "
                "(--pipeline-tag, --author, --search, --filter) and --endpoint."
            ) from None

    def _next_url(self, response: httpx2.Response) -> str | None:
        link = response.links.get("next", {}).get("url")
        if not link:
            return None
        absolute = urljoin(str(response.url), link)
        if absolute != link and not self._warned_relative:
            log.warning("the Hub sent a relative next-page Link (%s); resolving it against the request URL", link)
            self._warned_relative = True
        if not same_origin(absolute, self.endpoint):
            raise ListingError(
                f"the next-page Link points to {_origin(absolute)}, not to the endpoint {self.endpoint}; refusing "
                "to follow it. If the Hub moved, pass the new address with --endpoint."
            )
        return absolute


class ListingGuard:
    """Stops a listing that would never end: a next URL seen before, too many empty pages in a row, or
    too many pages in a row that bring no id not seen before (the same ids under ever new cursors).

    The ids seen are kept as 8-byte hashes in sorted arrays (`SeenIds`): about 24 MB for the 3M models of
    the whole Hub."""

    def __init__(self, max_empty_pages: int, max_repeated_pages: int = 3) -> None:
        self.max_empty_pages = max_empty_pages
        self.max_repeated_pages = max_repeated_pages
        self._seen: set[str] = set()
        self._ids = SeenIds()
        self._empty_run = 0
        self.empty_start: tuple[int, str] | None = None  # (page index, URL) of the first empty page in a row
        self._repeat_run = 0
        self.repeat_start: tuple[int, str] | None = None  # (page index, URL) of the first page with no new id

    def check(self, page: Page, page_index: int) -> None:
        self._seen.add(page.url)
        if page.next_url is not None and page.next_url in self._seen:
            raise ListingError(
                f"page {page_index} links back to a page already fetched ({_cursor_of(page.next_url)}): a Link "
                "loop. Stopping rather than looping forever; the checkpoint is kept."
            )
        if not page.items and page.next_url:
            self._empty_run += 1
            if self._empty_run == 1:
                self.empty_start = (page_index, page.url)
        else:
            self._empty_run, self.empty_start = 0, None
        if self._empty_run > self.max_empty_pages:
            raise EndlessEmptyPages(
                f"{self._empty_run} empty pages in a row still say there is a next page (page {page_index}); "
                "stopping rather than following them forever. The checkpoint is kept at the last page with models."
            )
        if page.items:
            self._check_new_ids(page, page_index)

    def _check_new_ids(self, page: Page, page_index: int) -> None:
        if self._ids.add(_ids_of(page.items)) > 0:
            self._repeat_run, self.repeat_start = 0, None
            return
        self._repeat_run += 1
        if self._repeat_run == 1:
            self.repeat_start = (page_index, page.url)
        if self._repeat_run >= self.max_repeated_pages:
            start = self.repeat_start[0] if self.repeat_start else page_index
            raise RepeatingPages(
                f"{self._repeat_run} pages in a row (pages {start}–{page_index}) brought no model not listed "
                "before, each under a new cursor: the listing is going round in circles. Stopping rather than "
                "following it forever; the checkpoint is kept at the page before them."
            )


class SeenIds:
    """A set of 64-bit hashes of model ids, as sorted numpy arrays merged like a binary counter (each level
    at least twice the next): adding n ids costs O(n log n) overall, a lookup O(log² n), 8 bytes per id."""

    def __init__(self) -> None:
        self._levels: list[np.ndarray] = []

    def __len__(self) -> int:
        return sum(len(level) for level in self._levels)

    def add(self, hashes: np.ndarray) -> int:
        """Add `hashes`; returns how many of them were not in the set."""
        fresh = np.unique(hashes)
        for level in self._levels:
            if not len(fresh):
                break
            at = np.minimum(np.searchsorted(level, fresh), len(level) - 1)
            fresh = fresh[level[at] != fresh]
        new = len(fresh)
        while self._levels and len(self._levels[-1]) <= 2 * len(fresh):
            fresh = np.union1d(self._levels.pop(), fresh)
        if len(fresh):
            self._levels.append(fresh)
        return new


def _ids_of(items: list[Any]) -> np.ndarray:
    """64-bit hashes of the items' ids (items without a string id are skipped), as publish.py hashes them."""
    ids = [item["id"] for item in items if isinstance(item, dict) and isinstance(item.get("id"), str)]
    # An id with a lone surrogate cannot be encoded as UTF-8 (records.py rejects it later); escaping keeps it
    # distinct from every other id instead of letting the hash raise.
    ids = [i if i.isascii() else i.encode("utf-8", "surrogatepass").decode("utf-8", "backslashreplace") for i in ids]
    if not ids:
        return np.empty(0, dtype=np.uint64)
    return pd.util.hash_array(np.asarray(ids, dtype=object))


def _ratelimit_wait(response: httpx2.Response | None) -> float:
    if response is None:
        return 0.0
    info = parse_ratelimit_headers(response.headers)
    if info is not None and info.remaining == 0:
        return float(info.reset_in_seconds) + 1
    return 0.0


def _server_message(exc: HfHubHTTPError) -> str:
    message = getattr(exc, "server_message", None)
    if message:
        return message.strip().splitlines()[0]
    response = exc.response
    if response is not None:
        try:
            body = response.json()
            if isinstance(body, dict) and body.get("error"):
                return str(body["error"])
        except (ValueError, httpx2.ResponseNotRead):  # ValueError includes json.JSONDecodeError
            pass
        return response.reason_phrase or "no message"
    return "no message"


def _strip_query(url: str) -> str:
    parts = urlsplit(url)
    cursor = " (with a cursor)" if "cursor=" in parts.query else ""
    return f"{parts.scheme}://{parts.netloc}{parts.path}{cursor}"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _cursor_of(url: str) -> str:
    query = urlsplit(url).query
    for pair in query.split("&"):
        if pair.startswith("cursor="):
            return pair[:40]
    return "no cursor"


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 120 else text[:119] + "…"
