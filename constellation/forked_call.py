"""Run one function in a forked child process while this process goes on: the build's genealogy stage beside
its name stage (build.py), on the second core.

Forked, not spawned: the child reads the parent's inputs (a snapshot of GBs at 3M models) through
copy-on-write pages, where pickling them would cost seconds and a second copy. Only the function's result
comes back, pickled through a pipe, so it should be small: the child writes anything large to a file.

An exception raised in the child is raised again here, as itself when it can be pickled. A child that dies
without an answer (the out-of-memory killer, a crash in native code) raises `ChildDied` with its exit code,
instead of leaving the parent waiting. Leaving the `with` block ends a child that is still running, so a
parent that fails meanwhile leaves no orphan working on.
"""

from __future__ import annotations

import gc
import multiprocessing
import pickle
from collections.abc import Callable
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any, Generic, TypeVar

Result = TypeVar("Result")


class ChildDied(RuntimeError):
    """The child process ended without sending its result or its error."""


def _child(writer: Connection, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        message: tuple[str, Any] = ("result", function(*args))
    except BaseException as error:  # noqa: BLE001 - every failure goes back to the parent, which raises it
        message = ("error", error)
    try:
        payload = pickle.dumps(message)
    except Exception as error:  # noqa: BLE001 - an unpicklable exception still has to say what happened
        payload = pickle.dumps(("error", RuntimeError(f"{type(message[1]).__name__}: {message[1]} ({error})")))
    writer.send_bytes(payload)
    writer.close()


class ForkedCall(Generic[Result]):
    """`function(*args)`, started in a forked child at once; `result()` waits for it.

    Use it as a context manager: leaving the block ends the child if it still runs."""

    def __init__(self, function: Callable[..., Result], *args: Any, what: str) -> None:
        self.what = what
        context = multiprocessing.get_context("fork")
        self._reader, writer = context.Pipe(duplex=False)
        self._process = context.Process(target=_child, args=(writer, function, args), daemon=True)
        # Frozen objects are left out of the collector's passes, so a collection in the child does not write to
        # (and so copy) the pages of the parent's Python objects, a snapshot's lists of tags among them.
        gc.freeze()
        try:
            self._process.start()
        finally:
            gc.unfreeze()
        writer.close()  # the child holds the other end: when it dies, reading here ends instead of waiting
        self._payload: bytes | None = None

    def wait(self) -> None:
        """Wait until the child has finished, its answer kept for `result()`; ChildDied when it died first."""
        if self._payload is not None:
            return
        if self._reader.closed:  # asked again after the child died
            raise ChildDied(f"the process running {self.what} died before it finished")
        try:
            self._payload = self._reader.recv_bytes()
        except EOFError:
            self._process.join()
            raise ChildDied(
                f"the process running {self.what} died before it finished (exit code {self._process.exitcode}; "
                "often the out-of-memory killer: see `dmesg`)"
            ) from None
        finally:
            self._reader.close()
        self._process.join()

    def result(self) -> Result:
        """The function's return value; its exception raised again; ChildDied when the child died first."""
        self.wait()
        assert self._payload is not None
        kind, value = pickle.loads(self._payload)
        if kind == "error":
            raise value
        return value

    def __enter__(self) -> ForkedCall[Result]:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        if not self._reader.closed:
            self._reader.close()


class Deferred(Generic[Result]):
    """ForkedCall's interface without the second process: `function(*args)` runs in this process when
    `result()` is first asked for. For a caller that forks only when it can afford a second working set
    (build.py: the site files beside the atlas write on an incremental night, one after the other on a full
    build, which must stay within its memory budget)."""

    def __init__(self, function: Callable[..., Result], *args: Any, what: str) -> None:
        self.what = what
        self._call: Callable[[], Result] | None = lambda: function(*args)
        self._value: Result | None = None

    def wait(self) -> None:
        if self._call is not None:
            self._value, self._call = self._call(), None

    def result(self) -> Result:
        self.wait()
        return self._value  # type: ignore[return-value]  # set by wait()

    def __enter__(self) -> Deferred[Result]:
        return self

    def __exit__(self, *exc: object) -> None:
        return None
