"""`annotator fit`: every cuboid of the chosen frames fitted, one undoable step per frame, boxes with too
few points left alone and reported."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np

from annotator.cli import main
from annotator.cli.io_commands import EXIT_PARTIAL
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.core.cuboids.rotation import wrap_angle
from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.model.records import Annotation
from annotator.core.pose import Pose
from annotator.core.world import from_world
from annotator.io.frames import frames_from_files
from annotator.io.pointcloud import write_kitti_bin
from annotator.io.workspace import Workspace
from tests.core.test_partial_fit import perturbed
from tests.core.test_track_sweeps import parked_car_sweeps

CAR = Cuboid((12.0, 3.0, -0.95), (4.2, 1.8, 1.5), math.radians(25.0))
VAN = Cuboid((9.0, -4.0, -0.6), (5.0, 2.0, 2.2), math.radians(-10.0))


def cloud(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    ground = np.column_stack([rng.uniform(-30, 30, (8000, 2)), rng.normal(-1.7, 0.01, 8000)])
    parts = [ground]
    for box in (CAR, VAN):
        local = rng.uniform(-0.5, 0.5, (1500, 3)) * np.asarray(box.size) * 0.95
        local[:, 2] = rng.uniform(-0.35, 0.48, 1500) * box.size[2]
        parts.append(box.box_to_world(local))
    xyz = np.concatenate(parts)
    return np.column_stack([xyz, np.zeros(len(xyz))]).astype(np.float32)


def make_project(root: Path) -> Path:
    root.mkdir(parents=True)
    files = []
    for k in range(3):
        files.append(root / f"{k:06d}.bin")
        write_kitti_bin(files[-1], cloud(k))
    loose_car = CAR.replace(size=(5.0, 2.6, 1.8), yaw=CAR.yaw + 0.15)
    nowhere = Cuboid((-20.0, 15.0, -1.0), (4.0, 1.8, 1.5))  # no points
    with Workspace.create(root / "project") as workspace:
        ids = workspace.push(AddFrames(frames_from_files(workspace.project, files))).ids
        annotations = [
            Annotation(0, frame_id, name, cuboid=box)
            for frame_id in ids
            for name, box in (("Car", loose_car), ("Van", VAN), ("Car", nowhere))
        ]
        workspace.push(AddAnnotations(annotations))
    return root / "project"


def test_fit_fits_selected_frames_and_classes_one_step_per_frame(tmp_path, capsys) -> None:
    project = make_project(tmp_path / "data")
    code = main(["fit", str(project), "--frames", "0-1", "--classes", "Car", "--no-progress"])
    out, err = capsys.readouterr()
    assert code == EXIT_PARTIAL  # the empty box was left alone
    assert "fitted      2 of 4 cuboids in 2 frames" in out
    assert err.count("left alone") == 2 and "0 object points" in err
    with Workspace.open(project) as workspace:
        frames = workspace.project.frames_in_order()
        labels = [e.label for e in workspace.stack.entries]
        assert labels[-2:] == [
            f"Fit 1 cuboid in frame {frames[0].name}",
            f"Fit 1 cuboid in frame {frames[1].name}",
        ]
        for frame, fitted in zip(frames, (True, True, False)):
            car, van, empty = workspace.project.annotations_of(frame.id)
            assert (bev_iou(car.cuboid, CAR) > 0.85) == fitted
            assert abs(car.cuboid.yaw - CAR.yaw) < math.radians(3.0) or not fitted
            assert car.cuboid.z_range()[0] > -1.75 or not fitted  # never into the ground
            assert van.cuboid == VAN  # another class: untouched
            assert empty.cuboid.center == (-20.0, 15.0, -1.0)
        workspace.stack.undo()  # the project's history takes back one frame's fit
        car = workspace.project.annotations_of(frames[1].id)[0]
        assert car.cuboid.size == (5.0, 2.6, 1.8)


def test_fit_reports_a_bad_selection_and_an_unreadable_cloud(tmp_path, capsys) -> None:
    project = make_project(tmp_path / "data")
    assert main(["fit", str(project), "--frames", "7"]) == 1
    assert "outside 0-2" in capsys.readouterr().err
    (tmp_path / "data" / "000002.bin").write_bytes(b"\x00" * 7)
    code = main(["fit", str(project), "--frames", "2", "--no-progress", "--min-points", "1"])
    out, err = capsys.readouterr()
    assert code == EXIT_PARTIAL
    assert "frame 000002" in err and "000002.bin" in err
    assert "skipped     1 frames" in out


def test_fit_keeps_good_boxes_of_a_real_scene(tmp_path, capsys, shared_data) -> None:
    scene = shared_data / "sustechpoints_example"
    project = tmp_path / "sustech"
    assert main(["import", str(project), str(scene), "--format", "sustech"]) == 0
    with Workspace.open(project) as workspace:
        before = {a.id: a.cuboid for a in workspace.project.annotations.values() if a.class_name == "Car"}
    code = main(["fit", str(project), "--classes", "Car", "--no-progress"])
    out, _ = capsys.readouterr()
    assert code in (0, EXIT_PARTIAL) and "fitted" in out
    with Workspace.open(project) as workspace:
        after = {i: workspace.project.annotations[i].cuboid for i in before}
    ious = [bev_iou(before[i], after[i]) for i in before]
    assert len(ious) >= 20 and float(np.mean(ious)) >= 0.95  # labelled boxes are not made worse


def test_fit_points_a_travelling_tracks_box_along_its_world_motion(tmp_path, capsys) -> None:
    """Five posed frames: the ego drives along x and turns while a car drives along the world's y axis;
    the middle frame's box was drawn the wrong way round and 10 degrees off. The fit takes the heading of
    the track's motion (a scan cannot tell front from back), refined by the L-shape."""
    poses = [Pose((math.cos(0.05 * k), 0.0, 0.0, math.sin(0.05 * k)), (3.0 * k, 0.0, 1.7)) for k in range(5)]
    rng = np.random.default_rng(3)
    files, truths = [], []
    for k, pose in enumerate(poses):
        truth = from_world(Cuboid((25.0, -8.0 + 2.0 * k, 0.75), (4.4, 1.8, 1.5), math.pi / 2), pose)
        ground = np.column_stack([rng.uniform(-30, 40, (6000, 2)), np.full(6000, -1.7)])
        local = rng.uniform(-0.5, 0.5, (1200, 3)) * np.asarray(truth.size)
        body = truth.box_to_world(local)
        xyz = np.concatenate([ground, body])
        files.append(tmp_path / f"{k:06d}.bin")
        write_kitti_bin(files[-1], np.column_stack([xyz, np.zeros(len(xyz))]).astype(np.float32))
        truths.append(truth)
    root = tmp_path / "project"
    with Workspace.create(root) as workspace:
        frames = [
            dataclasses.replace(f, pose=p) for f, p in zip(frames_from_files(workspace.project, files), poses)
        ]
        ids = workspace.push(AddFrames(frames)).ids
        first = workspace.push(AddAnnotations([Annotation(0, ids[0], "Car", cuboid=truths[0])]))
        track = workspace.project.annotations[first.ids[0]].track_id
        wrong = truths[2].replace(yaw=truths[2].yaw + math.pi + math.radians(10.0))
        boxes = [truths[1], wrong, truths[3], truths[4]]
        workspace.push(
            AddAnnotations(
                [Annotation(0, i, "Car", track_id=track, cuboid=b) for i, b in zip(ids[1:], boxes)]
            )
        )
    assert main(["fit", str(root), "--frames", "2", "--no-progress"]) == 0
    capsys.readouterr()
    with Workspace.open(root) as workspace:
        fitted = workspace.project.annotations_of(workspace.project.frames_in_order()[2].id)[0].cuboid
    assert abs(wrap_angle(fitted.yaw - truths[2].yaw)) < math.radians(2.0)  # forwards, along its travel
    assert bev_iou(fitted, truths[2]) > 0.85


