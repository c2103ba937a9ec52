"""Run one function over many pieces of work in forked worker processes, reading shared inputs for free.

The kNN's loops (knn.py) are pure numpy/scipy over a feature matrix of up to a few GB, in pieces that do not
depend on each other. Threads would not help (most of each piece is Python-level numpy calls holding the
GIL), and pickling the matrix to each worker would double the peak memory. So the workers are forked:
they see the parent's `shared` inputs through copy-on-write pages and never write to them, so no page is
copied. Only each piece's description goes to a worker and only its (small) result comes back, pickled.

`forked_map` yields results in the order of the pieces, whatever order the workers finish them in, so a
caller that merges them in that order gets the same answer with any number of workers. With one worker it
runs the pieces in this process, without forking.

A worker that dies (killed by the kernel's out-of-memory killer, a crash in native code) would leave a plain
multiprocessing pool waiting for its result forever; `concurrent.futures` notices the death instead, and
it is raised as an `AtlasError` that says what to do.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from typing import Any, TypeVar

from constellation.errors import AtlasError

Shared = TypeVar("Shared")
Piece = TypeVar("Piece")
Result = TypeVar("Result")

# The inputs of the running `forked_map`, set before its workers fork so each inherits them.
_shared: Any = None
# Pieces submitted ahead per worker: enough that a worker never waits for the next one.
_IN_FLIGHT = 3


def worker_count(requested: int) -> int:
    """The number of worker processes `requested` means: itself, or one per core this process may use for 0."""
    if requested < 0:
        raise AtlasError(f"knn_workers={requested}: needs 0 (one per core) or a number of worker processes")
    return requested or max(1, len(os.sched_getaffinity(0)))


def _run(function: Callable[[Any, Any], Any], piece: Any) -> Any:
    return function(_shared, piece)


def forked_map(
    function: Callable[[Shared, Piece], Result],
    shared: Shared,
    pieces: Iterable[Piece],
    workers: int,
    *,
    what: str,
) -> Iterator[Result]:
    """`function(shared, piece)` for each piece, in `workers` forked processes, yielded in the pieces' order.

    `function` must be a module-level function (it is sent to the workers by name) that only reads `shared`.
    `what` names the work in the error raised when a worker dies, e.g. "the windowed kNN search".
    """
    global _shared
    if workers <= 1:
        for piece in pieces:
            yield function(shared, piece)
        return
    if _shared is not None:
        raise RuntimeError("forked_map does not nest: a worker pool is already running in this process")
    _shared = shared
    # Frozen objects are left out of the collector's passes, so a collection in a worker does not write to
    # (and so copy) the pages of the parent's Python objects; the numpy buffers are never touched by it.
    gc.freeze()
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            # A few pieces per worker in flight, no more: results wait here only until the caller takes them,
            # so the memory they hold stays a few pieces' worth whatever the number of pieces.
            todo = iter(pieces)
            running = deque(pool.submit(_run, function, piece) for piece in islice(todo, _IN_FLIGHT * workers))
            try:
                while running:
                    result = running.popleft().result()
                    for piece in islice(todo, 1):
                        running.append(pool.submit(_run, function, piece))
                    yield result
            finally:
                for future in running:
                    future.cancel()
    except BrokenProcessPool as error:
        raise AtlasError(
            f"a worker process of {what} died before it finished (often the out-of-memory killer: see "
            "`dmesg`); free memory, or set knn_workers=1 (`constellation build --knn-workers 1`) to run it in "
            "this process"
        ) from error
    finally:
        _shared = None
        gc.unfreeze()
