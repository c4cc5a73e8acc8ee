"""View > Merged sweeps: the sweeps around the current one merged in the world frame, in its sensor frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6")

from window_support import show_window  # type: ignore[import-not-found]

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames, UpdateFrame
from annotator.core.model.records import Annotation
from annotator.core.pose import Pose
from annotator.io.frames import frames_from_files
from annotator.io.pointcloud import write_kitti_bin
from annotator.io.workspace import Workspace

FRAMES = 5
#: The ego drives 2 m per sweep along the world's x axis; a parked car stands at world (20, 6); a
#: car drives 3 m per sweep along y = -5 (1 m per sweep faster than the ego).
EGO_STEP, MOVER_STEP = 2.0, 3.0
PARKED = Cuboid((20.0, 6.0, -0.9), (4.0, 1.8, 1.5), 0.0)


def mover(k: int) -> Cuboid:
    return Cuboid((10.0 + MOVER_STEP * k, -5.0, -0.9), (4.0, 1.8, 1.5), 0.0)


def ego(k: int) -> Pose:
    return Pose((1.0, 0.0, 0.0, 0.0), (EGO_STEP * k, 0.0, 0.0))


def in_sensor(cuboid: Cuboid, k: int) -> Cuboid:
    x, y, z = cuboid.center
    return cuboid.replace(center=(x - EGO_STEP * k, y, z))


def sweep(k: int, rng: np.random.Generator) -> np.ndarray:
    """Frame k's points in its sensor frame: ground, and points on the two cars' surfaces."""
    angle = rng.uniform(0, 2 * np.pi, 6000)
    radius = 3.0 + 40.0 * rng.random(6000)
    ground = np.column_stack([radius * np.cos(angle), radius * np.sin(angle), np.full(6000, -1.65)])
    cars = [
        in_sensor(box, k).box_to_world((rng.random((800, 3)) - 0.5) * 0.9 * np.asarray(box.size))
        for box in (PARKED, mover(k))
    ]
    xyz = np.concatenate([ground, *cars])
    return np.column_stack([xyz, rng.random(len(xyz))]).astype(np.float32)


@pytest.fixture
def drive(tmp_path: Path) -> Path:
    rng = np.random.default_rng(3)
    files = []
    for k in range(FRAMES):
        files.append(tmp_path / f"{k:06d}.bin")
        write_kitti_bin(files[-1], sweep(k, rng))
    with Workspace.create(tmp_path / "project") as workspace:
        ids = workspace.push(AddFrames(frames_from_files(workspace.project, files))).ids
        for k, frame_id in enumerate(ids):
            workspace.push(UpdateFrame(frame_id, pose=ego(k)))
        boxes = [
            Annotation(0, frame_id, "Car", cuboid=in_sensor(box, k), track_id=track)
            for k, frame_id in enumerate(ids)
            for track, box in ((1, PARKED), (2, mover(k)))
        ]
        workspace.push(AddAnnotations(boxes))
    return tmp_path / "project"


def test_merged_sweeps_make_a_parked_car_dense_and_keep_a_moving_car_apart(qtbot, settings, drive) -> None:
    window = show_window(qtbot, settings, drive)
    window.step_frame(2)  # the middle sweep: two on each side
    qtbot.waitUntil(lambda: window.document.frame_position() == 2 and window.document.cloud is not None)
    single = window.document.cloud
    assert window.grid.shown_cloud is single

    window.actions["view.merged.2"].trigger()
    qtbot.waitUntil(lambda: window.grid.merged is not None, timeout=10_000)
    merged = window.merged.current
    assert merged.sweeps.sweep_count == FRAMES
    assert window.grid.perspective.scene.cloud is merged.cloud
    assert len(merged.cloud) > len(single)

    # The parked car: every sweep's points land on it, none beside it (no smear).
    parked = in_sensor(PARKED, 2)
    on_parked = merged.cloud.xyz[parked.points_inside(merged.cloud.xyz, margin=0.05)]
    assert len(on_parked) > 3 * len(single.inside(parked))
    around = parked.points_inside(merged.cloud.xyz, margin=1.5) & ~parked.points_inside(
        merged.cloud.xyz, 0.05
    )
    assert np.all(merged.cloud.xyz[around, 2] < -1.6)  # only ground beside it

    # The moving car: only the current sweep's points are merged; the other sweeps' are faded apart.
    origin = merged.sweeps.origin
    for k in range(FRAMES):
        seen_there = in_sensor(mover(k), 2).points_inside(merged.cloud.xyz, margin=0.05)
        above_ground = merged.cloud.xyz[:, 2] > -1.6
        assert not np.any(seen_there & above_ground & (origin != 0))
    faded = merged.faded.xyz
    assert int((faded[:, 2] > -1.6).sum()) == 4 * 800  # the moving car's points of the 4 other sweeps
    assert window.grid.perspective.scene.faded.count == len(faded)

    # An edit over merged sweeps draws the coarse sample (one sweep's worth) until the edits rest.
    window.document.select(next(a.id for a in window.document.cuboids() if a.track_id == 1))
    assert window.properties_panel.world_label.text() == "20.00, 6.00, -0.90 m · yaw 0.0°"  # the parked car
    window.actions["cuboid.move_forward"].trigger()
    assert window.grid.perspective.detail == "coarse"
    assert window.grid.perspective.scene.points.coarse.count == len(single)
    qtbot.waitUntil(lambda: window.grid.perspective.detail == "full", timeout=15_000)

    # Marked static, the moving car's points of every sweep are merged: nothing is faded any more.
    window.document.select(next(a.id for a in window.document.cuboids() if a.track_id == 2))
    window.actions["tracks.static"].trigger()
    qtbot.waitUntil(
        lambda: window.merged.current is not None and len(window.merged.current.sweeps.faded) == 0
    )

    window.actions["view.merged_toggle"].trigger()  # off again: the single sweep
    assert window.grid.merged is None
    assert window.grid.perspective.scene.cloud is single
    assert window.grid.perspective.scene.faded.count == 0
    assert window.actions["view.merged.0"].isChecked()
    window.close()


def test_merged_sweeps_follow_the_frame_and_need_poses(qtbot, settings, drive) -> None:
    window = show_window(qtbot, settings, drive)
    window.actions["view.merged_toggle"].trigger()  # on: 5 on each side, clipped to the sequence
    assert window.actions["view.merged.5"].isChecked()
    qtbot.waitUntil(lambda: window.grid.merged is not None, timeout=10_000)
    assert window.merged.current.sweeps.sweep_count == FRAMES
    window.merged.wait()  # the next frame's merge is built while this one is shown
    qtbot.wait(20)  # its result comes over a queued signal
    window.step_frame(1)
    assert window.document.frame_position() == 1
    assert window.merged.current is not None  # at once: it was prefetched
    frame = window.document.frame
    window.document.push(UpdateFrame(frame.id, pose=None))
    qtbot.waitUntil(lambda: window.grid.merged is None)
    assert "ego poses" in window.statusBar().currentMessage()
    window.close()


def test_a_neighbour_sweep_that_cannot_be_read_is_left_out_and_named(qtbot, settings, drive) -> None:
    (drive.parent / "000001.bin").write_bytes(b"\x00" * 7)  # not a whole number of KITTI points
    window = show_window(qtbot, settings, drive)
    window.actions["view.merged.2"].trigger()
    qtbot.waitUntil(lambda: window.grid.merged is not None, timeout=10_000)
    assert window.merged.current.sweeps.sweep_count == 2  # frames 0 and 2; frame 1 left out
    assert (
        "left out" in window.statusBar().currentMessage()
        and "000001.bin" in window.statusBar().currentMessage()
    )
    window.close()


def test_snapshot_draws_merged_sweeps_and_names_missing_poses(qtbot, drive, tmp_path) -> None:
    from annotator.qt.app.snapshot import SnapshotError, take_snapshot

    single = take_snapshot(drive, tmp_path / "one.png", frame=2, view="top", size=(320, 240), select="none")
    merged = take_snapshot(
        drive, tmp_path / "merged.png", frame=2, view="top", size=(320, 240), select="none", merged=2
    )
    assert merged.read_bytes() != single.read_bytes()
    with Workspace.open(drive) as workspace:
        for frame in workspace.project.frames_in_order():
            workspace.push(UpdateFrame(frame.id, pose=None))
    with pytest.raises(SnapshotError, match=r"no merged sweeps: .*ego poses"):
        take_snapshot(drive, tmp_path / "none.png", frame=2, view="top", size=(320, 240), merged=2)
