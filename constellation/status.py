"""`constellation status`: what the nightly job last did and how old the site's data is, for a human or a
monitor. Reads only: manifests, the staging checkpoint, build.json and atlas/LATEST.

The age that counts is the data's: the time the crawl behind the site's atlas started (its snapshot id),
not when the atlas was built, so a rebuild of old data does not look fresh.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from constellation.contract import DataLayout, parse_snapshot_id
from constellation.errors import ContractError
from constellation.store import (
    in_nightly_scope,
    manifest_or_empty,
    partial_scope,
    read_build_info,
    site_scope_key,
)


@dataclass(frozen=True)
class CrawlStatus:
    snapshot_id: str
    status: str  # ok or suspect
    models: int | None
    finished_at: str | None
    scope: str  # "nightly" or why it is not a full listing
    suspect_reasons: list[Any]


@dataclass(frozen=True)
class Status:
    now: str
    last_crawl: CrawlStatus | None  # the newest published snapshot of any kind
    unfinished_crawl: dict[str, Any] | None  # the staging checkpoint: a crawl running, failed or stopped
    last_attempt: dict[str, Any] | None  # how the newest crawl attempt ended (last_crawl.json), even a failed one
    site_atlas: str | None  # what atlas/LATEST names
    site_atlas_built_at: str | None
    site_atlas_models: int | None
    data_age_s: float | None  # now minus the start of the crawl behind the site's atlas
    last_build: str | None  # the atlas most recently built (any snapshot)
    last_build_at: str | None
    unbuilt_snapshot: str | None  # a newer ok full listing of the site's scope, not built yet
    other_scope_snapshot: str | None  # a newer ok full listing of another scope (endpoint, pipeline tag)
    problem: str | None  # why the site is stale or missing; None when fine

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_status(layout: DataLayout, max_age_s: float, now: datetime | None = None) -> Status:
    now = now or datetime.now(UTC)
    last_crawl = _last_crawl(layout)
    site, site_error = _site_atlas(layout)
    build = _build_info(layout, site) if site else None
    age = (now - parse_snapshot_id(site)).total_seconds() if site else None

    last_build, last_build_at = None, None
    for sid in layout.atlas_ids():
        info = _build_info(layout, sid)
        built_at = info.get("built_at") if info else None
        if isinstance(built_at, str) and (last_build_at is None or built_at > last_build_at):
            last_build, last_build_at = sid, built_at

    unbuilt, other_scope = None, None
    site_key = site_scope_key(layout)
    for sid in reversed(layout.snapshot_ids()):
        if site is not None and sid <= site:
            break
        manifest = manifest_or_empty(layout, sid)
        if manifest.get("status", "ok") != "ok" or partial_scope(manifest) is not None:
            continue
        if not in_nightly_scope(manifest, site_key):
            other_scope = other_scope or sid
            continue
        if _build_info(layout, sid) is None:
            unbuilt = sid
        break

    problem = site_error
    if problem is None and age is not None and age > max_age_s:
        problem = f"the site's data (snapshot {site}) is {_hours(age)} old, more than the allowed {_hours(max_age_s)}"
    return Status(
        now=now.isoformat(timespec="seconds"),
        last_crawl=last_crawl,
        unfinished_crawl=_checkpoint(layout),
        last_attempt=_last_attempt(layout),
        site_atlas=site,
        site_atlas_built_at=(build or {}).get("built_at"),
        site_atlas_models=((build or {}).get("counts") or {}).get("models"),
        data_age_s=None if age is None else round(age, 1),
        last_build=last_build,
        last_build_at=last_build_at,
        unbuilt_snapshot=unbuilt,
        other_scope_snapshot=other_scope,
        problem=problem,
    )


def describe(status: Status) -> list[str]:
    """The status as lines for a terminal."""
    lines = []
    crawl = status.last_crawl
    if crawl is None:
        lines.append("last crawl:   none published")
    else:
        what = "" if crawl.scope == "nightly" else f", {crawl.scope}"
        models = "?" if crawl.models is None else f"{crawl.models:,}"
        lines.append(f"last crawl:   {crawl.snapshot_id} — {crawl.status}, {models} models{what}")
        if crawl.suspect_reasons:
            lines.append(f"              suspect: {json.dumps(crawl.suspect_reasons, default=str)[:300]}")
    attempt = status.last_attempt
    if attempt and attempt.get("exit_code") not in (0, None):
        lines.append(
            f"last attempt: {attempt.get('finished_at')} — {attempt.get('outcome')} (exit {attempt.get('exit_code')}): "
            f"{str(attempt.get('message', ''))[:300]}"
        )
    if status.unfinished_crawl:
        cp = status.unfinished_crawl
        lines.append(
            f"unfinished:   crawl {cp.get('snapshot_id')} started {cp.get('started_at')}, "
            f"{cp.get('pages')} pages staged (running, failed or stopped; the next run resumes it)"
        )
    if status.last_build:
        lines.append(f"last build:   atlas {status.last_build}, built {status.last_build_at}")
    if status.site_atlas:
        models = "?" if status.site_atlas_models is None else f"{status.site_atlas_models:,}"
        lines.append(
            f"site shows:   atlas {status.site_atlas} ({models} models, built {status.site_atlas_built_at}); "
            f"data {_hours(status.data_age_s or 0)} old"
        )
    if status.unbuilt_snapshot:
        lines.append(
            f"not built:    snapshot {status.unbuilt_snapshot} is newer than the site's atlas; run `make build`"
        )
    if status.other_scope_snapshot:
        lines.append(
            f"other scope:  snapshot {status.other_scope_snapshot} is a full listing of another scope or endpoint "
            f"than the site's; `constellation build --snapshot {status.other_scope_snapshot} --publish` switches"
        )
    lines.append(f"verdict:      {'STALE: ' + status.problem if status.problem else 'fresh'}")
    return lines


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h"


def _build_info(layout: DataLayout, sid: str) -> dict[str, Any] | None:
    try:
        return read_build_info(layout, sid)
    except (OSError, ContractError):
        return None


def _last_crawl(layout: DataLayout) -> CrawlStatus | None:
    ids = layout.snapshot_ids()
    if not ids:
        return None
    manifest = manifest_or_empty(layout, ids[-1])
    stored = (manifest.get("counts") or {}).get("stored")
    return CrawlStatus(
        snapshot_id=ids[-1],
        status=str(manifest.get("status", "unknown")),
        models=stored if isinstance(stored, int) else None,
        finished_at=manifest.get("finished_at"),
        scope=partial_scope(manifest) or "nightly",
        suspect_reasons=list(manifest.get("suspect_reasons") or []),
    )


def _site_atlas(layout: DataLayout) -> tuple[str | None, str | None]:
    try:
        sid = layout.latest_atlas_id()
    except ContractError as exc:
        return None, str(exc)
    if sid is None:
        return None, f"no atlas in {layout.atlases}: run `make crawl` then `make build`"
    if _build_info(layout, sid) is None:
        return sid, f"atlas {sid} is incomplete or unreadable (no valid build.json); run `make build`"
    return sid, None


def _last_attempt(layout: DataLayout) -> dict[str, Any] | None:
    try:
        record = json.loads(layout.last_crawl.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # none yet, or unreadable: status reports what it can
        return None
    return record if isinstance(record, dict) else None


def _checkpoint(layout: DataLayout) -> dict[str, Any] | None:
    path = layout.staging / "checkpoint.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return {k: data.get(k) for k in ("snapshot_id", "started_at", "pages", "stored")}
