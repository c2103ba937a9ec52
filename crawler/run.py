"""One crawl, start to finish: resume or start, follow the pages, checkpoint each one, publish.

    crawl()  →  lock staging → resume the checkpoint or start a new one
             →  per page: fetch (timeouts, retries, guards) → validate → part file → checkpoint
             →  completeness probe (crawler.completeness)
    →  publish: snapshot Parquet, then manifest (drop check, probe: `ok` or `suspect`) → clear staging

Its three duties: never lose data (every page is on disk before the next one is asked for), never hang
(a deadline on every attempt, a cap on every server-asked wait, a wall-clock budget over the run), never
publish a partial snapshot (a listing that cannot be finished stops with the checkpoint kept;
publication is all-or-nothing). SIGINT and SIGTERM stop it between pages (or in a network call or a wait),
with one line saying what was kept.
"""

from __future__ import annotations

import logging
import signal
import sys
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import huggingface_hub
import pyarrow.parquet as pq
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

import constellation
from constellation.contract import DataLayout, snapshot_id_for
from constellation.errors import (
    ConstellationError,
    CrawlInterrupted,
    CursorRejected,
    EndlessEmptyPages,
    ListingError,
    RepeatingPages,
    SuspectSnapshot,
)
from constellation.store import read_manifest, write_json_atomic
from crawler.budget import Deadline, watchdog
from crawler.checkpoint import Checkpoint, Staging, read_part_extras, storage
from crawler.completeness import ProbeCheck, check_probe, probe_ids, probe_url
from crawler.fetch import CursorRefused, ListingGuard, Page, PageFetcher, first_url, limits_of
from crawler.http import Tally, counting, ensure_online, hub_headers, resolve_token
from crawler.publish import DropCheck, check_drop, good_snapshots, previous_snapshot, publish
from crawler.records import convert_items
from crawler.scope import EXPAND_FIELDS, CrawlSettings, Scope, default_endpoint, normalize_endpoint, scope_key

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CrawlResult:
    snapshot_id: str
    status: str  # "ok" or "suspect"
    manifest: dict[str, Any]
    resumed: bool


@dataclass(frozen=True)
class CrawlPlan:
    """What `--dry-run` reports: what a crawl would do, and what the first page looks like."""

    endpoint: str
    scope: str
    first_url: str
    authenticated: bool
    checkpoint: str
    previous_snapshot: str | None
    first_page_models: int
    first_page_has_next: bool
    synthetic: bool


def crawl(
    layout: DataLayout,
    scope: Scope,
    *,
    endpoint: str | None = None,
    settings: CrawlSettings | None = None,
    accept_drop: bool = False,
    progress: bool = True,
    now: datetime | None = None,
) -> CrawlResult:
    """Crawl `scope` from `endpoint` into a published snapshot of `layout`; resume a checkpoint if one fits.

    Raises a CrawlError subclass (with its exit code) when the crawl cannot finish; the checkpoint is kept.
    Raises SuspectSnapshot after publishing a snapshot that lost more than `settings.max_drop` of the
    previous one's models, unless `accept_drop`. Every attempt, whatever its end, is recorded in
    `layout.last_crawl` for `constellation status`.
    """
    started = datetime.now(UTC)
    try:
        result = _crawl(
            layout, scope, endpoint=endpoint, settings=settings, accept_drop=accept_drop, progress=progress, now=now
        )
    except ConstellationError as exc:
        _record_attempt(layout, started, type(exc).__name__, exc.exit_code, str(exc))
        raise
    _record_attempt(layout, started, result.status, 0, f"published snapshot {result.snapshot_id}")
    return result


def _record_attempt(layout: DataLayout, started: datetime, outcome: str, exit_code: int, message: str) -> None:
    record = {
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "outcome": outcome,
        "exit_code": exit_code,
        "message": message[:1000],
    }
    try:
        write_json_atomic(layout.last_crawl, record)
    except OSError as exc:  # the record is a courtesy to `status`: never let it hide the crawl's own outcome
        log.warning("could not record the crawl's outcome in %s: %s", layout.last_crawl, exc)


