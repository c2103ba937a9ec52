"""What a crawl asks the Hub for (the scope) and how (the settings).

The scope decides which snapshots are comparable: a checkpoint is resumed, and the drop check compares
counts, only between crawls of the same scope and endpoint.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

from constellation.errors import CrawlConfigError

DEFAULT_ENDPOINT = "https://huggingface.co"
DEFAULT_PIPELINE_TAG = "text-generation"  # the Constellation paper's scope
MAX_PAGE_SIZE = 1000  # the largest page the Hub serves (hub-api.md a.1)
MIB = 1024 * 1024
# A page of 1000 models with EXPAND_FIELDS is about 1 MiB (mean record 1.0 kB, measured on the 1,982 real
# model_info records of ../shared/data/hf-model-trees projected to these fields); 1000 copies of the largest
# record there (61 kB, a long cardData) would be 58 MiB. 64 MiB is above both and bounds the memory.
DEFAULT_MAX_RESPONSE_BYTES = 64 * MIB
DEFAULT_MAX_SERVER_WAIT_S = 300.0  # the Hub's rate-limit window (RateLimit-Policy w=300): no honest wait is longer

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
    expected = f"--endpoint must be an http(s) URL such as {DEFAULT_ENDPOINT}"
    if not endpoint.startswith(("http://", "https://")):
        raise CrawlConfigError(f"{expected}, got {endpoint!r}")
    try:
        parts = urlsplit(endpoint)
        parts.port  # noqa: B018 (raises ValueError for a port out of range or not a number)
    except ValueError as exc:
        raise CrawlConfigError(f"{expected}, got {endpoint!r}: {exc}") from None
    if not parts.hostname:
        raise CrawlConfigError(f"{expected}, got {endpoint!r}: it names no host")
    if parts.query or parts.fragment:
        raise CrawlConfigError(f"{expected}, got {endpoint!r}: an endpoint has no query (?) or fragment (#)")
    return endpoint


def default_endpoint() -> str:
    """$HF_ENDPOINT, else the real Hub. Read at call time, unlike huggingface_hub which reads it at import."""
    return normalize_endpoint(os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT)


@dataclass(frozen=True)
class CrawlSettings:
    """How hard the crawl tries. Defaults suit the nightly job; tests shrink the waits."""

    page_size: int = MAX_PAGE_SIZE
    # The deadline of one HTTP attempt, the whole body included (and the limit of each socket read in it);
    # huggingface_hub sets none (hub-api.md §3.3).
    request_timeout_s: float = 60.0
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES  # a longer answer fails that attempt
    max_server_wait_s: float = DEFAULT_MAX_SERVER_WAIT_S  # a longer Retry-After/RateLimit wait stops the crawl
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
    max_repeated_pages: int = 3  # consecutive pages that bring no id not seen before, before giving up
    max_cursor_restarts: int = 2  # rejected cursor: restart from the previous page's cursor, then from scratch
    max_drop: float = 0.20  # share of models lost vs the baseline that marks a snapshot suspect
    drop_baseline: int = 5  # the baseline is the median count of this many last `ok` snapshots of the scope
    # After the listing, one page of the scope's newest models (crawler.completeness); 0 turns the probe off.
    probe_size: int = MAX_PAGE_SIZE
    probe_tolerance: float = 0.02  # share of probed ids that may be missing (created or re-ranked meanwhile)

    def __post_init__(self) -> None:
        for name, (low, high) in SETTING_RANGES.items():
            check_range(SETTING_OPTIONS.get(name, name), getattr(self, name), low, high)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# Allowed values of each setting, both ends included; a float must also be finite (no nan, no inf).
SETTING_RANGES: dict[str, tuple[float, float]] = {
    "page_size": (1, MAX_PAGE_SIZE),
    "request_timeout_s": (0.001, 3600.0),
    "max_response_bytes": (1024, 4096 * MIB),
    "max_server_wait_s": (0.0, 86400.0),
    "max_retries": (0, 100),
    "base_wait_s": (0.0, 3600.0),
    "max_wait_s": (0.0, 3600.0),
    "page_attempts": (1, 100),
    "exhausted_wait_s": (0.0, 86400.0),
    "budget_s": (0.001, 30 * 86400.0),
    "checkpoint_max_age_s": (0.001, 30 * 86400.0),
    "max_empty_pages": (0, 10_000),
    "max_repeated_pages": (1, 10_000),
    "max_cursor_restarts": (0, 100),
    "max_drop": (0.0, 1.0),
    "drop_baseline": (1, 1000),
    "probe_size": (0, MAX_PAGE_SIZE),
    "probe_tolerance": (0.0, 0.99),
}
# The command-line option of each setting, for messages.
SETTING_OPTIONS: dict[str, str] = {
    "page_size": "--page-size",
    "request_timeout_s": "--timeout",
    "max_response_bytes": "--max-response-size",
    "max_server_wait_s": "--max-server-wait",
    "max_retries": "--retries",
    "base_wait_s": "--retry-wait",
    "exhausted_wait_s": "--exhausted-wait",
    "budget_s": "--budget",
    "checkpoint_max_age_s": "--max-checkpoint-age",
    "max_drop": "--max-drop",
    "probe_size": "--probe-size",
}


def check_range(option: str, value: Any, low: float, high: float) -> None:
    """Refuse nan, inf, non-numbers and values outside [low, high], naming the option and the range."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise CrawlConfigError(
            f"{option} must be a finite number between {number_text(low)} and {number_text(high)}, got {value!r}"
        )
    if not low <= value <= high:
        raise CrawlConfigError(
            f"{option} must be between {number_text(low)} and {number_text(high)}, got {number_text(value)}"
        )


def number_text(value: float) -> str:
    """1000 -> '1000', 2592000.0 -> '2592000', 0.001 -> '0.001'."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


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
    if not math.isfinite(seconds) or seconds <= 0:
        raise CrawlConfigError(f"a duration must be positive and finite, got {text!r}")
    return seconds
