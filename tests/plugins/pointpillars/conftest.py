"""Hand-made scenes (a flat ground and box-shaped objects) and a tiny grid, so training takes seconds."""

from __future__ import annotations

import numpy as np
import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.ml.protocol import Detections, FrameInput, LabelledFrame

#: Object kinds of the hand-made scenes: class name -> (length, width, height).
SIZES = {"Car": (4.0, 1.7, 1.5), "Pedestrian": (0.7, 0.6, 1.75)}
GROUND = -1.7


def tiny_config():
    """A 25.6 m x 25.6 m grid of 0.4 m pillars and a narrow network."""
    from plugins.pointpillars.config import PillarConfig

    return PillarConfig(
        x_range=(-12.8, 12.8),
        y_range=(-12.8, 12.8),
        cell=0.4,
        pillar_channels=8,
        channels=(8, 16),
        layers=(1, 1),
        head_channels=16,
    )


def box_surface(cuboid: Cuboid, rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` random points on the sides and top of a box (intensity 0.5)."""
    length, width, height = cuboid.size
    local = rng.uniform(-0.5, 0.5, (count, 3)) * np.array([length, width, height])
    face = rng.integers(0, 5, count)
    local[face == 0, 0], local[face == 1, 0] = length / 2, -length / 2
    local[face == 2, 1], local[face == 3, 1] = width / 2, -width / 2
    local[face == 4, 2] = height / 2
    points = cuboid.box_to_world(local)
    return np.column_stack([points, np.full(count, 0.5)])


def make_scene(seed: int, objects: int = 4) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Points (N, 4) float32, class names and (M, 7) boxes of a random scene inside the tiny grid."""
    rng = np.random.default_rng(seed)
    ground = np.column_stack(
        [rng.uniform(-12.8, 12.8, (3000, 2)), rng.normal(GROUND, 0.02, 3000), rng.uniform(0, 0.2, 3000)]
    )
    names, boxes, clouds = [], [], [ground]
    for k in range(objects):
        name = "Car" if k % 2 == 0 else "Pedestrian"
        length, width, height = SIZES[name]
        x, y = -9.0 + 6.0 * k + rng.uniform(-1.0, 1.0), rng.uniform(-8.0, 8.0)
        cuboid = Cuboid((x, y, GROUND + height / 2), (length, width, height), rng.uniform(-np.pi, np.pi))
        names.append(name)
        boxes.append(cuboid.to_array())
        clouds.append(box_surface(cuboid, rng, 400 if name == "Car" else 120))
    return np.concatenate(clouds).astype(np.float32), names, np.array(boxes)


def labelled_scene(seed: int) -> LabelledFrame:
    """A hand-made scene as the host hands it to ``fit`` (targets in the host's class order)."""
    points, names, boxes = make_scene(seed)
    classes = ("Pedestrian", "Car")
    targets = Detections(boxes, [classes.index(n) for n in names], np.ones(len(names)), classes, "labels")
    return LabelledFrame(FrameInput(f"scene {seed}", points), targets)


@pytest.fixture
def scenes() -> list[LabelledFrame]:
    """Eight training scenes."""
    return [labelled_scene(seed) for seed in range(8)]


@pytest.fixture
def detector():
    """A fresh detector on the tiny grid."""
    from plugins.pointpillars.model import PointPillarsDetector

    return PointPillarsDetector(tiny_config())


@pytest.fixture
def config():
    """The tiny grid's config."""
    return tiny_config()


@pytest.fixture
def scene():
    """``scene(seed)`` -> points, class names, boxes of a hand-made scene."""
    return make_scene


@pytest.fixture(params=["pointpillars", "paddle-det3d"])
def decoding_detector(request, monkeypatch):
    """A detector of each 3D plugin (the Paddle one where Paddle is installed) whose network "decodes" what
    the test gives: ``make(classes, detections)`` -> the detector, its ``_decode`` returning ``detections``,
    so that the post-processing after decoding is what a test checks."""
    if request.param == "paddle-det3d":
        pytest.importorskip("paddle")
        from plugins.paddle_det3d.model import PaddlePointPillars as Detector
    else:
        from plugins.pointpillars.model import PointPillarsDetector as Detector

    def make(classes, detections: Detections):
        detector = Detector()
        detector.config = detector.config.__class__(classes=tuple(classes))
        monkeypatch.setattr(detector, "_decode", lambda *args: [detections])
        return detector

    return make
