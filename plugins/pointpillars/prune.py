"""Prune the shipped base weights and fine-tune the narrower network briefly (re-run when they change).

Run: python -m plugins.pointpillars.prune [--keep 0.5] [--frames 24] [--epochs 8] [--seed 1]
                                          [--stage-keep 0.5,0.5,0.75] [--head-keep F]
                                          [--source plugins/pointpillars/weights/base.pt]
                                          [--out plugins/pointpillars/weights/pruned.pt]

Keeps the share ``--keep`` of every layer's channels (`plugins.pointpillars.pruning`; ``--stage-keep`` one
share per backbone stage, ``--head-keep`` the head's), fine-tunes on
``--frames`` generated frames (the base weights' replay source; seeds apart from the benchmarks') for
``--epochs`` passes without flips, and writes an ordinary pointpillars checkpoint with a card beside it.
Use it with ``--weights FILE`` (preannotate, score), ``simulate --initial FILE``, or as a project's model.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import time
from pathlib import Path

from plugins.pointpillars.distill_run import shares

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent


def main() -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=float, default=0.5)
    parser.add_argument("--head-keep", type=float, dest="head_keep", help="the head's own share (--keep)")
    parser.add_argument("--stage-keep", type=shares, dest="stage_keep", help="per stage, e.g. 0.5,0.5,0.75")
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--learning-rate", type=float, default=0.002)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--source", type=Path, default=HERE / "weights" / "base.pt")
    parser.add_argument("--out", type=Path, default=HERE / "weights" / "pruned.pt")
    args = parser.parse_args()

    from annotator.ml.protocol import CancelToken
    from annotator.synth.replay import generated_frames
    from plugins.pointpillars.model import PointPillarsDetector
    from plugins.pointpillars.pruning import pruned

    start = time.perf_counter()
    base = PointPillarsDetector()
    base.load(str(args.source))
    detector = PointPillarsDetector.from_network(
        pruned(base.members[0], args.keep, args.head_keep, args.stage_keep)
    )
    frames = generated_frames(detector.config.classes, args.frames, args.seed)
    params = {"epochs": args.epochs, "augment": False, "train_dropout": 0.0, "batch_size": 2,
              "learning_rate": args.learning_rate, "threads": args.threads, "seed": args.seed}  # fmt: skip
    for progress in detector.fit(frames, params, CancelToken()):
        print(f"step {progress.step}/{progress.total} loss {progress.metrics['loss']:.3f}", flush=True)
    detector.save(str(args.out))
    card = {
        "model": f"pointpillars base weights pruned to {args.keep:.0%} of every layer's channels"
        + (f", the head's to {args.head_keep:.0%}" if args.head_keep else "")
        + (f", the stages' to {', '.join(f'{k:.0%}' for k in args.stage_keep)}" if args.stage_keep else ""),
        "weights": args.out.name,
        "sha256": hashlib.sha256(args.out.read_bytes()).hexdigest(),
        "source": {"file": args.source.name, "sha256": hashlib.sha256(args.source.read_bytes()).hexdigest()},
        "channels": {
            "pillar": detector.config.pillar_channels,
            "backbone": list(detector.config.channels),
            "head": detector.config.head_channels,
        },
        "fine_tune": {"generated_frames": args.frames, "seed": args.seed, **params},
        "command": "python -m plugins.pointpillars.prune "
        + " ".join(
            f"--{k} {v}" for k, v in (("keep", args.keep), ("frames", args.frames), ("epochs", args.epochs))
        )
        + (f" --head-keep {args.head_keep}" if args.head_keep else "")
        + (" --stage-keep " + ",".join(map(str, args.stage_keep)) if args.stage_keep else ""),
        "time_min": round((time.perf_counter() - start) / 60, 1),
    }
    args.out.with_name(args.out.stem + ".card.json").write_text(json.dumps(card, indent=1) + "\n")
    print(f"wrote {args.out} ({card['time_min']} min)")


if __name__ == "__main__":
    main()
