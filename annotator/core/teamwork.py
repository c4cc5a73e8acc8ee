"""Team work on frames: who is assigned to annotate a frame, and a reviewer's sign-off.

Both live in the frame's ``meta`` (``assignees``: a list of user names; ``signoff``: reviewer, time and
the agreement score seen when signing), so they are saved, undone and shared like any other edit.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from annotator.core.model.commands import Command
from annotator.core.model.project import Project
from annotator.core.model.records import Frame

logger = logging.getLogger(__name__)

ASSIGNEES = "assignees"
SIGNOFF = "signoff"


def check_name(name: str) -> str:
    """A user name stripped; raises ValueError when it is empty or holds control characters."""
    cleaned = name.strip()
    if not cleaned or any(ord(c) < 32 or ord(c) == 127 for c in cleaned):
        raise ValueError(f"bad user name {name!r}: empty or with control characters")
    return cleaned


def assignees(frame: Frame) -> list[str]:
    """The people a frame is assigned to (in the order given)."""
    value = frame.meta.get(ASSIGNEES)
    return [str(v) for v in value] if isinstance(value, list) else []


def signoff(frame: Frame) -> dict[str, Any] | None:
    """The frame's sign-off (``reviewer``, ``at``, optional ``agreement``), or None."""
    value = frame.meta.get(SIGNOFF)
    return value if isinstance(value, dict) and value.get("reviewer") else None


def _plural(count: int) -> str:
    return f"{count} frame" if count == 1 else f"{count} frames"


class _FrameMetaCommand(Command):
    """Set (or with None remove) one ``meta`` key on each of some frames."""

    def __init__(self, frame_ids: Iterable[int], key: str, values: dict[int, Any], label: str) -> None:
        self.frame_ids = list(dict.fromkeys(frame_ids))
        self.key = key
        self.values = values
        self.label = label
        self.changed: list[int] = []

    def do(self, project: Project) -> None:
        self.changed = []
        for frame_id in self.frame_ids:
            frame = project.frames.get(frame_id)
            if frame is None:
                raise LookupError(f"frame {frame_id} is not in the project")
            value = self.values.get(frame_id)
            if frame.meta.get(self.key) == value:
                continue
            meta = {k: v for k, v in frame.meta.items() if k != self.key}
            if value is not None:
                meta[self.key] = value
            project.put("frame", frame_id, dataclasses.replace(frame, meta=meta))
            self.changed.append(frame_id)


class AssignFrames(_FrameMetaCommand):
    """Assign frames to people (replacing earlier assignments); no people clears the assignment."""

    def __init__(self, frame_ids: Iterable[int], people: Sequence[str]) -> None:
        names = list(dict.fromkeys(check_name(p) for p in people))
        ids = list(frame_ids)
        label = (
            f"Assign {_plural(len(ids))} to {', '.join(names)}" if names else f"Unassign {_plural(len(ids))}"
        )
        super().__init__(ids, ASSIGNEES, dict.fromkeys(ids, names or None), label)


class SignOffFrames(_FrameMetaCommand):
    """A reviewer signs frames off at time ``at`` (ISO 8601), with the agreement score seen, if any."""

    def __init__(
        self, frame_ids: Iterable[int], reviewer: str, at: str, agreement: dict[int, float] | None = None
    ) -> None:
        name = check_name(reviewer)
        ids = list(frame_ids)
        values = {}
        for frame_id in ids:
            record: dict[str, Any] = {"reviewer": name, "at": at}
            if agreement and frame_id in agreement:
                record["agreement"] = round(float(agreement[frame_id]), 4)
            values[frame_id] = record
        super().__init__(ids, SIGNOFF, values, f"Sign off {_plural(len(ids))} ({name})")


class RevokeSignOff(_FrameMetaCommand):
    """Withdraw the sign-off of frames."""

    def __init__(self, frame_ids: Iterable[int]) -> None:
        ids = list(frame_ids)
        super().__init__(ids, SIGNOFF, {}, f"Revoke sign-off of {_plural(len(ids))}")
