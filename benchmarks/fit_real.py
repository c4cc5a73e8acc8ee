"""Box fitting on real partial scans: perturbed boxes -> fit -> BEV IoU and heading error to the truth.

Each labelled object of a real frame is taken as the truth; a copy displaced 0.4 m along and 0.3 m across its
heading, 20 % too large and turned 0.2 rad (random signs, fixed seed) is fitted with `fit_frame` (every other
true box of the frame is a neighbour, as in a project where the rest is labelled), and the fitted box is
compared with the truth. The true boxes are fitted too: a fit must not make good boxes worse.

Boxes of a track (Argoverse: the track uuid, the sweeps' ego poses) also get the heading of the track's
world-frame motion from its boxes in the 5 sweeps before and after (of the same split; the perturbed boxes
when fitting perturbed ones, as in a project of rough boxes; `--no-track-motion` leaves it out).

Data (from ../shared/data, skipped when absent):
- Argoverse 1.1 sample log: sweeps 0-29 are the development split, 30-49 the held-out split;
- KITTI 000000 (development) and the SUSTechPOINTS scene (held-out).

Tables: perturbed boxes per class, perturbed vehicles by points inside, true boxes, and both per dataset
(KITTI 000000 holds one pedestrian; vehicles with >= 30 points, the target's group, apart).

Class sizes are the priors a user would set for each dataset's classes (typical vehicle and person sizes,
not measured on these frames); with `--size-classes` they are also the size classes an object wider than
its own class's size may take. Run: ``python benchmarks/fit_real.py [--split dev|held-out|all]``;
``--diagnose`` adds a per-box diagnosis of the perturbed vehicles (which error costs the most IoU, the
worst boxes), ``--default-only`` skips the one-sweep run, ``--timing`` only times `fit_frame`.
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

from annotator.core.cuboids import track_sweeps as sweeps
from annotator.core.cuboids.box_fit import fit_frame
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.fit_priors import MOTION_REACH, MOTION_WINDOW
from annotator.core.cuboids.overlap import bev_iou
from annotator.core.cuboids.point_index import PointIndex
from annotator.core.cuboids.rotation import wrap_angle
from annotator.core.pose import Pose
from annotator.core.track_motion import motion_heading
from annotator.core.world import to_world

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ARGOVERSE = DATA / "argoverse1_sample_log"
KITTI = DATA / "kitti_object" / "training"
SUSTECH = DATA / "sustechpoints_example"

#: Typical sizes (length, width, height in metres) per kind of object, as a project's class table holds
#: them, and the class names (KITTI, Argoverse, SUSTechPOINTS, lower case) of each kind.
TYPICAL_SIZES = {
    (4.5, 1.85, 1.6): "car vehicle",
    (5.0, 2.0, 2.1): "van",
    (8.0, 2.5, 3.2): "truck large_vehicle",
    (11.0, 2.6, 3.2): "bus",
    (0.7, 0.7, 1.7): "pedestrian",
    (1.8, 0.7, 1.7): "cyclist bicyclist rider",
    (2.0, 0.8, 1.4): "motorcyclist motorcycle motor",
    (1.7, 0.6, 1.1): "bicycle scooter",
}
CLASS_PRIORS = {name: size for size, names in TYPICAL_SIZES.items() for name in names.split()}
VEHICLES = {"car", "vehicle", "van"}


@dataclass
class Object:
    """One labelled object of a real frame."""

    class_name: str
    cuboid: Cuboid
    track: str | None = None


@dataclass
class Scene:
    """A real frame: its points (N, 3) and its labelled objects."""

    name: str
    points: np.ndarray
    objects: list[Object]
    pose: Pose | None = None
    index: int = 0
    _index: PointIndex | None = None

    def near(self, box: Cuboid, margin: float) -> np.ndarray:
        """The points within ``margin`` of ``box`` (through a point index built on first use)."""
        if self._index is None:
            self._index = PointIndex(self.points)
        return self.points[self._index.indices_inside(box, margin)]


def _argoverse_cuboid(entry: dict) -> Cuboid:
    c, q = entry["center"], entry["rotation"]
    size = (entry["length"], entry["width"], entry["height"])
    return Cuboid((c["x"], c["y"], c["z"]), size, 2.0 * math.atan2(q["z"], q["w"]))


def argoverse_scenes(sweeps: range) -> Iterator[Scene]:
    """The Argoverse sample log's sweeps (indices into the sorted sweeps) with their amodal labels."""
    from annotator.io.pointcloud import read_point_cloud

    clouds = sorted((ARGOVERSE / "lidar").glob("PC_*.ply"))
    for index in sweeps:
        if index >= len(clouds):
            return
        stamp = clouds[index].stem[3:]
        labels = ARGOVERSE / "per_sweep_annotations_amodal" / f"tracked_object_labels_{stamp}.json"
        entries = json.loads(labels.read_text()) if labels.exists() else []
        objects = [
            Object(e["label_class"].lower(), _argoverse_cuboid(e), e.get("track_label_uuid")) for e in entries
        ]
        pose_file = ARGOVERSE / "poses" / f"city_SE3_egovehicle_{stamp}.json"
        pose = Pose.from_dict(json.loads(pose_file.read_text())) if pose_file.exists() else None
        yield Scene(f"argoverse {index:02d}", read_point_cloud(clouds[index]).xyz, objects, pose, index)


