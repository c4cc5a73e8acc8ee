"""A whole distillation run: teacher, student, frames, training, quality, and the student's card.

`distill_student` is what ``annotator distill DIR --plugin pointpillars`` calls (with the project's verified
frames) and what ships the student:

    python -m plugins.pointpillars.distill_run [--out plugins/pointpillars/weights/student.pt]
        [--teacher plugins/pointpillars/weights/base.pt] [--init FILE] [--keep 0.5] [--frames 24]
        [--epochs 8] [--hard-weight 0.5] [--seed 11] [--cache DIR] [--threads 1]
        [--stage-keep 0.5,0.5,0.75] [--head-keep F] [--box-weight 1] [--partial-views 0]
        [--project DIR [--unverified]]

(generated frames; with ``--project`` also that project's verified frames, soft targets and their labels,
and with ``--unverified`` its other frames, soft targets only). The student is an ordinary pointpillars checkpoint; its card (``<stem>.card.json``)
names the teacher's files and hashes, the data (which real frames by name), the options, the time and the quality on held-apart
generated frames beside the teacher's first network.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

from annotator.ml.protocol import LabelledFrame
from annotator.ml.weights import file_digest

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
#: Seed of the held-apart generated frames the card's quality is measured on (apart from training's).
QUALITY_SEED = 9100
PARTIAL_SUFFIX = ".distill.partial.pt"


def card_path(weights: Path) -> Path:
    """The card beside a student's weights."""
    return weights.with_name(weights.stem + ".card.json")


def _training_samples(options, teacher, labelled: Sequence[LabelledFrame], log) -> list:
    """Generated frames (plain and with pasted objects) and the labelled frames, as training samples."""
    from plugins.pointpillars.base_augment import ObjectBank, base_sample
    from plugins.pointpillars.base_data import build_cache, load_frame
    from plugins.pointpillars.training import TrainSample

    samples = []
    if options.frames:
        cache = (
            Path(options.cache) if options.cache else Path(tempfile.gettempdir()) / "annotator-distill-frames"
        )
        log(
            f"{options.frames} generated frames (seed {options.seed}, {', '.join(options.sensors)}) in {cache}"
        )
        frames = [load_frame(p) for p in build_cache(cache, options.frames, options.sensors, options.seed)]
        samples = [
            TrainSample(f.points, f.boxes, f.labels, np.ones(len(f.boxes), np.float32)) for f in frames
        ]
        rng = np.random.default_rng([options.seed, 5])
        bank = ObjectBank(frames, len(teacher.config.classes))
        for _ in range(options.pasted_copies):
            samples += [base_sample(f, bank, rng) for f in frames]
    return samples + labelled_samples(teacher, labelled)


def real_frames(labelled: Sequence[LabelledFrame]) -> dict[str, list[str]]:
    """The names of the frames with labels ("verified") and without ("soft_only": soft targets only)."""
    usable = [f for f in labelled if f.frame.points is not None]
    return {
        "verified": [f.frame.name for f in usable if not f.partial],
        "soft_only": [f.frame.name for f in usable if f.partial],
    }


def labelled_samples(teacher, labelled: Sequence[LabelledFrame]) -> list:
    """Labelled frames (e.g. a project's verified ones) as ground-levelled training samples."""
    if not labelled:
        return []
    from plugins.pointpillars.model import PointPillarsDetector

    return PointPillarsDetector(teacher.config)._samples(labelled)


def measure(detector, frames: Sequence[LabelledFrame], threads: int) -> dict[str, Any]:
    """Recall and precision (BEV IoU 0.5, every class together) on labelled generated frames."""
    from annotator.ml.quality import HeldApartFrame, measure_quality

    held = [
        HeldApartFrame(f, f.targets.boxes[f.weights <= 0] if f.weights is not None else np.zeros((0, 7)))
        for f in frames
    ]
    params = detector.manifest.parameter_values({"threads": threads})
    report = measure_quality(detector, "detect3d", detector.config.classes, held, params)
    return {} if report is None else report.to_dict()["overall"]


