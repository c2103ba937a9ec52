"""kill -9 at random pages, then resume: the published snapshot equals an uninterrupted crawl's."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from constellation.contract import DataLayout
from crawler.run import crawl
from crawler.scope import CrawlSettings, Scope
from fakehub.faults import Fault
from fakehub.server import FakeHub
from tests.crawler.conftest import make_records, snapshot_rows

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
