"""`annotator preannotate|score|export --ray ADDRESS`: the CLI joins a Ray cluster; without --ray nothing changes."""

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
from annotator.testing.export_project import PLAIN, labelled_project

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
        # Ctrl+C must reach the CLI even when pytest runs in the background (SIGINT ignored, inherited)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
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


def export_cli(root: Path, out: Path, *extra: str) -> subprocess.Popen:
    return cli("export", str(root), "--format", "yolo", "--out", str(out), *extra, plugins=Path("."))


@pytest.mark.ray
def test_export_joins_a_cluster_and_writes_what_the_serial_export_writes(tmp_path, ray_cluster):
    root = labelled_project(tmp_path / "p", 3)
    serial, on_ray = tmp_path / "serial", tmp_path / "on_ray"
    run = export_cli(root, on_ray, "--ray", ray_cluster, "--workers", "2")
    out, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    assert f"exported    3 frames as yolo to {on_ray}, on Ray at {ray_cluster}" in out
    assert "3/3" in err  # the progress bar
    assert main(["export", str(root), "--format", "yolo", "--out", str(serial), "--no-progress"]) == 0
    written = sorted(p.relative_to(serial) for p in serial.rglob("*.txt"))
    assert len(written) == 7  # classes.txt and one label file per camera image
    for name in written:
        assert (on_ray / name).read_bytes() == (serial / name).read_bytes()


@pytest.mark.ray
def test_ctrl_c_during_an_export_on_ray_leaves_no_half_written_file(tmp_path, ray_cluster):
    root = labelled_project(tmp_path / "p", 4)
    hanging = root / PLAIN / "000002.png"
    hanging.unlink()
    os.mkfifo(hanging)  # reading the image's size blocks the task for good
    out = tmp_path / "out"
    run = export_cli(root, out, "--ray", ray_cluster, "--workers", "1")
    done = out / PLAIN / "labels" / "000001.txt"
    deadline = time.monotonic() + 240
    while not done.exists() and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.2)
    assert done.exists(), run.communicate(timeout=10)
    run.send_signal(signal.SIGINT)
    _out, err = run.communicate(timeout=60)
    assert run.returncode == 130 and "annotator: interrupted" in err
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    assert not (out / "classes.txt").exists() and not (out / PLAIN / "labels" / "000002.txt").exists()


def test_export_with_an_unreachable_cluster_is_one_line_at_once(tmp_path):
    root = labelled_project(tmp_path / "p", 1)
    started = time.monotonic()
    run = export_cli(root, tmp_path / "out", "--ray", "127.0.0.1:1")
    out, err = run.communicate(timeout=60)
    assert run.returncode == 1 and not out
    assert err.startswith("annotator: error: cannot reach the Ray cluster at 127.0.0.1:1: ")
    assert err.count("\n") == 1 and time.monotonic() - started < 20  # the check itself gives up in 5 s
    assert not (tmp_path / "out").exists()
