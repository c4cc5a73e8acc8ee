"""Speed and quality of the `geometric` plugin on KITTI-size frames.

Run: .venv/bin/python benchmarks/geometric_plugin.py [--sequences 3] [--frames 3] [--demo 5]

Prints the median milliseconds per frame and frames per second (budget: at least 5 fps on 120k points),
then recall and precision per class at bird's-eye-view IoU 0.5 (a detection counts only with the right
class; the "any" row ignores classes) on:

- the real KITTI frame /work/shared/data/kitti_object/training (velodyne + label_2 + calib) when present,
  with detections limited to the camera's field of view (KITTI labels only what the camera sees);
- generated street sequences from `annotator.synth` (when installed), ground truth per frame, counted
  twice: every object with >= 10 points, and "moderate" objects (>= 50 points, at most partly occluded);
- the plugin's own ray-cast demo scenes (`plugins.geometric.scene`).

Objects left out of a count (too few points, out-of-schema classes) are "don't care": detections on
them (BEV IoU >= 0.3) are neither right nor wrong.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from annotator.core.geometry import Cuboid, bev_iou
from annotator.ml.protocol import FrameInput
from plugins.geometric.evaluate import ClassCounts, evaluate_frame
from plugins.geometric.model import GeometricDetector
from plugins.geometric.scene import make_scene
from plugins.geometric.shapes import CLASS_NAMES

KITTI = Path(__file__).resolve().parents[2] / "shared" / "data" / "kitti_object" / "training"
DONT_CARE_IOU = 0.3


@dataclass
class Sample:
    """One frame: points, the counted truths, and the boxes that are "don't care"."""

    name: str
    points: np.ndarray
    truths: list[tuple[str, Cuboid]]
    ignored: list[Cuboid] = field(default_factory=list)
    keep: object = None  # optional filter on detection boxes (e.g. the camera's field of view)


@dataclass
class Tally:
    """Times and per-class counts of one data set."""

    times: list[float] = field(default_factory=list)
    counts: dict[str, ClassCounts] = field(default_factory=dict)


def detections_of(result) -> list[tuple[str, Cuboid, float]]:
    return [
        (result.class_names[label], Cuboid.from_array(box), float(score))
        for box, label, score in zip(result.boxes, result.labels, result.scores)
    ]


def run(model: GeometricDetector, samples: Iterator[Sample], tally: Tally) -> None:
    for sample in samples:
        start = time.perf_counter()
        result = model.predict(FrameInput(sample.name, sample.points), {})
        tally.times.append(time.perf_counter() - start)
        found = detections_of(result)
        if sample.keep is not None:
            found = [d for d in found if sample.keep(d[1])]
        found = [d for d in found if not any(bev_iou(d[1], box) >= DONT_CARE_IOU for box in sample.ignored)]
        for name, counts in evaluate_frame(sample.truths, found, CLASS_NAMES).items():
            tally.counts.setdefault(name, ClassCounts()).add(counts)


def report(title: str, tally: Tally, points: int) -> None:
    if not tally.times:
        return
    median = statistics.median(tally.times) * 1000.0
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
    """The real KITTI frames found under `KITTI` (velodyne, labels and calibration all present)."""
    from annotator.io.kitti import cuboid_from_kitti, read_calib, read_labels

    for cloud in sorted((KITTI / "velodyne").glob("*.bin")):
        label, calib_path = KITTI / "label_2" / f"{cloud.stem}.txt", KITTI / "calib" / f"{cloud.stem}.txt"
        if not (label.exists() and calib_path.exists()):
            continue
        calib = read_calib(calib_path)
        camera = calib.camera("P2", *image_size(KITTI / "image_2" / f"{cloud.stem}.png"))
        objects = [o for o in read_labels(label) if o.type != "DontCare"]
        truths = [(o.type, cuboid_from_kitti(o, calib)) for o in objects if o.type in CLASS_NAMES]
        ignored = [cuboid_from_kitti(o, calib) for o in objects if o.type not in CLASS_NAMES]
        points = np.fromfile(cloud, dtype=np.float32).reshape(-1, 4)

        def in_view(box: Cuboid, camera=camera) -> bool:
            return bool(camera.in_image(camera.project(np.asarray([box.center]))[0])[0])

        yield Sample(f"kitti {cloud.stem}", points, truths, ignored, in_view)


def synth_samples(sequences: int, frames: int, min_points: int, max_occlusion: int) -> Iterator[Sample]:
    """Frames of generated sequences, counting objects with enough points and little occlusion."""
    from annotator.synth import SceneConfig, generate_sequence

    for seed in range(sequences):
        for frame in generate_sequence(SceneConfig(seed=seed, n_frames=frames), render_images=False):
            counted = [
                o.num_points >= min_points and o.occlusion <= max_occlusion and o.label in CLASS_NAMES
                for o in frame.objects
            ]
            truths = [(o.label, o.cuboid) for o, c in zip(frame.objects, counted) if c]
            ignored = [o.cuboid for o, c in zip(frame.objects, counted) if not c]
            yield Sample(f"synth {seed}/{frame.index}", frame.points, truths, ignored)


def demo_samples(count: int) -> Iterator[Sample]:
    """The plugin's ray-cast scenes; objects with fewer than 10 points are don't care."""
    for seed in range(count):
        scene = make_scene(seed)
        seen = [b.points_inside(scene.points[:, :3]).sum() >= 10 for b in scene.boxes]
        truths = [(n, b) for n, b, s in zip(scene.labels, scene.boxes, seen) if s]
        ignored = [b for b, s in zip(scene.boxes, seen) if not s]
        yield Sample(f"demo {seed}", scene.points, truths, ignored)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sequences", type=int, default=3, help="generated sequences (seeds 0..n-1)")
    parser.add_argument("--frames", type=int, default=3, help="frames per generated sequence")
    parser.add_argument("--demo", type=int, default=5, help="demo scenes")
    args = parser.parse_args()
    model = GeometricDetector()
    model.predict(FrameInput("warm-up", make_scene(99, columns=400).points), {})

    if (KITTI / "velodyne").is_dir():
        tally = Tally()
        run(model, kitti_samples(), tally)
        report("KITTI (real, camera field of view)", tally, 120_000)
    else:
        print(f"KITTI frame not found under {KITTI}")
    try:
        import annotator.synth  # noqa: F401
    except ImportError:
        print("annotator.synth not installed: no generated sequences")
    else:
        for title, min_points, occlusion in (
            ("annotator.synth, objects with >= 10 points", 10, 3),
            ("annotator.synth, moderate (>= 50 points, occlusion <= 1)", 50, 1),
        ):
            tally = Tally()
            run(model, synth_samples(args.sequences, args.frames, min_points, occlusion), tally)
            report(title, tally, 120_000)
    tally = Tally()
    run(model, demo_samples(args.demo), tally)
    report("demo scenes (plugins.geometric.scene)", tally, 119_000)


if __name__ == "__main__":
    main()
