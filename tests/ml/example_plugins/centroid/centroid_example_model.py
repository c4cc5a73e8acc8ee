"""A minimal plugin for plugin authors: numpy in, numpy out, a version on every prediction.

It puts one axis-aligned box around all points above ``min_height``. Installed as a drop-in folder
(``<config>/annotator/plugins/centroid/manifest.json`` + this module) or through an entry point.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np

from annotator.ml.protocol import Detections, FitProgress, FrameInput


class CentroidModel:
    """The model object the manifest's ``entry`` names."""

    def __init__(self) -> None:
        self.padding = 0.0
        self.version = "centroid-1.0+pad0.0"

    def predict(self, frame: FrameInput, params: dict[str, Any]) -> Detections:
        """One box around the raised points, or none."""
        points = frame.points
        raised = points[points[:, 2] >= params["min_height"]] if points is not None else np.zeros((0, 4))
        if len(raised) == 0:
            return Detections.empty(["Object"], self.version)
        low, high = raised[:, :3].min(axis=0) - self.padding, raised[:, :3].max(axis=0) + self.padding
        box = np.concatenate([(low + high) / 2, high - low, [0.0]])[None]
        return Detections(box, [0], [1.0], ("Object",), self.version)

    def fit(self, frames, params: dict[str, Any], cancel) -> Iterator[FitProgress]:
        """Learn the padding that makes the raw extent match the labelled box (one step per frame)."""
        gaps = []
        for step, labelled in enumerate(frames, start=1):
            if cancel.is_set():
                return
            self.padding = 0.0
            raw = self.predict(labelled.frame, params)
            if len(raw) and len(labelled.targets):
                gaps.append(float(np.mean(labelled.targets.boxes[0, 3:6] - raw.boxes[0, 3:6]) / 2))
            self.padding = float(np.mean(gaps)) if gaps else 0.0
            yield FitProgress(step, len(frames), {"loss": abs(gaps[-1]) if gaps else 0.0})
        self.version = f"centroid-1.0+pad{self.padding:.3f}"

    def adaptation_card(self) -> dict[str, str]:
        """What fit learned, for the model version's card (optional protocol method)."""
        return {"padding": f"{self.padding:.3f} m"}

    def save(self, path: str) -> None:
        """Write the state (here: the padding) to a local file."""
        with open(path, "w", encoding="utf-8") as handle:
            json.dump({"padding": self.padding}, handle)

    def load(self, path: str) -> None:
        """Read the state back; the version changes with it."""
        with open(path, encoding="utf-8") as handle:
            self.padding = float(json.load(handle)["padding"])
        self.version = f"centroid-1.0+pad{self.padding:.3f}"
