"""Every failure kind of ../shared/docs/hub-api.md's table (rows 1–25), injected by the fake Hub, with the
crawler's reaction asserted: what it retried (by kind), what it stored, how it stopped."""

from __future__ import annotations

import logging
import time
from dataclasses import replace

import pytest
from huggingface_hub import constants as hf_constants

from constellation.errors import (
    BudgetExceeded,
    CrawlConfigError,
    CursorRejected,
    HubAuthError,
    HubUnavailable,
    ListingError,
)
from crawler.checkpoint import Staging
from crawler.run import crawl
from crawler.scope import CrawlSettings, Scope
from fakehub.faults import Fault
from fakehub.server import FakeHub
from tests.crawler.conftest import PAGE_SIZE, snapshot_rows, text_generation_ids

PAGES = 9  # 43 text-generation models in pages of 5


def crawl_with(layout, records, settings, *faults: Fault):
    with FakeHub(records, page_size=PAGE_SIZE, faults=list(faults)) as hub:
        result = crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False)
        hub.wait_requests(result.manifest["requests"], timeout=5)  # a timed-out request is logged when it ends
        return result, hub


RECOVERED = [
    # (row, fault, retries by kind)
    ("1 429 + Retry-After", Fault("rate_limit_retry_after", page=2, seconds=0), {"rate_limit": 1}),
    ("2 429 + RateLimit r=0", Fault("rate_limit_header", page=2, seconds=0), {"rate_limit": 1}),
    ("3 429 + RateLimit r=5 + Retry-After", Fault("rate_limit_not_exhausted", page=2, seconds=0), {"rate_limit": 1}),
    ("4 429 + Retry-After HTTP-date", Fault("rate_limit_http_date", page=2), {"rate_limit": 1}),
    ("5 429 past the library's retries", Fault("rate_limit_http_date", page=2, times=3),
     {"rate_limit": 3, "exhausted": 1}),
    ("6 500 twice", Fault("server_error", page=2, times=2), {"server_error": 2}),
    ("7 500 past the library's retries", Fault("server_error", page=2, times=3), {"server_error": 3, "exhausted": 1}),
    ("8 502 HTML", Fault("server_error", page=1, status=502), {"server_error": 1}),
    ("8 503 + Retry-After", Fault("server_error", page=1, status=503, retry_after=0), {"server_error": 1}),
    ("8 504", Fault("server_error", page=1, status=504), {"server_error": 1}),
    ("8 408", Fault("server_error", page=1, status=408), {"server_error": 1}),
    ("9 truncated body", Fault("truncated_body", page=3), {"protocol": 1}),
    ("10 malformed JSON", Fault("malformed_json", page=3), {"bad_body": 1}),
    ("11 JSON object", Fault("json_object", page=3), {"bad_body": 1}),
    ("13 slow headers", Fault("slow", page=2, seconds=2.0), {"timeout": 1}),
    ("13 trickled body", Fault("slow", page=2, seconds=16, trickle=True), {"timeout": 1}),  # 2 s gaps
    ("14 cursor 400", Fault("invalid_cursor", page=3), {"cursor_restart": 1}),
    ("15 cursor 404", Fault("cursor_404", page=3), {"cursor_restart": 1}),
    ("16 relative Link", Fault("relative_link", page=1), {}),
    ("18 two empty pages with next", Fault("empty_pages_with_next", page=4, pages=2), {}),
    ("20 extra Link rel", Fault("extra_link_rel", page=1), {}),
]  # fmt: skip


@pytest.mark.parametrize("row, fault, retries", RECOVERED, ids=[r[0] for r in RECOVERED])
def test_recovered_faults_give_the_complete_snapshot(layout, records, settings, row, fault, retries):
    result, hub = crawl_with(layout, records, settings, fault)

    assert hub.faults.fired, "the fault never fired"
    assert [r["id"] for r in snapshot_rows(layout, result.snapshot_id)] == text_generation_ids(records)
    assert result.manifest["retries"] == retries
    assert result.manifest["status"] == "ok"
    assert result.manifest["counts"]["duplicates"] == 0
    hub.wait_requests(result.manifest["requests"], timeout=5)  # a timed-out request is logged when it ends
    assert result.manifest["requests"] == len(hub.model_requests)


