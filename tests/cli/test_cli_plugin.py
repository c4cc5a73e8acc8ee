"""`annotator plugin new`: a package that `annotator plugins` lists and `annotator preannotate` runs on a
generated frame, found through $ANNOTATOR_PLUGIN_PATH without installing it."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.cli import main
from annotator.core.model.records import Source
from annotator.io.workspace import Workspace


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-frame generated street project (cloud and camera image)."""
    root = tmp_path_factory.mktemp("demo") / "street"
    assert main(["demo", str(root), "--frames", "1", "--no-gui"]) == 0
    return root


@pytest.mark.parametrize("task", ["detect3d", "detect2d"])
def test_a_new_plugin_is_listed_and_preannotates_a_generated_frame(
    demo, tmp_path, monkeypatch, capsys, task
) -> None:
    name = f"street-{task}"
    assert main(["plugin", "new", name, "--task", task, "--out", str(tmp_path / name)]) == 0
    out = capsys.readouterr().out
    assert f"wrote plugin {name} ({task}, numpy)" in out and "pip install -e" in out
    monkeypatch.setenv("ANNOTATOR_PLUGIN_PATH", str(tmp_path / name))
    assert main(["plugins"]) == 0
    listed = [line for line in capsys.readouterr().out.splitlines() if line.split()[:1] == [name]]
    assert len(listed) == 1 and "available" in listed[0] and task in listed[0]
    assert main(["preannotate", str(demo), "--plugin", name, "--no-progress", "--threshold", "0"]) == 0
    assert "pre-annotated 1 of 1 frames" in capsys.readouterr().out
    with Workspace.open(demo) as workspace:
        made = [a for a in workspace.project.annotations.values() if a.provenance.model_id == name]
        workspace.stack.undo()
    assert made and all(a.provenance.source is Source.MODEL for a in made)
    assert all((a.cuboid is not None) == (task == "detect3d") for a in made)


def test_plugin_new_refuses_a_bad_name_in_one_line(tmp_path, capsys) -> None:
    assert main(["plugin", "new", "Bad Name", "--out", str(tmp_path / "x")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("annotator: error: plugin name 'Bad Name'") and err.count("\n") == 1
    assert not (tmp_path / "x").exists()
