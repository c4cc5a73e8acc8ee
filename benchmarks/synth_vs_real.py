"""Generated LiDAR frames against real ones: the statistics a detector sees, and how far apart they are.

Each real set is compared with frames generated for the sensor that recorded it:
- Argoverse 1.1 sample log sweeps 0-29 (development: the presets were tuned on these) and 30-49 (held out,
  reported separately) against ``vlp32c``;
- KITTI 000000 against ``hdl64e``; the SUSTechPOINTS frames (never tuned on) against ``pandar40``.

Statistics, each with one gap score (0 = identical):
- points per object by distance bin (cars, pedestrians; objects with at least one point): the median count
  per bin; gap = mean |log2(generated / real)| over the bins both sides have >= 2 objects in;
- ground share (points within 0.2 m of `annotator.core.ground.estimate_ground`'s surface); gap = |difference|;
- intensity histogram (normalised by the sensor's scale: KITTI 0..1, others 0..255); gap = total variation
  distance (half the L1 distance of the two histograms, 0..1);
- points per frame (median); gap = |log2(generated / real)|;
- horizontal range histogram; gap = total variation distance.

``--baseline`` measures the generator as it was before the sensor presets (``LidarConfig()`` for every
sensor, ``street="classic"``), the default the presets and ``street="urban"``.
Run: ``python benchmarks/synth_vs_real.py [--baseline] [--seeds N] [--sets argo-dev,argo-held-out,kitti,sustech]``.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from annotator.core.geometry import Cuboid
from annotator.core.ground import estimate_ground
from annotator.synth import LidarConfig, SceneConfig, iter_frames, sensor_preset

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ARGOVERSE = DATA / "argoverse1_sample_log"
KITTI = DATA / "kitti_object" / "training"
SUSTECH = DATA / "sustechpoints_example"

KINDS = {"car": "car", "vehicle": "car", "pedestrian": "pedestrian"}
DISTANCE_BINS = (0.0, 10.0, 20.0, 35.0, 50.0)
INTENSITY_BINS = np.linspace(0.0, 1.0, 51)
RANGE_BINS = np.array([0.0, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 60.0, 80.0, 120.0, 1000.0])


@dataclass
class Sample:
    """One frame: points (N, 4) with intensity normalised to 0..1, and its labelled objects (kind, box)."""

    points: np.ndarray
    objects: list[tuple[str, Cuboid]]


@dataclass
class Stats:
    """The statistics of a set of frames."""

    frames: int = 0
    points: list[int] = field(default_factory=list)
    ground: list[float] = field(default_factory=list)
    intensity: np.ndarray = field(default_factory=lambda: np.zeros(len(INTENSITY_BINS) - 1))
    ranges: np.ndarray = field(default_factory=lambda: np.zeros(len(RANGE_BINS) - 1))
    per_object: dict[tuple[str, int], list[int]] = field(default_factory=lambda: defaultdict(list))

    def add(self, sample: Sample) -> None:
        """Add one frame's statistics."""
        pts = sample.points
        self.frames += 1
        self.points.append(len(pts))
        self.ground.append(float(estimate_ground(pts[:, :3]).is_ground(pts[:, :3]).mean()))
        self.intensity += np.histogram(np.clip(pts[:, 3], 0.0, 1.0), INTENSITY_BINS)[0]
        self.ranges += np.histogram(np.hypot(pts[:, 0], pts[:, 1]), RANGE_BINS)[0]
        for kind, cuboid in sample.objects:
            distance = math.hypot(cuboid.center[0], cuboid.center[1])
            bin_index = int(np.searchsorted(DISTANCE_BINS, distance, side="right")) - 1
            if bin_index >= len(DISTANCE_BINS) - 1:
                continue
            count = int(cuboid.points_inside(pts[:, :3]).sum())
            if count > 0:
                self.per_object[kind, bin_index].append(count)


# -- real frames ------------------------------------------------------------------------------------------
def _argoverse_box(entry: dict) -> Cuboid:
    c, q = entry["center"], entry["rotation"]
    return Cuboid(
        (c["x"], c["y"], c["z"]),
        (entry["length"], entry["width"], entry["height"]),
        2.0 * math.atan2(q["z"], q["w"]),
    )


