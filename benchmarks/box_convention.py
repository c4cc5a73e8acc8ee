"""How the detector's boxes sit on real objects against generated ones: the box-convention gap.

For every labelled car and pedestrian that a proposal of the same class (score >= ``--threshold``) lies
within 1 m of, the proposal against the label: its length, width and height as a share of the label's, by
the label's point count (sparse objects show the gap most), and how far its centre lies from the label's
along the sensor's line of sight (negative: nearer the sensor). Real: Argoverse sweeps (``--frames``,
default the development ones 0-29, every 3rd); generated: unseen frames of the ``vlp32c`` preset (seed
9000), where the detector learned its convention. A detector whose ratios are 1.0 on generated objects and
0.85 on real ones sees real objects smaller than they are labelled.

Run: python benchmarks/box_convention.py [--weights FILE] [--frames 0-29] [--every 3] [--generated 5]
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
from collections.abc import Iterable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import real_assist
from base_detector import generated_samples, load_plugin

from annotator.core.cuboids.cuboid import Cuboid
from annotator.ml.protocol import FrameInput

CLASSES = ["Car", "Van", "Truck", "Pedestrian", "Cyclist"]
POINT_BINS = (0, 100, 300, 10**9)
NEAR = 1.0  # m between a proposal's centre and the label's


def matched(model, key: str | None, threshold: float, samples: Iterable, kind: str) -> np.ndarray:
    """Rows (points, length ratio, width ratio, height ratio, offset along the line of sight) of the
    labels of class ``kind`` with a proposal of that class nearby."""
    rows = []
    for points, truths in samples:
        params = {key: threshold} if key else {}
        result = model.predict(FrameInput("frame", points), params)
        found = [Cuboid.from_array(b) for b, k in zip(result.boxes, result.labels)
                 if result.class_names[int(k)] == kind]  # fmt: skip
        for name, label in truths:
            centre = np.asarray(label.center, dtype=np.float64)
            near = [b for b in found if math.dist(b.center[:2], centre[:2]) < NEAR]
            if name != kind or not near:
                continue
            box = min(near, key=lambda b: math.dist(b.center[:2], centre[:2]))
            towards = centre[:2] / max(float(np.linalg.norm(centre[:2])), 1e-9)
            offset = float((np.asarray(box.center[:2]) - centre[:2]) @ towards)
            ratios = np.asarray(box.size, dtype=np.float64) / np.asarray(label.size, dtype=np.float64)
            rows.append((int(label.points_inside(points[:, :3]).sum()), *ratios, offset))
    return np.asarray(rows, dtype=np.float64).reshape(-1, 5)


def report(title: str, rows: np.ndarray) -> None:
    print(f"  {title}: {len(rows)} matched")
    for lo, hi in itertools.pairwise(POINT_BINS):
        part = rows[(rows[:, 0] >= lo) & (rows[:, 0] < hi)]
        if len(part) == 0:
            continue
        span = f"{lo}-{hi}" if hi < 10**9 else f">= {lo}"
        length, width, height, along = np.median(part[:, 1:], axis=0)
        print(f"    {span:>9} points ({len(part):3d}): length {length:.2f}, width {width:.2f}, height {height:.2f} of the "
              f"label's; centre {along:+.2f} m along the line of sight")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, help="pointpillars weights (default: the shipped ones)")
    parser.add_argument("--frames", default="0-29", help="Argoverse sweeps")
    parser.add_argument("--every", type=int, default=3, help="every k-th of those sweeps")
    parser.add_argument("--generated", type=int, default=5, help="generated vlp32c frames")
    parser.add_argument("--threshold", type=float, default=0.3, help="score threshold of the proposals")
    args = parser.parse_args()
    import torch

    from annotator.ml.registry import PluginRegistry

    torch.set_num_threads(1)
    model, _, weights, key = load_plugin(PluginRegistry.discover(), "pointpillars", args.weights)
    print(f"weights {weights}; proposals at score >= {args.threshold}, within {NEAR} m of a label")
    chosen = real_assist.parse_frames(args.frames)
    sweeps = None if chosen is None else set(sorted(chosen)[:: args.every])
    for kind in ("Car", "Pedestrian"):
        print(kind)
        if real_assist.ARGOVERSE.is_dir():
            real = ((s.points, s.truths) for s in real_assist.argoverse_samples(CLASSES, sweeps))
            report(
                f"Argoverse sweeps {args.frames}, every {args.every}",
                matched(model, key, args.threshold, real, kind),
            )
        generated = ((p, t) for p, t, _ in generated_samples("vlp32c", args.generated, CLASSES))
        report(
            f"generated vlp32c, {args.generated} frames", matched(model, key, args.threshold, generated, kind)
        )


if __name__ == "__main__":
    main()
