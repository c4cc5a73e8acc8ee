"""How free the parent stays while a fine-tuning job trains PointPillars in its child process.

Run: nice .venv/bin/python benchmarks/finetune_job_stall.py [--frames 6] [--epochs 1]

Makes a scratch project over the frames of the fine-tuning simulation's generated sequence (its
database copied, its data linked), verifies ``--frames`` frames with their ground truth, starts a job
from the simulation's initial model, and then ticks every 10 ms the way a UI timer would, calling
`FineTuneJob.poll` each tick. Prints the median and longest poll call and the longest gap between ticks
(what an event loop would see as its stall), next to the same loop without a job.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from annotator.core.edits import AddAnnotations, SetFrameStatus
from annotator.core.model.records import Annotation, FrameStatus
from annotator.io.reference_labels import project_reference_labels
from annotator.io.workspace import Workspace
from annotator.ml.finetune.job import FineTuneJob
from annotator.ml.finetune.pipeline import plan_finetune
from annotator.ml.finetune.spec import FineTuneOptions
from annotator.ml.registry import PluginRegistry
from annotator.synth.demo import DATA_FOLDER

logger = logging.getLogger(__name__)

WORK = Path("/tmp/annotator-finetune-sim")
TICK = 0.01


def ticks(seconds: float, job: FineTuneJob | None) -> tuple[list[float], list[float]]:
    """Tick every 10 ms for ``seconds`` (or until the job ends): poll durations and gaps between ticks."""
    polls, gaps = [], []
    last = start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        if job is not None:
            before = time.perf_counter()
            running = job.poll()
            polls.append(time.perf_counter() - before)
            if not running:
                break
        time.sleep(TICK)
        now = time.perf_counter()
        gaps.append(now - last - TICK)
        last = now
    return polls, gaps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequence", type=Path, default=WORK / "sequence")
    parser.add_argument("--initial", type=Path, default=WORK / "initial-24x25.pt")
    parser.add_argument("--frames", type=int, default=6)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="annotator-stall-"))
    try:
        shutil.copy(args.sequence / "annotator.sqlite", scratch / "annotator.sqlite")
        (scratch / DATA_FOLDER).symlink_to((args.sequence / DATA_FOLDER).resolve())
        reference = project_reference_labels(args.sequence)
        if reference is None:
            raise SystemExit(f"{args.sequence}: no reference labels (make it with annotator demo)")
        truth = reference.frames
        manifest = PluginRegistry.discover().manifest("pointpillars")
        with Workspace.open(scratch, keep_history=False) as workspace:
            for frame in workspace.project.frames_in_order()[: args.frames]:
                objects = [o for o in truth[frame.name] if o.label in manifest.classes and o.num_points >= 10]
                workspace.push(
                    AddAnnotations([Annotation(0, frame.id, o.label, cuboid=o.cuboid) for o in objects])
                )
                workspace.push(SetFrameStatus(frame.id, FrameStatus.VERIFIED))
            options = FineTuneOptions(held_apart=0.0, threads=args.threads, params={"epochs": args.epochs})
            spec = plan_finetune(workspace.project, manifest, options, initial_weights=args.initial)
        _, idle = ticks(3.0, None)
        started = time.perf_counter()
        job = FineTuneJob(spec).start()
        polls, gaps = ticks(3600.0, job)
        seconds = time.perf_counter() - started
        steps = len(job.result.losses) if job.result is not None else 0
        print(f"job: {args.frames} frames x {args.epochs} epoch(s), {steps} training steps, {len(polls)} polls in "
              f"{seconds:.0f} s, error: {job.error}")  # fmt: skip
        print("| loop | median poll | longest poll | median tick lateness | longest tick lateness |")
        print("| --- | --- | --- | --- | --- |")
        print(
            f"| idle (no job) | - | - | {1000 * statistics.median(idle):.1f} ms | {1000 * max(idle):.1f} ms |"
        )
        print(f"| job training | {1000 * statistics.median(polls):.2f} ms | {1000 * max(polls):.1f} ms | "
              f"{1000 * statistics.median(gaps):.1f} ms | {1000 * max(gaps):.1f} ms |")  # fmt: skip
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
