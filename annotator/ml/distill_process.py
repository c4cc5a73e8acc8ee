"""A distillation run in a child process (``spawn``), so the window's process keeps its CPU and GIL.

`distill_in_child` starts the plugin's distillation function (`annotator.ml.distill`) in a child, hands
its log lines and steps to callbacks as they come, asks it to stop when the cancel token is set (it stops
after its current step; finished epochs stay for a resume) and returns its card (None: stopped).
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from annotator.ml.child import become_background_child
from annotator.ml.protocol import CancelToken, LabelledFrame
from annotator.ml.registry import PluginError

logger = logging.getLogger(__name__)

#: How long one wait for the child's next message lasts (s): the cancel token is checked in between.
WAIT = 0.2


def _child(
    name: str, out: str, teacher: str | None, labelled: list, settings: dict, messages: Any, stop: Any
) -> None:
    from annotator.ml.distill import resolve

    become_background_child()
    try:
        card = resolve(name)(
            Path(out), None if teacher is None else Path(teacher), labelled, settings,
            lambda line: messages.put(("log", line)), stop.is_set,
            lambda step: messages.put(("step", (step.step, step.total, dict(step.metrics)))),
        )  # fmt: skip
    except BaseException as error:  # reported to the parent, never lost
        messages.put(("error", "".join(traceback.format_exception_only(type(error), error)).strip()))
    else:
        messages.put(("done", card))


def distill_in_child(
    name: str,
    out: Path,
    teacher: Path | None,
    labelled: Sequence[LabelledFrame],
    settings: dict[str, Any],
    cancel: CancelToken,
    on_log: Callable[[str], None] = logger.info,
    on_step: Callable[[tuple[int, int, dict[str, float]]], None] | None = None,
) -> dict[str, Any] | None:
    """Run ``name`` (``module:function``) in a child process; its card, or None when stopped
    (`PluginError` with the child's words when it failed)."""
    context = multiprocessing.get_context("spawn")
    messages, stop = context.Queue(), context.Event()
    arguments = (name, str(out), None if teacher is None else str(teacher), list(labelled), dict(settings))
    process = context.Process(target=_child, args=(*arguments, messages, stop), daemon=True)
    process.start()
    try:
        while True:
            if cancel.is_set():
                stop.set()
            try:
                kind, payload = messages.get(timeout=WAIT)
            except queue.Empty:
                if not process.is_alive() and messages.empty():
                    raise PluginError(
                        f"distillation ended without an answer (exit code {process.exitcode})"
                    ) from None
                continue
            if kind == "log":
                on_log(payload)
            elif kind == "step" and on_step is not None:
                on_step(payload)
            elif kind == "error":
                raise PluginError(f"distillation failed: {payload}")
            elif kind == "done":
                return payload
    finally:
        process.join(timeout=10)
        if process.is_alive():
            process.terminate()
