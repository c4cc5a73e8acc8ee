"""Fixtures for label-format tests: small in-memory projects, an image file, export-then-read."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from annotator.core.camera import CameraCalibration
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.model.commands import UndoStack
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame
from annotator.io.formats.base import Dataset
from annotator.io.formats.export import ExportReport, export_project
from annotator.io.importers import read_source

IMAGE_SIZE = (640, 480)


def kitti_like_camera(name: str = "image_2", width: int = 1242, height: int = 375) -> CameraCalibration:
    """A KITTI-like camera: the usual axis swap, a slight tilt (like R0_rect) and an offset."""
    angle = 0.01
    tilt = np.array([[1, 0, 0], [0, np.cos(angle), -np.sin(angle)], [0, np.sin(angle), np.cos(angle)]])
    extrinsic = np.eye(4)
    extrinsic[:3, :3] = tilt @ np.array([[0.0, -1.0, 0.0], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0]])
    extrinsic[:3, 3] = (-0.02, -0.06, -0.27)
    projection = [[721.5, 0.0, 609.6, 44.9], [0.0, 721.5, 172.9, 0.2], [0.0, 0.0, 1.0, 0.003]]
    return CameraCalibration(name, projection, extrinsic, width, height)


def make_project(
    frames: Sequence[Frame], annotations: Sequence[Sequence[Annotation]], root: Path | None = None
) -> Project:
    """A project (in memory) with ``frames`` and, per frame, its annotations (their frame ids are set)."""
    project = Project(root)
    stack = UndoStack(project)
    added = stack.push(AddFrames(frames))
    records = [
        dataclasses.replace(a, frame_id=frame_id)
        for frame_id, group in zip(added.ids, annotations)
        for a in group
    ]
    if records:
        stack.push(AddAnnotations(records))
    return project


def cuboid_annotation(cuboid: Cuboid, class_name: str = "Car", track_id: int | None = None) -> Annotation:
    """A cuboid annotation (frame id filled in by `make_project`)."""
    return Annotation(0, 0, class_name, track_id, cuboid=cuboid)


@pytest.fixture(scope="session")
def image_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 640 x 480 PNG."""
    from PIL import Image

    path = tmp_path_factory.mktemp("images") / "frame.png"
    Image.new("RGB", IMAGE_SIZE).save(path)
    return path


RoundTrip = Callable[..., tuple[ExportReport, Dataset]]


@pytest.fixture(scope="session")
def round_trip() -> RoundTrip:
    """``round_trip(project, format_id, out, **options)``: export, then read the export back."""

    def run(project: Project, format_id: str, out: Path, **options: str) -> tuple[ExportReport, Dataset]:
        report = export_project(project, format_id, out, options=options)
        assert not report.skipped, report.skipped
        return report, read_source(format_id, out, options)

    return run


@pytest.fixture(scope="session")
def project_of() -> Callable[..., Project]:
    """`make_project` as a fixture."""
    return make_project


@pytest.fixture(scope="session")
def kitti_camera() -> CameraCalibration:
    """`kitti_like_camera()`."""
    return kitti_like_camera()


@pytest.fixture(scope="session")
def cuboid_of() -> Callable[..., Annotation]:
    """`cuboid_annotation` as a fixture."""
    return cuboid_annotation
