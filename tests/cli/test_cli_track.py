"""`annotator track DIR [--frames SEL]`: re-link a project's proposals as one undoable step."""

from __future__ import annotations

import dataclasses
import itertools
import subprocess
import sys
from pathlib import Path

from tests_support import argoverse_copy  # type: ignore[import-not-found]

from annotator.cli import main
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames, RemoveAnnotations, UpdateAnnotations
from annotator.core.model.records import Annotation, Frame, Provenance, Source
from annotator.io.workspace import Workspace


def proposals_project(root: Path, frames: int = 4) -> Path:
    """``frames`` frames, each with a model proposal of one car moving 1 m per frame."""
    with Workspace.create(root) as workspace:
        ids = workspace.push(AddFrames([Frame(0, f"{k:06d}", k) for k in range(frames)])).ids
        model = Provenance(Source.MODEL, "geometric", score=0.6)
        cars = [
            Annotation(0, f, "Car", cuboid=Cuboid((k, 0, 0.8), (4, 2, 1.5)), provenance=model)
            for k, f in enumerate(ids)
        ]
        workspace.push(AddAnnotations(cars))
    return root


def track_ids(root: Path) -> list[int]:
    with Workspace.open(root) as workspace:
        project = workspace.project
        return [a.track_id for a in sorted(project.annotations.values(), key=lambda a: a.frame_id)]


def test_track_links_the_chosen_frames_as_one_undoable_step(tmp_path: Path, capsys) -> None:
    root = proposals_project(tmp_path / "p")
    assert main(["track", str(root), "--frames", "1-"]) == 0
    assert "tracked     3 proposals into 1 tracks over 3 frames (sensor frame)" in capsys.readouterr().out
    first, *rest = track_ids(root)
    assert len(set(rest)) == 1 and first not in rest
    with Workspace.open(root) as workspace:
        assert workspace.stack.entries[-1].label == "Link proposals of 3 frames into tracks"
        assert workspace.project.tracks[rest[0]].attributes == {"track_score": 0.6, "track_length": 3}
        workspace.stack.undo()
    assert len(set(track_ids(root))) == 4


def test_track_runs_as_a_command_and_names_bad_input(tmp_path: Path) -> None:
    root = proposals_project(tmp_path / "p", 2)
    ok = subprocess.run(
        [sys.executable, "-m", "annotator.cli", "track", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0 and "into 1 tracks over 2 frames" in ok.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "annotator.cli", "track", str(root), "--frames", "7-9"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (
        bad.returncode == 1
        and bad.stderr.startswith("annotator: error:")
        and len(bad.stderr.splitlines()) == 1
    )
    missing = subprocess.run(
        [sys.executable, "-m", "annotator.cli", "track", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode == 1 and "not a project" in missing.stderr


def test_real_argoverse_boxes_as_proposals_link_by_their_true_identity(
    shared_data, tmp_path: Path, capsys
) -> None:
    log = argoverse_copy(shared_data / "argoverse1_sample_log", tmp_path / "log", 30, 8)
    project = tmp_path / "project"
    assert main(["import", str(project), str(log), "--format", "argoverse", "-o", "max_range=50"]) == 0
    with Workspace.open(project) as workspace:  # the true boxes become proposals, every 5th one missed
        p = workspace.project
        truth = {a.id: a.track_id for a in p.annotations.values()}
        model = Provenance(Source.MODEL, "truth", score=0.7)
        as_proposals = [dataclasses.replace(a, provenance=model) for a in p.annotations.values() if a.id % 5]
        workspace.push(UpdateAnnotations(as_proposals, "as proposals"))
        workspace.push(RemoveAnnotations([a for a in truth if a % 5 == 0], "misses"))
    assert main(["track", str(project)]) == 0
    assert "(world frame)" in capsys.readouterr().out
    with Workspace.open(project) as workspace:
        p = workspace.project
        linked = {}
        for a in sorted(p.annotations.values(), key=lambda a: p.frames[a.frame_id].index):
            linked.setdefault(truth[a.id], []).append(a.track_id)
    switches = sum(sum(x != y for x, y in itertools.pairwise(ids)) for ids in linked.values())
    boxes = sum(len(ids) for ids in linked.values())
    assert boxes > 150
    assert switches <= 0.02 * boxes
