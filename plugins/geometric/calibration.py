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
        mean=(5.01555, -0.921671, 24.7034, 2.82407, 0.989334, 2.3471, 0.470645, 0.754057, 0.741823, 0.213068, 0.0451085, 0.372013, 0.910795, 0.531849, 0.0126804, 0.191993,),
        scale=(1.46207, 0.766483, 11.5337, 2.54577, 0.752236, 1.10859, 0.44799, 0.273654, 0.216351, 0.190848, 0.0622403, 0.388063, 0.139058, 0.42644, 0.111891, 0.0646894,),
        weights=(0.557199, 0.0493702, -0.320203, 1.66195, 0.826415, -1.70154, -0.497803, 0.320872, -0.204109, -0.142146, 0.638487, 1.53487, -0.235698, 0.771266, -0.0150556, 0.309582, 0.443051, 0.214972, 0.355612, -0.741884, -0.308744, -0.588658, -0.717139, -0.545463, 0.149678, -0.106111, -0.284711, -0.564493, -0.217637, 0.363014, -0.0585162, -0.149621,),
        bias=-2.51376,
    ),
    "person": LogisticModel(
        mean=(3.03273, -0.784812, 28.0314, 0.576827, 0.286843, 1.45174, 0.598234, 0.987402, 0.719105, 0.234709, 0.0461861, 0.180904, 0.85774, 0.800451, 0, 0.173538,),
        scale=(0.84304, 0.772908, 11.075, 0.258609, 0.137865, 0.443448, 0.352637, 0.0530286, 0.205349, 0.187113, 0.0534028, 0.240605, 0.201907, 0.297832, 1e-06, 0.0678114,),
        weights=(1.02575, 1.41831, 0.407189, 0.625043, -0.123996, 0.673703, -0.953025, 0.230052, -0.280191, 0.00441636, 1.06239, 0.604486, -0.156797, 0.351574, 0, -1.64896, 0.335845, 0.515341, -0.116697, -0.939915, -0.562497, -0.998688, 0.00408733, 0.251337, 0.132926, -0.393096, -0.590543, -0.473005, 0.0456561, 0.309906, 0, -0.75579,),
        bias=-1.49361,
    ),
}  # fmt: skip


def calibrated_score(features: np.ndarray, class_name: str) -> float | None:
    """The calibrated probability for a candidate named ``class_name``, None without a fitted model."""
    model = MODELS.get(GROUPS.get(class_name, ""))
    return None if model is None else model.probability(features)
