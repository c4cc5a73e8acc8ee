"""Ego poses and boxes through `annotator export` and `annotator import` in every format that carries poses."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from annotator.cli import main
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.model.records import Annotation, Frame
from annotator.core.pose import Pose
from annotator.io.workspace import Workspace

BOX = Cuboid((14.0, 3.5, -0.9), (4.2, 1.8, 1.5), -0.4)


def ego(k: int) -> Pose:
    yaw = 1.1 + 0.03 * k
    return Pose((math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)), (812.5 + 2.0 * k, 4410.25 - 1.0 * k, 31.5))


@pytest.mark.parametrize(
    ("format_id", "export_options", "import_options"),
    [
        ("sustech", [], []),
        ("nuscenes", ["-o", "boxes=world"], ["-o", "boxes=world"]),
        ("kitti", ["-o", "calib=synthetic"], []),
        ("openlabel", ["-o", "boxes=world"], []),
    ],
)
def test_poses_and_boxes_survive_export_and_import(
    tmp_path: Path, format_id, export_options, import_options
) -> None:
    with Workspace.create(tmp_path / "source") as workspace:
        ids = workspace.push(AddFrames([Frame(0, f"{k:06d}", k, pose=ego(k)) for k in range(3)])).ids
        workspace.push(AddAnnotations([Annotation(0, i, "Car", track_id=1, cuboid=BOX) for i in ids]))
    out = tmp_path / "out"
    assert (
        main(["export", str(tmp_path / "source"), "--format", format_id, "--out", str(out), *export_options])
        == 0
    )
    source = out / "openlabel.json" if format_id == "openlabel" else out
    assert main(["import", str(tmp_path / "copy"), str(source), "--format", format_id, *import_options]) == 0
    with Workspace.open(tmp_path / "copy") as workspace:
        frames = workspace.project.frames_in_order()
        assert [f.name for f in frames] == ["000000", "000001", "000002"]
        for k, frame in enumerate(frames):
            assert frame.pose is not None and frame.pose.matrix == pytest.approx(ego(k).matrix, abs=1e-6)
            # boxes as exact as the format writes them (KITTI: rotation_y to 0.01 rad)
            (box,) = [a.cuboid for a in workspace.project.annotations_of(frame.id, "cuboid")]
            assert box.center == pytest.approx(BOX.center, abs=1e-3) and box.yaw == pytest.approx(
                BOX.yaw, abs=1e-3
            )
