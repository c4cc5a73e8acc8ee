"""``annotator derive-2d``: derived 2D boxes against a generated scene's truth and the real KITTI frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from annotator.cli import main
from annotator.core.box2d import Box2D
from annotator.core.derived_links import is_derived
from annotator.core.edits import AddAnnotations
from annotator.core.model.records import Annotation
from annotator.io.kitti import read_labels
from annotator.io.workspace import Workspace
from annotator.synth import CameraConfig, LidarConfig, SceneConfig, load_ground_truth, write_kitti_dataset
from annotator.synth.camera import camera_rays, make_calibration, pixel_bounds, pixel_rect_rays
from annotator.synth.raycast import cast_rays
from annotator.synth.scene import Scene

CONFIG = SceneConfig(
    seed=7, n_frames=1, lidar=LidarConfig(beams=32, azimuth_step=0.4), camera=CameraConfig(render_scale=0.25)
)


@pytest.fixture(scope="module")
def synth_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A generated KITTI frame imported into a project, with 2D boxes derived by the CLI."""
    root = tmp_path_factory.mktemp("derive")
    write_kitti_dataset(CONFIG, root / "kitti")
    assert main(["import", str(root / "project"), "-f", "kitti", str(root / "kitti")]) == 0
    assert main(["derive-2d", str(root / "project")]) == 0
    return root / "project", root / "kitti"


def _boxes(project_dir: Path) -> tuple[list, list]:
    with Workspace.open(project_dir) as workspace:
        project = workspace.project
        frame = project.frames_in_order()[0]
        return project.annotations_of(frame.id, "cuboid"), project.annotations_of(frame.id, "box2d")


def _best(box: Box2D, others: list[Box2D]) -> float:
    return max((box.iou(other) for other in others), default=0.0)


def test_derived_boxes_match_the_generators_ground_truth_boxes(synth_project) -> None:
    project_dir, kitti = synth_project
    cuboids, boxes = _boxes(project_dir)
    assert len(boxes) >= 5 and all(is_derived(b) and b.camera == "image_2" for b in boxes)
    assert {b.track_id for b in boxes} <= {c.track_id for c in cuboids}
    truth = load_ground_truth(kitti / "ground_truth.json")["000000"]
    unoccluded = [o.box2d for o in truth if o.box2d is not None and o.occlusion == 0 and o.num_points >= 5]
    ious = [_best(gt, [b.box2d for b in boxes]) for gt in unoccluded]
    print("derived vs ground-truth IoU (unoccluded):", [round(v, 3) for v in ious])
    assert len(ious) >= 3 and min(ious) >= 0.9


def _silhouettes(config: SceneConfig, scale: int = 2) -> list[Box2D]:
    """Pixel boxes of what the renderer's camera rays hit of each object (at 1/scale resolution)."""
    scene = Scene(config)
    state = scene.state(0)
    camera = make_calibration(config.camera, np.random.default_rng([config.seed, 1])).camera(
        "P2", config.camera.width, config.camera.height
    )
    width, height = camera.width // scale, camera.height // scale
    centre, directions = camera_rays(camera, width, height)
    pose = state.lidar_pose
    origin = pose[:3, :3] @ centre + pose[:3, 3]
    world = directions @ pose[:3, :3].T.astype(np.float32)
    prims = state.primitives
    corners = (prims.corners() - pose[:3, 3]) @ pose[:3, :3]
    candidates = pixel_rect_rays(pixel_bounds(corners, camera), (scale, scale), width, height)
    hits = cast_rays(origin, world, prims, candidates, scene.ground, 400.0)
    result = []
    for obj in state.objects:
        hit = (hits.target >= obj.primitives.start) & (hits.target < obj.primitives.stop)
        if hit.sum() < 20:
            continue
        rows, cols = np.divmod(np.flatnonzero(hit), width)
        result.append(
            Box2D(cols.min() * scale, rows.min() * scale, (cols.max() + 1) * scale, (rows.max() + 1) * scale)
        )
    return result


