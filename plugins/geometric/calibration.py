"""The detector's score as a calibrated probability that a proposal is right (bird's-eye IoU >= 0.5 with
a labelled object), from the candidate's features (`plugins.geometric.features`).

One logistic model per kind of object (vehicles: Car, Van, Truck; people: Pedestrian, Cyclist) over the
standardised features and their squares (so that "too small" and "too large" can both count against a
candidate), L2-regularised. The weights were fitted by ``benchmarks/calibrate_geometric.py`` on the
development part of the shared real data only (Argoverse sweeps 0-29 and the KITTI frame); sweeps 30-49
and the SUSTechPOINTS frames are held out to check that the probabilities carry over.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger(__name__)

GROUPS = {"Car": "vehicle", "Van": "vehicle", "Truck": "vehicle", "Pedestrian": "person", "Cyclist": "person"}


@dataclass(frozen=True)
class LogisticModel:
    """``sigmoid(bias + weights . [z, z**2])`` with ``z = (features - mean) / scale`` (z clipped to +-4)."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float

    def probability(self, features: np.ndarray) -> float:
        """The calibrated probability of one feature vector."""
        z = np.clip((np.asarray(features) - self.mean) / self.scale, -4.0, 4.0)
        value = self.bias + float(np.dot(self.weights, np.concatenate([z, z * z])))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, value))))


def expand(z: np.ndarray) -> np.ndarray:
    """The model's inputs from standardised features (rows): ``[z, z**2]``."""
    z = np.clip(z, -4.0, 4.0)
    return np.concatenate([z, z * z], axis=-1)


#: Fitted models by group (see the module docstring); empty: the hand-set score is used.
MODELS: dict[str, LogisticModel] = {
    "vehicle": LogisticModel(
        mean=(5.02365, -0.923934, 24.6972, 2.80222, 1.00009, 2.34254, 0.459335, 0.753615, 0.743066, 0.211612, 0.0453224, 0.378861, 0.907807, 0.535288, 0.0135514, 0.193519,),
        scale=(1.45976, 0.77497, 11.8876, 2.51148, 0.75567, 1.11838, 0.434808, 0.273034, 0.214674, 0.189796, 0.0618712, 0.390172, 0.141689, 0.427837, 0.115619, 0.0631534,),
        weights=(0.542626, 0.0495536, -0.345189, 1.69823, 0.716168, -1.64209, -0.445619, 0.313968, -0.215351, -0.149312, 0.691671, 1.53138, -0.209459, 0.783966, -0.0139535, 0.299428, 0.449278, 0.196648, 0.350212, -0.691806, -0.165278, -0.577706, -0.679278, -0.594029, 0.155077, -0.101913, -0.296514, -0.627544, -0.220809, 0.3501, -0.0541787, -0.120177,),
        bias=-2.35048,
    ),
    "person": LogisticModel(
        mean=(3.03581, -0.773606, 28.4382, 0.580736, 0.289195, 1.44909, 0.591282, 0.987276, 0.719442, 0.234513, 0.0460454, 0.181451, 0.849017, 0.814425, 0, 0.174937,),
        scale=(0.850678, 0.792541, 11.4717, 0.258705, 0.139927, 0.435701, 0.353198, 0.0535003, 0.201976, 0.184703, 0.0528871, 0.238874, 0.204913, 0.290455, 1e-06, 0.0678889,),
        weights=(1.04464, 1.40415, 0.308333, 0.600999, -0.130288, 0.663384, -0.926373, 0.177642, -0.309557, 0.0392355, 1.04549, 0.612599, -0.12964, 0.253922, 0, -1.54596, 0.29467, 0.475929, -0.108021, -0.937534, -0.589149, -1.00919, 0.0161836, 0.277752, 0.18676, -0.449223, -0.602882, -0.49482, 0.0551179, 0.270846, 0, -0.730777,),
        bias=-1.17196,
    ),
}  # fmt: skip


def calibrated_score(features: np.ndarray, class_name: str) -> float | None:
    """The calibrated probability for a candidate named ``class_name``, None without a fitted model."""
    model = MODELS.get(GROUPS.get(class_name, ""))
    return None if model is None else model.probability(features)
