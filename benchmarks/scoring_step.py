"""The UI thread's share of scoring a frame: pushing its `ScoreProposals` step (proposals placed where no box
stands, carried boxes checked against them, proposals on recently rejected objects left out), on a real sweep.

The shared Argoverse log is imported (``max_range=50, min_points=10``, with its ego poses). Sweep 1's labels
are replaced by sweep 0's carried in by the window's propagation (`annotator.core.propagation.plan_step`), so
that every box on it is a carried box awaiting the check; its proposals are sweep 1's true boxes moved by
``--jitter`` metres (a stand-in for a detector's output: about as many, where the objects are) plus as many
false alarms elsewhere; sweeps 0 and 1 remember ``--rejected`` rejected proposals each. Printed: the median
time of the push over ``--repeats`` pushes (each undone), with the distance pre-filter of
`annotator.ml.proposal_overlap.near_pairs`, and the same without it (every pair tested) as the baseline, and
the same for pre-annotation's `ReplaceProposals`.

Run: .venv/bin/python benchmarks/scoring_step.py [--jitter 0.3] [--rejected 25] [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import real_assist

from annotator.cli import main as cli
from annotator.core.edits import RemoveAnnotations, UpdateFrame
from annotator.core.model.commands import Command
from annotator.core.model.records import Annotation, Provenance, Review, Source
from annotator.core.propagation import plan_step
from annotator.core.review import REJECTED_KEY
from annotator.io.workspace import Workspace
from annotator.ml import proposal_overlap
from annotator.ml.preannotate import ReplaceProposals, frame_input
from annotator.ml.uncertainty.scoring import ScoreProposals


def proposals_for(truths: list[Annotation], jitter: float, rng: np.random.Generator) -> list[Annotation]:
    """Each true box moved by up to ``jitter`` m, and as many false alarms 8-30 m off (scored, unreviewed)."""
    out = []
    for k, truth in enumerate(truths):
        assert truth.cuboid is not None
        x, y, z = truth.cuboid.center
        moved = truth.cuboid.replace(
            center=(x + rng.uniform(-jitter, jitter), y + rng.uniform(-jitter, jitter), z)
        )
        angle, reach = rng.uniform(0, 2 * np.pi), rng.uniform(8, 30)
        alarm = truth.cuboid.replace(center=(x + reach * np.cos(angle), y + reach * np.sin(angle), z))
        for box, score in ((moved, 0.8), (alarm, 0.4)):
            record = {"uncertainty": 1 - score, "score": score}
            out.append(Annotation(0, truth.frame_id, truth.class_name, cuboid=box, review=Review.UNREVIEWED,
                                  provenance=Provenance(Source.MODEL, "pointpillars", "bench", score + 1e-3 * k),
                                  attributes={"uncertainty": record}))  # fmt: skip
    return out


def timed(workspace: Workspace, make: type[Command] | object, repeats: int) -> float:
    """Median milliseconds of pushing ``make()`` (each push undone)."""
    times = []
    for _ in range(repeats):
        command = make()  # type: ignore[operator]
        start = time.perf_counter()
        workspace.stack.push(command)
        times.append(time.perf_counter() - start)
        workspace.stack.undo()
    return 1000 * statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jitter", type=float, default=0.3)
    parser.add_argument("--rejected", type=int, default=25, help="rejected proposals remembered per sweep")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder) / "argoverse"
        options = ["-o", "max_range=50", "-o", "min_points=10"]
        if cli(["import", str(project), str(real_assist.ARGOVERSE), "--format", "argoverse", *options]) != 0:
            return 1
        with Workspace.open(project) as workspace:
            p = workspace.project
            first, second = p.frames_in_order()[:2]
            truths = p.annotations_of(second.id, "cuboid")
            workspace.push(RemoveAnnotations([a.id for a in truths]))
            points = frame_input(p, second, "detect3d").points
            workspace.push(plan_step(p, first, second, xyz=np.asarray(points)[:, :3]).command)
            carried = p.annotations_of(second.id, "cuboid")
            scored = proposals_for(truths, args.jitter, rng)
            alarms = [a for a in scored if a.provenance.score is not None and a.provenance.score < 0.5]
            remembered = [
                {
                    "class": a.class_name,
                    "box": [float(v) for v in a.cuboid.to_array()],
                    "record": {"uncertainty": 0.9},
                }
                for a in (alarms * args.rejected)[: args.rejected]
                if a.cuboid is not None
            ]
            for frame in (first, second):
                workspace.push(
                    UpdateFrame(frame.id, meta={**p.frames[frame.id].meta, REJECTED_KEY: remembered})
                )
            print(f"sweep {second.name}: {len(carried)} carried boxes, {len(scored)} proposals, "
                  f"{len(remembered)} rejected proposals remembered on each of 2 sweeps")  # fmt: skip

            def score() -> ScoreProposals:
                return ScoreProposals(second.id, "pointpillars", scored, second.name, "ensemble")

            def preannotate() -> ReplaceProposals:
                return ReplaceProposals(second.id, "pointpillars", scored, second.name)

            rows = []
            for name, make in (("ScoreProposals", score), ("ReplaceProposals", preannotate)):
                fast = timed(workspace, make, args.repeats)
                original = proposal_overlap.near_pairs
                proposal_overlap.near_pairs = lambda a, b: np.ones((len(a), len(b)), dtype=bool)  # type: ignore[assignment]
                try:
                    slow = timed(workspace, make, args.repeats)
                finally:
                    proposal_overlap.near_pairs = original
                rows.append((name, fast, slow))
            command = score()
            workspace.stack.push(command)
            print(f"scoring step: {command.confirmed} carried boxes confirmed, {command.to_review} to review, "
                  f"{command.rejected_again} proposals left out on rejected objects, {len(command.added)} added")  # fmt: skip
    print(
        "| step pushed on the UI thread | median, distance pre-filter (ms) | every pair tested (ms) | ratio |"
    )
    print("| --- | --- | --- | --- |")
    for name, fast, slow in rows:
        print(f"| {name} | {fast:.1f} | {slow:.1f} | {slow / fast:.1f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
