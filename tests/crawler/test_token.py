"""The token is sent to the Hub and written nowhere: not in logs, stdout, stderr, snapshots, manifests,
checkpoints or error messages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fakehub.faults import Fault
from fakehub.server import FakeHub
from tests.crawler.conftest import PAGE_SIZE
from tests.crawler.test_resume import crawl_env

TOKEN = "hf_TopSecretCrawlerToken0123456789abcdef"


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from constellation.cli import main; main()", "-vv", *args],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_the_token_is_sent_but_never_written(tmp_path, records, request_headers):
    data = tmp_path / "data"
    env = {**crawl_env(tmp_path), "HF_TOKEN": TOKEN, "HF_DEBUG": "1"}
    base = ["crawl", "--data-dir", str(data), "--page-size", str(PAGE_SIZE), "--retry-wait", "0.01",
            "--exhausted-wait", "0.01", "--timeout", "2"]  # fmt: skip
    with FakeHub(
        records, page_size=PAGE_SIZE, faults=[Fault("server_error", page=1), Fault("forbidden", page=3)]
    ) as hub:
        failed = run_cli([*base, "--endpoint", hub.url], env)  # 403: the error message path
        ok = run_cli([*base, "--endpoint", hub.url], env)  # resumes and publishes
        dry = run_cli([*base, "--endpoint", hub.url, "--dry-run"], env)

    assert failed.returncode == 4, failed.stderr
    assert "403" in failed.stderr and "HF_TOKEN" in failed.stderr
    assert ok.returncode == 0, ok.stderr
    assert dry.returncode == 0 and "token:       yes" in dry.stdout
    authorizations = [h.get("authorization", "") for h in request_headers]
    assert authorizations and all(a == f"Bearer {TOKEN}" for a in authorizations)

    written = files_under(data)
    assert any(p.suffix == ".parquet" for p in written) and any(p.suffix == ".json" for p in written)
    outputs = {"stdout": failed.stdout + ok.stdout + dry.stdout, "stderr": failed.stderr + ok.stderr + dry.stderr}
    assert "GET" in outputs["stderr"]  # debug logging was on: the check below has something to search
    for name, text in outputs.items():
        assert TOKEN not in text, f"the token leaked into {name}"
    for path in written:
        assert TOKEN.encode() not in path.read_bytes(), f"the token leaked into {path}"
        assert TOKEN[3:20].encode() not in path.read_bytes()
