"""The forgetting gate: a candidate model replaces the current one only if it loses nowhere.

Both models are measured on the same held-apart verified frames, split into "old" (frames the current
model's data already had) and "new" (verified since). While the project has too few verified frames to
hold any apart, "old" is measured on frames the current model trained on (`engine._Runner.gate_sets`):
the candidate must keep what its parent learned. The candidate passes when, on each set that was
measured, its score is at least the current model's minus ``tolerance``. Scores are F1 at BEV IoU 0.5
for 3D models and AP50 for 2D ones (`frame_score`).
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from annotator.ml.quality import QualityReport

logger = logging.getLogger(__name__)

SETS = ("old", "new")
DEFAULT_TOLERANCE = 0.02


def report_score(report: QualityReport) -> float:
    """One number per measurement: F1 of recall and precision (3D) or mean AP50 (2D)."""
    if report.task == "detect2d":
        value = report.overall.get("map50", float("nan"))
        return 0.0 if math.isnan(value) else float(value)
    recall, precision = report.overall["recall"], report.overall["precision"]
    if math.isnan(recall) and math.isnan(precision):
        return 1.0  # nothing to find and nothing found
    if math.isnan(recall) or math.isnan(precision) or recall + precision == 0:
        return 0.0
    return 2 * recall * precision / (recall + precision)


@dataclass
class GateDecision:
    """Whether the candidate passed, and why (one line per set)."""

    passed: bool
    tolerance: float
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)


def forgetting_gate(
    candidate: dict[str, float], current: dict[str, float] | None, tolerance: float = DEFAULT_TOLERANCE
) -> GateDecision:
    """Compare scores per set (``{"old": 0.8, "new": 0.6}``; a missing set was not measured).

    Without a current model (``None``) the candidate passes.
    """
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance:g}")
    if current is None:
        return GateDecision(True, tolerance, ["no current model to compare with"])
    decision = GateDecision(True, tolerance)
    for name in SETS:
        if name not in candidate or name not in current:
            decision.reasons.append(f"{name} frames: not measured")
            continue
        mine, theirs = candidate[name], current[name]
        ok = mine >= theirs - tolerance
        decision.passed &= ok
        verdict = "ok" if ok else "lost"
        decision.reasons.append(f"{name} frames: {mine:.3f} vs {theirs:.3f} ({verdict})")
    return decision
