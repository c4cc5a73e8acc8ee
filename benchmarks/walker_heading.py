"""Does the 3D detector read a pedestrian's heading from its points? The KITTI walker, turned in place.

KITTI frame 000000 holds one labelled object in the camera's view: a man walking across the sensor's line
of sight, his stride (the label's 1.2 m length) across the ray. This turns his points (those within 0.9 m
of the label's centre, above its bottom) about the label's vertical axis by each angle of ``--angles`` and
prints the proposal nearest to him: class, score, size and heading. A detector that reads the heading from
the legs turns its box with the points; one that follows a prior (the ray, the street) does not.

    python benchmarks/walker_heading.py [--weights FILE] [--angles 0,30,60,90,120,150]
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import real_assist
from base_detector import load_plugin

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.ml.protocol import FrameInput

RADIUS = 0.9
CLASSES = ["Car", "Van", "Truck", "Pedestrian", "Cyclist"]


def turned_walker(points: np.ndarray, truth: Cuboid, angle: float) -> np.ndarray:
    """A copy of ``points`` with the walker's (near ``truth``, above its bottom) turned by ``angle``."""
    centre = np.asarray(truth.center)
    out = points.copy()
    near = (np.hypot(*(out[:, :2] - centre[:2]).T) < RADIUS) & (
        out[:, 2] > centre[2] - truth.size[2] / 2 + 0.05
    )
    c, s = math.cos(angle), math.sin(angle)
    out[near, :2] = (out[near, :2] - centre[:2]) @ np.array([[c, s], [-s, c]], dtype=out.dtype) + centre[:2]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--weights", type=Path, help="pointpillars weights (default: the shipped ones)")
    parser.add_argument("--angles", default="0,30,60,90,120,150", help="turns in degrees, comma-separated")
    args = parser.parse_args()
    import torch

    from annotator.ml.registry import PluginRegistry

    torch.set_num_threads(1)
    model, _, chosen, floor_key = load_plugin(PluginRegistry.discover(), "pointpillars", args.weights)
    sample = next(real_assist.kitti_samples(CLASSES, 40.0))
    name, truth = sample.truths[0]
    print(
        f"weights {chosen}; {name} label {np.round(truth.to_array(), 2)} (heading {math.degrees(truth.yaw):.0f})"
    )
    for degrees in (float(a) for a in args.angles.split(",")):
        points = turned_walker(sample.points, truth, math.radians(degrees))
        found = model.predict(FrameInput(sample.name, points), {floor_key: 0.1})
        near = [
            (float(score), found.class_names[int(label)], Cuboid.from_array(box))
            for box, label, score in zip(found.boxes, found.labels, found.scores)
            if math.dist(box[:2], truth.center[:2]) < 1.0
        ]
        if not near:
            print(f"  turned {degrees:5.0f}: no proposal within 1 m")
            continue
        score, label, box = max(near, key=lambda item: item[0])
        expected = math.degrees(truth.yaw) + degrees
        print(f"  turned {degrees:5.0f}: {label} {score:.2f}, {box.size[0]:.2f} x {box.size[1]:.2f} m, heading "
              f"{math.degrees(box.yaw):.0f} (the stride's: {expected:.0f}); BEV IoU with the untouched label "
              f"{bev_iou(box, truth):.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
