"""Fixtures for GUI tests: private settings, small street projects, an opened main window."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QSettings
from window_support import show_window  # type: ignore[import-not-found]

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames, RemoveAnnotations
from annotator.core.model.records import Annotation
from annotator.io.frames import frames_from_files
from annotator.io.pointcloud import write_kitti_bin
from annotator.io.workspace import Workspace
from annotator.qt.app.settings import AppSettings
from annotator.qt.document import Document
from annotator.qt.frame_loader import FrameLoader

#: The cuboids of the generated street (frame 0): a car ahead-left, a pedestrian, a truck behind.
STREET_CUBOIDS = (
    ("Car", Cuboid((12.0, 4.0, -0.95), (4.2, 1.8, 1.5), math.radians(25.0))),
    ("Pedestrian", Cuboid((8.0, -3.0, -0.85), (0.8, 0.7, 1.75), math.radians(-60.0))),
    ("Truck", Cuboid((-15.0, 2.0, 0.0), (9.0, 2.5, 3.4), 0.0)),
)


def street_points(cuboids: list[Cuboid], count: int = 20_000, seed: int = 0) -> np.ndarray:
    """A LiDAR-like ring of ground points around the origin plus points on each cuboid: (N, 4) xyzi."""
    rng = np.random.default_rng(seed)
    per_box = count // 10
    ground = count - per_box * len(cuboids)
    angle = rng.uniform(0.0, 2.0 * np.pi, ground)
    radius = 3.0 + 45.0 * rng.random(ground) ** 1.5
    parts = [
        np.column_stack([radius * np.cos(angle), radius * np.sin(angle), rng.normal(-1.7, 0.02, ground)])
    ]
    for cuboid in cuboids:
        local = (rng.random((per_box, 3)) - 0.5) * np.asarray(cuboid.size) * 0.95
        parts.append(cuboid.box_to_world(local))
    xyz = np.concatenate(parts)
    intensity = rng.random(len(xyz))
    return np.column_stack([xyz, intensity]).astype(np.float32)


def make_street_project(root: Path, frames: int = 3, points: int = 20_000) -> Path:
    """A project in ``root/project`` with ``frames`` frames; frame 0 has the `STREET_CUBOIDS`."""
    root.mkdir(parents=True, exist_ok=True)
    files = []
    for k in range(frames):
        path = root / f"{k:06d}.bin"
        write_kitti_bin(path, street_points([c for _, c in STREET_CUBOIDS], points, seed=k))
        files.append(path)
    with Workspace.create(root / "project") as workspace:
        ids = workspace.push(AddFrames(frames_from_files(workspace.project, files))).ids
        workspace.push(
            AddAnnotations([Annotation(0, ids[0], name, cuboid=cuboid) for name, cuboid in STREET_CUBOIDS])
        )
    return root / "project"


@pytest.fixture
def settings(tmp_path: Path) -> AppSettings:
    """Application settings in a private ini file (never the user's)."""
    return AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def street_project(tmp_path: Path) -> Path:
    """A three-frame street project of 20k points per frame."""
    return make_street_project(tmp_path / "street")


@pytest.fixture
def unlabelled_street(tmp_path: Path) -> Path:
    """The street project without its boxes, for plugins to propose on (no proposal lands on a box)."""
    root = make_street_project(tmp_path / "street")
    with Workspace.open(root) as workspace:
        workspace.push(RemoveAnnotations(list(workspace.project.annotations)))
    return root


@pytest.fixture
def window(qtbot, settings: AppSettings, street_project: Path) -> Iterator:
    """The main window, shown at 1200x800, with the street project open and frame 0 drawn."""
    main = show_window(qtbot, settings, street_project)
    main.grid.render_all_now()
    yield main
    main.close()


@pytest.fixture
def document(qtbot, street_project: Path) -> Iterator[Document]:
    """A Document (no window) on the three-frame street project, frame 0 loaded."""
    loader = FrameLoader(threads=1)
    document = Document(loader)
    workspace = Workspace.open(street_project)
    document.open(workspace, wait=True)
    yield document
    document.close()
    workspace.close()
    loader.shutdown()
