"""Quality of the paddle-det2d plugin: train on generated street images, AP50 on held-apart scenes.

Run: .venv/bin/python benchmarks/paddle_det2d_quality.py [--train-images 320] [--test-images 80]
Generated frames are cached in ``--cache`` (a folder under /tmp); the checkpoint goes to ``--checkpoint``.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

CLASSES = ("Car", "Van", "Truck", "Pedestrian", "Cyclist")
FRAMES_PER_SCENE = 4
TRAIN_SEED, TEST_SEED = 1000, 9000  # disjoint scene seeds: test scenes are never seen in training
CAMERA = "image_2"
#: Training boxes lower than this (pixels) or largely occluded (level 2, 3) become ignore regions.
MIN_TRAIN_HEIGHT = 12
#: KITTI-like difficulties: minimum box height (px), maximum occlusion level, maximum truncation.
DIFFICULTY = {"easy": (40, 0, 0.15), "moderate": (25, 1, 0.3)}
#: Detections down to this score enter the precision-recall curve.
EVAL_SCORE_THRESHOLD = 0.05


def generate(path: Path, count: int, first_seed: int) -> dict[str, np.ndarray]:
    """``count`` generated frames (scenes of a few frames 2 s apart) with their 2D ground truth, cached."""
    if path.exists():
        with np.load(path) as data:
            cached = {key: data[key] for key in data.files}
        if len(cached["images"]) >= count:
            return cached
    from annotator.synth import SceneConfig, iter_frames

    images, rows = [], []
    seed = first_seed
    start = time.perf_counter()
    while len(images) < count:
        config = SceneConfig(seed=seed, n_frames=FRAMES_PER_SCENE, frame_interval=2.0)
        for frame in iter_frames(config):
            if len(images) >= count:
                break
            for obj in frame.objects:
                if obj.box2d is not None and obj.label in CLASSES:
                    rows.append([len(images), CLASSES.index(obj.label), *obj.box2d.to_array(),
                                 obj.occlusion, obj.truncation])  # fmt: skip
            images.append(frame.image)
        seed += 1
        logger.info("%s: %d/%d frames (%.0f s)", path.name, len(images), count, time.perf_counter() - start)
    data = {"images": np.stack(images), "objects": np.array(rows, dtype=np.float64).reshape(-1, 8)}
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **data)
    return data


def objects_of(data: dict[str, np.ndarray], index: int) -> np.ndarray:
    """Rows (label, x1, y1, x2, y2, occlusion, truncation) of image ``index``."""
    rows = data["objects"]
    return rows[rows[:, 0] == index, 1:]


def trainable(rows: np.ndarray) -> np.ndarray:
    """Training weights: 1 for visible objects, 0 (ignore region) for largely occluded or tiny ones."""
    height = rows[:, 4] - rows[:, 2]
    return ((rows[:, 5] <= 1) & (height >= MIN_TRAIN_HEIGHT)).astype(np.float64)


def evaluated(rows: np.ndarray, level: str) -> np.ndarray:
    """Which ground-truth boxes count at a KITTI-like difficulty (the rest are ignored, not missed)."""
    min_height, max_occlusion, max_truncation = DIFFICULTY[level]
    height = rows[:, 4] - rows[:, 2]
    return (height >= min_height) & (rows[:, 5] <= max_occlusion) & (rows[:, 6] <= max_truncation)


def labelled_frames(data: dict[str, np.ndarray]) -> list:
    """The training images as the host would hand them to ``fit``."""
    from annotator.ml.protocol import Detections, FrameInput, LabelledFrame

    frames = []
    for index, image in enumerate(data["images"]):
        rows = objects_of(data, index)
        targets = Detections(rows[:, 1:5], rows[:, 0].astype(int), np.ones(len(rows)), CLASSES, "truth",
                             camera=CAMERA)  # fmt: skip
        frames.append(
            LabelledFrame(FrameInput(f"train{index}", images={CAMERA: image}), targets, trainable(rows))
        )
    return frames


def train(model, data: dict[str, np.ndarray], params: dict) -> float:
    """Train ``model`` on the cached images; the final (last-epoch mean) loss."""
    from annotator.ml.protocol import CancelToken

    frames = labelled_frames(data)
    start = time.perf_counter()
    losses: list[float] = []
    for progress in model.fit(frames, params, CancelToken()):
        losses.append(progress.metrics["loss"])
        if progress.step % 25 == 0 or progress.step == progress.total:
            recent = np.mean(losses[-25:])
            print(f"  step {progress.step}/{progress.total} ({progress.message}): loss {recent:.3f} "
                  f"({time.perf_counter() - start:.0f} s)", flush=True)  # fmt: skip
    per_epoch = max(1, len(losses) // params["epochs"])
    minutes = (time.perf_counter() - start) / 60
    print(f"trained on {len(frames)} images, {len(losses)} steps in {minutes:.1f} min")
    return float(np.mean(losses[-per_epoch:]))


def evaluate(model, data: dict[str, np.ndarray], params: dict) -> None:
    """Print AP50 per class and mAP50 at each difficulty, and inference ms per image."""
    from annotator.ml.evaluation import ImageBoxes, evaluate
    from annotator.ml.protocol import FrameInput

    found, seconds = [], []
    for index, image in enumerate(data["images"]):
        begin = time.perf_counter()
        (result,) = model.predict(FrameInput(f"test{index}", images={CAMERA: image}), params)
        seconds.append(time.perf_counter() - begin)
        found.append(ImageBoxes(result.boxes, result.labels, result.scores))
    print(f"inference: median {1000 * np.median(seconds[1:]):.0f} ms per {image.shape[1]}x{image.shape[0]} "
          f"image ({params['threads']} thread(s), input scale {params['input_scale']})")  # fmt: skip
    for level in DIFFICULTY:
        truth = []
        for index in range(len(data["images"])):
            rows = objects_of(data, index)
            truth.append(ImageBoxes(rows[:, 1:5], rows[:, 0], ignore=~evaluated(rows, level)))
        result = evaluate(found, truth, CLASSES, 0.5)
        cells = ", ".join(f"{name} {100 * ap:.1f} (n={result.ground_truth[name]})"
                          for name, ap in result.per_class.items())  # fmt: skip
        print(f"AP50 {level}: {cells}; mAP50 {100 * result.mean:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-images", type=int, default=320)
    parser.add_argument("--test-images", type=int, default=80)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/paddle_det2d_cache"))
    parser.add_argument("--checkpoint", type=Path, default=Path("/tmp/paddle_det2d/checkpoint.pdparams"))
    parser.add_argument("--evaluate-only", action="store_true", help="load --checkpoint instead of training")
    parser.add_argument("--generate-only", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
    test = generate(args.cache / f"test_{args.test_images}.npz", args.test_images, TEST_SEED)
    training = generate(args.cache / f"train_{args.train_images}.npz", args.train_images, TRAIN_SEED)
    if args.generate_only:
        return
    from plugins.paddle_det2d.model import PaddleDetector2D

    model = PaddleDetector2D()
    params = model.manifest.parameter_values({"epochs": args.epochs, "threads": args.threads})
    counts = np.bincount(training["objects"][:, 1].astype(int), minlength=len(CLASSES))
    print(f"training boxes per class: {dict(zip(CLASSES, counts.tolist()))}")
    if args.evaluate_only:
        model.load(str(args.checkpoint))
    else:
        final = train(model, training, params)
        print(f"final loss (mean of the last epoch): {final:.3f}")
        args.checkpoint.parent.mkdir(parents=True, exist_ok=True)
        model.save(str(args.checkpoint))
        print(f"checkpoint: {args.checkpoint} (version {model.version})")
    evaluate(model, test, {**params, "score_threshold": EVAL_SCORE_THRESHOLD})


if __name__ == "__main__":
    main()
