"""`JobRunner`: jobs in a small thread pool, their progress and outcome handed to the owner's thread.

A job is ``work(context)``: a plain function returning its result, or a generator that yields progress
items and returns its result (the runner checks the cancel token after every item). The context carries
a *snapshot* of the project taken on the owner's thread when the job was submitted (never the live
project), the cancel token and a ``progress`` callback for plain functions.

Answers travel through ``deliver``: a function that runs a callback on the owner's thread (the Qt adapter
emits a queued signal; without one, callbacks wait in a queue until `JobRunner.process`). Three guards
sit in front of ``on_done``:

- *latest per name*: submitting a job under a name supersedes the older one of that name (its token is
  set, it is not started when still queued, and nothing of it is delivered);
- *stale*: a job given a snapshot ``source`` remembers the source's ``generation``; when the answer
  arrives after the project moved on, it is submitted again on a fresh snapshot (``replans`` times), then
  delivered as ``stale`` without its result, never applied blindly;
- *errors*: an exception becomes a one-line message in `Outcome.error` (logged with its traceback unless
  it is an `AnnotatorError`); `JobCancelled` or a set token makes the outcome ``cancelled``.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, Protocol

from annotator.core.errors import AnnotatorError
from annotator.jobs.token import CancelToken, JobCancelled

logger = logging.getLogger(__name__)

Callback = Callable[[], None]


class SnapshotSource(Protocol):
    """What a job's snapshot comes from (the open document): a consistent copy and a change counter."""

    @property
    def generation(self) -> int:
        """A number that changes on every change of the project (edits, undo/redo, reloads)."""

    def snapshot(self) -> Any:
        """A private, consistent copy of the project for another thread to read."""


@dataclass(frozen=True)
class JobContext:
    """What a running job sees: its snapshot, its cancel token, a progress callback."""

    snapshot: Any
    token: CancelToken
    progress: Callable[[Any], None]
    generation: int | None = None

    @property
    def cancelled(self) -> bool:
        """True once the owner asked the job to stop."""
        return self.token.is_set()