def kitti_scenes() -> Iterator[Scene]:
    """The KITTI frames with velodyne, labels and calibration (boxes in the LiDAR frame)."""
    from annotator.io.kitti import cuboid_from_kitti, read_calib, read_labels

    for cloud in sorted((KITTI / "velodyne").glob("*.bin")):
        label, calib = KITTI / "label_2" / f"{cloud.stem}.txt", KITTI / "calib" / f"{cloud.stem}.txt"
        if not (label.exists() and calib.exists()):
            continue
        calibration = read_calib(calib)
        points = np.fromfile(cloud, dtype=np.float32).reshape(-1, 4)[:, :3]
        objects = [
            Object(o.type.lower(), cuboid_from_kitti(o, calibration))
            for o in read_labels(label)
            if o.type != "DontCare"
        ]
        yield Scene(f"kitti {cloud.stem}", points, objects)


def sustech_scenes() -> Iterator[Scene]:
    """The SUSTechPOINTS example scene's labelled frames."""
    from annotator.io.formats.sustech import SustechFormat
    from annotator.io.pointcloud import read_point_cloud

    dataset = SustechFormat().read(SUSTECH)
    for frame in dataset.frames:
        if frame.cloud is None or not frame.objects:
            continue
        objects = [Object(o.class_name.lower(), o.cuboid, o.track_key) for o in frame.objects if o.cuboid]
        yield Scene(f"sustech {frame.name}", read_point_cloud(frame.cloud).xyz, objects)


def scenes(split: str) -> Iterator[Scene]:
    """The scenes of a split: ``dev`` (Argoverse 0-29, KITTI), ``held-out`` (Argoverse 30-49, SUSTech)."""
    if split in ("dev", "all") and ARGOVERSE.is_dir():
        yield from argoverse_scenes(range(0, 30))
    if split in ("dev", "all") and KITTI.is_dir():
        yield from kitti_scenes()
    if split in ("held-out", "all") and ARGOVERSE.is_dir():
        yield from argoverse_scenes(range(30, 50))
    if split in ("held-out", "all") and SUSTECH.is_dir():
        yield from sustech_scenes()


def perturbed(box: Cuboid, rng: np.random.Generator) -> Cuboid:
    """The box displaced 0.4 m along and 0.3 m across its heading, 20 % too large, turned 0.2 rad."""
    along, across, turn = (float(s) for s in rng.choice([-1.0, 1.0], size=3))
    shift = box.rotation @ np.array([0.4 * along, 0.3 * across, 0.0])
    size = tuple(1.2 * s for s in box.size)
    return box.replace(
        center=tuple(np.asarray(box.center) + shift), size=size, yaw=wrap_angle(box.yaw + 0.2 * turn)
    )


@dataclass
class Tally:
    """IoUs and heading errors of one group of boxes."""

    before: list[float] = field(default_factory=list)
    after: list[float] = field(default_factory=list)
    heading: list[float] = field(default_factory=list)
    changed: int = 0

    def add(self, truth: Cuboid, start: Cuboid, fitted: Cuboid, changed: bool) -> None:
        self.before.append(bev_iou(truth, start))
        self.after.append(bev_iou(truth, fitted))
        self.heading.append(abs(wrap_angle(fitted.yaw - truth.yaw)))
        self.changed += changed