def _kinds(objects: Iterator[tuple[str, Cuboid]]) -> list[tuple[str, Cuboid]]:
    return [(KINDS[name.lower()], box) for name, box in objects if name.lower() in KINDS]


def argoverse(sweeps: range) -> Iterator[Sample]:
    """Argoverse sample log sweeps (indices into the sorted sweeps); intensity / 255."""
    from annotator.io.pointcloud import read_point_cloud

    clouds = sorted((ARGOVERSE / "lidar").glob("PC_*.ply"))
    for index in sweeps:
        if index >= len(clouds):
            return
        stamp = clouds[index].stem[3:]
        labels = ARGOVERSE / "per_sweep_annotations_amodal" / f"tracked_object_labels_{stamp}.json"
        entries = json.loads(labels.read_text()) if labels.exists() else []
        points = read_point_cloud(clouds[index]).xyzi()
        points[:, 3] /= 255.0
        yield Sample(points, _kinds((e["label_class"], _argoverse_box(e)) for e in entries))


def kitti() -> Iterator[Sample]:
    """KITTI frames with labels (reflectance 0..1 as stored)."""
    from annotator.io.kitti import cuboid_from_kitti, read_calib, read_labels

    for cloud in sorted((KITTI / "velodyne").glob("*.bin")):
        calib = read_calib(KITTI / "calib" / f"{cloud.stem}.txt")
        objects = (
            (o.type, cuboid_from_kitti(o, calib))
            for o in read_labels(KITTI / "label_2" / f"{cloud.stem}.txt")
        )
        yield Sample(np.fromfile(cloud, dtype=np.float32).reshape(-1, 4), _kinds(objects))


def sustech() -> Iterator[Sample]:
    """SUSTechPOINTS example frames; intensity / 255."""
    from annotator.io.formats.sustech import SustechFormat
    from annotator.io.pointcloud import read_point_cloud

    for frame in SustechFormat().read(SUSTECH).frames:
        if frame.cloud is None:
            continue
        points = read_point_cloud(frame.cloud).xyzi()
        points[:, 3] /= 255.0
        yield Sample(points, _kinds((o.class_name, o.cuboid) for o in frame.objects if o.cuboid))


#: name -> (folder that must exist, frames, preset of the generated side)
REAL_SETS = {
    "argo-dev": (ARGOVERSE, lambda: argoverse(range(0, 30)), "vlp32c"),
    "argo-held-out": (ARGOVERSE, lambda: argoverse(range(30, 50)), "vlp32c"),
    "kitti": (KITTI, kitti, "hdl64e"),
    "sustech": (SUSTECH, sustech, "pandar40"),
}


# -- generated frames -------------------------------------------------------------------------------------
def generated(lidar: LidarConfig, street: str, seeds: int, frames_per_seed: int = 2) -> Iterator[Sample]:
    """Frames generated with ``lidar``: ``seeds`` scenes, ``frames_per_seed`` frames 1 s apart in each."""
    for seed in range(seeds):
        config = SceneConfig(
            seed=100 + seed, n_frames=frames_per_seed, frame_interval=1.0, lidar=lidar, street=street
        )
        for frame in iter_frames(config, render_images=False):
            points = frame.points.copy()
            points[:, 3] /= lidar.intensity.scale
            yield Sample(points, _kinds((o.label, o.cuboid) for o in frame.objects))