def test_rate_limit_waits_what_the_hub_asks(layout, records, settings):
    started = time.monotonic()
    crawl_with(layout, records, settings, Fault("rate_limit_header", page=1, seconds=0))
    assert time.monotonic() - started >= 1.0  # RateLimit t=0 -> huggingface_hub sleeps t + 1, not --retry-wait


def test_a_rejected_cursor_restarts_from_the_previous_page(layout, records, settings):
    result, hub = crawl_with(layout, records, settings, Fault("invalid_cursor", page=3))
    asked = [r.page for r in hub.model_requests if r.query.get("sort") != ["createdAt"]]  # not the probe
    assert asked == [0, 1, 2, 3, 2, 3, 4, 5, 6, 7, 8]
    assert result.manifest["pages"] == PAGES and result.manifest["cursor_restarts"] == 1


def test_empty_pages_with_next_are_followed_then_counted_as_pages(layout, records, settings):
    result, _ = crawl_with(layout, records, settings, Fault("empty_pages_with_next", page=4, pages=2))
    assert result.manifest["pages"] == PAGES + 2


def test_malformed_items_are_quarantined_and_counted(layout, records, settings, caplog):
    with caplog.at_level(logging.WARNING, logger="crawler.run"):
        result, _ = crawl_with(layout, records, settings, Fault("malformed_items", page=1, which="all", item=0))
    ids = text_generation_ids(records)
    broken = ids[5:9]  # the first four items of page 1: no id, safetensors without total, bad date, not a dict
    stored = [r["id"] for r in snapshot_rows(layout, result.snapshot_id)]
    assert stored == ids[:5] + [i for i in ids[5:] if i not in broken]
    m = result.manifest
    assert m["counts"]["seen"] == len(ids) and m["counts"]["stored"] == len(ids) - 4 and m["counts"]["rejected"] == 4
    assert m["rejected"] == [
        {"id": None, "reason": "item has no id"},
        {"id": broken[1], "reason": "safetensors has no 'total'"},
        {"id": broken[2], "reason": "createdAt 'yesterday' is not a Hub date (YYYY-MM-DDTHH:MM:SS.mmmZ)"},
        {"id": None, "reason": "item is a JSON string, not an object"},
    ]
    assert "rejected item" in caplog.text


