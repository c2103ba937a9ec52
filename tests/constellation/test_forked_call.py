"""constellation.forked_call: one function in a forked child while the parent goes on."""

from __future__ import annotations

import gc
import os
import signal
import time
import weakref

import numpy as np
import pytest

from constellation.errors import BuildError
from constellation.forked_call import ChildDied, Deferred, ForkedCall


def _sum_of(values: np.ndarray, offset: int) -> int:
    return int(values.sum()) + offset


def _fail(message: str) -> None:
    raise BuildError(message)


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _start_then_sleep(started: str, finished: str) -> None:
    with open(started, "w") as handle:
        handle.write(str(os.getpid()))
    time.sleep(60)
    with open(finished, "w") as handle:
        handle.write("still ran")


def _unpicklable_error() -> None:
    class Local(Exception):  # a class defined inside a function cannot be pickled
        pass

    raise Local("went wrong in the child")


def test_the_result_comes_back_while_the_child_read_the_parents_inputs_in_place():
    values = np.arange(1_000, dtype=np.int64)
    with ForkedCall(_sum_of, values, 5, what="a sum") as call:
        assert call.result() == 499_500 + 5


class _Rows:  # a stand-in for a snapshot: an object this process can hold a weak reference to
    def __init__(self, values: np.ndarray):
        self.values = values


def _sum_later(rows: _Rows, started: str) -> int:
    with open(started, "w") as handle:
        handle.write("started")
    time.sleep(0.5)
    return int(rows.values.sum())


def test_the_parent_lets_go_of_its_inputs_while_the_child_still_reads_its_copy(tmp_path):
    # build.py drops a 3M snapshot once it has set it aside, while the genealogy still runs on it in the child
    # (multiprocessing's Process lets go of its arguments once the child has started)
    rows = _Rows(np.arange(10, dtype=np.int64))
    alive = weakref.ref(rows)
    started = tmp_path / "started"
    with ForkedCall(_sum_later, rows, str(started), what="a slow sum") as call:
        del rows
        gc.collect()
        assert alive() is None  # nothing of ForkedCall holds the arguments here
        assert call.result() == 45
    assert started.is_file()


def test_wait_then_result_gives_the_answer_once_the_child_has_finished():
    with ForkedCall(_sum_of, np.ones(3), 0, what="a sum") as call:
        call.wait()
        call.wait()  # waiting again is harmless
        assert call.result() == 3


def test_an_error_in_the_child_is_raised_again_as_itself():
    with ForkedCall(_fail, "the genealogy broke", what="a failing step") as call, pytest.raises(BuildError) as raised:
        call.result()
    assert str(raised.value) == "the genealogy broke"


def test_an_error_that_cannot_be_pickled_still_says_what_happened():
    with ForkedCall(_unpicklable_error, what="a failing step") as call, pytest.raises(RuntimeError) as raised:
        call.result()
    assert "Local: went wrong in the child" in str(raised.value)


def test_a_child_that_dies_raises_child_died_instead_of_waiting_forever():
    with ForkedCall(_die, what="the doomed step") as call:
        with pytest.raises(ChildDied, match=r"the doomed step died before it finished \(exit code -9"):
            call.result()
        with pytest.raises(ChildDied, match="died before it finished"):
            call.wait()  # asked again


def test_leaving_the_block_ends_a_child_that_still_runs(tmp_path):
    started, finished = tmp_path / "started", tmp_path / "finished"
    with pytest.raises(KeyError), ForkedCall(_start_then_sleep, str(started), str(finished), what="a slow step"):
        while not started.exists() or not started.read_text():
            time.sleep(0.01)
        raise KeyError("the parent failed meanwhile")
    with pytest.raises(ProcessLookupError):  # ended and reaped, not left working on
        os.kill(int(started.read_text()), 0)
    assert not finished.exists()


def test_deferred_runs_the_function_here_once_when_its_result_is_asked_for():
    calls = []

    def work(a, b):
        calls.append(os.getpid())
        return a + b

    with Deferred(work, 2, 3, what="the sum") as later:
        assert calls == []  # nothing runs before it is asked for
        assert later.result() == 5 and later.result() == 5
    assert calls == [os.getpid()]
