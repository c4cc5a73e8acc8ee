"""Tiny camera frames (coloured rectangles on a grey street) and a model trained on them for seconds."""

from __future__ import annotations

import numpy as np
import pytest

from annotator.ml.protocol import CancelToken, Detections, FitProgress, FrameInput, LabelledFrame

CLASSES = ("Car", "Van", "Truck", "Pedestrian", "Cyclist")
#: Colour and (width, height) range in pixels per class used by the tiny scenes (Car and Pedestrian).
LOOKS = {0: ((200, 40, 40), (40, 70), (24, 40)), 3: ((40, 40, 220), (12, 18), (30, 50))}


def rectangles_frame(seed: int, size: tuple[int, int] = (96, 256), count: int = 3) -> LabelledFrame:
    """A frame with ``count`` non-overlapping coloured rectangles and their boxes as targets."""
    rng = np.random.default_rng(seed)
    height, width = size
    image = np.full((height, width, 3), 110, dtype=np.uint8)
    image[: height // 3] = (150, 180, 220)
    boxes, labels = [], []
    slot = width // count
    for index in range(count):
        label = int(rng.choice(list(LOOKS)))
        colour, widths, heights = LOOKS[label]
        w, h = int(rng.integers(*widths)), int(rng.integers(*heights))
        x1 = index * slot + int(rng.integers(0, max(1, slot - w)))
        y1 = int(rng.integers(height // 3, height - h))
        image[y1 : y1 + h, x1 : x1 + w] = colour
        boxes.append([x1, y1, x1 + w, y1 + h])
        labels.append(label)
    targets = Detections(np.array(boxes, float), labels, np.ones(count), CLASSES, "labels", camera="front")
    return LabelledFrame(FrameInput(f"rect{seed}", images={"front": image}), targets)


#: Settings that train on the tiny frames in a few seconds on one thread.
TINY_FIT = {"epochs": 16, "batch_size": 4, "crop_width": 128, "input_scale": 1.0, "threads": 1,
            "learning_rate": 0.004}  # fmt: skip
#: Predict settings matching the tiny training.
TINY_PREDICT = {"input_scale": 1.0, "threads": 1}


@pytest.fixture(scope="session")
def tiny_frames() -> list[LabelledFrame]:
    """Eight labelled frames of rectangles."""
    return [rectangles_frame(seed) for seed in range(8)]


@pytest.fixture(scope="session")
def trained(tiny_frames):
    """A model trained on the tiny frames, with its progress history (shared: do not fit or load it)."""
    from plugins.paddle_det2d.model import PaddleDetector2D

    model = PaddleDetector2D()
    untrained_version = model.version
    history: list[FitProgress] = list(model.fit(tiny_frames, TINY_FIT, CancelToken()))
    return model, history, untrained_version


@pytest.fixture(scope="session")
def make_frame():
    """`rectangles_frame`, for tests that need more frames."""
    return rectangles_frame


@pytest.fixture(scope="session")
def fit_params() -> dict:
    """`TINY_FIT`."""
    return dict(TINY_FIT)


@pytest.fixture(scope="session")
def predict_params() -> dict:
    """`TINY_PREDICT` with a low score threshold, so even a little-trained model finds boxes."""
    return {**TINY_PREDICT, "score_threshold": 0.01}
