"""What `stride_heading` does to the pedestrian (or ``--class``) proposals of real and generated frames: how
many it turns, and their BEV IoU with the labels before and after.

The 3D plugin runs with ``stride_heading=false`` (the network's headings) at score >= ``--threshold``; each
proposal of the class is then put through `plugins.pointpillars.stride.stride_heading` with the stride
threshold ``--min-stride``. Printed per data set: the class's proposals, how many the rule turns, and for the
turned ones that overlap a label (BEV IoU > 0.05 before or after) how many reach IoU 0.5 before and after
and the mean IoU before and after.

    python benchmarks/stride_heading.py [--data argoverse,kitti,generated] [--frames 0-29] [--min-stride 0.7]
                                        [--class Pedestrian] [--generated 4]

Generated frames are `inference_speed`'s (seed 9000, which the base model never saw).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import real_assist
from base_detector import load_plugin
from inference_speed import generated_samples

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.ml.protocol import FrameInput

CLASSES = ["Car", "Van", "Truck", "Pedestrian", "Cyclist"]


def turned_ious(
    model, floor_key: str, samples: Iterator[real_assist.Sample], threshold: float, kind: str = "Pedestrian"
):
    """(proposals of class ``kind``, turned, IoU before (K,), IoU after (K,)) over ``samples``."""
    from plugins.pointpillars.stride import stride_heading

    proposals, turned, before, after = 0, 0, [], []
    for sample in samples:
        found = model.predict(
            FrameInput(sample.name, sample.points), {floor_key: threshold, "stride_heading": False}
        )
        for name, box, _ in real_assist.proposals(found, sample):
            if name != kind:
                continue
            proposals += 1
            heading = stride_heading(box.to_array(), sample.points)
            if heading is None:
                continue
            turned += 1
            moved = Cuboid(box.center, box.size, heading)
            old = max((bev_iou(box, t) for _, t in sample.truths), default=0.0)
            new = max((bev_iou(moved, t) for _, t in sample.truths), default=0.0)
            if max(old, new) > 0.05:
                before.append(old)
                after.append(new)
    return proposals, turned, np.array(before), np.array(after)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--plugin", default="pointpillars", help="3D plugin id")
    parser.add_argument("--weights", type=Path, help="weights (default: the shipped ones)")
    parser.add_argument(
        "--data", default="argoverse,kitti", help="argoverse, kitti, sustech, generated (comma-separated)"
    )
    parser.add_argument("--frames", default="0-29", help="Argoverse sweeps")
    parser.add_argument("--class", dest="kind", default="Pedestrian", help="the proposals' class to turn")
    parser.add_argument(
        "--generated", type=int, default=4, help="generated frames (with generated in --data)"
    )
    parser.add_argument("--threshold", type=float, default=0.1, help="score threshold of the proposals")
    parser.add_argument(
        "--min-stride", type=float, default=None, help="stride threshold (m; default the plugin's)"
    )
    args = parser.parse_args()
    import torch

    from annotator.ml.registry import PluginRegistry
    from plugins.pointpillars import stride

    torch.set_num_threads(2)
    if args.min_stride is not None:
        stride.MIN_STRIDE = args.min_stride
    model, _, chosen, floor_key = load_plugin(PluginRegistry.discover(), args.plugin, args.weights)
    sources = {
        "argoverse": lambda: real_assist.argoverse_samples(CLASSES, real_assist.parse_frames(args.frames)),
        "kitti": lambda: real_assist.kitti_samples(CLASSES, 40.0),
        "sustech": lambda: real_assist.sustech_samples(CLASSES),
        "generated": lambda: generated_samples(CLASSES, args.generated),
    }
    print(f"{args.plugin}: weights {chosen}; score >= {args.threshold}, stride >= {stride.MIN_STRIDE} m")
    for name in args.data.split(","):
        proposals, turned, before, after = turned_ious(
            model, floor_key, sources[name](), args.threshold, args.kind
        )
        print(f"  {name}: {proposals} {args.kind} proposals, {turned} turned; on a label {len(before)}: "
              f"IoU >= 0.5 before {int((before >= 0.5).sum())}, after {int((after >= 0.5).sum())}; mean IoU "
              f"{before.mean() if len(before) else 0.0:.3f} -> {after.mean() if len(after) else 0.0:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
