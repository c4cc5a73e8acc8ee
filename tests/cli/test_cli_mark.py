"""`annotator mark DIR STATUS --frames SEL`: frames' progress set from the command line, one undoable step."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.cli import main
from annotator.core.model.records import Frame, FrameStatus
from annotator.io.workspace import Workspace


def project_with_frames(root: Path, count: int) -> Path:
    from annotator.core.edits import AddFrames

    with Workspace.create(root) as workspace:
        workspace.push(AddFrames(Frame(0, f"{i:06d}", i) for i in range(count)))
    return root


def statuses(root: Path) -> list[str]:
    with Workspace.open(root) as workspace:
        return [f.status.value for f in workspace.project.frames_in_order()]


def test_marking_frames_verified_is_one_saved_undoable_step(tmp_path: Path, capsys) -> None:
    root = project_with_frames(tmp_path / "p", 5)
    assert main(["mark", str(root), "verified", "--frames", "1-3"]) == 0
    assert "marked 3 frames verified" in capsys.readouterr().out
    assert statuses(root) == ["new", "verified", "verified", "verified", "new"]
    assert main(["mark", str(root), "verified", "--frames", "0-1"]) == 0
    assert "marked 1 frames verified (1 already were)" in capsys.readouterr().out
    with Workspace.open(root) as workspace:
        assert workspace.stack.undo_label() == "Mark 1 frame verified"
        workspace.undo()
        assert workspace.stack.undo_label() == "Mark 3 frames verified"
        workspace.undo()
        assert all(f.status == FrameStatus.NEW for f in workspace.project.frames_in_order())


def test_marking_frames_already_so_changes_nothing(tmp_path: Path, capsys) -> None:
    root = project_with_frames(tmp_path / "p", 2)
    assert main(["mark", str(root), "new", "--frames", "all"]) == 0
    assert "already new" in capsys.readouterr().out
    with Workspace.open(root) as workspace:
        assert workspace.stack.undo_label() == "Add 2 frames"


def test_a_selection_of_no_frame_or_an_unknown_status_is_refused(tmp_path: Path, capsys) -> None:
    root = project_with_frames(tmp_path / "p", 2)
    assert main(["mark", str(root), "verified", "--frames", "7-9"]) != 0
    assert "outside 0-1" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["mark", str(root), "done", "--frames", "all"])
    assert statuses(root) == ["new", "new"]
