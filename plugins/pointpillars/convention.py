"""A box convention learned from the user's verified labels and applied to later proposals.

Labelling conventions differ between data sets: Argoverse's boxes are amodal with a margin, so a detector
that learned tight boxes on generated scenes proposes cars about 0.2 m narrower than the labels, centred on
the visible side (nearer the sensor), and often pointing backwards. Each such proposal costs an adjustment.
After a fine-tuning step the plugin matches its proposals on the verified frames to their labels (BEV IoU
>= `MATCH_IOU`, same class) and keeps, per class with at least `MIN_MATCHES` matches, the robust (median)
residuals: the centre offset along and across the box, each signed to point away from the sensor (the
amodal side is the one the sensor does not see), the vertical offset, the size ratios, and the share of
matches pointing the opposite way (all of a class are turned round only when a clear majority, `FLIP_SHARE`,
were: near half is a coin flip, as for pedestrians, whose front the labels do not agree on). Later
proposals are corrected with them. The convention is stored in the fine-tuned checkpoint; the shipped base
weights carry none, so a new project starts without one.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.ml.finetune.edits import matched_pairs

logger = logging.getLogger(__name__)

#: A proposal and a label of the same class overlapping this much (bird's-eye view) are a match.
MATCH_IOU = 0.3
#: A class's convention is learned (and applied) only from this many matched boxes on.
MIN_MATCHES = 10
#: An axis whose direction is this close to perpendicular to the sensor's line of sight (|cos|) has no
#: "away from the sensor" side: offsets along it are neither learned nor applied.
SIDE_COSINE = 0.1
#: A class is turned round only when at least this share of its matches pointed the opposite way.
FLIP_SHARE = 0.75
#: Size ratios are clipped to this range (a convention, not a different object).
RATIO_RANGE = (0.7, 1.4)
#: A class whose proposals are on median less than this much longer than wide has one footprint ratio.
SQUARE_ASPECT = 1.3


@dataclass(frozen=True)
class ClassConvention:
    """One class's residuals (label minus proposal): centre offsets (m) along and across the box, signed
    away from the sensor, and up; size ratios (label / proposal: length, width, height); the share of
    matches pointing the opposite way; how many matches they come from."""

    matches: int
    along: float
    across: float
    up: float
    ratios: tuple[float, float, float]
    flipped: float

    def to_dict(self) -> dict[str, Any]:
        """Plain values, rounded (checkpoint and model card)."""
        data = asdict(self)
        data["ratios"] = [round(float(r), 4) for r in self.ratios]
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in data.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClassConvention:
        """Inverse of `to_dict`."""
        return cls(
            int(data["matches"]), float(data["along"]), float(data["across"]), float(data["up"]),
            tuple(float(r) for r in data["ratios"]), float(data["flipped"]),
        )  # fmt: skip


def _away_signs(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per box, +1/-1 when its length (first) and width (second) axis points away from / towards the
    sensor at the origin, 0 when the axis is nearly perpendicular to the line of sight."""
    sight = boxes[:, :2] / np.maximum(np.linalg.norm(boxes[:, :2], axis=1, keepdims=True), 1e-6)
    along = np.stack([np.cos(boxes[:, 6]), np.sin(boxes[:, 6])], axis=1)
    across = np.stack([-along[:, 1], along[:, 0]], axis=1)
    signs = []
    for axis in (along, across):
        cosine = (axis * sight).sum(axis=1)
        signs.append(np.where(np.abs(cosine) >= SIDE_COSINE, np.sign(cosine), 0.0))
    return signs[0], signs[1]


def match_boxes(proposals: Sequence[Cuboid], truths: Sequence[Cuboid]) -> list[tuple[int, int]]:
    """Greedy one-to-one matches (proposal index, truth index), best BEV IoU first, at least `MATCH_IOU`
    (the scripted annotator's matching, `matched_pairs`, at this module's threshold)."""
    return matched_pairs([("", box) for box in proposals], [("", box) for box in truths], MATCH_IOU)