def point_bin(count: int) -> str:
    """A point-count group."""
    for low, high in ((10, 30), (30, 100), (100, 300), (300, 1000)):
        if count < high:
            return f"{low}-{high - 1}" if count >= low else f"<{low}"
    return ">=1000"


def motion_hints(
    scenes_and_boxes: list[tuple[Scene, list[Cuboid]]],
) -> list[tuple[list[float | None], list[float | None]]]:
    """Per scene and box: the heading of its track's world motion in the scene's frame and how far the
    L-shape may turn from it (`MOTION_WINDOW` times its uncertainty), from the track's boxes given for the scenes
    within `MOTION_REACH` sweeps; (None, None) without a track, poses or clear travel."""
    world: dict[str, list[tuple[int, tuple[float, float, float]]]] = defaultdict(list)
    for scene, boxes in scenes_and_boxes:
        if scene.pose is None:
            continue
        for obj, box in zip(scene.objects, boxes):
            if obj.track is not None:
                world[obj.track].append((scene.index, to_world(box, scene.pose).center))
    hints = []
    for scene, _ in scenes_and_boxes:
        yaws: list[float | None] = [None] * len(scene.objects)
        windows: list[float | None] = [None] * len(scene.objects)
        for i, obj in enumerate(scene.objects):
            if scene.pose is None or obj.track is None:
                continue
            near = [(t, c) for t, c in world[obj.track] if abs(t - scene.index) <= MOTION_REACH]
            found = motion_heading([t for t, _ in near], [c for _, c in near]) if len(near) >= 2 else None
            if found is not None:
                yaws[i] = wrap_angle(found.yaw - scene.pose.yaw)
                windows[i] = MOTION_WINDOW * found.spread
        hints.append((yaws, windows))
    return hints


def sweep_points(
    scenes_and_boxes: list[tuple[Scene, list[Cuboid]]], reach: int, counts: list[list[int]]
) -> list[list[np.ndarray | None]]:
    """Per scene and box: its track's points in the sweeps within ``reach`` of it (`track_points`: each
    such sweep's points around the track's box there, without its other boxes' points, moved along the
    track's world motion), in the scene's frame; None without a track, poses or neighbouring sweeps,
    or for a box whose ``counts`` (points in its own sweep) need none (`wants_sweeps`)."""
    where: dict[str, list[tuple[int, int]]] = defaultdict(list)  # track -> (scene position, box position)
    for k, (scene, _) in enumerate(scenes_and_boxes):
        if scene.pose is not None and reach > 0:
            for i, obj in enumerate(scene.objects):
                if obj.track is not None:
                    where[obj.track].append((k, i))
    extras: list[list[np.ndarray | None]] = []
    for (scene, _), scene_counts in zip(scenes_and_boxes, counts):
        row: list[np.ndarray | None] = [None] * len(scene.objects)
        for i, obj in enumerate(scene.objects):
            prior = CLASS_PRIORS.get(obj.class_name, obj.cuboid.size)
            if scene.pose is None or obj.track is None or not sweeps.wants_sweeps(scene_counts[i], prior):
                continue
            gap = {kj: abs(scenes_and_boxes[kj[0]][0].index - scene.index) for kj in where[obj.track]}
            views = [_view(scenes_and_boxes[k], j) for (k, j), g in gap.items() if 0 < g <= reach]
            if not views:
                continue
            track = [(k, j) for (k, j), g in gap.items() if g <= sweeps.VELOCITY_REACH]
            centres = [
                to_world(scenes_and_boxes[k][1][j], scenes_and_boxes[k][0].pose).center for k, j in track
            ]
            velocity = sweeps.track_velocity([scenes_and_boxes[k][0].index for k, _ in track], centres)
            row[i] = sweeps.track_points(views, scene.pose, scene.index, velocity)
        extras.append(row)
    return extras


def _view(scene_and_boxes: tuple[Scene, list[Cuboid]], position: int) -> sweeps.TrackView:
    scene, boxes = scene_and_boxes
    box = boxes[position]
    others = [b for j, b in enumerate(boxes) if j != position]
    points = sweeps.view_points(scene.near(box, sweeps.VIEW_MARGIN), box, others)
    return sweeps.TrackView(points, scene.pose, scene.index)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Record:
    """One perturbed vehicle's fit, for the per-box diagnosis (`diagnose`)."""

    scene: str
    count: int
    truth: Cuboid
    start: Cuboid
    fitted: Cuboid
    changed: bool
    reason: str