def test_values_that_cannot_be_stored_are_fixed_per_value_and_the_night_goes_on(layout, records, settings, caplog):
    """Row 12b: a lone surrogate, an integer beyond int64, NaN, a NUL, a huge string, an object for `gated`
    and a broken id, all on one page. Before, the page raised a traceback on every rerun."""
    settings = replace(settings, page_size=10)
    with caplog.at_level(logging.WARNING, logger="crawler.run"):
        result, _ = crawl_with(layout, records, settings, Fault("unstorable_values", page=1, which="all", item=0))
    ids = text_generation_ids(records)
    hit = ids[10:18]  # page 1, items 0..7: one kind each, in UNSTORABLE_VALUE_KINDS order
    rows = {r["id"]: r for r in snapshot_rows(layout, result.snapshot_id)}
    assert list(rows) == [i for i in ids if i != hit[7]]  # only the model whose id is broken is set aside
    assert result.status == "ok"

    assert rows[hit[0]]["tags"][-1] == "odd-\ufffd-tag"
    assert rows[hit[1]]["license"] == "mit-\ufffd"
    assert (rows[hit[2]]["downloads"], rows[hit[2]]["likes"], rows[hit[2]]["params_safetensors"]) == (None,) * 3
    assert (rows[hit[3]]["trending_score"], rows[hit[3]]["downloads_all_time"]) == (None, None)
    assert rows[hit[3]]["downloads"] == records[int(hit[3][-3:])]["downloads"]  # the rest of the row is kept
    assert rows[hit[4]]["library_name"] == "trans\ufffdformers"
    assert rows[hit[5]]["pipeline_tag"] is None
    assert rows[hit[6]]["gated"] is None

    m = result.manifest
    assert m["counts"]["fixed_values"] == 10 and m["counts"]["rejected"] == 1
    replaced = "lone surrogate or NUL character replaced by U+FFFD"
    beyond, not_finite = "outside the 64-bit integer range; nulled", "not a finite number; nulled"
    assert m["fixed_values"] == {
        "downloads": {"count": 1, "reasons": {beyond: 1}, "examples": [hit[2]]},
        "downloads_all_time": {"count": 1, "reasons": {not_finite: 1}, "examples": [hit[3]]},
        "gated": {"count": 1, "reasons": {"a JSON object, not a boolean or a string; nulled": 1}, "examples": [hit[6]]},
        "library_name": {"count": 1, "reasons": {replaced: 1}, "examples": [hit[4]]},
        "license": {"count": 1, "reasons": {replaced: 1}, "examples": [hit[1]]},
        "likes": {"count": 1, "reasons": {beyond: 1}, "examples": [hit[2]]},
        "params_safetensors": {"count": 1, "reasons": {beyond: 1}, "examples": [hit[2]]},
        "pipeline_tag": {"count": 1, "reasons": {"longer than 4096 characters; nulled": 1}, "examples": [hit[5]]},
        "tags": {"count": 1, "reasons": {replaced: 1}, "examples": [hit[0]]},
        "trending_score": {"count": 1, "reasons": {not_finite: 1}, "examples": [hit[3]]},
    }  # fmt: skip
    assert m["rejected"] == [{"id": f"{hit[7]}\ufffd", "reason": f"id '{hit[7]}\ufffd' is not a model id (owner/name)"}]
    assert "page 1: 10 values could not be stored as sent and were fixed" in caplog.text


FATAL = [
    # (row, fault, error, exit code, pages staged when it stopped)
    ("7 500 forever", Fault("server_error", page=2, times=-1), HubUnavailable, 5, 2),
    ("5 429 forever", Fault("rate_limit_http_date", page=2, times=-1), HubUnavailable, 5, 2),
    ("11 JSON object forever", Fault("json_object", page=2, times=-1), ListingError, 6, 2),
    ("13 slow forever", Fault("slow", page=2, seconds=2.0, times=-1), HubUnavailable, 5, 2),
    ("14 400 on the first page: a bad query", Fault("invalid_cursor", page=0), ListingError, 6, 0),
    ("14 cursor 400 forever", Fault("invalid_cursor", page=3, times=-1), CursorRejected, 6, 3),
    ("15 cursor 404 forever", Fault("cursor_404", page=3, times=-1), CursorRejected, 6, 3),
    ("17 foreign Link", Fault("foreign_link", page=1), ListingError, 6, 1),
    ("18 Link loop", Fault("link_loop", page=1), ListingError, 6, 1),
    ("18 endless empty pages", Fault("empty_pages_with_next", page=1, pages=50), ListingError, 6, 1),
    ("23 401", Fault("unauthorized", page=0), HubAuthError, 4, 0),
    ("23 403", Fault("forbidden", page=2), HubAuthError, 4, 2),
]  # fmt: skip


@pytest.mark.parametrize("row, fault, error, code, staged", FATAL, ids=[r[0] for r in FATAL])
def test_fatal_faults_stop_cleanly_and_keep_the_checkpoint(layout, records, settings, row, fault, error, code, staged):
    with FakeHub(records, page_size=PAGE_SIZE, faults=[fault]) as hub:
        with pytest.raises(error) as info:
            crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False)
        assert info.value.exit_code == code
        assert "Traceback" not in str(info.value)
        assert layout.snapshot_ids() == []  # never a partial snapshot
        checkpoint = Staging(layout).load()
        assert checkpoint is not None and checkpoint.pages == staged

        hub.faults.clear()
        result = crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False)
    assert [r["id"] for r in snapshot_rows(layout, result.snapshot_id)] == text_generation_ids(records)
    assert result.resumed and result.manifest["runs"] == 2
    assert result.snapshot_id == checkpoint.snapshot_id


