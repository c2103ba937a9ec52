"""`constellation fakehub`: options, errors, and a real server process listed through by the real client."""

from __future__ import annotations

import json
import re
import selectors
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from huggingface_hub import HfApi
from huggingface_hub.utils import get_session

from constellation.cli import main
from tests.fakehub.conftest import expected_order

STARTUP_SECONDS = 60  # generous: start-up on a busy 2-core machine (idle, well under a second)


def start_fakehub(*args: str) -> tuple[subprocess.Popen, str, str]:
    """Starts `constellation fakehub ARGS`; returns it, its URL and what it serves, from its first line."""
    process = subprocess.Popen(
        [sys.executable, "-c", "from constellation.cli import main; main()", "fakehub", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)  # type: ignore[arg-type]
    if not selector.select(timeout=STARTUP_SECONDS) or process.poll() is not None:
        process.kill()
        raise AssertionError(f"fakehub did not start: {process.communicate()}")
    line = process.stdout.readline()  # type: ignore[union-attr]
    match = re.fullmatch(r"fakehub listening on (http://127\.0\.0\.1:\d+) \((.+)\)\n", line)
    if match is None:
        process.kill()
        raise AssertionError(f"unexpected first line {line!r}")
    return process, match.group(1), match.group(2)


@pytest.fixture
def jsonl(tmp_path: Path, records) -> Path:
    path = tmp_path / "models.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_server_process_serves_the_file_with_faults_and_stops_on_sigterm(jsonl, records):
    process, url, _ = start_fakehub(
        "--jsonl", str(jsonl), "--port", "0", "--page-size", "4", "--fault", "extra_link_rel@0"
    )
    try:
        first = get_session().get(url + "/api/models")
        models = [m.id for m in HfApi(endpoint=url).list_models()]
        assert first.links["api-catalog"]["url"] == "/.well-known/api-catalog"
        assert len(first.json()) == 4
        assert models == expected_order(records, "trendingScore")
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)

    assert process.returncode == 0
    assert "fault armed: extra_link_rel@0x1" in err
    assert f"fakehub stopped after {1 + 6:,} requests" in err  # 23 models, 4 a page: 6 pages


def test_first_line_names_the_source(jsonl):
    process, url, what = start_fakehub("--jsonl", str(jsonl))
    process.terminate()
    process.communicate(timeout=10)

    assert what == f"23 models from {jsonl}"
    assert process.returncode == 0


def test_synthetic_source_is_labelled_synthetic():
    process, url, what = start_fakehub("--synthetic", "50", "--seed", "3")
    try:
        response = get_session().get(url + "/api/models")
        assert len(response.json()) == 50
        assert response.headers["x-fake-hub-source"] == "synthetic"
        assert what == "50 synthetic models, seed 3"
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_help_has_examples():
    result = CliRunner().invoke(main, ["fakehub", "--help"])

    assert result.exit_code == 0
    assert re.search(r"Examples:\n +constellation fakehub\n", result.output)
    assert "--fault server_error@2x3:status=503" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fault", "server_eror"], "Error: unknown fault kind 'server_eror'"),
        (["--jsonl", "x.jsonl", "--synthetic", "5"], "Error: choose one source: --jsonl FILE or --synthetic N"),
        (["--jsonl", "missing.jsonl"], "Error: JSONL file not found: missing.jsonl"),
    ],
)
def test_bad_options_are_one_line_errors(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["fakehub", *args])

    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_busy_port_is_a_one_line_error(jsonl):
    process, url, _ = start_fakehub("--jsonl", str(jsonl))
    try:
        port = url.rsplit(":", 1)[1]
        result = CliRunner().invoke(main, ["fakehub", "--jsonl", str(jsonl), "--port", port])
    finally:
        process.terminate()
        process.communicate(timeout=10)

    assert result.exit_code == 1
    assert f"Error: cannot listen on 127.0.0.1:{port}" in result.output
