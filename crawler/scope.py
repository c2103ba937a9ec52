"""What a crawl asks the Hub for (the scope) and how (the settings).

The scope decides which snapshots are comparable: a checkpoint is resumed, and the drop check compares
counts, only between crawls of the same scope and endpoint.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from typing import Any

from constellation.errors import CrawlConfigError

DEFAULT_ENDPOINT = "https://huggingface.co"
DEFAULT_PIPELINE_TAG = "text-generation"  # the Constellation paper's scope
MAX_PAGE_SIZE = 1000  # the largest page the Hub serves (hub-api.md a.1)

# Only what the snapshot needs (hub-api.md §5): `full=True` would add siblings, kilobytes per model.
EXPAND_FIELDS: tuple[str, ...] = (
    "author",
    "downloads",
    "downloadsAllTime",
    "likes",
    "trendingScore",
    "createdAt",
    "lastModified",
    "tags",
    "pipeline_tag",
    "library_name",
    "gated",
    "safetensors",
    "gguf",
    "cardData",
)


@dataclass(frozen=True)
class Scope:
    """The query of a crawl. `pipeline_tag=None` with no other filter is the whole Hub (`--all`)."""

    pipeline_tag: str | None = DEFAULT_PIPELINE_TAG
    author: str | None = None
    search: str | None = None
    filters: tuple[str, ...] = ()
    limit: int | None = None  # stop after this many models (trial runs)

    def __post_init__(self) -> None:
        if self.limit is not None and self.limit < 1:
            raise CrawlConfigError(f"--limit must be a positive number of models, got {self.limit}")
        for name in ("pipeline_tag", "author", "search"):
            value = getattr(self, name)
            if value is not None and not value.strip():
                raise CrawlConfigError(f"--{name.replace('_', '-')} must not be empty; leave it out instead")

    def query(self) -> list[tuple[str, str]]:
        """The scope's query parameters, in a stable order (repeated keys for filters)."""
        params: list[tuple[str, str]] = []
        if self.pipeline_tag:
            params.append(("pipeline_tag", self.pipeline_tag))
        if self.author:
            params.append(("author", self.author))
        if self.search:
            params.append(("search", self.search))
        params.extend(("filter", f) for f in self.filters)
        return params

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["filters"] = list(self.filters)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scope:
        return cls(
            pipeline_tag=data.get("pipeline_tag"),
            author=data.get("author"),
            search=data.get("search"),
            filters=tuple(data.get("filters") or ()),
            limit=data.get("limit"),
        )

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in self.query()]
        if self.limit is not None:
            parts.append(f"limit={self.limit}")
        return ", ".join(parts) or "the whole Hub"


def scope_key(scope: Scope, endpoint: str) -> str:
    """A short stable fingerprint of (scope, endpoint), stored in checkpoints and manifests."""
    text = json.dumps({"scope": scope.to_dict(), "endpoint": normalize_endpoint(endpoint)}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def normalize_endpoint(endpoint: str) -> str:
    endpoint = endpoint.strip().rstrip("/")
    if not endpoint.startswith(("http://", "https://")):
        raise CrawlConfigError(f"--endpoint must be an http(s) URL such as {DEFAULT_ENDPOINT}, got {endpoint!r}")
    return endpoint


def default_endpoint() -> str:
    """$HF_ENDPOINT, else the real Hub. Read at call time, unlike huggingface_hub which reads it at import."""
    return normalize_endpoint(os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT)


@dataclass(frozen=True)
class CrawlSettings:
    """How hard the crawl tries. Defaults suit the nightly job; tests shrink the waits."""

    page_size: int = MAX_PAGE_SIZE
    request_timeout_s: float = 60.0  # per attempt; huggingface_hub sets none (hub-api.md §3.3)
    max_retries: int = 5  # huggingface_hub's retries per request (429, 5xx, 408, timeouts, network)
    base_wait_s: float = 1.0  # first backoff wait; doubles up to max_wait_s
    max_wait_s: float = 8.0
    # When the library's retries are exhausted (e.g. six 429s: the window is 300 s), the crawl waits this
    # long and asks again, `page_attempts` times in all, before giving up with the checkpoint kept.
    page_attempts: int = 3
    exhausted_wait_s: float = 60.0
    budget_s: float = 6 * 3600.0  # wall-clock budget of one run
    checkpoint_max_age_s: float = 12 * 3600.0  # a checkpoint of a crawl started longer ago is discarded
    max_empty_pages: int = 3  # consecutive empty pages that still say "next" before giving up
    max_cursor_restarts: int = 2  # rejected cursor: restart from the previous page's cursor, then from scratch
    max_drop: float = 0.20  # share of models lost vs the baseline that marks a snapshot suspect
    drop_baseline: int = 5  # the baseline is the median count of this many last `ok` snapshots of the scope
    # After the listing, one page of the scope's newest models (crawler.completeness); 0 turns the probe off.
    probe_size: int = MAX_PAGE_SIZE
    probe_tolerance: float = 0.02  # share of probed ids that may be missing (created or re-ranked meanwhile)

    def __post_init__(self) -> None:
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise CrawlConfigError(f"--page-size must be between 1 and {MAX_PAGE_SIZE}, got {self.page_size}")
        if self.request_timeout_s <= 0:
            raise CrawlConfigError(f"--timeout must be positive seconds, got {self.request_timeout_s}")
        if self.max_retries < 0 or self.page_attempts < 1:
            raise CrawlConfigError(
                f"retries must be >= 0 and page attempts >= 1, got {self.max_retries} and {self.page_attempts}"
            )
        if self.budget_s <= 0:
            raise CrawlConfigError(f"--budget must be positive seconds, got {self.budget_s}")
        if not 0 <= self.max_drop <= 1:
            raise CrawlConfigError(f"--max-drop must be a share between 0 and 1 (0.2 = 20 %), got {self.max_drop}")
        if self.drop_baseline < 1:
            raise CrawlConfigError(f"the drop check needs a baseline of at least 1 snapshot, got {self.drop_baseline}")
        if not 0 <= self.probe_size <= MAX_PAGE_SIZE:
            raise CrawlConfigError(f"--probe-size must be between 0 (off) and {MAX_PAGE_SIZE}, got {self.probe_size}")
        if not 0 <= self.probe_tolerance < 1:
            raise CrawlConfigError(f"the probe tolerance must be a share from 0 to below 1, got {self.probe_tolerance}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> float:
    """Seconds from `90`, `90s`, `30m`, `6h` or `2d`."""
    value = text.strip().lower()
    unit = _UNITS.get(value[-1:])
    number = value[:-1] if unit is not None else value
    try:
        seconds = float(number) * (unit or 1.0)
    except ValueError:
        raise CrawlConfigError(f"{text!r} is not a duration; write e.g. 90s, 30m, 6h or 2d") from None
    if seconds <= 0:
        raise CrawlConfigError(f"a duration must be positive, got {text!r}")
    return seconds