def _crawl(
    layout: DataLayout,
    scope: Scope,
    *,
    endpoint: str | None = None,
    settings: CrawlSettings | None = None,
    accept_drop: bool = False,
    progress: bool = True,
    now: datetime | None = None,
) -> CrawlResult:
    """The crawl itself; `crawl` records how it ended."""
    settings = settings or CrawlSettings()
    endpoint = normalize_endpoint(endpoint or default_endpoint())
    key = scope_key(scope, endpoint)
    ensure_online()
    headers = hub_headers(resolve_token())
    staging = Staging(layout)
    deadline = Deadline(settings.budget_s)
    tally = Tally()
    with staging.locked(), counting(tally, limits_of(settings)), watchdog(deadline):
        checkpoint, resumed = _start_or_resume(layout, staging, scope, key, endpoint, settings, now)
        run = _Run(layout, staging, checkpoint, scope, endpoint, settings, headers, deadline, tally, progress)
        if not checkpoint.done:
            try:
                run.follow_pages()
            except CrawlInterrupted as exc:
                name = signal.Signals(exc.signum).name
                raise CrawlInterrupted(
                    f"crawl {checkpoint.snapshot_id} stopped by {name} at page {checkpoint.pages} "
                    f"({checkpoint.stored:,} models staged); the checkpoint is kept: run the crawl again to resume",
                    exc.signum,
                ) from None
        if deadline.stop_signal is not None:
            log.warning(
                "%s arrived as the listing ended; publishing the snapshot first",
                signal.Signals(deadline.stop_signal).name,
            )
        return run.publish(accept_drop, resumed)


def plan(
    layout: DataLayout, scope: Scope, *, endpoint: str | None = None, settings: CrawlSettings | None = None
) -> CrawlPlan:
    """A dry run: resolve everything and fetch the first page, but write nothing."""
    settings = settings or CrawlSettings()
    endpoint = normalize_endpoint(endpoint or default_endpoint())
    key = scope_key(scope, endpoint)
    ensure_online()
    token = resolve_token()
    now = datetime.now(UTC)
    checkpoint = Staging(layout).load()
    if checkpoint is None:
        state = "none: a new crawl would start"
    elif (reason := _stale_reason(checkpoint, scope, key, endpoint, settings, now)) is not None:
        state = f"crawl {checkpoint.snapshot_id} would be discarded: {reason}"
    else:
        state = (
            f"crawl {checkpoint.snapshot_id} would resume at page {checkpoint.pages} ({checkpoint.seen:,} models seen)"
        )
    previous = previous_snapshot(layout, key, "99999999T999999Z")
    url = first_url(endpoint, scope, settings.page_size)
    tally = Tally()
    deadline = Deadline(settings.budget_s)
    with counting(tally, limits_of(settings)), watchdog(deadline):
        page = PageFetcher(endpoint, settings, hub_headers(token), deadline, tally).fetch(url, is_first=True)
    return CrawlPlan(
        endpoint=endpoint,
        scope=scope.describe(),
        first_url=url,
        authenticated=token is not None,
        checkpoint=state,
        previous_snapshot=f"{previous[0]} ({previous[1]:,} models)" if previous else None,
        first_page_models=len(page.items),
        first_page_has_next=page.next_url is not None,
        synthetic=page.synthetic,
    )


# --------------------------------------------------------------------------------------------------


def _stale_reason(
    checkpoint: Checkpoint, scope: Scope, key: str, endpoint: str, settings: CrawlSettings, now: datetime
) -> str | None:
    if checkpoint.scope_key != key:
        return (
            f"it was for {Scope.from_dict(checkpoint.scope).describe()} at {checkpoint.endpoint}, "
            f"this crawl is for {scope.describe()} at {endpoint}"
        )
    age = checkpoint.age_s(now)
    if age > settings.checkpoint_max_age_s:
        return f"it started {age / 3600:.1f} h ago (more than {settings.checkpoint_max_age_s / 3600:.1f} h)"
    return None


