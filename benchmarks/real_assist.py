"""What a 3D pre-annotator saves on REAL LiDAR: recall/precision, and edits and effort of ``fixed`` vs ``manual``.

Data (from ../shared/data, skipped when absent):

- ``argoverse``: the Argoverse 1.1 sample log (50 VLP-32 sweeps), imported as `annotator import -f argoverse
  -o max_range=50 -o min_points=10` would (the labels an annotator would draw); ``--frames 0-29`` is the
  development part, ``--frames 30-49`` the held-out part (default: both, reported separately);
- ``kitti``: the KITTI frame (HDL-64), detections limited to the camera's field of view (KITTI labels only
  what the camera sees), objects with >= 10 points;
- ``sustech``: the SUSTechPOINTS example frames, objects with >= 10 points within 50 m.

Per data set and plugin: recall and precision at bird's-eye-view IoU 0.5 and 0.7 (class must agree; the
"any" rows ignore classes), precision/recall over score thresholds (how the score trades one for the
other), and the scripted annotator of `annotator simulate`: edits (added, deleted, adjusted, accepted) and
effort under the default effort model for ``fixed`` (the plugin's proposals) and ``manual`` (every box
drawn). Labels of classes outside the plugin's schema, and the objects the filters leave out, are "don't
care" (proposals on them count neither way). Also the median pre-annotation rate (frames/s).

    python benchmarks/real_assist.py [--plugin geometric] [--weights FILE] [--data argoverse,kitti,sustech]
                                     [--frames 0-29] [-p NAME=VALUE]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.ml.evaluation import ClassCounts, evaluate_frame
from annotator.ml.finetune.edits import DONT_CARE_IOU, EditCounts, EffortModel, count_edits
from annotator.ml.protocol import FrameInput
from annotator.ml.shipped import base_weights

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ARGOVERSE = DATA / "argoverse1_sample_log"
KITTI = DATA / "kitti_object" / "training"
SUSTECH = DATA / "sustechpoints_example"
MIN_POINTS, MAX_RANGE = 10, 50.0
THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)


@dataclass
class Sample:
    """One real frame: points (N, 4), labels to draw, "don't care" boxes, an optional field-of-view test."""

    name: str
    points: np.ndarray
    truths: list[tuple[str, Cuboid]]
    ignore: list[Cuboid]
    keep: Callable[[Cuboid], bool] | None = None
    tracks: list[str | None] = field(default_factory=list)  # per label, where the data set has identities


@dataclass
class Tally:
    """Everything counted over one data set."""

    frames: int = 0
    seconds: list[float] = field(default_factory=list)
    points: list[int] = field(default_factory=list)
    fixed: EditCounts = field(default_factory=EditCounts)
    manual: EditCounts = field(default_factory=EditCounts)
    counts: dict[float, dict[str, ClassCounts]] = field(default_factory=dict)
    curve: dict[float, ClassCounts] = field(default_factory=dict)
    edits: dict[float, EditCounts] = field(default_factory=dict)


# -- data ------------------------------------------------------------------------------------------------
def split(objects: list[tuple[str, Cuboid]], points: np.ndarray, classes: list[str], max_range: float | None):
    """Labels to draw (a plugin class, >= MIN_POINTS points, within ``max_range``) and "don't care" boxes
    (classes the plugin does not know). As in `annotator simulate` on a project imported with the filters,
    objects the filters leave out are not labels: a proposal on one is deleted."""
    truths, ignore = [], []
    for name, box in objects:
        near = max_range is None or math.hypot(*box.center[:2]) <= max_range
        if name not in classes:
            ignore.append(box)
        elif near and int(box.points_inside(points[:, :3]).sum()) >= MIN_POINTS:
            truths.append((name, box))
    return truths, ignore


def within(max_range: float) -> Callable[[Cuboid], bool]:
    """The annotated region: boxes whose centre lies within ``max_range`` (bird's-eye view)."""
    return lambda box: math.hypot(*box.center[:2]) <= max_range


def cloud_points(path: Path) -> np.ndarray:
    """(N, 4) float32 x, y, z, intensity of a cloud file."""
    from annotator.io.pointcloud import read_point_cloud

    cloud = read_point_cloud(path)
    intensity = cloud.fields.get("intensity", np.zeros(len(cloud.xyz), np.float32))
    return np.column_stack([cloud.xyz, np.asarray(intensity, np.float32).reshape(-1)]).astype(np.float32)


def argoverse_samples(classes: list[str], frames: set[int] | None) -> Iterator[Sample]:
    """The log's sweeps in order, labels as the argoverse importer reads them, filtered as
    ``-o max_range=50 -o min_points=10`` does; proposals beyond 50 m are left out (not annotated there)."""
    from annotator.io.importers import read_source

    dataset = read_source("argoverse", ARGOVERSE)
    for index, frame in enumerate(dataset.frames):
        if frames is not None and index not in frames:
            continue
        points = cloud_points(frame.cloud)
        objects = [(o.class_name, o.cuboid) for o in frame.objects if o.cuboid is not None]
        truths, ignore = split(objects, points, classes, MAX_RANGE)
        keys = {id(o.cuboid): o.track_key for o in frame.objects if o.cuboid is not None}
        tracks = [keys.get(id(box)) for _, box in truths]
        yield Sample(f"argoverse {index}", points, truths, ignore, within(MAX_RANGE), tracks)


def kitti_samples(classes: list[str], max_range: float | None = None) -> Iterator[Sample]:
    """The KITTI frame(s), detections kept inside the left colour camera's image (and within ``max_range``
    of the sensor when given; labels beyond it are then "don't care")."""
    from annotator.io.kitti import cuboid_from_kitti, read_calib, read_labels

    for cloud in sorted((KITTI / "velodyne").glob("*.bin")):
        label, calib_path = KITTI / "label_2" / f"{cloud.stem}.txt", KITTI / "calib" / f"{cloud.stem}.txt"
        if not (label.exists() and calib_path.exists()):
            continue
        calib = read_calib(calib_path)
        camera = calib.camera("P2", 1242, 375)
        points = np.fromfile(cloud, dtype=np.float32).reshape(-1, 4)
        objects = [(o.type, cuboid_from_kitti(o, calib)) for o in read_labels(label) if o.type != "DontCare"]
        truths, ignore = split(objects, points, classes, None)
        if max_range is not None:
            ignore += [box for _, box in truths if not within(max_range)(box)]
            truths = [(name, box) for name, box in truths if within(max_range)(box)]

        def in_view(box: Cuboid, camera=camera) -> bool:
            near = max_range is None or within(max_range)(box)
            return near and bool(camera.in_image(camera.project(np.asarray([box.center]))[0])[0])

        yield Sample(f"kitti {cloud.stem}", points, truths, ignore, in_view)


def sustech_samples(classes: list[str]) -> Iterator[Sample]:
    """The SUSTechPOINTS example frames."""
    from annotator.io.importers import read_source

    for frame in read_source("sustech", SUSTECH).frames:
        if frame.cloud is None:
            continue
        points = cloud_points(frame.cloud)
        objects = [(o.class_name, o.cuboid) for o in frame.objects if o.cuboid is not None]
        truths, ignore = split(objects, points, classes, MAX_RANGE)
        yield Sample(f"sustech {frame.name}", points, truths, ignore, within(MAX_RANGE))


# -- measuring -------------------------------------------------------------------------------------------
#: The score-threshold parameters of the first-party 3D plugins (geometric, pointpillars).
THRESHOLD_PARAMETERS = ("min_score", "score_threshold")


def everything(params: dict) -> dict:
    """The plugin's own score threshold set to 0, so that every detection is scored by `measure`."""
    return {name: 0.0 for name in THRESHOLD_PARAMETERS if name in params}


def proposals(result, sample: Sample) -> list[tuple[str, Cuboid, float]]:
    """A prediction's (class, box, score) within the sample's annotated region, leaving out those on
    "don't care" objects (neither right nor wrong)."""
    found = [
        (result.class_names[int(k)], Cuboid.from_array(b), float(s))
        for b, k, s in zip(result.boxes, result.labels, result.scores)
    ]
    if sample.keep is not None:
        found = [d for d in found if sample.keep(d[1])]
    return [d for d in found if not any(bev_iou(d[1], box) >= DONT_CARE_IOU for box in sample.ignore)]


def measure(model, params: dict, samples: Iterator[Sample], classes: list[str], threshold: float) -> Tally:
    """Predict every sample (all scores), then count at ``threshold`` and over `THRESHOLDS`."""
    tally = Tally()
    for sample in samples:
        start = time.perf_counter()
        result = model.predict(FrameInput(sample.name, sample.points), {**params, **everything(params)})
        tally.seconds.append(time.perf_counter() - start)
        tally.points.append(len(sample.points))
        tally.frames += 1
        found = proposals(result, sample)
        shown = [d for d in found if d[2] >= threshold]
        tally.fixed = tally.fixed + count_edits([(c, b) for c, b, _ in shown], sample.truths, sample.ignore)
        tally.manual = tally.manual + count_edits([], sample.truths, sample.ignore)
        for iou in (0.5, 0.7):
            for name, counts in evaluate_frame(sample.truths, shown, classes, iou).items():
                tally.counts.setdefault(iou, {}).setdefault(name, ClassCounts()).add(counts)
        for cut in THRESHOLDS:
            kept = [d for d in found if d[2] >= cut]
            tally.curve.setdefault(cut, ClassCounts()).add(
                evaluate_frame(sample.truths, kept, classes, 0.5)["any"]
            )
            edits = count_edits([(c, b) for c, b, _ in kept], sample.truths, sample.ignore)
            tally.edits[cut] = tally.edits.get(cut, EditCounts()) + edits
    return tally


def report(title: str, tally: Tally, classes: list[str], threshold: float, costs: EffortModel) -> None:
    if not tally.frames:
        print(f"\n{title}: no frames")
        return
    median = statistics.median(tally.seconds)
    print(f"\n{title}: {tally.frames} frames, ~{int(statistics.median(tally.points)) // 1000}k points, "
          f"{tally.manual.added} labels to draw; {median * 1000:.0f} ms/frame ({1 / median:.1f} frames/s)")  # fmt: skip
    for iou, rows in tally.counts.items():
        cells = "  ".join(
            f"{n} {c.recall:.2f}/{c.precision:.2f}" for n, c in rows.items() if c.truths or c.detections
        )
        print(f"  BEV IoU {iou}: recall/precision (threshold {threshold:g})  {cells}")
    print("  any-class at IoU 0.5 by score threshold (recall/precision, edits, effort vs manual):")
    manual_s = costs.seconds(tally.manual)
    for cut, c in tally.curve.items():
        e = tally.edits[cut]
        share = costs.seconds(e) / manual_s if manual_s else float("nan")
        print(f"    {cut:g}: {c.recall:.2f}/{c.precision:.2f}, {e.total} edits ({e.deleted} deleted, "
              f"{e.accepted} accepted), effort {share:.2f}x")  # fmt: skip
    f, m = tally.fixed, tally.manual
    fixed_s, manual_s = costs.seconds(f), costs.seconds(m)
    print(f"  fixed : {f.total} edits ({f.added} added, {f.deleted} deleted, {f.adjusted} adjusted, "
          f"{f.accepted} accepted), effort {fixed_s / 60:.1f} min")  # fmt: skip
    share = f"{fixed_s / manual_s:.2f}x" if manual_s else "-"
    print(f"  manual: {m.total} edits, effort {manual_s / 60:.1f} min  -> fixed/manual effort {share}, "
          f"edits {f.total}/{m.total}")  # fmt: skip


def parse_frames(text: str | None) -> set[int] | None:
    if not text:
        return None
    chosen: set[int] = set()
    for part in text.split(","):
        low, _, high = part.partition("-")
        chosen.update(range(int(low), int(high or low) + 1))
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", default="argoverse,kitti,sustech", help="data sets, comma-separated")
    parser.add_argument("--frames", help="Argoverse sweeps, e.g. 0-29 (default: 0-29 and 30-49 apart)")
    parser.add_argument("--plugin", default="geometric", help="a 3D plugin (default geometric)")
    parser.add_argument(
        "--weights", type=Path, help="weights for a learned plugin (default: the weights it ships, if any)"
    )
    parser.add_argument(
        "--param", "-p", action="append", default=[], metavar="NAME=VALUE", help="plugin parameter"
    )
    args = parser.parse_args()
    from annotator.ml.registry import PluginRegistry

    registry = PluginRegistry.discover()
    manifest = registry.manifest(args.plugin)
    weights = args.weights or base_weights(manifest)
    if manifest.supports("load") and weights is None:
        print(
            f"{args.plugin}: no weights given (--weights FILE); this plugin ships none, so it is not measured"
        )
        return
    model = registry.load(args.plugin)
    if weights is not None:
        print(f"{args.plugin}: weights {weights}")
        model.load(str(weights))
    params = manifest.parameter_values(dict(p.split("=", 1) for p in args.param))
    threshold = float(params.get("min_score", params.get("score_threshold", 0.0)))
    classes, costs = list(manifest.classes), EffortModel()
    wanted = args.data.split(",")
    if "argoverse" in wanted and ARGOVERSE.is_dir():
        parts = {args.frames: parse_frames(args.frames)} if args.frames else {
            "0-29 (development)": set(range(30)), "30-49 (held out)": set(range(30, 50))}  # fmt: skip
        for title, frames in parts.items():
            tally = measure(model, params, argoverse_samples(classes, frames), classes, threshold)
            report(f"{args.plugin} on Argoverse sweeps {title}", tally, classes, threshold, costs)
    if "kitti" in wanted and KITTI.is_dir():
        tally = measure(model, params, kitti_samples(classes), classes, threshold)
        report(f"{args.plugin} on KITTI", tally, classes, threshold, costs)
    if "sustech" in wanted and SUSTECH.is_dir():
        tally = measure(model, params, sustech_samples(classes), classes, threshold)
        report(f"{args.plugin} on SUSTechPOINTS (held out)", tally, classes, threshold, costs)


if __name__ == "__main__":
    main()
