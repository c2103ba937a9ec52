"""The wall-clock budget of a crawl run, and a watchdog that enforces it even inside a long wait; and the
handling of SIGINT (Ctrl-C) and SIGTERM (systemd, kill).

huggingface_hub sleeps for whatever `Retry-After` says (crawler.http caps it at --max-server-wait); the
per-attempt deadline does not cover those sleeps. The watchdog (SIGALRM, main thread only) interrupts them
when the budget is spent. SIGINT and SIGTERM stop the crawl the same way, with CrawlInterrupted. Outside
network calls and waits a signal only raises a flag, checked between pages, so a page is never
half-written because of it.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from constellation.errors import BudgetExceeded, CrawlInterrupted

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Deadline:
    def __init__(self, budget_s: float) -> None:
        self.budget_s = budget_s
        self._start = time.monotonic()
        self._in_network = False
        self.expired = False
        self.stop_signal: int | None = None  # SIGINT or SIGTERM received

    def elapsed(self) -> float:
        return time.monotonic() - self._start

    def remaining(self) -> float:
        return self.budget_s - self.elapsed()

    def check(self, doing: str) -> None:
        if self.stop_signal is not None:
            raise self.interrupted(doing)
        if self.expired or self.remaining() <= 0:
            self.expired = True
            raise self.error(doing)

    def error(self, doing: str) -> BudgetExceeded:
        return BudgetExceeded(
            f"the crawl's wall-clock budget of {self.budget_s:.0f} s ran out while {doing}. The checkpoint is "
            "kept: run the crawl again to resume, or raise --budget."
        )

    def interrupted(self, doing: str) -> CrawlInterrupted:
        assert self.stop_signal is not None
        name = signal.Signals(self.stop_signal).name
        return CrawlInterrupted(f"stopped by {name} while {doing}", self.stop_signal)

    def sleep(self, seconds: float, doing: str) -> None:
        if seconds >= self.remaining():
            raise self.error(doing)
        with self.network(doing):  # a signal may cut the wait short
            time.sleep(seconds)

    @contextmanager
    def network(self, doing: str) -> Iterator[None]:
        """Mark a network call: the watchdog may interrupt it."""
        self.check(doing)
        self._in_network = True
        self._doing = doing
        try:
            yield
        finally:
            self._in_network = False

    def _on_alarm(self, signum: int, frame: object) -> None:
        self.expired = True
        if self._in_network:
            self._in_network = False
            raise self.error(self._doing)

    def _on_stop(self, signum: int, frame: object) -> None:
        self.stop_signal = signum
        if self._in_network:
            self._in_network = False
            raise self.interrupted(self._doing)


@contextmanager
def watchdog(deadline: Deadline) -> Iterator[None]:
    """Arm SIGALRM for the deadline, and catch SIGINT and SIGTERM (main thread only; elsewhere the deadline
    is checked between pages and the signals keep their usual effect).

    An alarm armed by someone else (pytest-timeout, a supervisor) is re-armed afterwards, and the previous
    SIGINT/SIGTERM handlers are put back."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous_stop = {signum: signal.signal(signum, deadline._on_stop) for signum in STOP_SIGNALS}
    previous_handler = signal.signal(signal.SIGALRM, deadline._on_alarm)
    previous_left, _ = signal.setitimer(signal.ITIMER_REAL, max(deadline.remaining(), 0.001))
    started = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        for signum, handler in previous_stop.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        if previous_left > 0:
            signal.setitimer(signal.ITIMER_REAL, max(previous_left - (time.monotonic() - started), 0.001))
