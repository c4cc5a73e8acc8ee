"""The corrections both 3D plugins apply to decoded proposals before any refinement: a class checked
against the box's size (``short_cyclists``, `plugins.pointpillars.size_class`), then a pedestrian's heading
read from its legs (``stride_heading``, `plugins.pointpillars.stride`; after the relabelling, so that a
walker the head called a cyclist is turned too)."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from annotator.ml.protocol import Detections
from plugins.pointpillars.size_class import short_cyclists_to_pedestrians
from plugins.pointpillars.stride import align_to_strides

logger = logging.getLogger(__name__)


def corrected(found: list[Detections], points: np.ndarray | None, values: dict[str, Any]) -> list[Detections]:
    """``found`` (one `Detections` per frame of ``points``) with the corrections its parameters ``values``
    switch on."""
    if values["short_cyclists"]:
        found = [short_cyclists_to_pedestrians(f) for f in found]
    if values["stride_heading"]:
        found = [align_to_strides(f, points) for f in found]
    return found