def distill_student(
    out: Path,
    options: Any,
    teacher_weights: Path,
    labelled: Sequence[LabelledFrame] = (),
    log: Callable[[str], None] = logger.info,
    cancelled: Callable[[], bool] = lambda: False,
    on_step: Callable[[Any], None] | None = None,
) -> dict[str, Any] | None:
    """Distil a student from the teacher's ensemble into ``out`` (+ card); the card, or None when
    cancelled (the finished epochs stay in ``<out>.distill.partial.pt``; the same call resumes)."""
    from annotator.synth.replay import generated_frames
    from plugins.pointpillars.distill import distill_network
    from plugins.pointpillars.ensemble import extras_paths
    from plugins.pointpillars.model import PointPillarsDetector, torch_threads
    from plugins.pointpillars.pruning import pruned

    started = time.monotonic()
    teacher = PointPillarsDetector()
    teacher.load(str(teacher_weights))
    if not teacher.heads:
        raise ValueError(
            f"{teacher_weights} has no ensemble heads to distil from (run annotator train-ensemble)"
        )
    net = teacher.members[0]
    if options.init:
        start = PointPillarsDetector()
        start.load(options.init)
        student = start.members[0]
    else:
        student = pruned(net, options.keep, options.head_keep or None, options.stage_keep)
    partial = Path(f"{out.with_suffix('')}{PARTIAL_SUFFIX}")
    with torch_threads(options.threads):
        samples = _training_samples(options, net, labelled, log)
        if not samples:
            raise ValueError("nothing to distil on: no generated frames and no verified frames")
        real = real_frames(labelled)
        log(f"{len(samples)} samples ({len(real['verified'])} verified frames, {len(real['soft_only'])} "
            f"soft-only); teacher: 1 + {len(teacher.heads)} heads")  # fmt: skip
        prepared = time.monotonic() - started
        finished = distill_network(net, teacher.heads, student, samples, options, cancelled, partial, on_step)
        if not finished:
            log(f"stopped; finished epochs kept in {partial}")
            return None
        trained = time.monotonic() - started - prepared
        detector = PointPillarsDetector.from_network(student)
        detector.save(str(out))
        held = generated_frames(net.config.classes, options.quality_frames, QUALITY_SEED)
        quality = {"student": measure(detector, held, options.threads),
                   "teacher (first network)": measure(PointPillarsDetector.from_network(net), held, options.threads)}  # fmt: skip
    heads = extras_paths(teacher_weights)["heads"]
    card = {
        "model": f"pointpillars student distilled from the ensemble of {teacher_weights.name} "
        f"(1 + {len(teacher.heads)} heads, averaged soft outputs)",
        "weights": out.name,
        "sha256": file_digest(out),
        "model_version": detector.version,
        "teacher": {
            "file": teacher_weights.name,
            "sha256": file_digest(teacher_weights),
            "heads": heads.name,
            "heads_sha256": file_digest(heads),
        },
        "channels": {
            "pillar": student.config.pillar_channels,
            "backbone": list(student.config.channels),
            "head": student.config.head_channels,
        },
        "data": {
            "generated_frames": options.frames,
            "pasted_copies": options.pasted_copies,
            "verified_frames": len(real["verified"]),
            "soft_only_frames": len(real["soft_only"]),
            "samples": len(samples),
            "real_frames": real,
        },
        "options": options.to_dict() | {"cache": "", "init": Path(options.init).name if options.init else ""},
        "epochs": options.epochs,
        "quality_generated_held_apart": quality,
        "time_min": {
            "prepare": round(prepared / 60, 1),
            "train": round(trained / 60, 1),
            "total": round((time.monotonic() - started) / 60, 1),
        },
    }
    card_path(out).write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    partial.unlink(missing_ok=True)
    log(f"wrote {out} and {card_path(out).name} ({card['time_min']['total']} min)")
    return card


def distill_for_host(
    out: Path,
    teacher: Path | None,
    labelled: Sequence[LabelledFrame],
    settings: dict[str, Any],
    log: Callable[[str], None],
    cancelled: Callable[[], bool],
    on_step: Callable[[Any], None] | None = None,
) -> dict[str, Any] | None:
    """The plugin's distillation as the host calls it (``annotator distill``, Models > Distil student):
    ``settings`` are `DistillOptions` fields, ``teacher`` None means the shipped base weights."""
    from plugins.pointpillars.distill import DistillOptions

    names = {f.name for f in fields(DistillOptions)}
    unknown = sorted(set(settings) - names)
    if unknown:
        raise ValueError(f"unknown distillation settings: {', '.join(unknown)}")
    shipped = HERE / "weights" / "pruned.pt"
    if teacher is None and "init" not in settings and "keep" not in settings and shipped.is_file():
        settings = {**settings, "init": str(shipped)}  # the shipped student's recipe (README, Fast inference)
    options = DistillOptions(**settings)
    return distill_student(
        out, options, teacher or HERE / "weights" / "base.pt", labelled, log, cancelled, on_step
    )


def project_frames(directory: Path, unverified: bool = False) -> list[LabelledFrame]:
    """A project's verified frames with their labels and, with ``unverified``, its other frames without
    (read-only; as ``annotator distill`` hands them over)."""
    from annotator.io.store import ProjectStore
    from annotator.ml.distill import unverified_frames, verified_frames
    from annotator.ml.manifest import manifest_from_dict
    from plugins.pointpillars import MANIFEST

    manifest = manifest_from_dict(MANIFEST, "plugins.pointpillars")
    store = ProjectStore.open(directory.absolute(), read_only=True)
    try:
        project = store.load()
        frames = verified_frames(project, manifest)
        return frames + (unverified_frames(project, manifest) if unverified else [])
    finally:
        store.close()