def _start_or_resume(
    layout: DataLayout,
    staging: Staging,
    scope: Scope,
    key: str,
    endpoint: str,
    settings: CrawlSettings,
    now: datetime | None,
) -> tuple[Checkpoint, bool]:
    moment = now or datetime.now(UTC)
    checkpoint = staging.load()
    if checkpoint is not None:
        reason = _stale_reason(checkpoint, scope, key, endpoint, settings, moment)
        missing = [p.name for p in staging.part_paths(checkpoint.pages) if not p.is_file()]
        if reason is None and missing:
            reason = f"{len(missing)} of its {checkpoint.pages} staged pages are missing (e.g. {missing[0]})"
        if reason is None:
            reason = _rewind_to_good_parts(staging, checkpoint, endpoint, scope, settings)
        if reason is None:
            checkpoint.runs += 1
            log.info(
                "resuming crawl %s at page %d (%s models seen; it started %.0f s ago)",
                checkpoint.snapshot_id,
                checkpoint.pages,
                f"{checkpoint.seen:,}",
                checkpoint.age_s(moment),
            )
            staging.drop_parts_from(checkpoint.pages)  # a page written after the last checkpoint
            return checkpoint, True
        log.warning("discarding the checkpoint of crawl %s: %s", checkpoint.snapshot_id, reason)
    staging.clear()
    snapshot_id = _free_snapshot_id(layout, moment)
    checkpoint = Checkpoint(
        snapshot_id=snapshot_id,
        scope=scope.to_dict(),
        scope_key=key,
        endpoint=endpoint,
        started_at=moment.astimezone(UTC).isoformat(),
        next_url=first_url(endpoint, scope, settings.page_size),
    )
    staging.save(checkpoint)
    log.info("crawl %s: %s from %s, %d models per page", snapshot_id, scope.describe(), endpoint, settings.page_size)
    return checkpoint, False


def _rewind_to_good_parts(
    staging: Staging, checkpoint: Checkpoint, endpoint: str, scope: Scope, settings: CrawlSettings
) -> str | None:
    """Resume from the first staged page that cannot be read back (cut short, corrupt): drop it and the
    pages after it, and fetch them again from its URL. The reason to discard the checkpoint instead, when
    that URL is no longer known (only the last few are kept)."""
    bad = staging.first_bad_part(checkpoint.pages)
    if bad is None:
        return None
    index, problem = bad
    url = first_url(endpoint, scope, settings.page_size) if index == 0 else checkpoint.page_urls.get(str(index))
    if url is None:
        return f"staged page {index} is unusable ({problem}) and its URL is no longer known"
    log.warning(
        "staged page %d of crawl %s is unusable (%s); fetching pages %d..%d again",
        index,
        checkpoint.snapshot_id,
        problem,
        index,
        checkpoint.pages - 1,
    )
    staging.drop_parts_from(index)
    checkpoint.pages, checkpoint.next_url, checkpoint.last_page_full = index, url, False
    checkpoint.page_urls = {k: v for k, v in checkpoint.page_urls.items() if int(k) < index}
    checkpoint.seen = checkpoint.stored = checkpoint.rejected = 0
    for path in staging.part_paths(index):
        extras = read_part_extras(path)
        checkpoint.seen += extras.seen
        checkpoint.rejected += len(extras.rejected)
        checkpoint.stored += pq.read_metadata(path).num_rows
    staging.save(checkpoint)
    return None


def _completeness_failures(
    drop: DropCheck, probe: ProbeCheck, last_page_full: bool, page_size: int
) -> tuple[list[str], list[str]]:
    """The checks that failed (names) and why (one line each, with the numbers); empty when trusted."""
    failed: list[str] = []
    reasons: list[str] = []
    if drop.suspect:
        failed.append("drop_check")
        reasons.append(f"drop check: {drop.describe()}")
    if probe.failed:
        failed.append("probe")
        reasons.append(f"probe: {probe.describe()}")
    if last_page_full and not probe.confirmed:
        failed.append("last_page_full")
        reasons.append(
            f"last page: the listing ended on a full page ({page_size} models) without a next link, "
            "and no probe confirmed it complete"
        )
    return failed, reasons


