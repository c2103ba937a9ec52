"""Shared helpers for benchmarks: peak memory, timing, result files."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# The code whose output a cached synthetic Hub is: the generator (fakehub/synthetic*.py) and the crawler's
# record parser that turns its records into snapshot rows.
_GENERATOR_SOURCES = ("fakehub/synthetic*.py", "crawler/records.py")


def generator_version() -> str:
    """A short hash of the synthetic generator's source. Cached synthetic data is keyed by it, so a changed
    generator makes new data instead of reusing stale files (on 2026-11-26 a cache of an older generator
    was measured as the current one: only 8,672 of its 1M ids were in the new output)."""
    digest = hashlib.sha256()
    for pattern in _GENERATOR_SOURCES:
        for path in sorted(ROOT.glob(pattern)):
            digest.update(path.relative_to(ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


GENERATOR_VERSION = generator_version()


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def process_peak_mb() -> float:
    """Peak resident memory of this process image (VmHWM; unlike ru_maxrss it is not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return peak_rss_mb()


# Big runs take this lock, so two benchmarks of hundreds of thousands of models never share the 2 cores.
BIG_RUN_LOCK = "/tmp/constellation-bench.lock"


def run_child(module: str, args: list[str], *, locked: bool) -> dict[str, Any]:
    """Run one step `python -m module args` in a fresh process (its log goes to our stderr), under the big-run
    lock when `locked`; its last stdout line is its JSON result, to which the wall time is added."""
    command = [sys.executable, "-m", module, *args]
    if locked:
        command = ["flock", BIG_RUN_LOCK, *command]
    t0 = time.perf_counter()
    proc = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    wall = round(time.perf_counter() - t0, 1)
    if proc.returncode:
        return {"error": f"exit {proc.returncode}", "wall_s": wall}
    return {**json.loads(proc.stdout.strip().splitlines()[-1]), "wall_s": wall}


def peak_children_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and of its children that have ended (forked workers
    are counted once they are joined)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*/children"):
            try:
                kids = [int(child) for child in task.read_text().split()]
            except OSError:  # the task ended
                continue
            found.extend(kids)
            todo.extend(kids)
    return found


def _tree_memory_kb(pid: int) -> tuple[int, int]:
    """(RSS summed, PSS summed) in kB of `pid` and its descendants."""
    rss = pss = 0
    for member in [pid, *_descendants(pid)]:
        try:
            text = Path(f"/proc/{member}/smaps_rollup").read_text()
        except OSError:  # the process ended
            continue
        for line in text.splitlines():
            if line.startswith("Rss:"):
                rss += int(line.split()[1])
            elif line.startswith("Pss:"):
                pss += int(line.split()[1])
    return rss, pss


class TreeMemory:
    """Peak memory of this process with its children (forked workers), sampled every `interval` seconds.

    Forked workers share the parent's pages until they write to them, and each worker's RSS counts those
    shared pages again, so RSS summed over the tree over-counts. PSS (proportional set size) splits each
    shared page among the processes that map it: its sum is the memory the tree really holds. Both peaks are
    kept (`peak_pss_mb` is the one to compare with a single process's peak RSS). A peak shorter than the
    interval can be missed; this process's own VmHWM (process_peak_mb) catches its own.

    Reading smaps_rollup walks the page tables: about 20 ms of CPU per 1.5 GB process (2026-12-06), and it
    holds the process's memory-map lock meanwhile. Every 0.25 s over a parent and two workers that was a
    quarter of a core, charged to the measured process and slowing its workers' allocations; every 2 s it
    is about 3 %."""

    def __init__(self, interval: float = 2.0) -> None:
        self.interval = interval
        self.peak_rss_kb = self.peak_pss_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        pid = os.getpid()
        while True:
            rss, pss = _tree_memory_kb(pid)
            self.peak_rss_kb, self.peak_pss_kb = max(self.peak_rss_kb, rss), max(self.peak_pss_kb, pss)
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def as_dict(self) -> dict[str, int]:
        return {"peak_tree_pss_mb": round(self.peak_pss_kb / 1024), "peak_tree_rss_mb": round(self.peak_rss_kb / 1024)}


@contextmanager
def timer(results: dict[str, Any], key: str) -> Iterator[None]:
    t0 = time.perf_counter()
    yield
    results[key] = round(time.perf_counter() - t0, 3)


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    return p


def write_results(path: Path | None, results: dict[str, Any]) -> None:
    results = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {_cores()} cores, python {platform.python_version()}",
        **results,
    }
    text = json.dumps(results, indent=2, default=str)
    print(text)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0))
