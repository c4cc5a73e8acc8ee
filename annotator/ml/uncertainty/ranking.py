"""How well the adapted uncertainty ranks the wrong proposals along a simulated run, against the score alone.

The issue's yardstick for uncertainty: does it find the wrong proposals better than the detector's own score?
``annotator simulate --strategy escalate --adapt-every K`` reports it for the frames judged after the first
adaptation (where the escalation's uncertainty is P(wrong), `annotator.ml.uncertainty.adaptation`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from annotator.ml.uncertainty.escalation import EscalationFrame
from annotator.ml.uncertainty.evaluation import auroc

logger = logging.getLogger(__name__)


def ranking_after_adaptation(frames: Sequence[EscalationFrame], every: int) -> dict[str, float | int]:
    """How well the adapted uncertainty (P(wrong)) ranks the wrong proposals of the frames judged after the
    first adaptation (``frames`` in annotation order, as `OnlineAdapter` judged them), against the detector's
    mean score alone on the same proposals: frames, proposals, wrong ones, and the two AUROCs (nan where a
    ranking is not defined: no wrong or no right proposal, or no scores)."""
    later = list(frames[every:])
    uncertainty = np.concatenate([np.asarray(f.uncertainty, dtype=float) for f in later] or [np.zeros(0)])
    wrong = np.concatenate([np.asarray(f.wrong, dtype=bool) for f in later] or [np.zeros(0, dtype=bool)])
    scored = all(f.score is not None for f in later)
    score = (
        np.concatenate([np.asarray(f.score, dtype=float) for f in later] or [np.zeros(0)]) if scored else None
    )
    return {
        "frames": len(later),
        "proposals": len(wrong),
        "wrong": int(wrong.sum()),
        "auroc_uncertainty": auroc(uncertainty, wrong),
        "auroc_score": auroc(-score, wrong) if score is not None else float("nan"),
    }