# -- gaps -------------------------------------------------------------------------------------------------
def tv_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Total variation distance of two histograms (0 same shape, 1 disjoint)."""
    return 0.5 * float(np.abs(a / max(a.sum(), 1) - b / max(b.sum(), 1)).sum())


def log_gap(a: float, b: float) -> float:
    return abs(math.log2(max(a, 1e-9) / max(b, 1e-9)))


def _quantiles(hist: np.ndarray, edges: np.ndarray) -> str:
    cdf = np.cumsum(hist) / max(hist.sum(), 1)
    return "/".join(f"{edges[int(np.searchsorted(cdf, q)) + 1]:.2f}" for q in (0.25, 0.5, 0.9))


def compare(real: Stats, gen: Stats) -> tuple[list[tuple[str, str, str, float]], dict[str, float]]:
    """Rows (statistic, real, generated, gap) and the summary gap per statistic."""
    rows: list[tuple[str, str, str, float]] = []
    object_gaps: list[float] = []
    for kind in ("car", "pedestrian"):
        for b in range(len(DISTANCE_BINS) - 1):
            r, g = real.per_object.get((kind, b), []), gen.per_object.get((kind, b), [])
            label = f"{kind} pts {DISTANCE_BINS[b]:.0f}-{DISTANCE_BINS[b + 1]:.0f} m"
            if len(r) < 2 or len(g) < 2:
                rows.append((label, f"n={len(r)}", f"n={len(g)}", math.nan))
                continue
            gap = log_gap(statistics.median(g), statistics.median(r))
            object_gaps.append(gap)
            rows.append(
                (
                    label,
                    f"{statistics.median(r):.0f} (n={len(r)})",
                    f"{statistics.median(g):.0f} (n={len(g)})",
                    gap,
                )
            )
    summary = {"points/object": statistics.mean(object_gaps) if object_gaps else math.nan}
    ground_gap = abs(statistics.mean(gen.ground) - statistics.mean(real.ground))
    rows.append(
        (
            "ground share",
            f"{statistics.mean(real.ground):.2f}",
            f"{statistics.mean(gen.ground):.2f}",
            ground_gap,
        )
    )
    summary["ground share"] = ground_gap
    summary["intensity"] = tv_distance(real.intensity, gen.intensity)
    rows.append(
        (
            "intensity q25/50/90",
            _quantiles(real.intensity, INTENSITY_BINS),
            _quantiles(gen.intensity, INTENSITY_BINS),
            summary["intensity"],
        )
    )
    real_n, gen_n = statistics.median(real.points), statistics.median(gen.points)
    summary["points/frame"] = log_gap(gen_n, real_n)
    rows.append(("points per frame", f"{real_n:.0f}", f"{gen_n:.0f}", summary["points/frame"]))
    summary["range"] = tv_distance(real.ranges, gen.ranges)
    rows.append(
        (
            "range q25/50/90 (m)",
            _quantiles(real.ranges, RANGE_BINS),
            _quantiles(gen.ranges, RANGE_BINS),
            summary["range"],
        )
    )
    return rows, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", action="store_true", help="the generator before the presets")
    parser.add_argument("--seeds", type=int, default=4, help="generated scenes per sensor (2 frames each)")
    parser.add_argument("--sets", default=",".join(REAL_SETS), help="comma-separated real sets")
    args = parser.parse_args()
    cache: dict[str, Stats] = {}
    summaries: dict[str, dict[str, float]] = {}
    for name in args.sets.split(","):
        folder, frames, preset = REAL_SETS[name]
        if not folder.is_dir():
            print(f"{name}: {folder} absent, skipped")
            continue
        real = Stats()
        for sample in frames():
            real.add(sample)
        if preset not in cache:
            begin = time.perf_counter()
            lidar = LidarConfig() if args.baseline else sensor_preset(preset)
            street = "classic" if args.baseline else "urban"
            cache[preset] = Stats()
            for sample in generated(lidar, street, args.seeds):
                cache[preset].add(sample)
            took = time.perf_counter() - begin
            print(f"generated {cache[preset].frames} frames for {preset} in {took:.1f} s")
        rows, summary = compare(real, cache[preset])
        summaries[name] = summary
        generator = "LidarConfig() classic" if args.baseline else f"{preset} urban"
        print(f"\n{name} ({real.frames} real frames) vs {generator} ({cache[preset].frames} generated)")
        print(f"  {'statistic':28s} {'real':>18s} {'generated':>18s} {'gap':>6s}")
        for label, r, g, gap in rows:
            print(f"  {label:28s} {r:>18s} {g:>18s} {gap:6.2f}")
    if summaries:
        stats = list(next(iter(summaries.values())))
        print("\nsummary gap per statistic (0 = same as real)")
        print(f"  {'set':16s}" + "".join(f"{s:>15s}" for s in stats))
        for name, summary in summaries.items():
            print(f"  {name:16s}" + "".join(f"{summary[s]:15.2f}" for s in stats))


if __name__ == "__main__":
    main()
