"""Speed and quality of the `geometric` plugin on KITTI-size frames.

Run: .venv/bin/python benchmarks/geometric_plugin.py [--sequences 3] [--frames 3] [--demo 5] [--repeat 3]

Prints the median milliseconds per frame and frames per second (budget: at least 5 fps on 120k points),
then recall and precision per class at bird's-eye-view IoU 0.5 (a detection counts only with the right
class; the "any" row ignores classes) on:

- the real KITTI frame /work/shared/data/kitti_object/training (velodyne + label_2 + calib) when present,
  with detections limited to the camera's field of view (KITTI labels only what the camera sees);
- generated street sequences from `annotator.synth` (when installed), ground truth per frame;
- the plugin's own ray-cast demo scenes (`plugins.geometric.scene`).

Each is counted twice: every object with >= 10 points on it, and "moderate" objects (>= 50 points, at most
partly occluded). Objects a count leaves out (and out-of-schema classes such as Misc or Trailer) are
"don't care": detections on them (BEV IoU >= 0.3) are neither right nor wrong.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.ml.evaluation import ClassCounts, evaluate_frame
from annotator.ml.protocol import FrameInput
from plugins.geometric.model import GeometricDetector
from plugins.geometric.scene import make_scene
from plugins.geometric.shapes import CLASS_NAMES

KITTI = Path(__file__).resolve().parents[2] / "shared" / "data" / "kitti_object" / "training"
DONT_CARE_IOU = 0.3


#: A ground-truth object: class, cuboid, points on it, KITTI occlusion level (0..3).
Truth = tuple[str, Cuboid, int, int]
#: Counting rules: title suffix -> (least points, most occlusion).
RULES = {"objects with >= 10 points": (10, 3), "moderate: >= 50 points, occlusion <= 1": (50, 1)}


@dataclass
class Sample:
    """One frame: points, its ground truth, and an optional filter on detection boxes (field of view)."""

    name: str
    points: np.ndarray
    objects: list[Truth]
    keep: Callable[[Cuboid], bool] | None = None


@dataclass
class Tally:
    """Times and per-class counts of one data set under one counting rule."""

    times: list[float] = field(default_factory=list)
    counts: dict[str, ClassCounts] = field(default_factory=dict)
    points: list[int] = field(default_factory=list)


def detections_of(result) -> list[tuple[str, Cuboid, float]]:
    return [
        (result.class_names[label], Cuboid.from_array(box), float(score))
        for box, label, score in zip(result.boxes, result.labels, result.scores)
    ]


def score(found: list[tuple[str, Cuboid, float]], objects: list[Truth], rule: tuple[int, int]) -> dict:
    """Per-class counts: objects the rule leaves out (or of other classes) are don't care."""
    counted = [o[2] >= rule[0] and o[3] <= rule[1] and o[0] in CLASS_NAMES for o in objects]
    truths = [(o[0], o[1]) for o, c in zip(objects, counted) if c]
    ignored = [o[1] for o, c in zip(objects, counted) if not c]
    found = [d for d in found if not any(bev_iou(d[1], box) >= DONT_CARE_IOU for box in ignored)]
    return evaluate_frame(truths, found, CLASS_NAMES)


def run(model: GeometricDetector, samples: Iterator[Sample], repeat: int) -> dict[str, Tally]:
    """Predict every sample (the median of ``repeat`` timed runs) and count under every rule."""
    tallies = {title: Tally() for title in RULES}
    for sample in samples:
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            result = model.predict(FrameInput(sample.name, sample.points), {})
            times.append(time.perf_counter() - start)
        found = detections_of(result)
        if sample.keep is not None:
            found = [d for d in found if sample.keep(d[1])]
        for title, rule in RULES.items():
            tally = tallies[title]
            tally.times.append(statistics.median(times))
            tally.points.append(len(sample.points))
            for name, counts in score(found, sample.objects, rule).items():
                tally.counts.setdefault(name, ClassCounts()).add(counts)
    return tallies


