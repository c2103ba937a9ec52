"""The wall-clock budget of a crawl run, and a watchdog that enforces it even inside a long wait.

huggingface_hub sleeps for whatever `Retry-After` says, without a cap; the per-request timeout does not
cover those sleeps. The watchdog (SIGALRM, main thread only) interrupts them when the budget is spent.
Outside network calls it only raises a flag, so a page is never half-written because of it.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from constellation.errors import BudgetExceeded


class Deadline:
    def __init__(self, budget_s: float) -> None:
        self.budget_s = budget_s
        self._start = time.monotonic()
        self._in_network = False
        self.expired = False

    def elapsed(self) -> float:
        return time.monotonic() - self._start

    def remaining(self) -> float:
        return self.budget_s - self.elapsed()

    def check(self, doing: str) -> None:
        if self.expired or self.remaining() <= 0:
            self.expired = True
            raise self.error(doing)

    def error(self, doing: str) -> BudgetExceeded:
        return BudgetExceeded(
            f"the crawl's wall-clock budget of {self.budget_s:.0f} s ran out while {doing}. The checkpoint is "
            "kept: run the crawl again to resume, or raise --budget."
        )

    def sleep(self, seconds: float, doing: str) -> None:
        if seconds >= self.remaining():
            raise self.error(doing)
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


@contextmanager
def watchdog(deadline: Deadline) -> Iterator[None]:
    """Arm SIGALRM for the deadline (main thread only; elsewhere the deadline is checked between pages).

    An alarm armed by someone else (pytest-timeout, a supervisor) is re-armed afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous_handler = signal.signal(signal.SIGALRM, deadline._on_alarm)
    previous_left, _ = signal.setitimer(signal.ITIMER_REAL, max(deadline.remaining(), 0.001))
    started = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_left > 0:
            signal.setitimer(signal.ITIMER_REAL, max(previous_left - (time.monotonic() - started), 0.001))