def test_fit_size_classes_give_a_van_labelled_car_the_vans_length(tmp_path, capsys) -> None:
    """A van seen from behind (its whole width, none of its length) labelled Car: with --size-classes its
    width, beyond a car's, chooses the Van class size for the hidden length."""
    van = Cuboid((15.0, 0.5, -0.65), (5.1, 2.1, 2.1), math.radians(2.0))
    back = van.box_to_world(
        np.array([[-2.55, y, z] for y in np.arange(-1.05, 1.06, 0.05) for z in np.arange(-0.75, 0.95, 0.1)])
    )
    rng = np.random.default_rng(4)
    ground = np.column_stack([rng.uniform((0, -10), (30, 10), (8000, 2)), np.full(8000, -1.7)])
    xyz = np.concatenate([ground, back])
    files = [tmp_path / "000000.bin"]
    write_kitti_bin(files[0], np.column_stack([xyz, np.zeros(len(xyz))]).astype(np.float32))
    lengths = []
    for name, flags in (("plain", []), ("classes", ["--size-classes"])):
        root = tmp_path / name
        with Workspace.create(root) as workspace:
            ids = workspace.push(AddFrames(frames_from_files(workspace.project, files))).ids
            rough = van.replace(center=(14.2, 0.4, -0.6), size=(4.4, 2.3, 2.0))  # its back 0.45 m off
            workspace.push(AddAnnotations([Annotation(0, ids[0], "Car", cuboid=rough)]))
        assert main(["fit", str(root), "--no-progress", *flags]) == 0
        with Workspace.open(root) as workspace:
            lengths.append(next(iter(workspace.project.annotations.values())).cuboid.size[0])
    capsys.readouterr()
    assert lengths[0] < 4.2  # the Car class's 3.9 m
    assert abs(lengths[1] - 5.0) < 0.05  # the Van class's length, away from the sensor