def report(title: str, tally: Tally) -> None:
    if not tally.times:
        return
    median = statistics.median(tally.times) * 1000.0
    points = int(statistics.median(tally.points))
    print(f"\n{title}: {len(tally.times)} frames, ~{points // 1000}k points")
    print(f"  median {median:.0f} ms per frame, {1000.0 / median:.1f} fps")
    print(f"  {'class':<11} {'truths':>6} {'dets':>5} {'recall':>7} {'precision':>9}")
    for name in (*CLASS_NAMES, "any"):
        c = tally.counts.get(name, ClassCounts())
        print(f"  {name:<11} {c.truths:>6} {c.detections:>5} {c.recall:>7.2f} {c.precision:>9.2f}")


# -- data sets ---------------------------------------------------------------------------------------
def image_size(path: Path) -> tuple[int, int]:
    """Width and height of an image (KITTI's usual 1242 x 375 when it is missing)."""
    if not path.exists():
        return 1242, 375
    from PIL import Image

    with Image.open(path) as image:
        return image.size


def kitti_samples() -> Iterator[Sample]:
    """The real KITTI frames found under `KITTI` (velodyne, labels and calibration all present); the
    number of points on each labelled object is counted, its occlusion is KITTI's."""
    from annotator.io.kitti import cuboid_from_kitti, read_calib, read_labels

    for cloud in sorted((KITTI / "velodyne").glob("*.bin")):
        label, calib_path = KITTI / "label_2" / f"{cloud.stem}.txt", KITTI / "calib" / f"{cloud.stem}.txt"
        if not (label.exists() and calib_path.exists()):
            continue
        calib = read_calib(calib_path)
        camera = calib.camera("P2", *image_size(KITTI / "image_2" / f"{cloud.stem}.png"))
        points = np.fromfile(cloud, dtype=np.float32).reshape(-1, 4)
        objects = []
        for o in read_labels(label):
            if o.type != "DontCare":
                box = cuboid_from_kitti(o, calib)
                objects.append((o.type, box, int(box.points_inside(points[:, :3]).sum()), o.occluded))

        def in_view(box: Cuboid, camera=camera) -> bool:
            return bool(camera.in_image(camera.project(np.asarray([box.center]))[0])[0])

        yield Sample(f"kitti {cloud.stem}", points, objects, in_view)


def synth_samples(sequences: int, frames: int) -> Iterator[Sample]:
    """Frames of generated street sequences (`annotator.synth`) with their exact ground truth."""
    from annotator.synth import SceneConfig, generate_sequence

    for seed in range(sequences):
        for frame in generate_sequence(SceneConfig(seed=seed, n_frames=frames), render_images=False):
            objects = [(o.label, o.cuboid, o.num_points, o.occlusion) for o in frame.objects]
            yield Sample(f"synth {seed}/{frame.index}", frame.points, objects)


def demo_samples(count: int) -> Iterator[Sample]:
    """The plugin's ray-cast scenes (occlusion unknown: counted as level 0)."""
    for seed in range(count):
        scene = make_scene(seed)
        pts = scene.points[:, :3]
        objects = [(n, b, int(b.points_inside(pts).sum()), 0) for n, b in zip(scene.labels, scene.boxes)]
        yield Sample(f"demo {seed}", scene.points, objects)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sequences", type=int, default=3, help="generated sequences (seeds 0..n-1)")
    parser.add_argument("--frames", type=int, default=3, help="frames per generated sequence")
    parser.add_argument("--demo", type=int, default=5, help="demo scenes")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per frame (the median counts)")
    args = parser.parse_args()
    model = GeometricDetector()
    model.predict(FrameInput("warm-up", make_scene(99, columns=400).points), {})

    data = [
        ("KITTI (real, camera field of view)", kitti_samples() if (KITTI / "velodyne").is_dir() else None)
    ]
    try:
        import annotator.synth  # noqa: F401
    except ImportError:
        data.append(("annotator.synth (not installed)", None))
    else:
        data.append(("annotator.synth generated streets", synth_samples(args.sequences, args.frames)))
    data.append(("demo scenes (plugins.geometric.scene)", demo_samples(args.demo)))
    for title, samples in data:
        if samples is None:
            print(f"\n{title}: no data")
            continue
        for rule, tally in run(model, samples, args.repeat).items():
            report(f"{title}, {rule}", tally)


if __name__ == "__main__":
    main()
