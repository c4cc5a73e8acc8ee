"""Counting the edits a scripted annotator needs to turn a frame's proposals into its ground truth.

Proposals and truths are matched greedily by bird's-eye-view IoU (best pair first, at least
`MATCH_IOU`). A matched proposal is accepted as it is when the class agrees and it lies within the
tolerance (centre within 0.2 m, every side within 10 %, heading within 10 degrees), otherwise it is one
adjustment. Every unmatched truth is one box added, every unmatched proposal one box deleted, except
proposals on "don't care" objects (too few points to be labelled), which count neither way.

`EffortModel` turns the counts into the annotator's time: seconds per box added, adjusted, deleted and
accepted (defaults and where they come from: the README, "Effort model").
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.core.cuboids.rotation import wrap_angle

logger = logging.getLogger(__name__)

MATCH_IOU = 0.1
DONT_CARE_IOU = 0.3


@dataclass(frozen=True)
class Tolerance:
    """How far a proposal may be off and still be accepted without an edit."""

    centre: float = 0.2
    size: float = 0.10
    yaw_degrees: float = 10.0

    def accepts(self, proposal: Cuboid, truth: Cuboid) -> bool:
        """True when ``proposal`` is within tolerance of ``truth``."""
        centre = np.linalg.norm(np.subtract(proposal.center, truth.center))
        size = np.abs(np.subtract(proposal.size, truth.size)) / np.maximum(np.asarray(truth.size), 1e-6)
        yaw = abs(wrap_angle(proposal.yaw - truth.yaw))
        return bool(
            centre <= self.centre and size.max() <= self.size and yaw <= math.radians(self.yaw_degrees)
        )


@dataclass
class EditCounts:
    """One frame's edits, and how many proposals were accepted untouched."""

    added: int = 0
    deleted: int = 0
    adjusted: int = 0
    accepted: int = 0

    @property
    def total(self) -> int:
        """Edits: boxes added, deleted and adjusted."""
        return self.added + self.deleted + self.adjusted

    def __add__(self, other: EditCounts) -> EditCounts:
        return EditCounts(*(a + b for a, b in zip(asdict(self).values(), asdict(other).values())))

    def to_dict(self) -> dict[str, int]:
        """JSON-ready, with the total."""
        return {**asdict(self), "total": self.total}


#: Default seconds per action: add a box from scratch, adjust a proposal, delete one, accept one, and look a
#: frame over for objects without a box (escalation's whole reviews and searches; the boxes drawn are adds).
DEFAULT_COSTS = {"add": 30.0, "adjust": 12.0, "delete": 2.0, "accept": 1.0, "search": 15.0}


class CostsError(ValueError):
    """A ``--costs`` text that is not ``name=seconds`` pairs of the known actions."""


@dataclass(frozen=True)
class EffortModel:
    """Seconds an annotator spends per box added, adjusted, deleted and accepted, and per frame looked over
    for objects without a box (``search``: charged by escalation, `annotator.ml.uncertainty.escalation`)."""

    add: float = DEFAULT_COSTS["add"]
    adjust: float = DEFAULT_COSTS["adjust"]
    delete: float = DEFAULT_COSTS["delete"]
    accept: float = DEFAULT_COSTS["accept"]
    search: float = DEFAULT_COSTS["search"]

    @classmethod
    def parse(cls, text: str | None) -> EffortModel:
        """The defaults overridden by ``add=..,adjust=..,delete=..,accept=..,search=..`` (any subset, seconds >= 0)."""
        values = dict(DEFAULT_COSTS)
        for item in (text or "").split(","):
            if not item.strip():
                continue
            name, sep, value = item.partition("=")
            name = name.strip()
            if not sep or name not in values:
                raise CostsError(
                    f"costs: {item.strip()!r} is not one of {', '.join(f'{k}=SECONDS' for k in values)}"
                )
            try:
                seconds = float(value)
            except ValueError:
                raise CostsError(f"costs: {name}={value.strip()!r} is not a number of seconds") from None
            if not math.isfinite(seconds) or seconds < 0:
                raise CostsError(f"costs: {name} must be a finite number of seconds >= 0")
            values[name] = seconds
        return cls(**values)

    def seconds(self, counts: EditCounts) -> float:
        """The time the edits ``counts`` take."""
        return (
            self.add * counts.added
            + self.adjust * counts.adjusted
            + self.delete * counts.deleted
            + self.accept * counts.accepted
        )

    def manual_seconds(self, truths: int) -> float:
        """The time drawing ``truths`` boxes from scratch takes."""
        return self.add * truths

    def to_dict(self) -> dict[str, float]:
        """JSON-ready."""
        return asdict(self)


def matched_pairs(
    proposals: Sequence[tuple[str, Cuboid]],
    truths: Sequence[tuple[str, Cuboid]],
    minimum: float = MATCH_IOU,
    linked: Sequence[tuple[int, int]] = (),
) -> list[tuple[int, int]]:
    """(proposal, truth) index pairs matched greedily, best BEV IoU first, at IoU >= ``minimum``.
    ``linked``: pairs known to be one object whatever their overlap (a box carried along a track and that
    track's truth): they come first, and the rest is matched among the others."""
    matched = list(linked)
    used_p = {i for i, _ in matched}
    used_t = {j for _, j in matched}
    pairs = sorted(
        (
            (bev_iou(p, t), i, j)
            for i, (_, p) in enumerate(proposals)
            if i not in used_p
            for j, (_, t) in enumerate(truths)
            if j not in used_t
        ),
        key=lambda item: (-item[0], item[1], item[2]),
    )
    for iou, i, j in pairs:
        if iou < minimum:
            break
        if i not in used_p and j not in used_t:
            used_p.add(i)
            used_t.add(j)
            matched.append((i, j))
    return matched


def count_edits(
    proposals: Sequence[tuple[str, Cuboid]],
    truths: Sequence[tuple[str, Cuboid]],
    ignore: Sequence[Cuboid] = (),
    tolerance: Tolerance | None = None,
    linked: Sequence[tuple[int, int]] = (),
) -> EditCounts:
    """Edits from ``proposals`` (class, cuboid) to ``truths``; see the module docstring (``linked``: pairs
    known to be one object, see `matched_pairs`)."""
    tolerance = tolerance or Tolerance()
    counts = EditCounts()
    matched = matched_pairs(proposals, truths, linked=linked)
    used_p = {i for i, _ in matched}
    for i, j in matched:
        (p_class, p_box), (t_class, t_box) = proposals[i], truths[j]
        if p_class == t_class and tolerance.accepts(p_box, t_box):
            counts.accepted += 1
        else:
            counts.adjusted += 1
    counts.added = len(truths) - len(matched)
    for i, (_, box) in enumerate(proposals):
        if i not in used_p and not any(bev_iou(box, c) >= DONT_CARE_IOU for c in ignore):
            counts.deleted += 1
    return counts
