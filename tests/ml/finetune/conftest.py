"""Fixtures for the fine-tuning tests: tiny projects of raised points whose labelled box is their extent grown by
``MARGIN`` on every side (what the centroid example plugin learns as its padding)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames, SetFrameStatus
from annotator.core.model.records import Annotation, Frame, FrameStatus
from annotator.io.workspace import Workspace

EXAMPLES = Path(__file__).parents[1] / "example_plugins"
PLUGIN = "centroid-example"
MARGIN = 0.5
#: Raised points of every frame (shifted 10 m along x per frame): extent 4 x 4 x 1 m.
POINTS = np.array([[0, 0, 1, 0], [2, 2, 1, 0], [4, 4, 2, 0]], dtype=np.float32)


@pytest.fixture
def plugin_folder(tmp_path: Path, monkeypatch) -> Path:
    """The centroid example as a drop-in plugin folder, also on ``$ANNOTATOR_PLUGIN_PATH`` (child processes
    and the CLI find it there)."""
    folder = tmp_path / "plugins"
    shutil.copytree(EXAMPLES / "centroid", folder / "centroid")
    monkeypatch.setenv("ANNOTATOR_PLUGIN_PATH", str(folder))
    return folder


@pytest.fixture
def tiny_project():
    """The `make_project` function."""
    return make_project


def labelled_box(shift: float) -> Cuboid:
    """The label of the frame shifted by ``shift`` metres."""
    return Cuboid((2 + shift, 2, 1.5), (4 + 2 * MARGIN, 4 + 2 * MARGIN, 1 + 2 * MARGIN), 0.0)


def make_project(root: Path, frames: int, verified: int, label_unverified: bool = True) -> Workspace:
    """A project of ``frames`` frames; the first ``verified`` are labelled and marked verified, the others
    labelled too when ``label_unverified``."""
    workspace = Workspace.create(root)
    for index in range(frames):
        points = POINTS.copy()
        points[:, 0] += 10 * index
        points.tofile(root / f"f{index}.bin")
        frame_id = workspace.push(AddFrames([Frame(0, f"f{index}", index, cloud=f"f{index}.bin")])).ids[0]
        if index < verified or label_unverified:
            workspace.push(
                AddAnnotations([Annotation(0, frame_id, "Object", cuboid=labelled_box(10 * index))])
            )
        if index < verified:
            workspace.push(SetFrameStatus(frame_id, FrameStatus.VERIFIED))
    return workspace
