"""World-frame propagation on the real Argoverse sequence: label two sweeps, carry 9 sweeps forward.

The shared Argoverse 1.1 log is imported with its ego poses (``max_range=50, min_points=10``). For each
start sweep k, a copy of the project keeps the true car boxes of sweeps k and k+1 only (the "labelled"
sweeps), ``annotator propagate --from k+1 --to k+10`` carries them, and each carried car box is compared
with the true box of its track (BEV IoU). A car is static when its true world centre moves under 0.5 m
over the 11 sweeps; for those the world drift of the carried box from the labelled one is reported too.

Sweeps 0-24 are the development split (starts 0-14), 25-49 the held-out split (starts 25-39).
``--no-poses`` is the baseline of boxes carried in the sensor frame (the frames' poses forgotten).
Run: ``python benchmarks/propagate_real.py [--split dev|held-out|all] [--no-refit] [--no-poses] [--every N]``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from annotator.cli import main
from annotator.core.cuboids.overlap import bev_iou
from annotator.core.edits import RemoveAnnotations, UpdateFrame
from annotator.core.model.project import Project
from annotator.core.world import to_world
from annotator.io.workspace import Workspace

ARGOVERSE = Path(__file__).resolve().parents[2] / "shared" / "data" / "argoverse1_sample_log"
CARRIED = 9
SPLITS = {"dev": range(0, 25 - CARRIED - 1), "held-out": range(25, 50 - CARRIED - 1)}
STATIC_MOTION = 0.5


def _world_centre(project: Project, annotation) -> np.ndarray:
    return np.asarray(to_world(annotation.cuboid, project.frames[annotation.frame_id].pose).center)


def _cars_by_track(project: Project, frame_ids: list[int]) -> dict[int, dict[int, object]]:
    found: dict[int, dict[int, object]] = {}
    for frame_id in frame_ids:
        for a in project.annotations_of(frame_id, "cuboid"):
            if a.class_name == "Car" and a.track_id is not None:
                found.setdefault(a.track_id, {})[frame_id] = a
    return found


def trial(source: Path, work: Path, start: int, refit: bool, poses: bool = True) -> tuple[list[float], ...]:
    """One start sweep: IoUs of every carried car, of static cars, of moving cars; world drift of static cars."""
    copy = work / f"start{start}"
    shutil.copytree(source, copy)
    with Workspace.open(copy) as workspace:
        frames = [f.id for f in workspace.project.frames_in_order()][start : start + CARRIED + 2]
        truth = _cars_by_track(workspace.project, frames)
        labelled = {t for t, boxes in truth.items() if frames[0] in boxes and frames[1] in boxes}
        drop = [
            a.id
            for a in workspace.project.annotations.values()
            if a.frame_id in frames[2:] or a.class_name != "Car" or a.track_id not in labelled
        ]
        workspace.push(RemoveAnnotations(drop, "keep two labelled sweeps"))
        for frame_id in frames if not poses else []:  # the baseline: boxes carried in the sensor frame
            workspace.push(UpdateFrame(frame_id, "forget the pose", pose=None))
    flags = ["--refit" if refit else "--no-refit"]
    if main(
        [
            *map(str, ("propagate", copy, "--from", start + 1, "--to", start + CARRIED + 1)),
            *flags,
            "--no-progress",
        ]
    ):
        raise SystemExit(f"propagate failed on start {start}")
    ious, static_ious, moving_ious, drift = [], [], [], []
    with Workspace.open(source) as original, Workspace.open(copy) as result:
        truth_project, carried = original.project, _cars_by_track(result.project, frames)
        for track in labelled:
            centres = [_world_centre(truth_project, a) for a in truth[track].values()]
            static = max(np.linalg.norm(c - centres[0]) for c in centres) < STATIC_MOTION
            anchor = _world_centre(truth_project, truth[track][frames[1]])
            for frame_id in frames[2:]:
                if frame_id not in truth[track] or frame_id not in carried.get(track, {}):
                    continue
                iou = bev_iou(carried[track][frame_id].cuboid, truth[track][frame_id].cuboid)
                ious.append(iou)
                if not static:
                    moving_ious.append(iou)
                if static:
                    static_ious.append(iou)
                    drift.append(
                        float(np.linalg.norm(_world_centre(truth_project, carried[track][frame_id]) - anchor))
                    )
    shutil.rmtree(copy)
    return ious, static_ious, moving_ious, drift


def run(split: str, refit: bool, every: int, poses: bool) -> None:
    """Print the figures of one split."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        source = work / "argoverse"
        args = [
            "import",
            str(source),
            str(ARGOVERSE),
            "--format",
            "argoverse",
            "-o",
            "max_range=50",
            "-o",
            "min_points=10",
        ]
        if main(args):
            raise SystemExit("import failed")
        ious, static_ious, moving_ious, drift, seconds = [], [], [], [], []
        for start in SPLITS[split][::every]:
            began = time.perf_counter()
            a, b, m, c = trial(source, work, start, refit, poses)
            seconds.append(time.perf_counter() - began)
            ious += a
            static_ious += b
            moving_ious += m
            drift += c
    print(
        f"split {split}: starts {SPLITS[split][::every]}, refit {'on' if refit else 'off'}, {'world' if poses else 'sensor'} frame"
    )
    print(
        f"  carried car boxes   {len(ious)}: mean BEV IoU {statistics.fmean(ious):.3f}, median {statistics.median(ious):.3f}"
    )
    if static_ious:
        print(
            f"  static car boxes    {len(static_ious)}: mean BEV IoU {statistics.fmean(static_ious):.3f}, "
            f"world drift median {statistics.median(drift):.3f} m, max {max(drift):.3f} m"
        )
    if moving_ious:
        print(f"  moving car boxes    {len(moving_ious)}: mean BEV IoU {statistics.fmean(moving_ious):.3f}")
    print(
        f"  time per start      median {statistics.median(seconds):.2f} s (copy, propagate {CARRIED} sweeps, score)"
    )


def cli() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["dev", "held-out", "all"], default="dev")
    parser.add_argument("--no-refit", action="store_true")
    parser.add_argument("--no-poses", action="store_true", help="baseline: forget the poses (sensor frame)")
    parser.add_argument("--every", type=int, default=1, help="use every N-th start sweep")
    args = parser.parse_args()
    if not ARGOVERSE.is_dir():
        print(f"skipped: {ARGOVERSE} not found", file=sys.stderr)
        return
    for split in ["dev", "held-out"] if args.split == "all" else [args.split]:
        run(split, not args.no_refit, args.every, not args.no_poses)


if __name__ == "__main__":
    cli()
