"""forked_map: pieces in order from forked workers that read shared inputs, and a dead worker as an AtlasError."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest

from constellation.atlas import workers
from constellation.atlas.workers import forked_map, worker_count
from constellation.errors import AtlasError


def _scaled_sum(shared: np.ndarray, piece: tuple[int, int]) -> tuple[int, int]:
    start, stop = piece
    return os.getpid(), int(shared[start:stop].sum())


def _die_on_three(shared: None, piece: int) -> int:
    if piece == 3:
        os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would
    return piece


def _fail_on_two(shared: None, piece: int) -> int:
    if piece == 2:
        raise ValueError("piece 2 is bad")
    return piece


def test_results_come_in_the_pieces_order_from_other_processes():
    shared = np.arange(1_000)
    pieces = [(start, start + 10) for start in range(0, 1_000, 10)]
    results = list(forked_map(_scaled_sum, shared, pieces, 2, what="a test"))
    assert [total for _, total in results] == [int(np.arange(a, b).sum()) for a, b in pieces]
    assert os.getpid() not in {pid for pid, _ in results}


def test_one_worker_runs_in_this_process():
    results = list(forked_map(_scaled_sum, np.arange(10), [(0, 5), (5, 10)], 1, what="a test"))
    assert results == [(os.getpid(), 10), (os.getpid(), 35)]


def test_a_dead_worker_is_an_atlas_error_not_a_hang():
    with pytest.raises(AtlasError, match="a worker process of the test search died.*knn_workers=1"):
        list(forked_map(_die_on_three, None, range(8), 2, what="the test search"))
    # The pool is gone and the shared inputs released: the next map runs.
    assert workers._shared is None
    assert list(forked_map(_scaled_sum, np.arange(4), [(0, 4)], 2, what="a test"))[0][1] == 6


def test_an_error_in_a_worker_reaches_the_caller_as_itself():
    with pytest.raises(ValueError, match="piece 2 is bad"):
        list(forked_map(_fail_on_two, None, range(6), 2, what="a test"))
    assert workers._shared is None


def test_worker_count_is_one_per_core_for_zero():
    assert worker_count(0) == len(os.sched_getaffinity(0))
    assert worker_count(3) == 3
    with pytest.raises(AtlasError, match="knn_workers=-1"):
        worker_count(-1)
