"""P(wrong) of a proposal learned online from the project's verified frames.

The ensemble's measures (mean score, stability of the members' boxes, class entropy) rank proposals well
within a class, but how often a class is wrong depends on the sensor and the scene: on a real sequence
the shipped base model proposes pedestrians that are almost all wrong while its cars are mostly right.
An `ErrorModel` is a small L2-regularised logistic regression of "wrong" on those measures plus one
indicator per class, fitted on the scored proposals of frames a person has verified (each judged
against the verified labels), and applied to the proposals of the frames still to do. A class the
verified frames never showed gets no class term (the shared intercept alone).

Fitting is Newton's method (iteratively reweighted least squares) on at most a few thousand rows:
milliseconds. The intercept is not penalised, so with constant features the fit is the share wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

#: Measures (of `annotator.ml.uncertainty.aggregate`) the model reads, each as "how doubtful": 1 - score,
#: 1 - stability, class entropy.
FEATURES = ("score", "stability", "class_entropy")
ERROR_MODEL_FORMAT = "annotator-error-model/1"
DEFAULT_L2 = 1.0
ITERATIONS = 30


def feature_row(measures: Mapping[str, Any], score: float | None = None) -> list[float]:
    """The doubt features of one proposal from its measures (``score`` overrides ``measures['score']``)."""
    value = float(measures.get("score", 0.0) if score is None else score)
    return [
        1.0 - value,
        1.0 - float(measures.get("stability", 0.0)),
        float(measures.get("class_entropy", 0.0)),
    ]


def _design(rows: np.ndarray, names: Sequence[str], classes: Sequence[str]) -> np.ndarray:
    onehot = np.array([[name == c for c in classes] for name in names], dtype=float).reshape(len(names), -1)
    return np.column_stack([np.ones(len(rows)), rows.reshape(len(names), -1), onehot])


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function, clipped against overflow."""
    return 1.0 / (1.0 + np.exp(-np.clip(x, -40.0, 40.0)))


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = DEFAULT_L2) -> np.ndarray:
    """Weights of an L2-regularised logistic regression of ``y`` (0/1) on the design ``x`` (N, D), whose
    first column is the intercept (not penalised), by Newton's method."""
    penalty = np.full(x.shape[1], l2)
    penalty[0] = 0.0
    w = np.zeros(x.shape[1])
    for _ in range(ITERATIONS):
        p = sigmoid(x @ w)
        gradient = x.T @ (p - y) + penalty * w
        hessian = (x * (p * (1.0 - p))[:, None]).T @ x + np.diag(penalty) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    return w


@dataclass(frozen=True)
class ErrorModel:
    """Weights: intercept, one per `FEATURES`, one per class in ``classes``; ``examples`` fitted on."""

    classes: tuple[str, ...]
    weights: np.ndarray
    examples: int = 0

    @classmethod
    def fit(
        cls,
        names: Sequence[str],
        rows: Sequence[Sequence[float]],
        wrong: Sequence[bool],
        l2: float = DEFAULT_L2,
    ) -> ErrorModel:
        """Fit on proposals (class name, `feature_row`, wrong or not); `ValueError` without any."""
        if not len(names):
            raise ValueError("an error model needs at least one judged proposal")
        classes = tuple(sorted(set(names)))
        x = _design(np.asarray(rows, dtype=float), names, classes)
        y = np.asarray(wrong, dtype=float)
        return cls(classes, fit_logistic(x, y, l2), len(y))

    def p_wrong(self, names: Sequence[str], rows: Sequence[Sequence[float]]) -> np.ndarray:
        """P(wrong) of each proposal (class name, `feature_row`)."""
        if not len(names):
            return np.zeros(0)
        return sigmoid(_design(np.asarray(rows, dtype=float), names, self.classes) @ self.weights)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "format": ERROR_MODEL_FORMAT,
            "features": list(FEATURES),
            "classes": list(self.classes),
            "weights": [round(float(v), 6) for v in self.weights],
            "examples": self.examples,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ErrorModel:
        """The model `to_dict` wrote; `ValueError` for anything else."""
        if data.get("format") != ERROR_MODEL_FORMAT or list(data.get("features", [])) != list(FEATURES):
            raise ValueError("not an error model of this version")
        classes = tuple(str(c) for c in data["classes"])
        weights = np.asarray(data["weights"], dtype=float)
        if weights.shape != (1 + len(FEATURES) + len(classes),):
            raise ValueError("error model weights do not match its classes")
        return cls(classes, weights, int(data.get("examples", 0)))
