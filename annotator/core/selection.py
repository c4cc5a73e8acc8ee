"""Frame selections as users type them: ``0-9,15,20-``, ``all``, or frame names."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from annotator.core.errors import AnnotatorError
from annotator.core.model.records import Frame

logger = logging.getLogger(__name__)


class SelectionError(AnnotatorError):
    """A frame selection that does not parse or names no frame."""


def select_frames(frames: Sequence[Frame], selection: str | None) -> list[Frame]:
    """The frames (in sequence order) picked by ``selection``.

    ``selection`` is a comma-separated list of 0-based positions in the sequence (``3``), ranges
    (``2-5`` inclusive, ``7-`` to the end, ``-4`` from the start), frame names, or ``all``/None.
    """
    ordered = sorted(frames, key=lambda f: (f.index, f.id))
    if selection is None or selection.strip().lower() in ("", "all"):
        return ordered
    by_name = {f.name: position for position, f in enumerate(ordered)}
    chosen: set[int] = set()
    for raw in selection.split(","):
        part = raw.strip()
        if not part:
            continue
        if part in by_name:
            chosen.add(by_name[part])
            continue
        chosen.update(_positions(part, len(ordered)))
    return [ordered[i] for i in sorted(chosen)]


def _positions(part: str, count: int) -> range:
    if "-" in part[1:] or part.startswith("-"):
        start_text, _, stop_text = part.partition("-")
        try:
            start = int(start_text) if start_text.strip() else 0
            stop = int(stop_text) if stop_text.strip() else count - 1
        except ValueError:
            raise SelectionError(
                f"frame selection: {part!r} is neither a frame name nor a range like 2-5"
            ) from None
        if start > stop:
            raise SelectionError(f"frame selection: range {part!r} runs backwards")
    else:
        try:
            start = stop = int(part)
        except ValueError:
            raise SelectionError(f"frame selection: no frame named {part!r}") from None
    if start < 0 or stop >= count:
        raise SelectionError(f"frame selection: {part!r} is outside 0-{count - 1}")
    return range(start, stop + 1)
