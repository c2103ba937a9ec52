"""Peak resident memory of each stage of a build, for build.json (`peak_rss_mb`).

The kernel keeps one peak per process (VmHWM), so it cannot say which stage reached it. A `PeakMeter` runs a
daemon thread that reads /proc/self/status every `interval` seconds and folds each reading into every open
`Window`; opening, restarting and closing a window take a reading of their own, so a stage's window covers
exactly its run. Besides VmRSS each reading looks at VmHWM: when the process peak rose since the last
reading, the rise happened inside the windows open now, so a spike shorter than the interval (a temporary
array freed inside one numpy call, while the sampler waits for the GIL) still counts at its true height,
whenever it was the process's highest yet; spikes below an earlier peak are seen at the interval's grain.

Off Linux (no /proc/self/status) every window reports None and no thread runs.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import TracebackType

import pyarrow as pa

STATUS = Path("/proc/self/status")
DEFAULT_INTERVAL = 0.02  # s: a read of /proc/self/status costs ~30 µs, so 0.2 % of one core


def release_arrow_memory() -> None:
    """Return the Arrow pool's unused pages to the system (cheap: ~10 ms).

    Arrow allocates through its own pool (mimalloc here), which keeps the pages of freed buffers for reuse by
    Arrow alone: after a big read or conversion they stay resident under numpy's next allocations (reading
    a 300k snapshot to pandas leaves ~140 MB of them)."""
    pa.default_memory_pool().release_unused()


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None under another C library (musl, macOS): there the call is skipped."""
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


def give_back_memory() -> None:
    """Return the pages freed memory still holds to the system: Arrow's pool's, then the C heap's.

    Between a build's stages the C heap holds hundreds of MB of freed chunks that later numpy arrays do not
    fit into (at 300k models, 114 MB after the genealogy stage; ~1 GB at 3M): glibc's `malloc_trim` hands
    the free pages inside the heap back (since glibc 2.8, not only its top). A few ms to a second."""
    release_arrow_memory()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def read_status_kb(path: Path = STATUS) -> tuple[int, int] | None:
    """(VmRSS, VmHWM) of this process in kB, or None where /proc is not there."""
    try:
        text = path.read_text()
    except OSError:
        return None
    rss = hwm = None
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
        elif line.startswith("VmHWM:"):
            hwm = int(line.split()[1])
    return (rss, hwm) if rss is not None and hwm is not None else None


class Window:
    """The peak resident memory from when it was opened (or last restarted) until now."""

    def __init__(self, meter: PeakMeter, key: int) -> None:
        self._meter = meter
        self._key = key

    def peak_mb(self) -> float | None:
        """The peak so far, in MiB (None off Linux)."""
        return self._meter._peak(self._key, restart=False)

    def restart(self) -> float | None:
        """The peak so far, in MiB; the window then starts again from the memory resident now."""
        return self._meter._peak(self._key, restart=True)

    def close(self) -> float | None:
        """The peak of the whole window, in MiB; the window stops taking readings."""
        return self._meter._close(self._key)


class PeakMeter:
    """Samples this process's resident memory in a background thread while it is entered (`with`)."""

    def __init__(self, interval: float = DEFAULT_INTERVAL, status: Path = STATUS) -> None:
        self.interval = interval
        self._status = status
        self._lock = threading.Lock()
        self._open: dict[int, int] = {}  # window key → peak kB so far
        self._next_key = 0
        self._hwm = 0  # the process peak at the last reading
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.available = read_status_kb(status) is not None

    def __enter__(self) -> PeakMeter:
        if self.available:
            self._read()
            self._thread = threading.Thread(target=self._run, name="peak-memory", daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def open(self) -> Window:
        """A window whose peak starts at the memory resident now."""
        with self._lock:
            key = self._next_key
            self._next_key += 1
            self._open[key] = 0
        self._read()
        return Window(self, key)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._read()

    def _read(self) -> int | None:
        """Take one reading and fold it into every open window; returns the level it counted (kB)."""
        status = read_status_kb(self._status)
        if status is None:
            return None
        rss, hwm = status
        with self._lock:
            level = max(rss, hwm) if hwm > self._hwm else rss
            self._hwm = max(self._hwm, hwm)
            for key, peak in self._open.items():
                if level > peak:
                    self._open[key] = level
        return rss

    def _peak(self, key: int, *, restart: bool) -> float | None:
        rss = self._read()
        if rss is None:
            return None
        with self._lock:
            peak = self._open[key]
            if restart:
                self._open[key] = rss
        return round(peak / 1024, 1)

    def _close(self, key: int) -> float | None:
        peak = self._peak(key, restart=False)
        with self._lock:
            self._open.pop(key, None)
        return peak