@dataclass
class Results:
    """Tallies of one split: perturbed boxes per class, perturbed vehicles per point group, true boxes
    (per class and vehicle point group), both per dataset and class (`source`), and the timing."""

    per_class: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    per_bin: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    on_truth: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    per_source: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    frames: int = 0
    median_s: float = 0.0
    gather_s: float = 0.0
    records: list[Record] = field(default_factory=list)


def source(scene: Scene, class_name: str, count: int) -> str:
    """A dataset-level group: the dataset, and vehicles with >= 30 points apart from the other classes."""
    dataset = scene.name.split()[0]
    return f"{dataset} vehicle>=30" if class_name in VEHICLES and count >= 30 else f"{dataset} {class_name}"


def evaluate(
    split: str,
    seed: int = 0,
    min_points: int = 10,
    track_motion: bool = True,
    choose_class: bool = False,
    reach: int = 0,
) -> Results:
    """Fit perturbed and true boxes of a split; tallies per class, per point group (vehicles), on truth,
    per dataset.

    Every labelled object with at least ``min_points`` points and a class prior is perturbed at once (a
    frame of rough boxes, each the others' neighbour); the frame is fitted in one `fit_frame` call, with
    the track-motion headings (`motion_hints`) unless ``track_motion`` is False, and with the typical
    sizes as size classes (`annotator fit --size-classes`) when ``choose_class``, and with the points of
    each track's sweeps within ``reach`` (`sweep_points`; 0: the frame's own points only)."""
    rng = np.random.default_rng(seed)
    results = Results()
    per_class, per_bin, on_truth = results.per_class, results.per_bin, results.on_truth
    seconds: list[float] = []
    loaded, starts_of, chosen_of, counts_of = [], [], [], []
    for scene in scenes(split):
        counts = [int(o.cuboid.points_inside(scene.points).sum()) for o in scene.objects]
        chosen = [i for i, n in enumerate(counts) if n >= min_points and o_known(scene.objects[i])]
        starts = [o.cuboid for o in scene.objects]
        for i in chosen:
            starts[i] = perturbed(starts[i], rng)
        loaded.append(scene)
        starts_of.append(starts)
        chosen_of.append(chosen)
        counts_of.append(counts)
    truths_of = [[o.cuboid for o in scene.objects] for scene in loaded]
    no_hints = [([None] * len(s.objects), [None] * len(s.objects)) for s in loaded]
    start_hints = motion_hints(list(zip(loaded, starts_of))) if track_motion else no_hints
    truth_hints = motion_hints(list(zip(loaded, truths_of))) if track_motion else no_hints
    begin = time.perf_counter()
    start_extras = sweep_points(list(zip(loaded, starts_of)), reach, counts_of)
    boxes_gathered = sum(e is not None for row in start_extras for e in row)
    results.gather_s = (time.perf_counter() - begin) / max(boxes_gathered, 1)
    truth_extras = sweep_points(list(zip(loaded, truths_of)), reach, counts_of)
    for k, scene in enumerate(loaded):
        chosen, counts, truths = chosen_of[k], counts_of[k], truths_of[k]
        if not chosen:
            continue
        classes = [o.class_name for o in scene.objects]
        priors = [CLASS_PRIORS.get(c) for c in classes]
        for boxes, tallies, (yaws, windows), extras in (
            (starts_of[k], "perturbed", start_hints[k], start_extras[k]),
            (truths, "truth", truth_hints[k], truth_extras[k]),
        ):
            begin = time.perf_counter()
            report = fit_frame(
                boxes,
                scene.points,
                priors=priors,
                headings=yaws,
                hint_windows=windows,
                size_classes=list(TYPICAL_SIZES) if choose_class else (),
                extra_points=extras,
            )
            seconds.append((time.perf_counter() - begin) / len(boxes))
            for i in chosen:
                outcome = report.outcomes[i]
                group = f"{tallies} {source(scene, classes[i], counts[i])}"
                results.per_source[group].add(truths[i], boxes[i], outcome.cuboid, outcome.changed)
                if tallies == "perturbed":
                    per_class[classes[i]].add(truths[i], boxes[i], outcome.cuboid, outcome.changed)
                    if classes[i] in VEHICLES:
                        per_bin[point_bin(counts[i])].add(
                            truths[i], boxes[i], outcome.cuboid, outcome.changed
                        )
                        results.records.append(
                            Record(
                                scene.name,
                                counts[i],
                                truths[i],
                                boxes[i],
                                outcome.cuboid,
                                outcome.changed,
                                outcome.reason,
                            )
                        )
                else:
                    on_truth[classes[i]].add(truths[i], boxes[i], outcome.cuboid, outcome.changed)
                    if classes[i] in VEHICLES:
                        on_truth[f"vehicle {point_bin(counts[i])}"].add(
                            truths[i], boxes[i], outcome.cuboid, outcome.changed
                        )
    results.frames, results.median_s = len(loaded), statistics.median(seconds) if seconds else 0.0
    return results


