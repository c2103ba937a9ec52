"""The suite cleans up after itself: a run leaves no folder of its own in the temp directory."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.paths import REPO


def test_a_run_removes_the_hf_home_it_made(tmp_path):
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--collect-only", "tests/test_layers.py"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("constellation-test-")) == []
