"""Batch runs keep a faulty plugin in a child process: a frame that hangs, exits, crashes or returns
garbage is reported as failed (exit code 3) and the other frames are done; the model loads once."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from annotator.cli import main
from annotator.cli.io_commands import EXIT_PARTIAL
from annotator.core.edits import AddFrames
from annotator.core.model.records import Frame
from annotator.io.workspace import Workspace

FAULTY = Path(__file__).parent / "fault_plugins" / "faulty"
MISBEHAVING = ("hang", "exit", "crash", "nan", "none", "shape")


@pytest.fixture
def faulty_plugin(tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "plugins"
    shutil.copytree(FAULTY, folder / "faulty")
    monkeypatch.setenv("ANNOTATOR_PLUGIN_PATH", str(folder))
    log = tmp_path / "loads.log"
    monkeypatch.setenv("FAULTY_LOAD_LOG", str(log))
    return log


def make_project(root: Path, names: list[str]) -> Path:
    with Workspace.create(root) as workspace:
        frames = []
        for index, name in enumerate(names):
            np.zeros((4, 4), np.float32).tofile(root / f"{name}.bin")
            frames.append(Frame(0, name, index, cloud=f"{name}.bin"))
        workspace.push(AddFrames(frames))
    return root


def test_each_fault_fails_only_its_frame(tmp_path: Path, faulty_plugin: Path, capsys) -> None:
    names = ["ok1", *MISBEHAVING, "ok2"]
    project = make_project(tmp_path / "p", names)
    code = main(
        ["preannotate", str(project), "--plugin", "faulty-example", "--frame-timeout", "1", "--no-progress"]
    )
    captured = capsys.readouterr()
    assert code == EXIT_PARTIAL
    assert "pre-annotated 2 of 8 frames" in captured.out
    for expected in ("hang: plugin faulty-example took more than 1 s", "exit: plugin faulty-example called exit(0)",
                     "crash: plugin faulty-example process ended (exit code 9)", "nan: plugin faulty-example returned NaN",
                     "none: plugin faulty-example returned nothing (None)", "shape: plugin faulty-example failed"):  # fmt: skip
        assert expected in captured.err
    with Workspace.open(project) as workspace:
        done = {workspace.project.frames[a.frame_id].name for a in workspace.project.annotations.values()}
        assert done == {"ok1", "ok2"}


def test_the_model_loads_once_per_child_not_per_frame(tmp_path: Path, faulty_plugin: Path, capsys) -> None:
    project = make_project(tmp_path / "p", [f"f{i}" for i in range(5)])
    assert main(["preannotate", str(project), "--plugin", "faulty-example", "--no-progress"]) == 0
    assert len(faulty_plugin.read_text().split()) == 1
    assert main(["score", str(project), "--plugin", "faulty-example", "--mode", "ensemble", "--passes", "2",
                 "--no-progress"]) == 0  # fmt: skip
    assert len(faulty_plugin.read_text().split()) == 2


def test_scoring_reports_a_crashing_frame(tmp_path: Path, faulty_plugin: Path, capsys) -> None:
    project = make_project(tmp_path / "p", ["ok1", "crash", "ok2"])
    code = main(["score", str(project), "--plugin", "faulty-example", "--mode", "ensemble", "--passes", "2",
                 "--no-progress"])  # fmt: skip
    assert code == EXIT_PARTIAL
    assert "crash: plugin faulty-example process ended (exit code 9)" in capsys.readouterr().err


def test_in_process_run_validates_results_too(tmp_path: Path, faulty_plugin: Path, capsys) -> None:
    project = make_project(tmp_path / "p", ["ok1", "nan", "none"])
    code = main(["preannotate", str(project), "--plugin", "faulty-example", "--in-process", "--no-progress"])
    assert code == EXIT_PARTIAL
    err = capsys.readouterr().err
    assert (
        "nan: plugin faulty-example returned NaN" in err
        and "none: plugin faulty-example returned nothing" in err
    )
