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
        mean=(5.14915, -0.952486, 24.3153, 3.12433, 1.24541, 2.49101, 0.398224, 0.709389, 0.731102, 0.219887, 0.0490112, 0.404445, 0.889825, 0.533264, 0.0150337, 0.201033,),
        scale=(1.53412, 0.757985, 12.1559, 2.94, 1.07321, 1.23794, 0.399876, 0.30198, 0.217862, 0.19249, 0.0612177, 0.391502, 0.147939, 0.436649, 0.121687, 0.0578045,),
        weights=(0.813161, 0.312395, -0.170168, 1.27287, 0.509594, -1.73373, -0.0785847, 0.273757, -0.184109, 0.0466397, 0.528187, 1.32044, 0.0319592, 0.87655, -0.0141877, 0.0594426, 0.790247, 0.026328, 0.316044, -0.846955, -0.522934, -0.739519, -0.110109, -0.614513, 0.151575, -0.114285, -0.311157, -0.422142, -0.06329, 0.98296, -0.0549979, -0.116872,),
        bias=-2.46868,
    ),
    "person": LogisticModel(
        mean=(3.12209, -0.757363, 27.4401, 0.565689, 0.296468, 1.46833, 0.541679, 0.982326, 0.738818, 0.214217, 0.0469652, 0.151898, 0.805245, 0.814231, 0, 0.182066,),
        scale=(0.951885, 0.778177, 11.9147, 0.272242, 0.154503, 0.433728, 0.337394, 0.0648853, 0.193461, 0.173156, 0.0541981, 0.211824, 0.22, 0.292855, 1e-06, 0.0680681,),
        weights=(1.1981, 1.43963, 0.31768, 0.965976, 0.0912633, 0.390169, -0.434656, 0.0687302, -0.23243, -0.0582386, 1.0294, 0.394643, -0.123388, 0.260211, 0, -1.21018, 0.26204, -0.00280962, -0.302741, -0.658946, -0.795981, -0.749939, 0.151384, 0.260897, 0.326196, -0.37455, -0.462524, -0.339676, 0.17684, 0.171698, 0, -0.794113,),
        bias=-1.05071,
    ),
}  # fmt: skip


def calibrated_score(features: np.ndarray, class_name: str) -> float | None:
    """The calibrated probability for a candidate named ``class_name``, None without a fitted model."""
    model = MODELS.get(GROUPS.get(class_name, ""))
    return None if model is None else model.probability(features)