def options_from(args: argparse.Namespace) -> Any:
    """`DistillOptions` from parsed arguments of the same names."""
    from plugins.pointpillars.distill import DistillOptions

    names = {f.name for f in fields(DistillOptions)}
    given = {k: v for k, v in vars(args).items() if k in names and v is not None}
    if given.get("init"):
        given["init"] = str(Path(given["init"]).absolute())
    if given.get("cache"):
        given["cache"] = str(Path(given["cache"]).absolute())
    return DistillOptions(**given)


def shares(text: str) -> tuple[float, ...]:
    """'0.5,0.5,0.75' as a tuple of floats (an argparse type)."""
    try:
        return tuple(float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not comma-separated numbers: {text!r}") from None


def add_options(parser: argparse.ArgumentParser) -> None:
    """The distillation options (shared by this module's command line and ``annotator distill``)."""
    parser.add_argument("--keep", type=float, help="student width: share of every layer's channels (0.5)")
    parser.add_argument("--head-keep", type=float, dest="head_keep",
                        help="share of the head's shared convolution kept (default: --keep)")  # fmt: skip
    parser.add_argument("--stage-keep", type=shares, dest="stage_keep",
                        help="share kept of each backbone stage, e.g. 0.5,0.5,0.75 (default: --keep)")  # fmt: skip
    parser.add_argument("--init", help="start the student from these pointpillars weights instead")
    parser.add_argument("--frames", type=int, help="generated training frames (24)")
    parser.add_argument("--epochs", type=int, help="passes over the frames (8)")
    parser.add_argument("--hard-weight", type=float, dest="hard_weight",
                        help="weight of the labels' loss beside the soft targets' (0.5; 0: soft only)")  # fmt: skip
    parser.add_argument("--feature-weight", type=float, dest="feature_weight",
                        help="weight of imitating the teacher's backbone features (1; 0: off)")  # fmt: skip
    parser.add_argument("--box-weight", type=float, dest="box_weight",
                        help="weight of the soft box term (1)")  # fmt: skip
    parser.add_argument("--partial-views", type=float, dest="partial_views",
                        help="share of objects cut to their near half and thinned (0)")  # fmt: skip
    parser.add_argument("--learning-rate", type=float, dest="learning_rate",
                        help="peak learning rate (0.002)")  # fmt: skip
    parser.add_argument("--seed", type=int, help="seed of the frames, augmentation and order (11)")
    parser.add_argument("--cache", help="generated-frame cache (default: in the temporary folder)")
    parser.add_argument("--threads", type=int, help="torch CPU threads (1)")
    parser.add_argument("--quality-frames", type=int, dest="quality_frames",
                        help="held-apart generated frames the card's quality is measured on (4)")  # fmt: skip


def reproduce_command(
    out: Path, options: dict[str, Any], project: Path | None = None, unverified: bool = False
) -> str:
    """The command line that makes these weights again (the frame cache left to its default)."""

    def shown(path: Path) -> Path:
        try:
            return path.absolute().relative_to(HERE.parents[1])
        except ValueError:
            return path

    words = ["python -m plugins.pointpillars.distill_run", f"--out {shown(out)}"]
    for name in ("keep", "frames", "epochs", "hard_weight", "feature_weight", "learning_rate", "seed"):
        words.append(f"--{name.replace('_', '-')} {options[name]}")
    for name, default in (("head_keep", 0.0), ("box_weight", 1.0), ("partial_views", 0.0)):
        if options.get(name, default) != default:
            words.append(f"--{name.replace('_', '-')} {options[name]}")
    if options.get("stage_keep"):
        words.append("--stage-keep " + ",".join(str(k) for k in options["stage_keep"]))
    if options.get("init"):
        words.append(f"--init {shown(Path(options['init']))}")
    if project is not None:
        words.append(f"--project {shown(project)}" + (" --unverified" if unverified else ""))
    return " ".join(words)


def main() -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_options(parser)
    parser.add_argument("--teacher", type=Path, default=HERE / "weights" / "base.pt")
    parser.add_argument("--out", type=Path, default=HERE / "weights" / "student.pt")
    parser.add_argument("--project", type=Path, help="also distil on this project's verified frames")
    parser.add_argument("--unverified", action="store_true",
                        help="with --project: also its other frames (soft targets only, no labels)")  # fmt: skip
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)

    def log(line: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {line}", flush=True)

    def step(progress) -> None:
        if progress.step % 10 == 0 or progress.step == progress.total:
            terms = ", ".join(f"{k} {v:.3f}" for k, v in progress.metrics.items())
            log(f"step {progress.step}/{progress.total}: {terms}")

    from annotator.io.store import is_project

    if args.project is not None and not is_project(args.project):
        parser.error(f"{args.project}: not a project (no annotator.sqlite)")
    options = options_from(args)
    labelled = project_frames(args.project, args.unverified) if args.project else []
    card = distill_student(args.out, options, args.teacher, labelled, log, on_step=step)
    if card is not None:  # how to make it again (paths and the cache left out)
        card["command"] = reproduce_command(args.out, options.to_dict(), args.project, args.unverified)
        card_path(args.out).write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(card, indent=1))


if __name__ == "__main__":
    main()
