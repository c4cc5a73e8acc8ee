"""Generated LiDAR frames against real ones: the statistics a detector sees, and how far apart they are.

Each real set is compared with frames generated for the sensor that recorded it:
- Argoverse 1.1 sample log sweeps 0-29 (development: the presets were tuned on these) and 30-49 (held out,
  reported separately) against ``vlp32c``;
- KITTI 000000 against ``hdl64e``; the SUSTechPOINTS frames (never tuned on) against ``pandar40``.

Statistics, each with one gap score (0 = identical):
- points per object by distance bin, cars and pedestrians apart (objects with at least one point): the
  median count per bin; gap = mean |log2(generated / real)| over the bins both sides have >= 2 objects in;
- ground share (points within 0.2 m of `annotator.core.ground.estimate_ground`'s surface); gap = |difference|;
- intensity histogram (its rows show the 25 / 50 / 90 % points; normalised by the sensor's scale: KITTI 0..1, others 0..255); gap = total variation
  distance (half the L1 distance of the two histograms, 0..1);
- points per frame (median); gap = |log2(generated / real)|;
- horizontal range histogram; gap = total variation distance;
- the box convention, cars and pedestrians apart (objects with >= 10 points): the labels' median length,
  width and height, gap = the largest |log2(generated / real)| of the three; and how far the points lie in
  front of the box centre along the line of sight (the median over objects of their points' median
  offset), gap = |difference| in metres. A detector learns both from the generated labels: where a real
  data set boxes objects otherwise (amodal, with margins), its boxes are adjusted however well it sees;
- the share of an object's points in the top 40 % of its box (objects with >= 10 points; median over
  objects): low where windows return little, as on real cars; gap = |difference|.

``--baseline`` measures the generator as it was before the sensor presets (``LidarConfig()`` for every
sensor, ``street="classic"``), the default the presets and ``street="urban"``.
Run: ``python benchmarks/synth_vs_real.py [--baseline] [--seeds N] [--sets argo-dev,argo-held-out,kitti,sustech]``.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
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
    sizes: dict[str, list[tuple[float, float, float]]] = field(default_factory=lambda: defaultdict(list))
    ahead: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    upper: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

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
            inside = cuboid.points_inside(pts[:, :3])
            count = int(inside.sum())
            if count > 0:
                self.per_object[kind, bin_index].append(count)
            if count >= CONVENTION_MIN_POINTS:
                self.sizes[kind].append(tuple(float(v) for v in cuboid.size))
                self.ahead[kind].append(points_ahead_of_centre(pts[inside, :2], cuboid))
                self.upper[kind].append(upper_share(pts[inside, 2], cuboid))


#: Objects with fewer points do not show where a box sits on them.
CONVENTION_MIN_POINTS = 10


def points_ahead_of_centre(xy: np.ndarray, cuboid: Cuboid) -> float:
    """How far (m) an object's points lie in front of its box centre along the sensor's line of sight:
    the median of their offsets towards the sensor."""
    centre = np.asarray(cuboid.center[:2], dtype=np.float64)
    towards_sensor = -centre / max(float(np.linalg.norm(centre)), 1e-9)
    return float(np.median((xy - centre) @ towards_sensor))


#: The top share of a box's height whose points `upper_share` counts.
UPPER = 0.4


def upper_share(z: np.ndarray, cuboid: Cuboid) -> float:
    """The share of an object's points (heights ``z``) in the top `UPPER` of its box: low where windows
    return little (real cars), high where everything returns."""
    top = cuboid.center[2] + cuboid.size[2] / 2
    return float(np.mean(z >= top - UPPER * cuboid.size[2]))


# -- real frames ------------------------------------------------------------------------------------------
def _kinds(objects: Iterator[tuple[str, Cuboid]]) -> list[tuple[str, Cuboid]]:
    return [(KINDS[name.lower()], box) for name, box in objects if name.lower() in KINDS]


def _read(format_id: str, folder: Path, frames: slice, intensity_scale: float) -> Iterator[Sample]:
    """Frames of a dataset read by the project's own importer; intensity divided by its scale."""
    from annotator.io.formats import get_format
    from annotator.io.pointcloud import read_point_cloud

    for frame in get_format(format_id).read(folder).frames[frames]:
        if frame.cloud is None:
            continue
        points = read_point_cloud(frame.cloud).xyzi()
        points[:, 3] /= intensity_scale
        yield Sample(points, _kinds((o.class_name, o.cuboid) for o in frame.objects if o.cuboid))


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


#: name -> (folder that must exist, frames, preset of the generated side)
REAL_SETS = {
    "argo-dev": (ARGOVERSE, lambda: _read("argoverse", ARGOVERSE, slice(0, 30), 255.0), "vlp32c"),
    "argo-held-out": (ARGOVERSE, lambda: _read("argoverse", ARGOVERSE, slice(30, 50), 255.0), "vlp32c"),
    "kitti": (KITTI, kitti, "hdl64e"),
    "sustech": (SUSTECH, lambda: _read("sustech", SUSTECH, slice(None), 255.0), "pandar40"),
}