@dataclass(frozen=True)
class Outcome:
    """How a job ended: its result, or an error message, or cancelled, or stale (result withheld)."""

    name: str
    result: Any = None
    error: str = ""
    cancelled: bool = False
    stale: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when the result may be used."""
        return not (self.error or self.cancelled or self.stale)


@dataclass
class JobHandle:
    """A submitted job: its name, number and token (``cancel`` asks it to stop)."""

    name: str
    number: int
    work: Callable[[JobContext], Any] = field(repr=False)
    source: SnapshotSource | None = field(repr=False)
    replans: int
    guard: bool
    on_progress: Callable[[Any], None] | None = field(repr=False)
    on_done: Callable[[Outcome], None] | None = field(repr=False)
    token: CancelToken = field(default_factory=CancelToken, repr=False)
    snapshot: Any = field(default=None, repr=False)
    generation: int | None = None

    def cancel(self) -> None:
        """Ask the job to stop at its next check."""
        self.token.cancel()


def error_text(error: BaseException) -> str:
    """The one line a failed job reports: the message of an `AnnotatorError`, else type and message."""
    if isinstance(error, AnnotatorError):
        return str(error)
    return f"{type(error).__name__}: {error}"


class JobRunner:
    """Runs jobs on at most ``threads`` worker threads; progress and outcomes go through ``deliver``."""

    def __init__(
        self, threads: int = 1, deliver: Callable[[Callback], None] | None = None, name: str = "job"
    ) -> None:
        self.threads = max(1, int(threads))
        self.name = name
        self._inbox: queue.SimpleQueue[Callback] = queue.SimpleQueue()
        self._deliver = deliver if deliver is not None else self._inbox.put
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()
        self._latest: dict[str, JobHandle] = {}
        self._futures: set[concurrent.futures.Future] = set()
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None

    # -- the owner's side ---------------------------------------------------------------------------
    def submit(
        self,
        work: Callable[[JobContext], Any],
        *,
        name: str | None = None,
        source: SnapshotSource | None = None,
        replans: int = 0,
        guard: bool = True,
        on_progress: Callable[[Any], None] | None = None,
        on_done: Callable[[Outcome], None] | None = None,
    ) -> JobHandle:
        """Run ``work`` in the pool (called on the owner's thread: ``source`` is copied here); a job under
        the same ``name`` that has not answered yet is superseded. ``guard=False`` turns the stale guard
        off, for jobs whose answers stay right whatever changed meanwhile."""
        number = next(self._numbers)
        handle = JobHandle(
            name or f"{self.name}-{number}", number, work, source, replans, guard, on_progress, on_done
        )
        if source is not None:
            handle.generation, handle.snapshot = source.generation, source.snapshot()
        with self._lock:
            older = self._latest.get(handle.name)
            self._latest[handle.name] = handle
        if older is not None:
            older.cancel()
        if source is not None and handle.snapshot is None:  # no project any more: nothing to compute on
            self._post(lambda: self._finish(handle, Outcome(handle.name, stale=True)))
            return handle
        future = self._pool().submit(self._execute, handle)
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._forget_future)
        return handle

    def cancel(self, name: str | None = None) -> None:
        """Ask the job ``name`` (every job: None) to stop; its outcome still arrives, ``cancelled``."""
        with self._lock:
            handles = [h for n, h in self._latest.items() if name is None or n == name]
        for handle in handles:
            handle.cancel()

    def forget(self, name: str | None = None) -> None:
        """Drop the job ``name`` (every job: None): cancelled, and nothing of it is delivered any more."""
        with self._lock:
            names = [n for n in self._latest if name is None or n == name]
            handles = [self._latest.pop(n) for n in names]
        for handle in handles:
            handle.cancel()

    def pending(self, name: str) -> bool:
        """True while a job of ``name`` has not answered."""
        with self._lock:
            return name in self._latest

    def busy(self) -> bool:
        """True while a job runs, waits in the pool, or has not been answered yet."""
        with self._lock:
            return bool(self._latest) or any(not future.done() for future in self._futures)

    def wait(self, timeout: float | None = 30.0) -> bool:
        """Wait until no job runs or waits in the pool (answers may still wait for delivery); True when
        they all ended in time."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                futures = [future for future in self._futures if not future.done()]
            if not futures:
                return True
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            concurrent.futures.wait(futures, timeout=left)

    def shutdown(self, timeout: float | None = 30.0) -> bool:
        """Drop every job and wait for the running ones (closing the owner); True when they ended."""
        self.forget()
        ended = self.wait(timeout)
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
        return ended

    def process(self, timeout: float = 0.0) -> int:
        """Without a ``deliver`` function: run the callbacks that arrived (waiting up to ``timeout`` for
        the first one) on this thread; returns how many ran."""
        count = 0
        try:
            callback = self._inbox.get(timeout=timeout) if timeout > 0 else self._inbox.get_nowait()
            while True:
                callback()
                count += 1
                callback = self._inbox.get_nowait()
        except queue.Empty:
            return count

    def run_until_idle(self, timeout: float = 30.0) -> bool:
        """Without a ``deliver`` function: process callbacks until no job is left (scripts, tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.process(timeout=0.01)
            if not self.busy() and self._inbox.empty():
                return True
        return False

    # -- the worker's side --------------------------------------------------------------------------
    def _pool(self) -> concurrent.futures.ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = concurrent.futures.ThreadPoolExecutor(self.threads, self.name)
            return self._executor

    def _forget_future(self, future: concurrent.futures.Future) -> None:
        with self._lock:
            self._futures.discard(future)
        if not future.cancelled() and future.exception() is not None:  # a bug in the runner itself
            logger.error("job runner %s failed", self.name, exc_info=future.exception())

    def _current(self, handle: JobHandle) -> bool:
        with self._lock:
            return self._latest.get(handle.name) is handle

    def _execute(self, handle: JobHandle) -> None:
        if not self._current(handle):  # superseded or forgotten while queued
            return
        start = time.perf_counter()
        context = JobContext(
            handle.snapshot, handle.token, lambda item: self._post_progress(handle, item), handle.generation
        )
        try:
            handle.token.raise_if_set()  # cancelled while queued: not started
            result = handle.work(context)
            if isinstance(result, Generator):
                result = self._drive(result, context)
        except JobCancelled:
            outcome = Outcome(handle.name, cancelled=True)
        except Exception as error:  # a failing job must never take the owner down
            if isinstance(error, AnnotatorError):
                logger.warning("job %s failed: %s", handle.name, error)
            else:
                logger.exception("job %s failed", handle.name)
            outcome = Outcome(handle.name, error=error_text(error))
        else:
            outcome = Outcome(handle.name, result, cancelled=handle.token.is_set())
        outcome = dataclasses.replace(outcome, seconds=time.perf_counter() - start)
        self._post(lambda: self._finish(handle, outcome))

    def _drive(self, steps: Generator[Any, None, Any], context: JobContext) -> Any:
        """Run a generator job: each item is progress; a set token closes the generator."""
        while True:
            try:
                item = next(steps)
            except StopIteration as stop:
                return stop.value
            context.progress(item)
            if context.cancelled:
                steps.close()
                raise JobCancelled

    def _post_progress(self, handle: JobHandle, item: Any) -> None:
        if handle.on_progress is not None:
            self._post(lambda: self._progress(handle, item))

    def _post(self, callback: Callback) -> None:
        try:
            self._deliver(callback)
        except RuntimeError:  # the owner (a Qt object) is gone: nobody is left to tell
            logger.debug("answer of a job dropped: its owner is gone")

    # -- back on the owner's thread -----------------------------------------------------------------
    def _progress(self, handle: JobHandle, item: Any) -> None:
        if self._current(handle) and handle.on_progress is not None:
            handle.on_progress(item)

    def _finish(self, handle: JobHandle, outcome: Outcome) -> None:
        with self._lock:
            if self._latest.get(handle.name) is not handle:
                return  # superseded or forgotten: dropped
            del self._latest[handle.name]
        source = handle.source
        if outcome.ok and handle.guard and source is not None and source.generation != handle.generation:
            if handle.replans > 0:
                logger.info("job %s answered for an older project state: planned again", handle.name)
                self.submit(
                    handle.work,
                    name=handle.name,
                    source=source,
                    replans=handle.replans - 1,
                    guard=handle.guard,
                    on_progress=handle.on_progress,
                    on_done=handle.on_done,
                )
                return
            logger.info("job %s answered for an older project state: dropped", handle.name)
            outcome = dataclasses.replace(outcome, result=None, stale=True)
        if handle.on_done is not None:
            handle.on_done(outcome)
