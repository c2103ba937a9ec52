"""Issue #11, "bounded everything": one answer can never hang or sink the crawl. A body trickled a byte at a
time meets the per-attempt deadline, an endless body the size cap, a day-long Retry-After the wait cap, and
endless pages of the same ids the repeating-pages guard; each stops with its documented error and the
checkpoint kept. All against the real fake Hub with the real huggingface_hub client."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from constellation.contract import DataLayout
from constellation.errors import HubUnavailable, ListingError, RepeatingPages
from crawler.checkpoint import Staging
from crawler.fetch import SeenIds
from crawler.run import crawl
from crawler.scope import CrawlSettings, Scope
from fakehub.faults import Fault
from fakehub.server import FakeHub
from tests.crawler.conftest import PAGE_SIZE, snapshot_rows, text_generation_ids
from tests.crawler.test_resume import crawl_env, pages_staged

MIB = 1024 * 1024


def tighter(settings: CrawlSettings, **changes) -> CrawlSettings:
    return CrawlSettings(**{**settings.to_dict(), **changes})


def crawl_with(layout, records, settings, *faults: Fault):
    with FakeHub(records, page_size=PAGE_SIZE, faults=list(faults)) as hub:
        result = crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False)
        hub.wait_requests(result.manifest["requests"], timeout=5)
        return result, hub


def stops_with(layout, records, settings, error, *faults: Fault, match: str):
    """The crawl stops with `error` (message matching `match`), publishes nothing and keeps a checkpoint
    that a second run, once the fault is gone, resumes into the complete snapshot."""
    with FakeHub(records, page_size=PAGE_SIZE, faults=list(faults)) as hub:
        with pytest.raises(error, match=match) as info:
            crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False)
        assert "Traceback" not in str(info.value)
        assert layout.snapshot_ids() == []
        checkpoint = Staging(layout).load()
        assert checkpoint is not None
        hub.faults.clear()
        result = crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False)
    assert result.resumed and result.snapshot_id == checkpoint.snapshot_id
    assert [r["id"] for r in snapshot_rows(layout, result.snapshot_id)] == text_generation_ids(records)
    return info.value, checkpoint


# -- a deadline per attempt -------------------------------------------------------------------------------


def test_a_trickled_body_meets_the_attempt_deadline_and_is_retried(layout, records, settings):
    # A byte every 0.2 s: no single read waits the 1 s timeout, so only a deadline on the whole attempt ends it.
    # Before: the attempt lasted until the page's ~1.5 kB had dribbled in (minutes), cut by the 30 s budget.
    result, hub = crawl_with(layout, records, settings, Fault("trickle_body", page=2, interval=0.2, bytes=1))
    assert hub.faults.fired
    assert result.manifest["retries"] == {"timeout": 1}
    assert [r["id"] for r in snapshot_rows(layout, result.snapshot_id)] == text_generation_ids(records)


def test_a_body_trickled_forever_is_hub_unavailable(layout, records, settings):
    quick = tighter(settings, request_timeout_s=0.5, max_retries=1, page_attempts=1)
    error, checkpoint = stops_with(
        layout, records, quick, HubUnavailable, Fault("trickle_body", page=1, interval=0.1, times=-1),
        match=r"ReadTimeout.*deadline of 0.5 s \(--timeout\)",
    )  # fmt: skip
    assert error.exit_code == 5 and checkpoint.pages == 1
    assert checkpoint.retries == {"timeout": 2, "exhausted": 1}


# -- a cap on a response's size ---------------------------------------------------------------------------


def test_an_endless_body_is_cut_at_the_size_cap(layout, records, settings):
    # The fake stops after 8 MiB so that the test cannot eat memory when the cap is missing.
    capped = tighter(settings, max_response_bytes=MIB)
    error, checkpoint = stops_with(
        layout, records, capped, ListingError, Fault("endless_body", page=1, times=-1, stop_after=8 * MIB),
        match=r"grew past 1 MiB, the cap on an answer's size \(--max-response-size\)",
    )  # fmt: skip
    assert error.exit_code == 6 and checkpoint.pages == 1
    assert checkpoint.retries == {"too_large": settings.page_attempts}


def test_a_declared_length_above_the_cap_is_refused_before_reading(layout, records, settings):
    capped = tighter(settings, max_response_bytes=MIB)
    error, _ = stops_with(
        layout, records, capped, ListingError,
        Fault("endless_body", page=2, times=-1, stop_after=8 * MIB, declare_length=True),
        match=r"declares 1,000,000,000,000 bytes \(Content-Length\), more than the cap of 1 MiB",
    )  # fmt: skip
    assert error.exit_code == 6


def test_one_endless_body_is_retried_like_a_bad_body(layout, records, settings):
    capped = tighter(settings, max_response_bytes=MIB)
    result, _ = crawl_with(layout, records, capped, Fault("endless_body", page=3, stop_after=8 * MIB))
    assert result.manifest["retries"] == {"too_large": 1}
    assert [r["id"] for r in snapshot_rows(layout, result.snapshot_id)] == text_generation_ids(records)


def test_a_gzip_body_that_inflates_past_the_cap_is_cut_while_inflating(layout, records, settings):
    # 8 MiB of whitespace in ~8 kB of gzip: before, httpx inflated it whole, past the 1 MiB cap on raw bytes.
    capped = tighter(settings, max_response_bytes=MIB)
    error, checkpoint = stops_with(
        layout, records, capped, ListingError, Fault("compression_bomb", page=1, times=-1, inflates_to=8 * MIB),
        match=r"grew past 1 MiB once inflated \(Content-Encoding: gzip\)",
    )  # fmt: skip
    assert error.exit_code == 6 and checkpoint.pages == 1
    assert checkpoint.retries == {"too_large": settings.page_attempts}


def test_a_gzip_body_within_the_cap_is_inflated_once_and_read_whole(layout, records, settings):
    result, hub = crawl_with(layout, records, settings, Fault("compression_bomb", page=2, inflates_to=2 * MIB))
    assert hub.faults.fired
    assert result.manifest["retries"] == {}
    assert [r["id"] for r in snapshot_rows(layout, result.snapshot_id)] == text_generation_ids(records)


# -- a cap on any server-requested wait -------------------------------------------------------------------

LONG_WAITS = [
    ("Retry-After", Fault("rate_limit_retry_after", page=1, seconds=86400),
     r"HTTP 429.*86,400 s \(Retry-After: 86400\)"),
    ("RateLimit t=", Fault("rate_limit_header", page=1, seconds=86400), r"HTTP 429.*86,400 s \(RateLimit: .*t=86400"),
    ("503 + Retry-After", Fault("server_error", page=1, status=503, retry_after=86400), r"HTTP 503.*86,400 s"),
]  # fmt: skip


@pytest.mark.parametrize("fault, match", [f[1:] for f in LONG_WAITS], ids=[f[0] for f in LONG_WAITS])
def test_a_wait_longer_than_the_cap_stops_instead_of_sleeping(layout, records, settings, fault, match):
    # Before: huggingface_hub slept 86401 s, cut only by the 30 s budget (BudgetExceeded, exit 7).
    error, checkpoint = stops_with(
        layout, records, settings, HubUnavailable, fault, match=match + r".*cap of 300 s \(--max-server-wait\)"
    )
    assert error.exit_code == 5 and checkpoint.pages == 1


def test_a_wait_within_the_cap_is_still_honoured(layout, records, settings):
    result, _ = crawl_with(layout, records, settings, Fault("rate_limit_retry_after", page=1, seconds=0))
    assert result.manifest["retries"] == {"rate_limit": 1}


# -- a guard against pages that repeat ids -----------------------------------------------------------------


def test_endless_pages_of_the_same_ids_stop_with_a_listing_error(layout, records, settings):
    # Each repeat has a new cursor, so the Link-loop guard (same URL) does not see it.
    error, checkpoint = stops_with(
        layout, records, settings, RepeatingPages, Fault("repeat_ids", page=2, times=-1),
        match=r"3 pages in a row \(pages 3–5\) brought no model not listed before",
    )  # fmt: skip
    assert error.exit_code == 6 and isinstance(error, ListingError)
    assert checkpoint.pages == 3  # rewound to the first repeat: the next run asks that cursor again


def test_a_few_repeated_pages_pass_and_are_deduplicated(layout, records, settings):
    result, _ = crawl_with(layout, records, settings, Fault("repeat_ids", page=2, times=2))
    assert result.manifest["counts"]["duplicates"] == 2 * PAGE_SIZE
    assert [r["id"] for r in snapshot_rows(layout, result.snapshot_id)] == text_generation_ids(records)


def test_seen_ids_agree_with_a_set_and_stay_at_8_bytes_an_id():
    rng = np.random.default_rng(0)
    seen, reference = SeenIds(), set()
    for _ in range(300):
        batch = rng.integers(0, 20_000, size=rng.integers(0, 200)).astype(np.uint64)
        assert seen.add(batch) == len(set(batch.tolist()) - reference)
        reference |= set(batch.tolist())
    assert len(seen) == len(reference)
    assert len(seen._levels) <= 2 * np.log2(len(reference)) + 1


# -- SIGTERM and Ctrl-C -----------------------------------------------------------------------------------


def staged_pages(checkpoint: Path, pages: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while pages_staged(checkpoint) < pages:
        assert time.monotonic() < deadline, f"the crawl did not stage {pages} pages in {timeout} s"
        time.sleep(0.02)


STOPS = [
    ("SIGTERM in a slow answer", signal.SIGTERM, 143, Fault("slow", page=2, seconds=30)),
    ("SIGINT in a Retry-After wait", signal.SIGINT, 130, Fault("rate_limit_retry_after", page=2, seconds=30)),
]


@pytest.mark.parametrize("signum, code, fault", [s[1:] for s in STOPS], ids=[s[0] for s in STOPS])
def test_a_signal_stops_the_crawl_with_one_line_and_the_checkpoint_kept(tmp_path, records, signum, code, fault):
    # Before: SIGTERM killed the process without a word (exit -15); Ctrl-C printed "Aborted!" (exit 1).
    data = tmp_path / "data"
    with FakeHub(records, page_size=PAGE_SIZE, faults=[fault]) as hub:
        process = subprocess.Popen(
            [sys.executable, "-c", "from constellation.cli import main; main()", "crawl", "--data-dir", str(data),
             "--endpoint", hub.url, "--page-size", str(PAGE_SIZE), "--no-progress"],
            env=crawl_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            staged_pages(data / "snapshots" / ".staging" / "checkpoint.json", 2)
            if fault.kind == "rate_limit_retry_after":
                hub.wait_requests(3, timeout=30)  # the 429 answered: the crawl is in huggingface_hub's 31 s sleep
            process.send_signal(signum)
            _, stderr = process.communicate(timeout=20)
        finally:
            process.kill()
        assert process.returncode == code, stderr
        name = signal.Signals(signum).name
        lines = [line for line in stderr.splitlines() if line.startswith("Error:")]
        assert lines == [
            f"Error: crawl {Staging(DataLayout.at(data)).load().snapshot_id} stopped by {name} at page 2 "
            f"(10 models staged); the checkpoint is kept: run the crawl again to resume"
        ]
        assert "Traceback" not in stderr
        hub.faults.clear()
        layout = DataLayout.at(data)
        result = crawl(layout, Scope(), endpoint=hub.url, progress=False)
    assert result.resumed
    assert [r["id"] for r in snapshot_rows(layout, result.snapshot_id)] == text_generation_ids(records)