def test_auth_error_message_says_what_to_do(layout, records, settings):
    with pytest.raises(HubAuthError, match=r"HTTP 401 \(Invalid credentials in Authorization header\).*HF_TOKEN"):
        crawl_with(layout, records, settings, Fault("unauthorized"))


def test_foreign_link_is_never_followed(layout, records, settings):
    with FakeHub(
        records, page_size=PAGE_SIZE, faults=[Fault("foreign_link", page=0, host="http://127.0.0.1:9")]
    ) as hub:
        with pytest.raises(ListingError, match="points to http://127.0.0.1:9, not to the endpoint"):
            crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False)
        assert len(hub.model_requests) == 1


def test_server_down_is_hub_unavailable(layout, records, settings):
    hub = FakeHub(records, page_size=PAGE_SIZE).start()
    url = hub.url
    hub.stop()
    started = time.monotonic()
    with pytest.raises(HubUnavailable, match="ConnectError") as info:
        crawl(layout, Scope(), endpoint=url, settings=settings, progress=False)
    assert info.value.exit_code == 5
    assert time.monotonic() - started < 5
    assert Staging(layout).load().retries == {"connection": 6, "exhausted": 2}


def test_budget_ends_a_long_wait_with_the_checkpoint_kept(layout, records, settings):
    tight = CrawlSettings(**{**settings.to_dict(), "budget_s": 1.0})
    started = time.monotonic()
    with (
        FakeHub(records, page_size=PAGE_SIZE, faults=[Fault("rate_limit_retry_after", page=1, seconds=30)]) as hub,
        pytest.raises(BudgetExceeded, match="budget of 1 s ran out") as info,
    ):
        crawl(layout, Scope(), endpoint=hub.url, settings=tight, progress=False)
    assert info.value.exit_code == 7
    assert time.monotonic() - started < 5  # not the 31 s the Hub asked for
    assert Staging(layout).load().pages == 1


def test_inherited_offline_mode_is_ignored(layout, records, settings, monkeypatch, caplog):
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    with caplog.at_level(logging.WARNING, logger="crawler.http"):
        result, _ = crawl_with(layout, records, settings)
    assert result.manifest["counts"]["stored"] == len(text_generation_ids(records))
    assert "HF_HUB_OFFLINE is set" in caplog.text


def test_page_size_above_the_hubs_maximum_is_refused():
    with pytest.raises(CrawlConfigError, match="--page-size must be between 1 and 1000, got 1001"):
        CrawlSettings(page_size=1001)


def test_agent_harness_route_is_fetched_at_most_once_with_telemetry_on(tmp_path, records):
    """Row 24: with telemetry enabled huggingface_hub asks {HF_ENDPOINT}/api/agent-harnesses; the crawl
    still works, and HF_HOME is the test's own."""
    import subprocess
    import sys

    from tests.crawler.test_resume import crawl_env

    env = crawl_env(tmp_path)
    env.pop("HF_HUB_DISABLE_TELEMETRY")
    with FakeHub(records, page_size=PAGE_SIZE) as hub:
        env["HF_ENDPOINT"] = hub.url
        done = subprocess.run(
            [sys.executable, "-c", "from constellation.cli import main; main()", "crawl", "--data-dir",
             str(tmp_path / "data"), "--page-size", str(PAGE_SIZE), "--no-progress"],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        paths = [r.path for r in hub.requests]
    assert done.returncode == 0, done.stderr
    assert paths.count("/api/agent-harnesses") == 1
    assert paths.count("/api/models") == PAGES + 1  # + the completeness probe
