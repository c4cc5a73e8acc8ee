"""`annotator assign`, `agreement`, `signoff` and `import --author`: team work from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from annotator.cli import main
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.model.records import Annotation, Frame
from annotator.core.teamwork import assignees, signoff
from annotator.io.workspace import Workspace


def car(frame_id: int, x: float, cls: str = "Car") -> Annotation:
    return Annotation(0, frame_id, cls, cuboid=Cuboid((x, 0, 0.8), (4, 2, 1.5), 0.0))


def two_annotators(root: Path) -> Path:
    """Two frames; ann and bob each drew two cars per frame; in frame 1 bob's first car is 1 m off."""
    with Workspace.create(root) as workspace:
        ids = workspace.push(AddFrames([Frame(0, f"{k:06d}", k) for k in range(2)])).ids
        workspace.project.author = "ann"
        workspace.push(AddAnnotations([car(f, x) for f in ids for x in (0, 20)]))
        workspace.project.author = "bob"
        workspace.push(
            AddAnnotations([car(ids[0], 0), car(ids[0], 20), car(ids[1], 1), car(ids[1], 20, "Van")])
        )
    return root


def test_agreement_prints_a_row_per_frame_and_the_total(tmp_path: Path, capsys) -> None:
    root = two_annotators(tmp_path / "p")
    assert main(["agreement", str(root), "--boxes"]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if line.startswith("0000")]
    # frame 0: both cars exact -> score 1; frame 1: IoU 0.6 and a class mismatch -> (0.6 + 0) / 2 = 0.3
    assert rows[0][:4] == ["000000", "ann", "/", "bob"] and rows[0][-2:] == ["1.000", "-"]
    assert rows[1][-2:] == ["0.300", "-"]
    assert "Car vs Van" in out
    assert "total        2 frames, 4 objects, 3 agreed" in out and "score 0.650" in out
    assert main(["agreement", str(root), "--json", "--iou", "3d", "--threshold", "0.7"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total"]["agreed"] == 2 and data["frames"][1]["mean_iou"] == 0.8


def test_assign_and_signoff_are_saved_undoable_steps_with_a_report(tmp_path: Path, capsys) -> None:
    root = two_annotators(tmp_path / "p")
    assert main(["assign", str(root), "--frames", "all", "--to", "ann", "bob"]) == 0
    assert main(["signoff", str(root), "--frames", "1", "--reviewer", "rita"]) == 0
    capsys.readouterr()
    assert main(["signoff", str(root)]) == 0
    report = capsys.readouterr().out
    assert "000001       ann, bob                 0.300  rita 20" in report
    assert "signed off   1 of 2 frames" in report
    with Workspace.open(root) as workspace:
        frames = workspace.project.frames_in_order()
        assert assignees(frames[0]) == ["ann", "bob"]
        assert signoff(frames[1])["agreement"] == 0.3
        assert workspace.stack.undo_label() == "Sign off 1 frame (rita)"
        workspace.undo()
        assert signoff(workspace.project.frames_in_order()[1]) is None


def test_a_second_annotators_labels_import_beside_the_first(tmp_path: Path, capsys) -> None:
    root = tmp_path / "p"
    with Workspace.create(root) as workspace:
        ids = workspace.push(AddFrames([Frame(0, f"{k:06d}", k) for k in range(2)])).ids
        workspace.project.author = "ann"
        workspace.push(AddAnnotations([car(f, x) for f in ids for x in (0, 20)]))
    assert (
        main(["export", str(root), "--format", "openlabel", "--out", str(tmp_path / "ol"), "--no-progress"])
        == 0
    )
    exported = next((tmp_path / "ol").glob("*.json"))
    for _ in range(2):  # the second import finds cy's labels already there, not ann's
        assert main(["import", str(root), str(exported), "--format", "openlabel", "--author", "cy"]) == 0
    assert "0 added, 0 updated, 4 unchanged" in capsys.readouterr().out
    assert main(["agreement", str(root), "--between", "ann", "cy", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total"] == {"frames": 2, "objects": 4, "agreed": 4, "score": 1.0}


def test_bad_names_and_selections_are_one_line_errors(tmp_path: Path) -> None:
    root = two_annotators(tmp_path / "p")
    for argv in (["assign", str(root), "--frames", "all", "--to", " "], ["assign", str(root), "--to", "ann"]):
        run = subprocess.run(
            [sys.executable, "-m", "annotator.cli", *argv], capture_output=True, text=True, timeout=60
        )
        assert (
            run.returncode == 1
            and run.stderr.startswith("annotator: error: ")
            and len(run.stderr.splitlines()) == 1
        )
