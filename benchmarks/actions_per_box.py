"""Actions per well-fitted box: one-click fit plus keyboard corrections, on generated frames.

For every car-like object of the generated frames (``annotator.synth``, exact ground truth) with at least
``--min-points`` LiDAR points: one click on its points (the point nearest its centre) runs the GUI's click
fit (`annotator.core.cuboids.creation.click_fit` on the click's neighbourhood, the frame's ground model and the
active class's default size, which completes sides seen only in part): 1 action.
``--raw`` measures the bare cluster + L-shape fit instead (`grow_cluster` + `fit_oriented_box`).
Then keyboard corrections of the Cuboid menu's fixed step sizes are taken greedily (the key that raises
the bird's-eye IoU most) until IoU >= 0.7 or 10 actions; a box that no key improves counts as failed.
Prints the median and the distribution of actions per box.

    python benchmarks/actions_per_box.py [--seeds 3] [--frames 2]
"""

from __future__ import annotations

import argparse
import functools
import math
from collections import Counter

import numpy as np

from annotator.core.cuboids.creation import click_fit, local_window
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.cuboid_ops import flip_heading, move_local, quarter_turn, resize, rotate
from annotator.core.cuboids.fitting import fit_oriented_box, grow_cluster
from annotator.core.cuboids.overlap import bev_iou
from annotator.core.ground import estimate_ground
from annotator.core.model.schema import default_schema
from annotator.synth import SceneConfig, iter_frames

TARGET, LIMIT = 0.7, 10
#: The keys, with the default (not fine) step sizes of annotator.qt.app.actions.
KEYS = {
    "forward": functools.partial(move_local, forward=0.1),
    "back": functools.partial(move_local, forward=-0.1),
    "left": functools.partial(move_local, left=0.1),
    "right": functools.partial(move_local, left=-0.1),
    "turn left": functools.partial(rotate, yaw=math.radians(2.0)),
    "turn right": functools.partial(rotate, yaw=math.radians(-2.0)),
    "longer": functools.partial(resize, dimension="length", delta=0.1),
    "shorter": functools.partial(resize, dimension="length", delta=-0.1),
    "wider": functools.partial(resize, dimension="width", delta=0.1),
    "narrower": functools.partial(resize, dimension="width", delta=-0.1),
    "flip": flip_heading,
    "quarter": quarter_turn,
}


def correct(box: Cuboid, truth: Cuboid) -> tuple[int, bool, list[str]]:
    """Greedy keyboard corrections: (actions after the click, reached the target, keys used)."""
    used: list[str] = []
    iou = bev_iou(box, truth)
    while iou < TARGET and len(used) + 1 < LIMIT:
        name, best = max(((n, key(box)) for n, key in KEYS.items()), key=lambda item: bev_iou(item[1], truth))
        better = bev_iou(best, truth)
        if better <= iou + 1e-9:
            return len(used), False, used
        box, iou = best, better
        used.append(name)
    return len(used), iou >= TARGET, used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--frames", type=int, default=2)
    parser.add_argument("--min-points", type=int, default=50)
    parser.add_argument("--raw", action="store_true", help="bare cluster + L-shape fit, no completion")
    args = parser.parse_args()
    schema = default_schema()
    counts: list[int] = []
    failed = 0
    keys_used: Counter[str] = Counter()
    for seed in range(args.seeds):
        config = SceneConfig(seed=seed, n_frames=args.frames)
        for frame in iter_frames(config, render_images=False):
            points = frame.points[:, :3].astype(np.float64)
            ground = estimate_ground(points)
            ground_mask = ground.is_ground(points, 0.2)
            for obj in frame.objects:
                if obj.label not in ("Car", "Van") or obj.num_points < args.min_points:
                    continue
                inside = np.flatnonzero(obj.cuboid.points_inside(points) & ~ground_mask)
                if len(inside) < 3:
                    continue
                seed_index = inside[np.argmin(np.sum((points[inside] - obj.cuboid.center) ** 2, axis=1))]
                if args.raw:
                    cluster = grow_cluster(points, int(seed_index), ground_mask)
                    ground_z = float(ground.height_at(np.asarray(obj.cuboid.center[:2])))
                    box = fit_oriented_box(points[cluster], ground_z=ground_z)
                else:
                    nearby = np.flatnonzero(local_window(points[seed_index, :2]).points_inside(points))
                    local_seed = int(np.flatnonzero(nearby == seed_index)[0])
                    size = schema.get(obj.label).default_size
                    box = click_fit(points[nearby], local_seed, size, ground=ground)
                    if box is None:
                        failed += 1
                        continue
                extra, ok, used = correct(box, obj.cuboid)
                keys_used.update(used)
                if ok:
                    counts.append(1 + extra)
                else:
                    failed += 1
    total = len(counts) + failed
    print(
        f"boxes: {total} cars/vans with >= {args.min_points} points ({args.seeds} seeds x {args.frames} frames)"
    )
    if counts:
        print(f"median actions per well-fitted box (BEV IoU >= {TARGET}): {float(np.median(counts)):.1f}")
        every = counts + [LIMIT + 1] * failed
        print(f"median over all boxes (not reached counted as {LIMIT + 1}): {float(np.median(every)):.1f}")
        print(
            f"mean: {np.mean(counts):.2f}; within 3 actions: {sum(c <= 3 for c in counts) / total:.0%} of all boxes"
        )
    distribution = Counter(counts)
    for actions in sorted(distribution):
        print(f"  {actions:2d} actions: {distribution[actions]:4d}")
    print(f"  not reached in {LIMIT} actions: {failed:4d}")
    print("keys used: " + ", ".join(f"{k} {n}" for k, n in keys_used.most_common()))


if __name__ == "__main__":
    main()
