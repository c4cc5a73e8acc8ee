"""Tracks from detections on the real Argoverse sequence: identity switches of linked proposals.

The shared Argoverse 1.1 log is imported with its ego poses (``max_range=50, min_points=10``); a copy
with the true boxes removed (pre-annotation never proposes over existing boxes) is pre-annotated with the
default geometric plugin (``--no-track``). Then, per split, ``LinkTracks`` links the
split's proposals into tracks and every frame's proposals are matched to the true boxes (greedy, BEV IoU
>= 0.3, any class). A true track (Argoverse uuid) whose matched proposal changes track id counts an identity
switch; fragments are the proposal tracks per matched true track. MOTA = 1 - (misses + false positives +
switches) / true boxes (the geometric plugin's misses dominate it; switches are the tracker's figure).

Sweeps 0-24 are the development split, 25-49 the held-out split. ``--no-poses`` links in the sensor frame, ``--no-link`` is the baseline of unlinked proposals.
Run: ``python benchmarks/track_real.py [--project DIR --truth DIR] [--no-poses]`` (``--project``: an
already stripped and pre-annotated copy, to skip the 70 s pre-annotation, its proposal tracks are
rewritten; ``--truth``: the imported project).
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import statistics
import tempfile
from pathlib import Path

from annotator.cli import main
from annotator.core.cuboids.overlap import bev_iou
from annotator.core.edits import RemoveAnnotations
from annotator.core.model.project import Project
from annotator.core.model.records import Source
from annotator.core.track_linking import LinkTracks, proposals_of
from annotator.core.tracker import TrackerParams
from annotator.io.workspace import Workspace

ARGOVERSE = Path(__file__).resolve().parents[2] / "shared" / "data" / "argoverse1_sample_log"
SPLITS = {"dev": range(0, 25), "held-out": range(25, 50)}
MATCH_IOU = 0.3


@dataclasses.dataclass
class Counts:
    """MOTA-style counts of one split."""

    truth: int = 0
    matches: int = 0
    false_positives: int = 0
    switches: int = 0
    fragments: list[int] = dataclasses.field(default_factory=list)
    tracks: int = 0

    @property
    def mota(self) -> float:
        """1 - (misses + false positives + identity switches) / true boxes."""
        misses = self.truth - self.matches
        return 1.0 - (misses + self.false_positives + self.switches) / max(self.truth, 1)


def _match(truth: list, proposals: list) -> list[tuple[int, int]]:
    """Greedy BEV IoU matches (truth index, proposal index) at IoU >= MATCH_IOU."""
    pairs = sorted(
        ((bev_iou(t.cuboid, p.cuboid), i, j) for i, t in enumerate(truth) for j, p in enumerate(proposals)),
        reverse=True,
    )
    done_t, done_p, found = set(), set(), []
    for iou, i, j in pairs:
        if iou >= MATCH_IOU and i not in done_t and j not in done_p:
            found.append((i, j))
            done_t.add(i)
            done_p.add(j)
    return found


def evaluate(project: Project, truth_project: Project, frames: list) -> Counts:
    """Counts of the proposals of ``frames`` (already linked) against the true boxes (same frame ids)."""
    counts = Counts()
    last: dict[int, int] = {}
    seen: dict[int, set[int]] = {}
    tracks = set()
    for frame in frames:
        truth = [
            a
            for a in truth_project.annotations_of(frame.id, "cuboid")
            if a.provenance.source == Source.IMPORTED
        ]
        proposals = proposals_of(project, frame)
        tracks.update(p.track_id for p in proposals)
        matches = _match(truth, proposals)
        counts.truth += len(truth)
        counts.matches += len(matches)
        counts.false_positives += len(proposals) - len(matches)
        for i, j in matches:
            true_id, linked = truth[i].track_id, proposals[j].track_id
            if true_id in last and last[true_id] != linked:
                counts.switches += 1
            last[true_id] = linked
            seen.setdefault(true_id, set()).add(linked)
    counts.fragments = [len(ids) for ids in seen.values()]
    counts.tracks = len(tracks)
    return counts


def run(project_dir: Path, truth_dir: Path, poses: bool, params: TrackerParams) -> None:
    """Link and evaluate each split; print the figures."""
    with Workspace.open(project_dir) as workspace, Workspace.open(truth_dir) as truth:
        project = workspace.project
        ordered = project.frames_in_order()
        for split, positions in SPLITS.items():
            frames = [ordered[i] for i in positions]
            if not poses:
                frames = [dataclasses.replace(f, pose=None) for f in frames]
            command = LinkTracks(frames, params)
            workspace.push(command)
            counts = evaluate(project, truth.project, frames)
            print(
                f"{split:8s} ({'world' if command.world else 'sensor'} frame): true boxes {counts.truth}, "
                f"matched {counts.matches}, false positives {counts.false_positives}, "
                f"ID switches {counts.switches}, MOTA {counts.mota:.3f}; "
                f"{counts.tracks} proposal tracks, {len(counts.fragments)} true tracks matched, "
                f"median fragments {statistics.median(counts.fragments or [0]):g}, "
                f"max {max(counts.fragments or [0])}"
            )


def main_cli() -> None:
    """Import and pre-annotate (unless ``--project``), then report both splits."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--project", type=Path, help="an imported, pre-annotated project (its proposal tracks are rewritten)"
    )
    parser.add_argument("--truth", type=Path, help="the imported project (with --project)")
    parser.add_argument("--gate", type=float, default=TrackerParams.gate, help="metres (default %(default)s)")
    parser.add_argument("--max-misses", type=int, default=TrackerParams.max_misses, help="frames bridged")
    parser.add_argument("--no-link", action="store_true", help="baseline: every proposal its own track")
    parser.add_argument("--no-poses", action="store_true", help="link in the sensor frame")
    args = parser.parse_args()
    params = TrackerParams(gate=-1.0 if args.no_link else args.gate, max_misses=args.max_misses)
    if args.project is not None:
        run(args.project, args.truth or args.project, not args.no_poses, params)
        return
    if not ARGOVERSE.is_dir():
        raise SystemExit(f"{ARGOVERSE}: no Argoverse sample log")
    with tempfile.TemporaryDirectory() as tmp:
        truth, project = Path(tmp) / "truth", Path(tmp) / "proposals"
        importing = ["import", str(truth), str(ARGOVERSE), "--format", "argoverse"]
        if main([*importing, "-o", "max_range=50", "-o", "min_points=10"]):
            raise SystemExit("import failed")
        shutil.copytree(truth, project)
        with Workspace.open(project) as workspace:
            workspace.push(RemoveAnnotations(list(workspace.project.annotations), "Remove the true boxes"))
        if main(["preannotate", str(project), "--no-progress", "--no-track"]):
            raise SystemExit("preannotate failed")
        run(project, truth, not args.no_poses, params)


if __name__ == "__main__":
    main_cli()
