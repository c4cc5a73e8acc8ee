"""Running a model over frames one by one: compute, then store one undoable step per frame.

A frame whose files or plugin run fail is recorded and skipped; the rest go on; a cancel request stops
before the next frame. Used by pre-annotation and uncertainty scoring (CLI and scripts).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from annotator.core.errors import AnnotatorError
from annotator.core.model.records import Frame
from annotator.ml.protocol import CancelToken

logger = logging.getLogger(__name__)

Result = TypeVar("Result")


@dataclass
class FrameRunSummary:
    """What a run over frames did: frames done, failures (one line each) and whether it was cancelled."""

    frames_done: int = 0
    failures: list[str] = field(default_factory=list)
    cancelled: bool = False


def run_frames(
    frames: Sequence[Frame],
    compute: Callable[[Frame], Result],
    store: Callable[[Frame, Result], None],
    summary: FrameRunSummary,
    activity: str,
    cancel: CancelToken | None = None,
    on_frame: Callable[[int, Frame], None] | None = None,
) -> None:
    """``compute`` each frame, then ``store`` its result (counted in ``summary``); failures are recorded."""
    for position, frame in enumerate(frames):
        if cancel is not None and cancel.is_set():
            summary.cancelled = True
            break
        try:
            result = compute(frame)
        except Exception as error:  # report and go on with the next frame
            summary.failures.append(f"{frame.name}: {error}")
            logger.warning("%s of %s failed: %s", activity, frame.name, error)
        else:
            try:
                store(frame, result)
            except AnnotatorError as error:  # e.g. another process changed what this frame replaces
                summary.failures.append(f"{frame.name}: not saved: {error}")
                logger.warning("%s of %s not saved: %s", activity, frame.name, error)
            else:
                summary.frames_done += 1
        if on_frame is not None:
            on_frame(position + 1, frame)
