"""Is a listing complete? The Hub sends no total count (hub-api.md a.4) and ends a listing by leaving out
the `Link` header, so a listing that stops early without an error looks like a short, successful one
(table row 19). Three signals decide whether a snapshot is trusted (docs/crawler.md, "Completeness"):

1. the drop check (crawler.publish): the count against the median of the last good snapshots of the scope;
2. the probe (here): after the listing ends, one page of the same scope in another order, newest models
   first (`sort=createdAt`), must be (almost) all in the listing. It needs no earlier snapshot, so it also
   checks a first crawl. Why newest first: the listing is sorted by trendingScore, and most models have
   none, so its tail is those models in `_id` (creation) order. The page a listing loses first, its end,
   is exactly the newest models, which are what this probe asks for;
3. the last page: a page that came full (as many items as asked) but without a `Link` is how a dropped
   link looks (a real last page is full once in `page_size` listings). It is recorded and logged; it makes
   the snapshot suspect only when no probe confirmed the listing.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from crawler.checkpoint import read_part_extras
from crawler.records import usable_id
from crawler.scope import Scope

PROBE_SORT = "createdAt"  # newest first: the Hub sorts only descending (hub-api.md a.1, `direction`)
MISSING_EXAMPLES = 10


def probe_url(endpoint: str, scope: Scope, size: int) -> str:
    """One page of the scope's newest models; only their ids are needed (`expand=createdAt` keeps it small)."""
    params = [*scope.query(), ("sort", PROBE_SORT), ("limit", str(size)), ("expand", "createdAt")]
    return f"{endpoint}/api/models?{urlencode(params)}"


def probe_ids(items: list[Any]) -> list[str]:
    """The ids of a probe page, spelled as the listing stores them (rejected items included)."""
    ids = (usable_id(item) for item in items)
    return list(dict.fromkeys(i for i in ids if i))


@dataclass(frozen=True)
class ProbeCheck:
    """The probe's verdict. `skipped` says why no probe ran; `error` why one could not be used."""

    sort: str = PROBE_SORT
    size: int = 0
    probed: int = 0  # distinct ids on the probe page
    missing: int = 0  # of them, not in the listing
    allowed: int = 0  # missing ids tolerated: a share of the probe, plus `unidentified`
    unidentified: int = 0  # listed items rejected without a usable id: any of them may be a missing one
    missing_examples: list[str] = field(default_factory=list)
    skipped: str | None = None
    error: str | None = None

    @property
    def confirmed(self) -> bool:
        return self.skipped is None and self.error is None and self.missing <= self.allowed

    @property
    def failed(self) -> bool:
        return self.skipped is None and not self.confirmed

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "confirmed": self.confirmed}

    def describe(self) -> str:
        if self.error is not None:
            return f"the completeness probe could not be used: {self.error}"
        return (
            f"{self.missing} of the {self.probed} newest models of the scope (sort={self.sort}) are not in the "
            f"listing, more than the {self.allowed} allowed (e.g. {', '.join(self.missing_examples[:3])})"
        )


def allowed_missing(probed: int, tolerance: float) -> int:
    """Missing ids tolerated: a share of the probe, rounded up (so at least one for a non-empty probe)."""
    return math.ceil(tolerance * probed)


def check_probe(ids: list[str], parts: list[Path], size: int, tolerance: float) -> ProbeCheck:
    """Which probed ids the staged parts do not hold, as rows or as rejected items. Streams the parts'
    id columns; memory is the probe's ids."""
    missing = set(ids)
    unidentified = 0
    for path in parts:
        if not missing:
            break
        listed = pq.read_table(path, columns=["id"]).column("id")
        hits = pc.filter(listed, pc.is_in(listed, value_set=pa.array(sorted(missing), pa.string())))
        missing.difference_update(hits.to_pylist())
        rejected = read_part_extras(path).rejected
        missing.difference_update(r.get("id") for r in rejected)
        unidentified += sum(1 for r in rejected if r.get("id") is None)
    ordered = [i for i in ids if i in missing]
    return ProbeCheck(
        size=size,
        probed=len(ids),
        missing=len(ordered),
        allowed=allowed_missing(len(ids), tolerance) + unidentified,
        unidentified=unidentified,
        missing_examples=ordered[:MISSING_EXAMPLES],
    )
