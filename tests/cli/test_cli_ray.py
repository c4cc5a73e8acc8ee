"""`annotator preannotate|score --ray ADDRESS`: the CLI joins a Ray cluster; without --ray nothing changes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests_support import raised_points_project

from annotator.cli import main
from annotator.core.edits import AddFrames
from annotator.core.model.records import Frame
from annotator.io.workspace import Workspace

EXAMPLES = Path(__file__).parents[1] / "ml"


def plugin_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "plugins"
    shutil.copytree(EXAMPLES / "example_plugins" / "centroid", folder / "centroid")
    shutil.copytree(EXAMPLES / "fault_plugins" / "faulty", folder / "faulty")
    return folder


def cli(*argv: str, plugins: Path) -> subprocess.Popen:
    env = dict(os.environ, ANNOTATOR_PLUGIN_PATH=str(plugins))
    return subprocess.Popen(
        [sys.executable, "-m", "annotator.cli", *argv],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


@pytest.mark.ray
def test_preannotate_and_score_join_a_cluster_and_print_progress(tmp_path, ray_cluster):
    root = raised_points_project(tmp_path / "p", 3)
    plugins = plugin_folder(tmp_path)
    run = cli("preannotate", str(root), "--plugin", "centroid-example", "--ray", ray_cluster, plugins=plugins)
    out, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    assert (
        f"pre-annotated 3 of 3 frames with centroid-example (detect3d, threshold 0, on Ray at {ray_cluster})"
        in out
    )
    assert "3/3" in err  # the progress bar
    run = cli("score", str(root), "--plugin", "centroid-example", "--mode", "tta", "--passes", "2",
              "--ray", ray_cluster, "--workers", "1", "--no-progress", plugins=plugins)  # fmt: skip
    out, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    assert "scored 3 of 3 frames" in out and "on Ray at" in out
    with Workspace.open(root) as workspace:
        assert workspace.stack.undo_label() == "Score 000002 (centroid-example, tta)"
        assert len(workspace.project.annotations) == 3


@pytest.mark.ray
def test_ctrl_c_cancels_cleanly_and_keeps_the_frames_stored(tmp_path, ray_cluster):
    root = tmp_path / "p"
    with Workspace.create(root) as workspace:
        names = ["a", "b", "hang", "d"]  # the faulty plugin sleeps for an hour on "hang"
        for name in names:
            (root / f"{name}.bin").write_bytes(b"\0" * 48)
        workspace.push(AddFrames([Frame(0, n, i, cloud=f"{n}.bin") for i, n in enumerate(names)]))
    run = cli("preannotate", str(root), "--plugin", "faulty-example", "--ray", ray_cluster, "--workers", "1",
              "--no-track", plugins=plugin_folder(tmp_path))  # fmt: skip
    deadline = time.monotonic() + 240
    with Workspace.open(root) as watcher:
        while len(watcher.project.annotations) < 2 and time.monotonic() < deadline and run.poll() is None:
            time.sleep(0.5)
            watcher.refresh_if_changed()
    run.send_signal(signal.SIGINT)
    _out, err = run.communicate(timeout=60)
    assert run.returncode == 130 and "annotator: interrupted" in err
    with Workspace.open(root) as workspace:
        stored = sorted(
            workspace.project.frames[a.frame_id].name for a in workspace.project.annotations.values()
        )
        assert stored == ["a", "b"]


def test_without_ray_nothing_changes_and_workers_alone_is_refused(tmp_path, capsys, monkeypatch):
    root = raised_points_project(tmp_path / "p", 2)
    monkeypatch.setenv("ANNOTATOR_PLUGIN_PATH", str(plugin_folder(tmp_path)))
    assert main(["preannotate", str(root), "--plugin", "centroid-example", "--workers", "2"]) == 1
    assert "--workers applies only with --ray" in capsys.readouterr().err
    assert (
        main(["preannotate", str(root), "--plugin", "centroid-example", "--no-progress", "--in-process"]) == 0
    )
    out = capsys.readouterr().out
    assert "pre-annotated 2 of 2 frames with centroid-example (detect3d, threshold 0)\n" in out