def test_projected_cuboids_fall_on_the_rendered_objects(synth_project) -> None:
    project_dir, _ = synth_project
    with Workspace.open(project_dir) as workspace:
        frame = workspace.project.frames_in_order()[0]
        camera = frame.cameras["image_2"]
        cuboids = workspace.project.annotations_of(frame.id, "cuboid")
    silhouettes = _silhouettes(CONFIG)
    considered = matched = 0
    for annotation in cuboids:
        corners, _ = camera.project(annotation.cuboid.corners())
        projected = Box2D(*corners.min(axis=0), *corners.max(axis=0)).clipped(camera.width, camera.height)
        if projected is None or projected.area < 400:
            continue
        considered += 1
        # the object as rendered lies inside its projected cuboid (2 px of rounding) and fills much of it
        inside = [
            s
            for s in silhouettes
            if s.x1 >= projected.x1 - 2
            and s.x2 <= projected.x2 + 2
            and s.y1 >= projected.y1 - 2
            and s.y2 <= projected.y2 + 2
        ]
        matched += any(projected.iou(s) >= 0.6 for s in inside)
    print(f"projected cuboids on their rendered object: {matched} of {considered}")
    assert matched >= 5 and matched >= 0.6 * considered


def test_rederiving_replaces_only_derived_boxes_and_is_one_undo_step(synth_project, tmp_path, capsys) -> None:
    project_dir, _ = synth_project
    _, first = _boxes(project_dir)
    assert main(["derive-2d", str(project_dir), "--frames", "0", "--camera", "image_2"]) == 0
    out = capsys.readouterr().out
    assert f"derived     {len(first)} 2D boxes ({len(first)} earlier derived boxes replaced)" in out
    assert len(_boxes(project_dir)[1]) == len(first)
    with Workspace.open(project_dir) as workspace:
        assert workspace.stack.undo_label() == "Derive 2D boxes"


def test_unknown_camera_is_an_error_naming_the_cameras(synth_project, capsys) -> None:
    project_dir, _ = synth_project
    assert main(["derive-2d", str(project_dir), "--camera", "rear"]) == 1
    assert "no calibrated camera 'rear'" in capsys.readouterr().err


def test_kitti_ground_truth_cuboids_overlap_the_label_files_2d_boxes(shared_data, tmp_path, capsys) -> None:
    training = shared_data / "kitti_object" / "training"
    project_dir = tmp_path / "kitti"
    assert main(["import", str(project_dir), "-f", "kitti", str(training)]) == 0
    assert main(["derive-2d", str(project_dir)]) == 0
    _, boxes = _boxes(project_dir)
    labelled = [
        Box2D(*o.bbox) for o in read_labels(training / "label_2" / "000000.txt") if o.type != "DontCare"
    ]
    ious = [_best(box, [b.box2d for b in boxes]) for box in labelled]
    with capsys.disabled():
        print(f"\nKITTI 000000: derived box vs label bbox IoU {[round(v, 3) for v in ious]}")
    assert len(boxes) == len(labelled) and min(ious) >= 0.6


@pytest.mark.parametrize("format_id", ["coco", "yolo", "voc"])
def test_2d_formats_export_and_import_derived_and_manual_boxes(synth_project, tmp_path, format_id) -> None:
    project_dir, _ = synth_project
    with Workspace.open(project_dir) as workspace:
        frame = workspace.project.frames_in_order()[0]
        manual = Annotation(0, frame.id, "Pedestrian", box2d=Box2D(10, 20, 60, 140), camera="image_2")
        workspace.push(AddAnnotations([manual]))
    try:
        _, boxes = _boxes(project_dir)
        assert (
            main(
                ["export", str(project_dir), "-f", format_id, "--out", str(tmp_path / "out"), "--no-progress"]
            )
            == 0
        )
        assert main(["import", str(tmp_path / "again"), "-f", format_id, str(tmp_path / "out")]) == 0
        _, back = _boxes(tmp_path / "again")
        assert len(back) == len(boxes)
        for box in boxes:  # VOC keeps whole pixels
            assert min(np.abs(box.box2d.to_array() - b.box2d.to_array()).max() for b in back) <= 0.51
    finally:
        with Workspace.open(project_dir) as workspace:
            workspace.stack.undo()