def residuals(proposals: np.ndarray, truths: np.ndarray) -> dict[str, np.ndarray]:
    """Per matched pair ((N, 7) proposals and their labels): offsets along/across (signed away from the
    sensor; NaN where the axis has no such side), up, size ratios and whether the label points the other way."""
    delta = truths[:, :2] - proposals[:, :2]
    cos, sin = np.cos(proposals[:, 6]), np.sin(proposals[:, 6])
    along = delta[:, 0] * cos + delta[:, 1] * sin
    across = -delta[:, 0] * sin + delta[:, 1] * cos
    sign_along, sign_across = _away_signs(proposals)
    turn = np.abs(np.remainder(truths[:, 6] - proposals[:, 6] + np.pi, 2 * np.pi) - np.pi)
    return {
        "along": np.where(sign_along != 0, along * sign_along, np.nan),
        "across": np.where(sign_across != 0, across * sign_across, np.nan),
        "up": truths[:, 2] - proposals[:, 2],
        "ratios": truths[:, 3:6] / np.maximum(proposals[:, 3:6], 1e-3),
        "flipped": turn > math.pi / 2,
    }


def learn_convention(
    pairs: dict[str, tuple[np.ndarray, np.ndarray]], min_matches: int = MIN_MATCHES
) -> dict[str, ClassConvention]:
    """Per class name -> (proposals (N, 7), labels (N, 7)) of matched pairs: the classes with at least
    ``min_matches`` pairs and their median residuals."""
    result = {}
    for name, (proposals, truths) in pairs.items():
        if len(proposals) < min_matches:
            continue
        r = residuals(np.asarray(proposals, dtype=np.float64), np.asarray(truths, dtype=np.float64))

        def median(values: np.ndarray) -> float:
            values = values[np.isfinite(values)]
            return float(np.median(values)) if len(values) else 0.0

        ratios = np.median(r["ratios"], axis=0)
        if np.median(proposals[:, 3] / np.maximum(proposals[:, 4], 1e-3)) < SQUARE_ASPECT:
            # nearly square footprints (pedestrians): which side is the "length" is arbitrary
            ratios[:2] = np.median(np.sqrt(r["ratios"][:, 0] * r["ratios"][:, 1]))
        ratios = np.clip(ratios, *RATIO_RANGE)
        result[name] = ClassConvention(
            len(proposals), median(r["along"]), median(r["across"]), median(r["up"]),
            (float(ratios[0]), float(ratios[1]), float(ratios[2])), float(np.mean(r["flipped"])),
        )  # fmt: skip
    return result


def apply_convention(
    boxes: np.ndarray, labels: np.ndarray, classes: Sequence[str], convention: dict[str, ClassConvention]
) -> np.ndarray:
    """``boxes`` (N, 7+) corrected by each one's class convention (classes without one unchanged)."""
    result = np.array(boxes, dtype=np.float64, copy=True)
    if not convention or len(result) == 0:
        return result
    for k, name in enumerate(classes):
        rule = convention.get(name)
        chosen = np.asarray(labels) == k
        if rule is None or not chosen.any():
            continue
        part = result[chosen]
        sign_along, sign_across = _away_signs(part)
        cos, sin = np.cos(part[:, 6]), np.sin(part[:, 6])
        along, across = rule.along * sign_along, rule.across * sign_across
        part[:, 0] += along * cos - across * sin
        part[:, 1] += along * sin + across * cos
        part[:, 2] += rule.up
        part[:, 3:6] *= np.asarray(rule.ratios)
        if rule.flipped >= FLIP_SHARE:
            part[:, 6] = np.remainder(part[:, 6] + 2 * np.pi, 2 * np.pi) - np.pi
        result[chosen] = part
    return result


def convention_to_dict(convention: dict[str, ClassConvention]) -> dict[str, dict[str, Any]]:
    """Plain values for a checkpoint."""
    return {name: rule.to_dict() for name, rule in convention.items()}


def convention_from_dict(data: dict[str, Any] | None) -> dict[str, ClassConvention]:
    """Inverse of `convention_to_dict` (None or empty: no convention)."""
    return {name: ClassConvention.from_dict(rule) for name, rule in (data or {}).items()}


def describe(convention: dict[str, ClassConvention]) -> str:
    """One line per class, for logs and the version's card."""
    if not convention:
        return "none (fewer than 10 matched boxes of any class)"
    return "; ".join(
        f"{name} ({r.matches} boxes): along {r.along:+.2f} m, across {r.across:+.2f} m, up {r.up:+.2f} m, "
        f"size x{r.ratios[0]:.2f}/{r.ratios[1]:.2f}/{r.ratios[2]:.2f}, flipped {r.flipped:.0%}"
        for name, r in convention.items()
    )
