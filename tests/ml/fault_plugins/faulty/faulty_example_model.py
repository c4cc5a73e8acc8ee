"""A plugin that misbehaves on purpose, chosen by the frame's name (for the host's fault tests).

``hang`` sleeps forever, ``exit`` calls ``sys.exit(0)``, ``crash`` ends the process with ``os._exit(9)``,
``nan`` returns a NaN box, ``none`` returns None, ``shape`` returns (1, 5) boxes; any other frame gets one
box. Each time the model is created it appends a line to ``$FAULTY_LOAD_LOG`` (if set).
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import numpy as np

from annotator.ml.protocol import Detections, FrameInput


class FaultyModel:
    """The model object the manifest's ``entry`` names."""

    def __init__(self) -> None:
        self.version = "faulty-1.0"
        log = os.environ.get("FAULTY_LOAD_LOG")
        if log:
            with open(log, "a", encoding="utf-8") as handle:
                handle.write(f"{os.getpid()}\n")

    def predict(self, frame: FrameInput, params: dict[str, Any]) -> Any:
        """One box, or the misbehaviour the frame's name asks for."""
        name = frame.name
        if name == "hang":
            time.sleep(3600)
        if name == "exit":
            sys.exit(0)
        if name == "crash":
            os._exit(9)
        if name == "none":
            return None
        box = np.array([[5.0, 0.0, 0.0, 4.0, 2.0, 1.5, 0.0]])
        if name == "nan":
            box[0, 0] = np.nan
        if name == "shape":
            return Detections(box[:, :5], [0], [0.9], ("Object",), self.version)
        return Detections(box, [0], [0.9], ("Object",), self.version)

    def predict_samples(self, frame: FrameInput, params: dict[str, Any], count: int, mode: str) -> list[Any]:
        """``count`` copies of `predict` (enough for the host's scoring path)."""
        return [self.predict(frame, params) for _ in range(count)]
