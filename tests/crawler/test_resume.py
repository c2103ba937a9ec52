"""kill -9 at random pages, then resume: the published snapshot equals an uninterrupted crawl's."""

from __future__ import annotations

import json
import logging
import os
import random
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from constellation.contract import DataLayout
from constellation.errors import HubAuthError
from crawler.checkpoint import Staging
from crawler.run import crawl
from crawler.scope import CrawlSettings, Scope
from fakehub.faults import Fault
from fakehub.server import FakeHub
from tests.crawler.conftest import make_records, snapshot_rows, text_generation_ids

PAGE = 2
N = 200  # 180 text-generation models: 90 pages


def crawl_command(data_dir: Path, endpoint: str) -> list[str]:
    return [
        sys.executable, "-c", "from constellation.cli import main; main()", "-q", "crawl",
        "--data-dir", str(data_dir), "--endpoint", endpoint, "--page-size", str(PAGE),
        "--timeout", "5", "--retries", "1", "--retry-wait", "0.01", "--no-progress",
    ]  # fmt: skip


def crawl_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    env.update(HF_HOME=str(tmp_path / "hf-home"), HF_HUB_DISABLE_TELEMETRY="1", HF_HUB_DISABLE_IMPLICIT_TOKEN="1")
    return env


def pages_staged(checkpoint: Path) -> int:
    try:
        return json.loads(checkpoint.read_text())["pages"]
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        return -1