def parked_car_project(root: Path) -> tuple[Path, Cuboid]:
    """Four posed frames of a parked car far ahead (`parked_car_sweeps`), one track: the second frame
    sees only its sparse back and holds a rough box (returned with the truth), the others its flank too."""
    current, others = parked_car_sweeps()
    sweeps = [others[0][1], current, others[1][1], others[2][1]]  # ego at x = -12, 0, 12, 24
    root.mkdir(parents=True)
    files = []
    for k, sweep in enumerate(sweeps):
        files.append(root / f"{k:06d}.bin")
        write_kitti_bin(
            files[-1], np.column_stack([sweep.points, np.zeros(len(sweep.points))]).astype(np.float32)
        )
    with Workspace.create(root / "project") as workspace:
        frames = [
            dataclasses.replace(f, pose=s.pose)
            for f, s in zip(frames_from_files(workspace.project, files), sweeps)
        ]
        ids = workspace.push(AddFrames(frames)).ids
        first = workspace.push(AddAnnotations([Annotation(0, ids[0], "Car", cuboid=sweeps[0].box)]))
        track = workspace.project.annotations[first.ids[0]].track_id
        boxes = [perturbed(current.box), sweeps[2].box, sweeps[3].box]
        workspace.push(
            AddAnnotations(
                [Annotation(0, i, "Car", track_id=track, cuboid=b) for i, b in zip(ids[1:], boxes)]
            )
        )
    return root / "project", current.box


def test_fit_takes_a_sparse_parked_cars_points_from_its_tracks_neighbouring_frames(tmp_path, capsys) -> None:
    """The parked car's rough box comes back along the car with its track's neighbouring frames; with
    ``--sweeps 0`` (its own frame's sparse back only) it does not."""
    results = {}
    for reach in (0, 3):
        root, truth = parked_car_project(tmp_path / f"sweeps{reach}")
        main(["fit", str(root), "--frames", "1", "--sweeps", str(reach), "--no-progress"])
        capsys.readouterr()
        with Workspace.open(root) as workspace:
            results[reach] = workspace.project.annotations_of(workspace.project.frames_in_order()[1].id)[
                0
            ].cuboid
    assert bev_iou(results[0], truth) < 0.7
    assert bev_iou(results[3], truth) > 0.85


def test_fit_refuses_a_negative_sweep_reach(tmp_path, capsys) -> None:
    root, _ = parked_car_project(tmp_path / "project")
    assert main(["fit", str(root), "--sweeps", "-1", "--no-progress"]) != 0
    assert "--sweeps must be 0 or more" in capsys.readouterr().err


def one_frame_project(root: Path, points: np.ndarray, boxes: list[Cuboid]) -> Path:
    """A project of one frame: ``points`` on a flat ground, and a Car box each of ``boxes``."""
    xy = np.stack(np.meshgrid(np.arange(0.0, 40.0, 0.5), np.arange(-8.0, 16.0, 0.5)), -1).reshape(-1, 2)
    cloud = np.vstack([points, np.column_stack([xy, np.zeros(len(xy))])])
    root.mkdir(parents=True)
    write_kitti_bin(root / "000000.bin", np.column_stack([cloud, np.zeros(len(cloud))]).astype(np.float32))
    with Workspace.create(root / "project") as workspace:
        frame = workspace.push(AddFrames(frames_from_files(workspace.project, [root / "000000.bin"]))).ids[0]
        workspace.push(AddAnnotations([Annotation(0, frame, "Car", cuboid=b) for b in boxes]))
    return root / "project"


def parked_row_project(root: Path) -> tuple[Path, Cuboid]:
    """One frame of two cars parked bumper to bumper ahead-left (`tests.core.test_scene_heading.row`):
    the near one seen densely, with its true box, the far one seen as a round patch of 40 points,
    with a rough box turned 0.2 rad (returned with the far car's truth)."""
    from tests.core.test_scene_heading import CAR, row

    dense, sparse, points = row(np.random.default_rng(6))
    rough = sparse.replace(yaw=0.2, size=tuple(1.2 * s for s in CAR))
    return one_frame_project(root, points, [dense, rough]), sparse


def test_fit_turns_a_sparse_car_along_the_dense_car_parked_in_its_row(tmp_path, capsys) -> None:
    root, truth = parked_row_project(tmp_path / "row")
    main(["fit", str(root), "--no-progress"])
    capsys.readouterr()
    with Workspace.open(root) as workspace:
        boxes = workspace.project.annotations_of(workspace.project.frames_in_order()[0].id)
    far = max((a.cuboid for a in boxes), key=lambda c: c.center[0])
    assert abs(wrap_angle(far.yaw - truth.yaw)) < math.radians(2.0)