def o_known(obj: Object) -> bool:
    """Objects of a class with a size prior (others, e.g. animals or signs, are not fitted here)."""
    return obj.class_name in CLASS_PRIORS


def print_table(title: str, single: dict[str, Tally], multi: dict[str, Tally] | None) -> None:
    """Mean BEV IoU before and after the fit (one sweep; with the track's neighbouring sweeps beside it
    when ``multi``), the median heading errors and how many boxes changed, per group."""
    print(f"\n{title}")
    header = f"{'group':<34}{'boxes':>6}{'IoU before':>11}{'1 sweep':>9}"
    header += (
        f"{'sweeps':>8}{'heading err':>13}{'changed':>9}" if multi else f"{'heading err':>13}{'changed':>9}"
    )
    print(header)
    for name, tally in sorted(single.items()):
        row = f"{name:<34}{len(tally.after):>6}{statistics.fmean(tally.before):>11.3f}"
        row += f"{statistics.fmean(tally.after):>9.3f}"
        heading, changed = f"{math.degrees(statistics.median(tally.heading)):.1f}°", f"{tally.changed}"
        if multi:
            other = multi[name]
            row += f"{statistics.fmean(other.after):>8.3f}"
            heading += f" {math.degrees(statistics.median(other.heading)):.1f}°"
            changed += f" {other.changed}"
        print(f"{row}{heading:>13}{changed:>9}")


def headline(results: Results) -> tuple[float, float]:
    """Mean BEV IoU after the fit of perturbed vehicles with >= 30 points, and of all true boxes."""
    dense = [v for name, t in results.per_bin.items() if name not in ("<10", "10-29") for v in t.after]
    truth = [v for name, t in results.on_truth.items() if " " not in name for v in t.after]
    return (
        statistics.fmean(dense) if dense else float("nan"),
        statistics.fmean(truth) if truth else float("nan"),
    )


def dataset_lines(results: Results) -> list[str]:
    """One line per dataset: its perturbed vehicles with >= 30 points (the target's group) and every
    perturbed box, mean BEV IoU after the fit, and its true boxes kept (KITTI apart from Argoverse)."""
    lines = []
    for dataset in sorted({name.split()[1] for name in results.per_source}):
        groups = {name: t for name, t in results.per_source.items() if name.split()[1] == dataset}
        dense = [
            v
            for name, t in groups.items()
            if name.endswith("vehicle>=30") and "perturbed" in name
            for v in t.after
        ]
        moved = [v for name, t in groups.items() if name.startswith("perturbed") for v in t.after]
        kept = [v for name, t in groups.items() if name.startswith("truth") for v in t.after]
        vehicles = f"{statistics.fmean(dense):.3f} ({len(dense)})" if dense else "- (none)"
        lines.append(
            f"  {dataset}: perturbed vehicles >= 30 points {vehicles}, all perturbed "
            f"{statistics.fmean(moved):.3f} ({len(moved)}); true boxes kept {statistics.fmean(kept):.3f}"
        )
    return lines