def _suspect_message(snapshot_id: str, manifest: dict[str, Any]) -> str:
    failed = manifest.get("completeness", {}).get("failed", ["drop_check"])
    reasons = manifest.get("suspect_reasons") or ["the count dropped more than allowed"]
    advice = []
    if failed != ["drop_check"]:
        advice.append("the listing probably ended early (a page without a next link): crawl again")
    if "drop_check" in failed:
        advice.append("if the drop is real, crawl again with --accept-drop")
    text = "; ".join(advice)
    return (
        f"snapshot {snapshot_id} is published but marked 'suspect' (build skips it): {'; '.join(reasons)}. "
        f"{text[:1].upper()}{text[1:]}."
    )


def _free_snapshot_id(layout: DataLayout, moment: datetime) -> str:
    """The start time as an id; if a snapshot already has that second, the next free second."""
    while True:
        snapshot_id = snapshot_id_for(moment)
        if not layout.snapshot(snapshot_id).exists() and not layout.manifest(snapshot_id).exists():
            return snapshot_id
        moment += timedelta(seconds=1)


class _Run:
    """The state of one run of the crawl loop (a resumed crawl is a new run on the same checkpoint)."""

    def __init__(
        self,
        layout: DataLayout,
        staging: Staging,
        checkpoint: Checkpoint,
        scope: Scope,
        endpoint: str,
        settings: CrawlSettings,
        headers: dict[str, str],
        deadline: Deadline,
        tally: Tally,
        progress: bool,
    ) -> None:
        self.layout = layout
        self.staging = staging
        self.cp = checkpoint
        self.scope = scope
        self.endpoint = endpoint
        self.settings = settings
        self.deadline = deadline
        self.tally = tally
        self.fetcher = PageFetcher(endpoint, settings, headers, deadline, tally)
        self.progress = progress
        self._base_requests = checkpoint.requests
        self._base_retries = Counter(checkpoint.retries)
        self._base_active = checkpoint.active_s
        self._refused_at: int | None = None
        self._refusals = 0

    # the page loop ------------------------------------------------------------------------------
    def follow_pages(self) -> None:
        bar = tqdm(
            total=self.scope.limit,
            initial=self.cp.seen,
            unit=" models",
            desc=f"crawl {self.cp.snapshot_id}",
            file=sys.stderr,
            disable=not self.progress,
            mininterval=0.5,
            dynamic_ncols=True,
        )
        # Log lines go above the bar instead of breaking it.
        redirect = logging_redirect_tqdm() if self.progress else nullcontext()
        try:
            with redirect:
                self._loop(bar)
        finally:
            bar.close()
            self._save_stats()  # keep the counts of a failed run too

    def _loop(self, bar: tqdm) -> None:
        guard = self._new_guard()
        while self.cp.next_url is not None:
            self.deadline.check("crawling")
            index, url = self.cp.pages, self.cp.next_url
            try:
                page = self.fetcher.fetch(url, is_first=index == 0)
            except CursorRefused as exc:
                self._restart_after_refusal(exc)
                guard = self._new_guard()
                continue
            try:
                guard.check(page, index)
            except EndlessEmptyPages:
                self._rewind_to(guard.empty_start)
                raise
            except RepeatingPages:
                self._rewind_to(guard.repeat_start)
                raise
            self._stage(index, page)
            bar.update(len(page.items))
            bar.set_postfix(pages=self.cp.pages, retries=self._retries_total(), refresh=False)

    def _stage(self, index: int, page: Page) -> None:
        items, next_url = page.items, page.next_url
        if self.scope.limit is not None and self.cp.seen + len(items) >= self.scope.limit:
            items, next_url = items[: self.scope.limit - self.cp.seen], None
        converted = convert_items(items, page.fetched_at)
        for rejection in converted.rejected:
            log.warning("page %d: rejected item %s: %s", index, rejection.id or "(no id)", rejection.reason)
        if converted.fixed.total:
            log.warning(
                "page %d: %d values could not be stored as sent and were fixed (%s)",
                index,
                converted.fixed.total,
                ", ".join(f"{column}: {entry['count']}" for column, entry in converted.fixed.to_dict().items()),
            )
        self.staging.write_part(
            index, converted.table, converted.seen, converted.rejected, converted.rejected_lineage, converted.fixed
        )
        cp = self.cp
        # A dropped Link looks like this; a real last page is this full once in page_size listings.
        cp.last_page_full = page.next_url is None and len(page.items) >= self.settings.page_size
        cp.remember_url(index, page.url)
        cp.pages += 1
        cp.next_url = next_url
        cp.seen += converted.seen
        cp.stored += converted.table.num_rows
        cp.rejected += len(converted.rejected)
        cp.synthetic = cp.synthetic or page.synthetic
        if self._refused_at is not None and cp.pages > self._refused_at:
            self._refused_at, self._refusals = None, 0
        self._save_stats()
        log.debug("page %d: %d models, next: %s", index, converted.seen, "yes" if next_url else "end of listing")

    def _restart_after_refusal(self, exc: CursorRefused) -> None:
        """A rejected cursor: go back one page (its cursor was accepted before), then to page 0."""
        cp = self.cp
        self._refusals += 1
        self._refused_at = cp.pages
        cp.cursor_restarts += 1
        self.tally.failure("cursor_restart")
        if self._refusals > self.settings.max_cursor_restarts:
            raise CursorRejected(
                f"the Hub rejected the cursor of page {cp.pages} ({exc}) {self._refusals} times, also after "
                "restarting from an earlier page and from the first page. The checkpoint is kept; run the crawl "
                "again later."
            )
        previous = cp.pages - 1
        if self._refusals == 1 and str(previous) in cp.page_urls:
            restart, url = previous, cp.page_urls[str(previous)]
        else:
            restart, url = 0, first_url(self.endpoint, self.scope, self.settings.page_size)
        log.warning(
            "page %d: %s; restarting from page %d (restart %d of at most %d)",
            cp.pages,
            exc,
            restart,
            self._refusals,
            self.settings.max_cursor_restarts,
        )
        self._forget_pages_from(restart)
        cp.next_url = url
        self._save_stats()

    def _new_guard(self) -> ListingGuard:
        return ListingGuard(self.settings.max_empty_pages, self.settings.max_repeated_pages)

    def _rewind_to(self, start_page: tuple[int, str] | None) -> None:
        """Point the checkpoint back at the first of a run of empty (or repeating) pages: the next run asks
        that cursor again instead of continuing down the chain."""
        if start_page is not None:
            start, url = start_page
            self._forget_pages_from(start)
            self.cp.next_url = url

    def _forget_pages_from(self, start: int) -> None:
        cp = self.cp
        for path in self.staging.part_paths(cp.pages)[start:]:
            extras = read_part_extras(path)
            cp.seen -= extras.seen
            cp.rejected -= len(extras.rejected)
            cp.stored -= pq.read_metadata(path).num_rows
        self.staging.drop_parts_from(start)
        cp.pages = start
        cp.page_urls = {k: v for k, v in cp.page_urls.items() if int(k) < start}

    def _probe(self) -> ProbeCheck:
        """Fetch one page of the scope's newest models and check that the staged listing holds them."""
        size = self.settings.probe_size
        if size == 0:
            return ProbeCheck(skipped="turned off (--probe-size 0)")
        if self.scope.limit is not None and self.cp.seen >= self.scope.limit:
            return ProbeCheck(size=size, skipped=f"the crawl stopped at --limit {self.scope.limit}, as asked")
        try:
            page = self.fetcher.fetch(probe_url(self.endpoint, self.scope, size), is_first=True)
        except ListingError as exc:  # an answer that cannot be used; a Hub that does not answer stops the crawl
            log.warning("the completeness probe failed: %s", exc)
            return ProbeCheck(size=size, error=str(exc))
        check = check_probe(
            probe_ids(page.items), self.staging.part_paths(self.cp.pages), size, self.settings.probe_tolerance
        )
        log.info("completeness probe: %d of the %d newest models are not in the listing", check.missing, check.probed)
        return check

    def _retries_total(self) -> int:
        return sum(self._base_retries.values()) + self.tally.total_retries

    def _save_stats(self) -> None:
        self.cp.requests = self._base_requests + self.tally.requests
        self.cp.retries = dict(self._base_retries + Counter(self.tally.retries_dict()))
        self.cp.active_s = round(self._base_active + self.deadline.elapsed(), 3)
        self.staging.save(self.cp)

    # publication --------------------------------------------------------------------------------
    def publish(self, accept_drop: bool, resumed: bool) -> CrawlResult:
        cp = self.cp
        sid = cp.snapshot_id
        if self.layout.snapshot(sid).is_file() and self.layout.manifest(sid).is_file():
            # Killed after publishing, before clearing the staging folder.
            log.info("snapshot %s was already published; clearing the staging folder", sid)
            self.staging.clear()
            published = read_manifest(self.layout, sid)
            if published.get("status") == "suspect":
                raise SuspectSnapshot(_suspect_message(sid, published))
            return CrawlResult(sid, published.get("status", "ok"), published, resumed)
        probe = self._probe()
        self._save_stats()
        # A crawl killed while publishing leaves its temporary files behind (atomic_path names them so).
        for leftover in self.layout.snapshots.glob(f".{sid}.*.tmp"):
            leftover.unlink(missing_ok=True)
        finished = datetime.now(UTC)
        started = datetime.fromisoformat(cp.started_at)
        manifest: dict[str, Any] = {
            "snapshot_id": sid,
            "scope": cp.scope,
            "scope_description": self.scope.describe(),
            "scope_key": cp.scope_key,
            "endpoint": cp.endpoint,
            "client": {"huggingface_hub": huggingface_hub.__version__, "constellation": constellation.__version__},
            "synthetic": cp.synthetic,
            "started_at": cp.started_at,
            "finished_at": finished.isoformat(),
            "duration_s": round((finished - started).total_seconds(), 3),
            "active_s": cp.active_s,
            "runs": cp.runs,
            "pages": cp.pages,
            "requests": cp.requests,
            "retries": cp.retries,
            "cursor_restarts": cp.cursor_restarts,
            "expand": list(EXPAND_FIELDS),
            "settings": self.settings.to_dict(),
        }
        baseline = good_snapshots(self.layout, cp.scope_key, sid, self.settings.drop_baseline)
        verdict: list[tuple[DropCheck, list[str]]] = []

        def decide(assembled: Any) -> dict[str, Any]:
            check = check_drop(baseline, assembled.stored, self.settings.max_drop, accept_drop=accept_drop)
            failed, reasons = _completeness_failures(check, probe, cp.last_page_full, self.settings.page_size)
            verdict.append((check, reasons))
            return {
                "status": "suspect" if failed else "ok",
                "drop_check": check.to_dict(),
                "completeness": {"probe": probe.to_dict(), "last_page_full": cp.last_page_full, "failed": failed},
                "suspect_reasons": reasons,
            }

        with storage(f"publishing snapshot {sid}"):
            assembled, manifest = publish(self.layout, sid, self.staging.part_paths(cp.pages), manifest, decide)
        self.staging.clear()
        counts = manifest["counts"]
        log.info(
            "published snapshot %s: %s models (%d rejected, %d values fixed, %d duplicates) from %d pages, "
            "%d requests, retries %s, in %.1f s",
            sid,
            f"{counts['stored']:,}",
            counts["rejected"],
            counts["fixed_values"],
            counts["duplicates"],
            cp.pages,
            cp.requests,
            cp.retries or "none",
            cp.active_s,
        )
        check, reasons = verdict[0]
        if check.accepted:
            log.warning(
                "the count dropped by %.1f %% from the median of the last good snapshots; accepted (--accept-drop)",
                100 * (check.drop or 0),
            )
        if cp.last_page_full and not reasons:
            log.warning(
                "the listing ended on a full page (%d models) without a next link; the probe confirmed it complete",
                self.settings.page_size,
            )
        if reasons:
            raise SuspectSnapshot(_suspect_message(sid, manifest))
        return CrawlResult(sid, manifest["status"], manifest, resumed)
