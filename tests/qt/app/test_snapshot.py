"""``annotator snapshot`` renders a project's frame headless: the window or one view, as a PNG."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PIL import Image

from annotator.cli import main
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.model.records import Annotation
from annotator.io.frames import frames_from_files
from annotator.io.workspace import Workspace
from annotator.render.style import DisplayOptions

BACKGROUND = DisplayOptions().background_rgb
VIEWS = ("perspective", "top", "side", "front")


def _foreground(pixels: np.ndarray) -> np.ndarray:
    return np.abs(pixels.astype(int) - BACKGROUND).max(axis=2) > 12


def _snapshot(directory: Path, out: Path, *args: str) -> np.ndarray:
    code = main(["snapshot", str(directory), "--out", str(out), *args])
    assert code == 0
    return np.asarray(Image.open(out).convert("RGB"))


def test_snapshot_of_one_view_has_the_asked_size_and_shows_points(
    street_project: Path, tmp_path: Path
) -> None:
    pixels = _snapshot(street_project, tmp_path / "top.png", "--view", "top", "--size", "320x240")
    assert pixels.shape == (240, 320, 3)
    assert _foreground(pixels).sum() > 1_000


def test_snapshot_of_the_window_includes_the_views(street_project: Path, tmp_path: Path, capsys) -> None:
    pixels = _snapshot(street_project, tmp_path / "window.png", "--size", "1200x800", "--frame", "0")
    assert pixels.shape == (800, 1200, 3)
    assert "wrote" in capsys.readouterr().out
    # the perspective view fills the middle of the window: it must show the cloud, not black
    middle = pixels[200:450, 400:800]
    assert _foreground(middle).mean() > 0.05
    assert (middle.reshape(-1, 3) == 0).all(axis=1).mean() < 0.5


def test_snapshot_reports_a_missing_frame(street_project: Path, tmp_path: Path, capsys) -> None:
    code = main(["snapshot", str(street_project), "--frame", "7", "--out", str(tmp_path / "x.png")])
    assert code == 1
    assert "frame 7 does not exist (the project has 3 frames" in capsys.readouterr().err


# -- the real KITTI frame -----------------------------------------------------------------------------
def _kitti_cuboids(training: Path) -> list[tuple[str, Cuboid]]:
    """The labelled objects of frame 000000 in LiDAR coordinates (via annotator.io.kitti when present)."""
    try:
        from annotator.io.kitti import cuboid_from_kitti, read_calib, read_labels
    except ImportError:
        return _kitti_cuboids_by_hand(training)
    calib = read_calib(training / "calib" / "000000.txt")
    return [
        (obj.type, cuboid_from_kitti(obj, calib))
        for obj in read_labels(training / "label_2" / "000000.txt")
        if obj.type != "DontCare"
    ]


def _kitti_cuboids_by_hand(training: Path) -> list[tuple[str, Cuboid]]:
    rows = dict(
        line.split(":", 1)
        for line in (training / "calib" / "000000.txt").read_text().splitlines()
        if ":" in line
    )
    r0 = np.eye(4)
    r0[:3, :3] = np.array(rows["R0_rect"].split(), dtype=float).reshape(3, 3)
    velo = np.eye(4)
    velo[:3] = np.array(rows["Tr_velo_to_cam"].split(), dtype=float).reshape(3, 4)
    rect_to_lidar = np.linalg.inv(r0 @ velo)
    cuboids = []
    for line in (training / "label_2" / "000000.txt").read_text().splitlines():
        fields = line.split()
        if not fields or fields[0] == "DontCare":
            continue
        h, w, length, x, y, z, rotation_y = (float(v) for v in fields[8:15])
        centre = rect_to_lidar @ np.array([x, y - h / 2.0, z, 1.0])
        cuboids.append((fields[0], Cuboid(tuple(centre[:3]), (length, w, h), -rotation_y - math.pi / 2.0)))
    return cuboids


@pytest.fixture
def kitti_project(shared_data: Path, tmp_path: Path) -> tuple[Path, list[tuple[str, Cuboid]]]:
    training = shared_data / "kitti_object" / "training"
    cuboids = _kitti_cuboids(training)
    with Workspace.create(tmp_path / "kitti") as workspace:
        frames = frames_from_files(workspace.project, [training / "velodyne" / "000000.bin"])
        frame_id = workspace.push(AddFrames(frames)).ids[0]
        workspace.push(AddAnnotations([Annotation(0, frame_id, name, cuboid=c) for name, c in cuboids]))
    return tmp_path / "kitti", cuboids


def test_snapshot_of_the_real_kitti_frame_shows_the_labelled_objects(kitti_project, tmp_path: Path) -> None:
    directory, cuboids = kitti_project
    assert cuboids, "the KITTI label has objects"
    name, cuboid = cuboids[0]
    assert name == "Pedestrian" and 5.0 < cuboid.center[0] < 12.0  # ahead of the car, in LiDAR metres
    selected = np.array([242, 157, 148])  # the Pedestrian colour brightened: the selected wireframe
    for view in VIEWS:
        pixels = _snapshot(directory, tmp_path / f"kitti_{view}.png", "--view", view, "--size", "480x360")
        assert _foreground(pixels).sum() > 3_000, f"{view} view is (nearly) empty"
        wire = np.abs(pixels.astype(int) - selected).max(axis=2) < 25
        assert wire.sum() > 40, f"the selected pedestrian's box is not visible in the {view} view"
        if view != "perspective":  # centred on the selection
            rows, cols = np.nonzero(wire)
            assert abs(cols.mean() - 240) < 60 and abs(rows.mean() - 180) < 60, view


def test_the_window_snapshots_status_bar_counts_the_points_its_picture_draws(
    tmp_path: Path, monkeypatch
) -> None:
    """The full detail of a large frame (the demo's 128k points: drawn progressively in the window) is drawn
    before the picture is taken, and the status bar says so (in the window it counts the points drawn a
    moment after the renders)."""
    from annotator.qt.app import snapshot

    assert main(["demo", str(tmp_path / "demo"), "--frames", "1", "--no-gui"]) == 0
    texts = []
    compose = snapshot.compose_window

    def composed(window, views):
        texts.append(window.points_label.text())
        return compose(window, views)

    monkeypatch.setattr(snapshot, "compose_window", composed)
    _snapshot(tmp_path / "demo", tmp_path / "window.png", "--size", "1200x800")
    assert len(texts) == 1 and texts[0].endswith(" points") and "drawing" not in texts[0]
