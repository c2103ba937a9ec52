"""The offline demo: a synthetic fake Hub on loopback → the real crawl → build → the explorer.

Every stage runs as the user would run it: the fake Hub and the crawl are separate processes talking HTTP
through HF_ENDPOINT, so the demo exercises the same code as the nightly job.

It also makes the demo's data in memory (`synthetic_snapshot`: the fake Hub's generator → the crawler's record
parser → a snapshot frame), for `constellation evaluate --synthetic N`. Besides cli/, this is the one library
module that imports crawler/ and fakehub/.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from constellation.errors import DemoError
from constellation.evaluate.lineage import SyntheticSnapshot
from crawler.records import convert_items
from fakehub.synthetic import HUB_NOW, generate_with_truth, to_records

log = logging.getLogger(__name__)

DEMO_DATA_DIR = Path("data") / "demo"
# The crawl time of the in-memory synthetic snapshot: the synthetic Hub's fixed "now".
SYNTHETIC_CRAWLED_AT = datetime.fromisoformat(HUB_NOW).replace(tzinfo=UTC)
_URL_RE = re.compile(r"https?://[\w.\-]+:\d+")


@dataclass(frozen=True)
class DemoConfig:
    data_dir: Path = DEMO_DATA_DIR
    models: int = 20_000
    seed: int = 42
    start_timeout_s: float = 120.0


def cli_command(*args: str) -> list[str]:
    """The `constellation` command run with this interpreter, so the venv does not need to be on PATH."""
    return [sys.executable, "-m", "constellation", *args]


def isolated_hub_env(endpoint: str, hf_home: str) -> dict[str, str]:
    """Environment for a process that must talk only to the fake Hub, with no user token or cache."""
    env = dict(os.environ)
    for var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        env.pop(var, None)
    env.update(
        HF_ENDPOINT=endpoint,
        HF_HOME=hf_home,
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_DISABLE_IMPLICIT_TOKEN="1",
    )
    return env


@contextmanager
def running_fakehub(config: DemoConfig) -> Iterator[str]:
    """Start `constellation fakehub --synthetic N` on a free port; yield its URL; stop it afterwards."""
    proc = subprocess.Popen(
        cli_command("fakehub", "--synthetic", str(config.models), "--seed", str(config.seed), "--port", "0"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url: list[str] = []
    ready = threading.Event()

    def read_stdout() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if not url and (match := _URL_RE.search(line)):
                url.append(match.group(0))
                ready.set()
        ready.set()

    threading.Thread(target=read_stdout, daemon=True).start()
    try:
        if not ready.wait(config.start_timeout_s) or not url:
            proc.kill()
            err = proc.stderr.read() if proc.stderr else ""
            raise DemoError(f"the fake Hub did not start within {config.start_timeout_s:.0f} s:\n{err[-2000:]}")
        log.info("fake Hub (synthetic, %d models, seed %d) at %s", config.models, config.seed, url[0])
        yield url[0]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def crawl_from(endpoint: str, data_dir: Path) -> None:
    """The real crawl, as its own process, against `endpoint`."""
    with tempfile.TemporaryDirectory(prefix="constellation-demo-hf-home-") as hf_home:
        cmd = cli_command("crawl", "--endpoint", endpoint, "--data-dir", str(data_dir))
        proc = subprocess.run(cmd, env=isolated_hub_env(endpoint, hf_home))
    if proc.returncode != 0:
        raise DemoError(f"the crawl exited with status {proc.returncode}; its log is above")


def run_demo(config: DemoConfig) -> str:
    """Crawl the synthetic Hub and build its atlas. Returns the snapshot id that was built."""
    from constellation.build import build
    from constellation.contract import DataLayout

    layout = DataLayout(config.data_dir)
    with running_fakehub(config) as endpoint:
        crawl_from(endpoint, config.data_dir)
    # The fake Hub listens on a new port each run, so each demo crawl is a scope of its own (the endpoint is
    # part of it): show the one just crawled.
    result = build(layout, layout.latest_snapshot_id(), publish=True)
    return result.snapshot_id


def synthetic_snapshot(n: int, seed: int) -> SyntheticSnapshot:
    """A snapshot frame of the fake Hub's synthetic generator (through the crawler's own record parser),
    and its lineage truth (child, parent, relation, declared)."""
    hub = generate_with_truth(n, seed)
    page = convert_items(list(to_records(hub.frame)), SYNTHETIC_CRAWLED_AT)
    return SyntheticSnapshot(models=n, frame=page.table.to_pandas(), truth=hub.truth)
