"""Does the 3D detector read generated pedestrians' headings? Axis error by stride and by angle to the ray.

The counterpart of `walker_heading.py` (the real KITTI walker) on generated frames: urban scenes of unseen
seeds, one sweep each from a parked sensor (``--sensor``), every labelled pedestrian with at least 15
points within ``--max-range`` m, matched to the proposal nearest its centre (within 1 m, score >= 0.2). For
box lengths (the stride) short / middling / long and for a heading along the line of sight (within 30
degrees) or across it (within 30 degrees of square), it prints how many were matched, the median error of
the box's axis (heading modulo 180 degrees) and the median BEV IoU. A detector that reads the legs gets the
axis within a few degrees both ways; one that follows a prior gets one of the two far off.

    python benchmarks/generated_walker_heading.py [--weights FILE] [--scenes 8] [--sensor hdl64e]
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from base_detector import load_plugin

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.ml.protocol import FrameInput

CLASSES = ("Car", "Van", "Truck", "Bus", "Pedestrian", "Cyclist")
FIRST_SEED = 900  # base training draws its scene seeds from seed * 1_000_003 + scene: far from these
LENGTHS = ((0.0, 0.7, "short"), (0.7, 0.9, "middling"), (0.9, 9.0, "long"))
SIDES = ((0.0, math.radians(30), "along the ray"), (math.radians(60), math.pi / 2 + 1e-6, "across the ray"))


def matched_pedestrians(model, floor_key: str, scenes: int, sensor: str, max_range: float) -> np.ndarray:
    """Rows (length, angle to the ray 0..pi/2, axis error 0..pi/2, BEV IoU) of matched pedestrians."""
    from annotator.synth import SceneConfig, iter_frames
    from plugins.pointpillars.sensors import sensor_config

    rows = []
    for seed in range(FIRST_SEED, FIRST_SEED + scenes):
        config = SceneConfig(
            seed=seed, street="urban", n_frames=1, ego_speed=0.0, lidar=sensor_config(sensor), classes=CLASSES
        )
        frame = next(iter(iter_frames(config, render_images=False)))
        found = model.predict(FrameInput(f"scene {seed}", frame.points), {floor_key: 0.2})
        boxes = [Cuboid.from_array(b) for b in found.boxes]
        for obj in frame.objects:
            truth = obj.cuboid
            if obj.label != "Pedestrian" or obj.num_points < 15 or math.hypot(*truth.center[:2]) > max_range:
                continue
            near = [b for b in boxes if math.dist(b.center[:2], truth.center[:2]) < 1.0]
            if not near:
                continue
            box = min(near, key=lambda b: math.dist(b.center[:2], truth.center[:2]))
            ray = math.atan2(truth.center[1], truth.center[0])
            to_ray = abs(math.remainder(truth.yaw - ray, math.pi))
            error = abs(math.remainder(box.yaw - truth.yaw, math.pi))
            rows.append((truth.size[0], to_ray, error, bev_iou(box, truth)))
    return np.array(rows, dtype=np.float64).reshape(-1, 4)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--weights", type=Path, help="pointpillars weights (default: the shipped ones)")
    parser.add_argument("--scenes", type=int, default=8, help="generated scenes (one sweep each)")
    parser.add_argument("--sensor", default="hdl64e", help="sensor preset")
    parser.add_argument("--max-range", type=float, default=30.0, help="farthest pedestrian (m)")
    args = parser.parse_args()
    import torch

    from annotator.ml.registry import PluginRegistry

    torch.set_num_threads(1)
    model, _, chosen, floor_key = load_plugin(PluginRegistry.discover(), "pointpillars", args.weights)
    rows = matched_pedestrians(model, floor_key, args.scenes, args.sensor, args.max_range)
    print(f"weights {chosen}; {len(rows)} generated pedestrians matched ({args.scenes} {args.sensor} scenes)")
    for low, high, length in LENGTHS:
        for near, far, side in SIDES:
            mask = (rows[:, 0] >= low) & (rows[:, 0] < high) & (rows[:, 1] >= near) & (rows[:, 1] < far)
            if mask.any():
                print(f"  {length:8s} stride, {side:14s}: {int(mask.sum()):3d}, axis error median "
                      f"{math.degrees(float(np.median(rows[mask, 2]))):3.0f} deg, "
                      f"BEV IoU median {float(np.median(rows[mask, 3])):.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