def fit_timing(sweeps: range = range(0, 6), repeats: int = 3) -> list[float]:
    """Median ms per box of `fit_frame` (one sweep, the class priors) on the perturbed boxes of the given
    Argoverse sweeps, once per repeat (the frames are read and perturbed once, before the clock starts;
    run it against another checkout with PYTHONPATH to compare two versions in one sitting)."""
    rng = np.random.default_rng(0)
    frames = []
    for scene in argoverse_scenes(sweeps):
        boxes = [
            perturbed(o.cuboid, rng)
            if o_known(o) and o.cuboid.points_inside(scene.points).sum() >= 10
            else o.cuboid
            for o in scene.objects
        ]
        frames.append((boxes, scene.points, [CLASS_PRIORS.get(o.class_name) for o in scene.objects]))
    medians = []
    for _ in range(repeats):
        per_box = []
        for boxes, points, priors in frames:
            begin = time.perf_counter()
            fit_frame(boxes, points, priors=priors)
            per_box.append((time.perf_counter() - begin) / len(boxes))
        medians.append(1000.0 * statistics.median(per_box))
    return medians


def view_of(truth: Cuboid) -> str:
    """Which sides of a box the sensor (at the origin) faces: its ``end`` (front or back), its ``side``,
    or both (``corner``: an L-shape)."""
    eye = truth.world_to_box(np.array([[0.0, 0.0, truth.center[2]]]))[0]
    end, side = abs(eye[0]) > truth.size[0] / 2.0, abs(eye[1]) > truth.size[1] / 2.0
    return "corner" if end and side else "end" if end else "side"


def error_gains(record: Record) -> dict[str, float]:
    """How much BEV IoU the fit would gain with one of its errors undone: the heading, the centre (along
    and across the true heading), the length, the width."""
    truth, fitted = record.truth, record.fitted
    base = bev_iou(truth, fitted)
    offset = truth.world_to_box(np.array([fitted.center]))[0]
    along = truth.box_to_world(np.array([[0.0, offset[1], offset[2]]]))[0]
    across = truth.box_to_world(np.array([[offset[0], 0.0, offset[2]]]))[0]
    size = np.asarray(fitted.size)
    return {
        "heading": bev_iou(truth, fitted.replace(yaw=truth.yaw)) - base,
        "along": bev_iou(truth, fitted.replace(center=tuple(along))) - base,
        "across": bev_iou(truth, fitted.replace(center=tuple(across))) - base,
        "length": bev_iou(truth, fitted.replace(size=(truth.size[0], size[1], size[2]))) - base,
        "width": bev_iou(truth, fitted.replace(size=(size[0], truth.size[1], size[2]))) - base,
    }


