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
        mean=(5.03147, -0.914801, 24.7746, 2.77876, 1.02464, 2.38184, 0.466423, 0.749218, 0.741123, 0.213342, 0.0455353, 0.375823, 0.910821, 0.533378, 0.0136986, 0.194379,),
        scale=(1.47414, 0.767713, 11.9999, 2.53743, 0.806011, 1.12895, 0.431994, 0.276022, 0.215586, 0.191742, 0.060663, 0.390126, 0.133805, 0.427557, 0.116237, 0.061193,),
        weights=(0.687291, 0.135814, -0.270511, 1.45954, 0.796955, -1.68603, 0.0293555, 0.496845, -0.14503, 0.0305554, 0.47334, 1.66876, -0.323997, 0.738046, -0.00906442, 0.492162, 0.394726, 0.15361, 0.314621, -0.542445, -0.265152, -0.747999, -0.203098, -0.492579, 0.0265047, -0.0194544, -0.234136, -0.621229, -0.165136, 0.700176, -0.0351894, -0.446516,),
        bias=-2.44379,
    ),
    "person": LogisticModel(
        mean=(3.05511, -0.806685, 27.5501, 0.575329, 0.28561, 1.42181, 0.591002, 0.988104, 0.717053, 0.232918, 0.0500293, 0.188294, 0.858448, 0.809996, 0, 0.171503,),
        scale=(0.848138, 0.820902, 11.5877, 0.261523, 0.13291, 0.42986, 0.351478, 0.0497137, 0.204611, 0.184876, 0.0578809, 0.244633, 0.202259, 0.294052, 1e-06, 0.069728,),
        weights=(1.35388, 1.67808, 0.405527, 0.840877, 0.139755, 0.614144, -1.04018, 0.438127, -0.118504, -0.141819, 0.874515, 0.436101, -0.167761, 0.797607, 0, -1.91898, -0.0444746, -0.0694207, 0.109291, -0.585403, -0.438965, -0.725814, 0.248898, 0.260635, 0.542297, -0.666041, -0.640374, -0.148506, 0.0126931, 0.452118, 0, -0.773243,),
        bias=-1.91863,
    ),
}  # fmt: skip


def calibrated_score(features: np.ndarray, class_name: str) -> float | None:
    """The calibrated probability for a candidate named ``class_name``, None without a fitted model."""
    model = MODELS.get(GROUPS.get(class_name, ""))
    return None if model is None else model.probability(features)