# -- generated frames -------------------------------------------------------------------------------------
def generated(
    lidar: LidarConfig, street: str, seeds: int, seconds: list[float], frames_per_seed: int = 2
) -> Iterator[Sample]:
    """Frames generated with ``lidar``: ``seeds`` scenes, ``frames_per_seed`` frames 1 s apart in each;
    the time each frame took (scene set-up included in the first) is appended to ``seconds``."""
    for seed in range(seeds):
        config = SceneConfig(
            seed=100 + seed, n_frames=frames_per_seed, frame_interval=1.0, lidar=lidar, street=street
        )
        begin = time.perf_counter()
        for frame in iter_frames(config, render_images=False):
            seconds.append(time.perf_counter() - begin)
            points = frame.points.copy()
            points[:, 3] /= lidar.intensity.scale
            yield Sample(points, _kinds((o.label, o.cuboid) for o in frame.objects))
            begin = time.perf_counter()


# -- gaps -------------------------------------------------------------------------------------------------
def tv_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Total variation distance of two histograms (0 same shape, 1 disjoint)."""
    return 0.5 * float(np.abs(a / max(a.sum(), 1) - b / max(b.sum(), 1)).sum())


def log_gap(a: float, b: float) -> float:
    return abs(math.log2(max(a, 1e-9) / max(b, 1e-9)))


def _quantiles(hist: np.ndarray, edges: np.ndarray) -> str:
    cdf = np.cumsum(hist) / max(hist.sum(), 1)
    return "/".join(f"{edges[int(np.searchsorted(cdf, q)) + 1]:.2f}" for q in (0.25, 0.5, 0.9))


def _histogram_row(
    name: str, real: np.ndarray, gen: np.ndarray, edges: np.ndarray
) -> tuple[str, str, str, float]:
    """A histogram's row: its quartile and 90 % points on both sides, and their distance."""
    return name, _quantiles(real, edges), _quantiles(gen, edges), tv_distance(real, gen)


def compare(real: Stats, gen: Stats) -> tuple[list[tuple[str, str, str, float]], dict[str, float]]:
    """Rows (statistic, real, generated, gap) and the summary gap per statistic."""
    rows: list[tuple[str, str, str, float]] = []
    summary: dict[str, float] = {}
    for kind in ("car", "pedestrian"):
        object_gaps: list[float] = []
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
        summary[f"{kind} points"] = statistics.mean(object_gaps) if object_gaps else math.nan
    rows += convention_rows(real, gen, summary)
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
    rows.append(_histogram_row("intensity", real.intensity, gen.intensity, INTENSITY_BINS))
    real_n, gen_n = statistics.median(real.points), statistics.median(gen.points)
    rows.append(("points/frame", f"{real_n:.0f}", f"{gen_n:.0f}", log_gap(gen_n, real_n)))
    rows.append(_histogram_row("range", real.ranges, gen.ranges, RANGE_BINS))
    summary.update({row[0]: row[3] for row in rows[-3:]})
    return rows, summary


def convention_rows(real: Stats, gen: Stats, summary: dict[str, float]) -> list[tuple[str, str, str, float]]:
    """Rows of the box convention per kind (label sizes; points ahead of the centre), summaries added."""
    rows: list[tuple[str, str, str, float]] = []
    for kind in ("car", "pedestrian"):
        if len(real.sizes[kind]) < 2 or len(gen.sizes[kind]) < 2:
            continue
        r, g = np.median(real.sizes[kind], axis=0), np.median(gen.sizes[kind], axis=0)
        size_gap = max(log_gap(float(a), float(b)) for a, b in zip(g, r))
        rows.append(
            (
                f"{kind} box l x w x h",
                "x".join(f"{v:.2f}" for v in r),
                "x".join(f"{v:.2f}" for v in g),
                size_gap,
            )
        )
        ra, ga = statistics.median(real.ahead[kind]), statistics.median(gen.ahead[kind])
        rows.append((f"{kind} points ahead of centre", f"{ra:.2f} m", f"{ga:.2f} m", abs(ga - ra)))
        summary[f"{kind} box size"], summary[f"{kind} box centre"] = size_gap, abs(ga - ra)
        ru, gu = statistics.median(real.upper[kind]), statistics.median(gen.upper[kind])
        rows.append((f"{kind} points in top {UPPER:.0%}", f"{ru:.2f}", f"{gu:.2f}", abs(gu - ru)))
        summary[f"{kind} upper share"] = abs(gu - ru)
    return rows


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
            lidar = LidarConfig() if args.baseline else sensor_preset(preset)
            street = "classic" if args.baseline else "urban"
            cache[preset], seconds = Stats(), []
            for sample in generated(lidar, street, args.seeds, seconds):
                cache[preset].add(sample)
            print(
                f"generated {cache[preset].frames} frames for {preset}: median "
                f"{statistics.median(seconds):.2f} s per frame (LiDAR + ground truth, no image)"
            )
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
        print(f"  {'set':16s}" + "".join(f"{s:>22s}" for s in stats))
        for name, summary in summaries.items():
            print(f"  {name:16s}" + "".join(f"{summary.get(s, math.nan):22.2f}" for s in stats))


if __name__ == "__main__":
    main()