def diagnose(results: Results, below: float = 0.7, worst: int = 30) -> None:
    """Per-box diagnosis of the perturbed vehicles with >= 30 points: the IoU each error costs (all of
    them, and those left below ``below``), by outcome (fitted, kept as already fitting, refused), by view
    and distance, and the ``worst`` boxes one by one."""
    dense = [r for r in results.records if r.count >= 30]
    if not dense:
        return
    gains = [error_gains(r) for r in dense]
    names = list(gains[0])
    print(f"\ndiagnosis: {len(dense)} perturbed vehicles >= 30 points; mean IoU gained with one error undone")
    low = [k for k, r in enumerate(dense) if bev_iou(r.truth, r.fitted) < below]
    for title, members in (("all", range(len(dense))), (f"below {below}", low)):
        means = "  ".join(f"{n} {statistics.fmean(gains[k][n] for k in members):.3f}" for n in names)
        print(f"  {title} ({len(members)}): {means}" if members else f"  {title}: none")
    toward = []  # the fitted centre's offset from the truth towards the sensor, along and across
    for r in dense:
        eye = r.truth.world_to_box(np.array([[0.0, 0.0, r.truth.center[2]]]))[0]
        offset = r.truth.world_to_box(np.array([r.fitted.center]))[0]
        toward.append([offset[axis] * math.copysign(1.0, eye[axis]) for axis in (0, 1)])
    bias = np.median(toward, axis=0)
    print(f"  median centre offset towards the sensor: along {bias[0]:+.3f} m, across {bias[1]:+.3f} m")
    outcome = lambda r: "refused" if r.reason else "fitted" if r.changed else "kept"  # noqa: E731
    groups: dict[str, list[int]] = defaultdict(list)
    for k in low:
        r = dense[k]
        far = (
            "<15"
            if np.hypot(*r.truth.center[:2]) < 15
            else "15-30"
            if np.hypot(*r.truth.center[:2]) < 30
            else ">=30"
        )
        top = max(names, key=lambda n: gains[k][n])
        groups[f"{outcome(r):<8}{view_of(r.truth):<7}{far:>6} m  {top}"].append(k)
    print(f"  below {below} by outcome, view, distance and the costliest error:")
    for name, members in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        lost = sum(below - bev_iou(dense[k].truth, dense[k].fitted) for k in members)
        print(f"    {name:<40}{len(members):>4} boxes, IoU lost below {below}: {lost:.2f}")
    print(f"  the {worst} worst:")
    order = sorted(range(len(dense)), key=lambda k: bev_iou(dense[k].truth, dense[k].fitted))[:worst]
    for k in order:
        r = dense[k]
        t, f = r.truth, r.fitted
        offset = t.world_to_box(np.array([f.center]))[0]
        print(
            f"    {r.scene:<14}{r.count:>5} pts {np.hypot(*t.center[:2]):5.1f} m {view_of(t):<7}"
            f"{outcome(r):<8}IoU {bev_iou(t, r.start):.2f}->{bev_iou(t, f):.2f} "
            f"heading {math.degrees(wrap_angle(f.yaw - t.yaw)):+5.1f}° centre {offset[0]:+.2f}/{offset[1]:+.2f} "
            f"size {f.size[0] - t.size[0]:+.2f}/{f.size[1] - t.size[1]:+.2f} (true {t.size[0]:.2f}x{t.size[1]:.2f}) "
            f"{r.reason[:40]}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("dev", "held-out", "all"), default="dev")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--diagnose", action="store_true", help="per-box diagnosis of the vehicles")
    parser.add_argument(
        "--default-only", action="store_true", help="only the default path (sweeps within R), not one sweep"
    )
    parser.add_argument("--no-track-motion", action="store_true", help="no headings from track motion")
    parser.add_argument("--size-classes", action="store_true", help="the typical sizes are size classes")
    parser.add_argument(
        "--sweeps",
        type=int,
        default=sweeps.SWEEP_REACH,
        metavar="R",
        help=f"also fit with the track's points from the sweeps within R (default {sweeps.SWEEP_REACH}; 0: one sweep only)",
    )
    parser.add_argument(
        "--timing", action="store_true", help="only time fit_frame on Argoverse sweeps 0-5 (ms per box)"
    )
    args = parser.parse_args()
    if args.timing:
        medians = fit_timing()
        runs = ", ".join(f"{m:.1f}" for m in medians)
        print(f"fit_frame, Argoverse sweeps 0-5, perturbed boxes, median ms per box per run: {runs}")
        return
    splits = ("dev", "held-out") if args.split == "all" else (args.split,)
    for split in splits:
        options = {"track_motion": not args.no_track_motion, "choose_class": args.size_classes}
        multi = evaluate(split, args.seed, reach=args.sweeps, **options) if args.sweeps > 0 else None
        if multi is not None and args.default_only:
            single, multi = multi, None
        else:
            single = evaluate(split, args.seed, **options)
        first = f"sweeps within {args.sweeps}" if args.default_only and args.sweeps > 0 else "1 sweep"
        timing = f"median fit time {single.median_s * 1000:.1f} ms per box ({first})"
        if multi:
            timing += f", {multi.median_s * 1000:.1f} ms (sweeps within {args.sweeps})"
            timing += f" + gathering {multi.gather_s * 1000:.1f} ms per box"
        print(f"\n=== {split}: {single.frames} frames, {timing}")
        pick = (
            (lambda r: r.per_class),
            (lambda r: r.per_bin),
            (lambda r: r.on_truth),
            (lambda r: r.per_source),
        )
        titles = (
            "perturbed boxes, per class",
            "perturbed vehicles (car/vehicle/van), by points inside",
            "true boxes fitted (must stay >= 0.95)",
            "per dataset (vehicles >= 30 points apart)",
        )
        for title, get in zip(titles, pick):
            print_table(title, get(single), get(multi) if multi else None)
        for label, results in ((first, single), (f"sweeps within {args.sweeps}", multi)):
            if results is not None:
                dense, truth = headline(results)
                print(
                    f"\n{label}: vehicles >= 30 points mean BEV IoU {dense:.3f} (target >= 0.8); "
                    f"true boxes after fit {truth:.3f} (>= 0.95)"
                )
                print("\n".join(dataset_lines(results)))
                if args.diagnose:
                    diagnose(results)


if __name__ == "__main__":
    main()
