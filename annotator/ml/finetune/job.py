"""A fine-tuning job in a child process (``spawn``), driven without blocking from the parent.

The parent creates a `FineTuneJob` with callbacks, calls `start`, then `poll` now and then (a Qt adapter
calls it from a timer on the UI thread: it never waits) or `wait` (the CLI). Progress, log lines and
scores arrive over a queue; `cancel` asks the child to stop after its current step (then nothing is
saved), `terminate` ends it at once. The child runs at a lower priority with capped CPU threads.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import time
import traceback
from collections.abc import Callable
from typing import Any

from annotator.ml.child import become_background_child
from annotator.ml.finetune.spec import FineTuneResult, FineTuneSpec
from annotator.ml.protocol import CancelToken, FitProgress

logger = logging.getLogger(__name__)


class JobError(RuntimeError):
    """The child process failed (the message carries its error)."""


class _EventToken(CancelToken):
    """A cancel token backed by a multiprocessing event (shared with the parent)."""

    def __init__(self, event: Any) -> None:
        self._event = event


def _child_main(spec: FineTuneSpec, messages: Any, cancelled: Any) -> None:
    """The child process: run the job, send every message and then ``done`` or ``error``."""
    from annotator.ml.finetune.engine import job_host, run_finetune
    from annotator.ml.host import cap_threads

    become_background_child()
    cap_threads(spec.options.threads)
    try:
        result = run_finetune(
            spec, lambda kind, payload: messages.put((kind, payload)), _EventToken(cancelled), job_host(spec)
        )
    except BaseException as error:  # everything is reported to the parent, never lost
        logger.debug("fine-tuning failed", exc_info=True)
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        messages.put(("error", detail))
    else:
        messages.put(("done", result))


class FineTuneJob:
    """One run of `annotator.ml.finetune.engine.run_finetune` in a child process.

    Callbacks (all called from `poll`, i.e. on the caller's thread): ``on_progress(FitProgress)``,
    ``on_log(str)``, ``on_scores(dict)``, ``on_finished(FineTuneResult | None, error: str | None)``.
    """

    def __init__(
        self,
        spec: FineTuneSpec,
        on_progress: Callable[[FitProgress], None] | None = None,
        on_log: Callable[[str], None] | None = None,
        on_scores: Callable[[dict[str, Any]], None] | None = None,
        on_finished: Callable[[FineTuneResult | None, str | None], None] | None = None,
    ) -> None:
        self.spec = spec
        self.on_progress, self.on_log, self.on_scores, self.on_finished = (
            on_progress,
            on_log,
            on_scores,
            on_finished,
        )
        context = multiprocessing.get_context("spawn")
        self._messages = context.Queue()
        self._cancelled = context.Event()
        self._process = context.Process(
            target=_child_main,
            args=(spec, self._messages, self._cancelled),
            daemon=True,
            name="annotator-finetune",
        )
        self.result: FineTuneResult | None = None
        self.error: str | None = None
        self.finished = False
        self.progress: FitProgress | None = None

    def start(self) -> FineTuneJob:
        """Start the child process (returns at once)."""
        self._process.start()
        logger.info("fine-tuning %s in process %s", self.spec.plugin, self._process.pid)
        return self

    @property
    def running(self) -> bool:
        """True until the job's end has been seen by `poll`."""
        return self._process.pid is not None and not self.finished

    def cancel(self) -> None:
        """Ask the child to stop after its current step; the result then has no weights."""
        self._cancelled.set()

    def terminate(self) -> None:
        """End the child now (nothing is saved)."""
        if self._process.is_alive():
            self._process.terminate()
        self._finish(None, "terminated")

    def poll(self, budget: float | None = None) -> bool:
        """Hand waiting messages to the callbacks without blocking; True while the job runs.

        With ``budget`` (seconds) it stops handing over once that much time is spent, leaving the
        rest for the next call (a UI timer stays responsive however many messages queued up).
        """
        deadline = None if budget is None else time.monotonic() + budget
        while not self.finished:
            if deadline is not None and time.monotonic() > deadline:
                return True
            try:
                kind, payload = self._messages.get_nowait()
            except queue.Empty:
                if self._process.pid is not None and not self._process.is_alive():
                    self._drain_after_exit()
                break
            self._dispatch(kind, payload)
        return not self.finished

    def wait(self, timeout: float | None = None, interval: float = 0.05) -> FineTuneResult:
        """Poll until the job ends (the CLI's way); raises `JobError` when it failed or timed out."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll():
            if deadline is not None and time.monotonic() > deadline:
                self.terminate()
                raise JobError(f"fine-tuning {self.spec.plugin} did not finish within {timeout:g} s")
            time.sleep(interval)
        self._process.join(timeout=5)
        if self.error is not None or self.result is None:
            raise JobError(f"fine-tuning {self.spec.plugin} failed: {self.error}")
        return self.result

    def _drain_after_exit(self) -> None:
        """The child is gone: read what it sent last, then give up if it never said it was done."""
        deadline = time.monotonic() + 1.0
        while not self.finished and time.monotonic() < deadline:
            try:
                kind, payload = self._messages.get(timeout=0.05)
            except queue.Empty:
                continue
            self._dispatch(kind, payload)
        if not self.finished:
            self._finish(
                None, f"the training process ended unexpectedly (exit code {self._process.exitcode})"
            )

    def _dispatch(self, kind: str, payload: Any) -> None:
        if kind == "progress":
            self.progress = payload
            if self.on_progress is not None:
                self.on_progress(payload)
        elif kind == "log":
            logger.info("%s: %s", self.spec.plugin, payload)
            if self.on_log is not None:
                self.on_log(payload)
        elif kind == "scores":
            if self.on_scores is not None:
                self.on_scores(payload)
        elif kind == "done":
            self._finish(payload, None)
        elif kind == "error":
            self._finish(None, payload)

    def _finish(self, result: FineTuneResult | None, error: str | None) -> None:
        if self.finished:
            return
        self.finished, self.result, self.error = True, result, error
        if self.on_finished is not None:
            self.on_finished(result, error)
