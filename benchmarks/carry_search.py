"""Carry to the next frame without a velocity, on the real Argoverse sequence: how well a box copied from
one sweep to the next covers the labelled box there, copied as it is against searched for
(`annotator.core.carry.search_box`), with the per-box search time.

Labels and points are in the ego frame, so while the ego vehicle drives even parked cars move between
sweeps: the case of a single keyframe. Objects within 40 m holding at least 30 points in both sweeps.
Sweep pairs 0-29 were used while developing; 30-49 are reported apart as held out.

    python benchmarks/carry_search.py [--data ../shared/data/argoverse1_sample_log]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from pathlib import Path

import numpy as np

from annotator.core.carry import search_box
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.io.pointcloud import read_point_cloud

DEFAULT = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "argoverse1_sample_log"


def labels(path: Path) -> dict[str, tuple[str, Cuboid]]:
    """The sweep's labels by track: (class, cuboid)."""
    result = {}
    for item in json.loads(path.read_text()):
        c, q = item["center"], item["rotation"]
        yaw = 2.0 * math.atan2(q["z"], q["w"])
        cuboid = Cuboid((c["x"], c["y"], c["z"]), (item["length"], item["width"], item["height"]), yaw)
        result[item["track_label_uuid"]] = (item["label_class"], cuboid)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT)
    args = parser.parse_args()
    clouds = sorted((args.data / "lidar").glob("PC_*.ply"))
    annotations = sorted((args.data / "per_sweep_annotations_amodal").glob("*.json"))
    rows: dict[str, list[tuple[float, float, float, float]]] = {"dev 0-29": [], "held out 30-49": []}
    previous_points, previous_labels = None, None
    for k, (cloud_path, label_path) in enumerate(zip(clouds, annotations, strict=True)):
        points = read_point_cloud(cloud_path).xyz.astype(np.float64)
        current = labels(label_path)
        if previous_points is not None and previous_labels is not None:
            part = "dev 0-29" if k - 1 < 30 else "held out 30-49"
            for track, (_name, before) in previous_labels.items():
                if track not in current or math.hypot(*before.center[:2]) > 40.0:
                    continue
                after = current[track][1]
                if before.points_inside(previous_points).sum() < 30 or after.points_inside(points).sum() < 30:
                    continue
                others = [c for t, (_, c) in current.items() if t != track]
                start = time.perf_counter()
                found = search_box(before, points, others, source_points=previous_points)
                took = (time.perf_counter() - start) * 1000.0
                moved = math.hypot(after.center[0] - before.center[0], after.center[1] - before.center[1])
                rows[part].append((moved, bev_iou(before, after), bev_iou(found, after), took))
        previous_points, previous_labels = points, current
    for part, values in rows.items():
        if not values:
            continue
        moving = [v for v in values if v[0] >= 0.5]
        print(f"{part}: {len(values)} boxes ({len(moving)} moved >= 0.5 m)")
        for title, chosen in (("all", values), ("moved >= 0.5 m", moving)):
            if chosen:
                copy = statistics.median(v[1] for v in chosen)
                found = statistics.median(v[2] for v in chosen)
                good_copy = sum(v[1] >= 0.7 for v in chosen) / len(chosen)
                good_found = sum(v[2] >= 0.7 for v in chosen) / len(chosen)
                print(
                    f"  {title:15s} median BEV IoU copy {copy:.2f} searched {found:.2f}; "
                    f"IoU >= 0.7: copy {good_copy:.0%} searched {good_found:.0%}"
                )
        print(f"  search time median {statistics.median(v[3] for v in values):.0f} ms")


if __name__ == "__main__":
    main()