def kill_after(process: subprocess.Popen, checkpoint: Path, pages: int, timeout: float = 30) -> int:
    """SIGKILL the crawl as soon as the checkpoint counts `pages`; returns the count seen at the kill."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the crawl ended (exit {process.returncode}) before page {pages}: {process.stderr.read()}")
        seen = pages_staged(checkpoint)
        if seen >= pages:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            return seen
        time.sleep(0.002)
    process.kill()
    pytest.fail(f"the crawl did not reach page {pages} in {timeout} s")


@pytest.mark.slow
def test_sigkill_at_random_pages_then_resume_gives_the_same_snapshot(tmp_path):
    records = make_records(N)
    rng = random.Random(20260726)
    kills = sorted(rng.sample(range(1, 80), 3))
    with FakeHub(records, page_size=PAGE) as hub:
        reference = DataLayout.at(tmp_path / "reference")
        settings = CrawlSettings(page_size=PAGE, request_timeout_s=5, max_retries=1, base_wait_s=0.01)
        expected = crawl(reference, Scope(), endpoint=hub.url, settings=settings, progress=False)

        # Slow every page a little so the kills land mid-listing.
        hub.faults.add(Fault("slow", seconds=0.01, times=-1))
        data = tmp_path / "data"
        checkpoint = DataLayout.at(data).staging / "checkpoint.json"
        reached = []
        for pages in kills:
            process = subprocess.Popen(
                crawl_command(data, hub.url), env=crawl_env(tmp_path), stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            # A kill point at or before the last one would kill the crawl before it resumes anything.
            reached.append(kill_after(process, checkpoint, max(pages, (reached or [0])[-1] + 1)))
        finish = subprocess.run(
            crawl_command(data, hub.url), env=crawl_env(tmp_path), capture_output=True, text=True, timeout=60
        )

    assert finish.returncode == 0, finish.stderr
    layout = DataLayout.at(data)
    [snapshot_id] = layout.snapshot_ids()
    got = snapshot_rows(layout, snapshot_id)
    want = snapshot_rows(reference, expected.snapshot_id)
    assert [r["id"] for r in got] == [r["id"] for r in want]
    assert len({r["id"] for r in got}) == len(got) == 180
    assert got == want

    manifest = json.loads(layout.manifest(snapshot_id).read_text())
    assert manifest["counts"] == expected.manifest["counts"]
    assert manifest["runs"] == len(kills) + 1
    assert manifest["pages"] == 90
    assert reached == sorted(reached) and reached[0] >= kills[0] and reached[-1] < 90  # killed mid-listing
    assert not checkpoint.exists()


# Broken local files never block a night: one line says what was wrong and what the crawl does.


def _interrupted(layout: DataLayout, hub: FakeHub, settings: CrawlSettings, pages: int) -> Staging:
    """A crawl stopped by a 403 on page `pages`: its checkpoint counts `pages` staged pages."""
    hub.faults.add(Fault("forbidden", page=pages))
    with pytest.raises(HubAuthError):
        crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False)
    staging = Staging(layout)
    assert staging.load().pages == pages
    return staging


@pytest.mark.parametrize(
    "content, said",
    [
        (b'{"version": 1, "pages": ', "ignoring an unreadable checkpoint"),
        (b"\xff\xfe not text", "ignoring an unreadable checkpoint"),
        (b"[1, 2, 3]", "wrong shape .* \\(it is a JSON list, not an object\\)"),
        (b'{"version": 1}', "wrong shape .* \\(field snapshot_id is missing\\)"),
        (b'"just a string"', "wrong shape .* \\(it is a JSON str, not an object\\)"),
        (b'{"version": 99}', "wrong shape .* \\(it is of another version \\(99\\)\\)"),
    ],
)  # fmt: skip
def test_an_unusable_checkpoint_is_discarded_and_the_crawl_starts_over(
    hub, layout, records, settings, caplog, content, said
):
    layout.staging.mkdir(parents=True)
    (layout.staging / "checkpoint.json").write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="crawler.checkpoint"):
        result = crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False)
    assert re.search(said + ".*; starting over", caplog.text), caplog.text
    assert result.status == "ok"
    assert [r["id"] for r in snapshot_rows(layout, result.snapshot_id)] == text_generation_ids(records)


@pytest.mark.parametrize(
    "field, value, said",
    [
        ("pages", "3", "field pages is a str"),
        ("pages", True, "field pages is a bool"),
        ("seen", -5, "a count is negative"),
        ("next_url", 7, "field next_url is a int"),
        ("page_urls", {"x": 1}, "page_urls is not a map of page numbers to URLs"),
        ("retries", {"timeout": "2"}, "retries is not a map of counts"),
        ("started_at", "yesterday", "Invalid isoformat string"),
        ("started_at", "2026-07-26T02:00:00", "started_at has no time zone"),
        ("snapshot_id", "../../etc", "is not a snapshot id"),
        ("scope", [], "field scope is a list"),
        ("extra", 1, "unexpected fields extra"),
    ],
)  # fmt: skip
def test_a_checkpoint_of_the_wrong_shape_is_discarded(hub, layout, records, settings, caplog, field, value, said):
    staging = _interrupted(layout, hub, settings, 2)
    data = json.loads(staging.checkpoint_path.read_text())
    data[field] = value
    staging.checkpoint_path.write_text(json.dumps(data))
    with caplog.at_level(logging.WARNING, logger="crawler.checkpoint"):
        result = crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False)
    assert "ignoring a checkpoint of the wrong shape" in caplog.text and said in caplog.text
    assert [r["id"] for r in snapshot_rows(layout, result.snapshot_id)] == text_generation_ids(records)


def test_a_checkpoint_that_is_a_directory_is_discarded(hub, layout, records, settings, caplog):
    (layout.staging / "checkpoint.json").mkdir(parents=True)
    with caplog.at_level(logging.WARNING, logger="crawler.checkpoint"):
        result = crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False)
    assert "ignoring a checkpoint that cannot be read" in caplog.text
    assert [r["id"] for r in snapshot_rows(layout, result.snapshot_id)] == text_generation_ids(records)


@pytest.mark.parametrize("damage", ["cut in half", "not parquet", "another schema", "empty file"])
def test_a_broken_tail_page_is_fetched_again_and_the_crawl_resumes(hub, layout, records, settings, caplog, damage):
    staging = _interrupted(layout, hub, settings, 4)
    sid = staging.load().snapshot_id
    part = staging.part_path(3)
    if damage == "cut in half":
        part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])
    elif damage == "not parquet":
        part.write_bytes(b"garbage" * 100)
    elif damage == "another schema":
        pq.write_table(pa.table({"id": ["x/y"]}), part)
    else:
        part.write_bytes(b"")
    asked_before = len(hub.model_requests)
    with caplog.at_level(logging.WARNING, logger="crawler.run"):
        result = crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False)
    assert "staged page 3 of crawl " + sid + " is unusable (part-000003.parquet " in caplog.text
    assert "fetching pages 3..3 again" in caplog.text
    assert result.snapshot_id == sid and result.status == "ok"  # the same crawl, resumed
    assert [r["id"] for r in snapshot_rows(layout, sid)] == text_generation_ids(records)
    assert result.manifest["counts"]["seen"] == len(text_generation_ids(records))
    listing = [r.page for r in hub.model_requests[asked_before:] if r.query.get("sort") != ["createdAt"]]
    assert listing == [3, 4, 5, 6, 7, 8]  # from the broken page on, not from scratch


def test_a_broken_page_whose_url_is_forgotten_means_starting_over(hub, layout, records, settings, caplog):
    staging = _interrupted(layout, hub, settings, 6)  # the checkpoint keeps the URLs of pages 2..5 only
    sid = staging.load().snapshot_id
    part = staging.part_path(1)
    part.write_bytes(part.read_bytes()[:100])
    with caplog.at_level(logging.WARNING, logger="crawler.run"):
        result = crawl(layout, Scope(), endpoint=hub.url, settings=settings, progress=False,
                       now=datetime.now(UTC) + timedelta(seconds=5))  # fmt: skip
    assert f"discarding the checkpoint of crawl {sid}: staged page 1 is unusable (part-000001.parquet" in caplog.text
    assert "and its URL is no longer known" in caplog.text
    assert result.snapshot_id != sid
    assert [r["id"] for r in snapshot_rows(layout, result.snapshot_id)] == text_generation_ids(records)
