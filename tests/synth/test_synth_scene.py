"""Generated scenes: objects stand on the ground, never intersect, move consistently, keep their ids."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_intersection_area, iou_3d
from annotator.synth import DEFAULT_CLASSES, SceneConfig, iter_frames
from annotator.synth.lidar import LidarConfig, scan
from annotator.synth.primitives import FACADE
from annotator.synth.scene import Scene

FRAMES = (0, 7, 15)


def world_bottom(cuboid: Cuboid, lidar_pose: np.ndarray) -> np.ndarray:
    """World position of a LiDAR-frame cuboid's bottom centre."""
    bottom = np.asarray(cuboid.center) - cuboid.rotation[:, 2] * cuboid.size[2] / 2
    return lidar_pose[:3, :3] @ bottom + lidar_pose[:3, 3]


@pytest.fixture(scope="module")
def scene() -> Scene:
    return Scene(SceneConfig(seed=11, n_frames=16, ood_classes=("Trailer", "Animal"), ood_rate=0.3))


def test_objects_have_class_sizes_and_bottoms_on_the_ground(scene: Scene) -> None:
    for frame in FRAMES:
        for obj in scene.state(frame).objects:
            cuboid = obj.cuboid
            bottom = np.asarray(cuboid.center) - cuboid.rotation[:, 2] * cuboid.size[2] / 2
            assert bottom[2] == pytest.approx(float(scene.ground.height(bottom[0], bottom[1])), abs=1e-9)
            normal = scene.ground.normal(bottom[0], bottom[1])
            assert float(normal @ cuboid.rotation[:, 2]) == pytest.approx(
                1.0, abs=1e-9
            )  # tilted with the slope
    sizes = {a.label: a.size for a in scene.actors}
    assert sizes["Car"] == pytest.approx((3.9, 1.62, 1.52), abs=0.7)
    assert sizes["Pedestrian"] == pytest.approx((0.8, 0.62, 1.74), abs=0.3)


def test_objects_never_intersect_each_other_or_buildings(scene: Scene) -> None:
    buildings = [
        Cuboid(tuple(p.center), tuple(2 * p.half), np.arctan2(p.rotation[1, 0], p.rotation[0, 0]))
        for p in scene.static
        if p.texture == FACADE
    ]
    for frame in FRAMES:
        cuboids = [o.cuboid for o in scene.state(frame).objects]
        for a, b in itertools.combinations(cuboids, 2):
            assert iou_3d(a, b) == 0.0
        for cuboid in cuboids:
            assert all(bev_intersection_area(cuboid, house) == 0.0 for house in buildings)


def test_track_ids_are_stable_and_motion_is_consistent_in_the_lidar_frame() -> None:
    config = SceneConfig(seed=12, n_frames=6, lidar=LidarConfig(beams=8, azimuth_step=2.0))
    first, *_, last = iter_frames(config, render_images=False)
    assert [o.track_id for o in first.objects] == [o.track_id for o in last.objects]
    elapsed = last.timestamp - first.timestamp
    moved = 0
    for before, after in zip(first.objects, last.objects):
        # LiDAR-frame ground truth taken to the world with each frame's pose: the bottom centre moves by
        # velocity * time (the box centre also sways a little as the box tilts with the ground).
        start, end = (
            world_bottom(before.cuboid, first.lidar_pose),
            world_bottom(after.cuboid, last.lidar_pose),
        )
        velocity = first.lidar_pose[:3, :3] @ np.asarray(before.velocity)
        assert end[:2] - start[:2] == pytest.approx(velocity[:2] * elapsed, abs=1e-6)
        assert after.cuboid.size == before.cuboid.size and after.label == before.label
        moved += int(np.linalg.norm(velocity) > 1.0)
    assert moved >= 5
    ego = last.lidar_pose[:3, 3] - first.lidar_pose[:3, 3]
    assert ego[0] == pytest.approx(config.ego_speed * elapsed, abs=0.05)


def test_out_of_schema_classes_appear_only_when_asked() -> None:
    assert {a.label for a in Scene(SceneConfig(seed=3)).actors} <= set(DEFAULT_CLASSES)
    labels = {
        a.label for a in Scene(SceneConfig(seed=3, ood_classes=("Trailer", "Animal"), ood_rate=0.5)).actors
    }
    assert {"Trailer", "Animal"} <= labels
    assert {a.label for a in Scene(SceneConfig(seed=3, classes=("Car",))).actors} == {"Car"}
    with pytest.raises(ValueError, match="Unicorn"):
        Scene(SceneConfig(seed=3, ood_classes=("Unicorn",)))


@pytest.mark.parametrize(
    "bad", [{"n_frames": -1}, {"frame_interval": 0.0}, {"noise": -1.0}, {"ood_rate": 1.5}]
)
def test_impossible_configs_are_refused(bad: dict) -> None:
    with pytest.raises(ValueError):
        SceneConfig(**bad)


def test_clutter_knob_scales_street_furniture() -> None:
    bare = Scene(SceneConfig(seed=4, clutter=0.0))
    busy = Scene(SceneConfig(seed=4, clutter=2.0))
    assert all(p.texture == FACADE for p in bare.static)
    assert sum(p.texture != FACADE for p in busy.static) > 50


def test_lidar_sees_objects_standing_on_the_road_surface(scene: Scene) -> None:
    state = scene.state(0)
    sweep = scan(state, scene.ground, scene.config.lidar, 1.0, np.random.default_rng(0))
    pose = state.lidar_pose
    gaps = []
    for k, obj in enumerate(state.objects):
        own = sweep.points[sweep.owner == k]
        if len(own) < 50 or obj.actor.label not in DEFAULT_CLASSES:  # a trailer's floor is high
            continue
        # The lowest returns of an object (tyres, feet) are at the ground: nothing floats.
        world = own[:, :3] @ pose[:3, :3].T + pose[:3, 3]
        lowest = world[np.argsort(world[:, 2])[:3]]
        gap = float(np.median(lowest[:, 2] - scene.ground.height(lowest[:, 0], lowest[:, 1])))
        assert -0.05 < gap < 0.45, obj.actor.label
        gaps.append(gap)
    assert len(gaps) >= 10
    assert np.median(gaps) < 0.15
