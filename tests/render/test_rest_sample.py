"""A large cloud at rest is drawn first as a sparse sample (the detail is added in chunks), while the camera
moves as its coarse sample; whole-frame orthographic views draw the sparse sample."""

from __future__ import annotations

import numpy as np

from annotator.render.cloud import REST_POINTS, prepare_cloud
from annotator.render.scene import OrthoScene, PerspectiveScene


def test_the_first_picture_at_rest_draws_a_sparser_sample_than_a_camera_move() -> None:
    xyz = np.random.default_rng(2).normal(0.0, 10.0, (400_000, 3)).astype(np.float32)
    cloud = prepare_cloud(xyz, lod_budget=120_000)
    assert len(cloud.rest) <= REST_POINTS < len(cloud.coarse)
    assert np.isin(cloud.rest, cloud.coarse).all()  # an even sample of the camera-move sample
    scene = PerspectiveScene()
    scene.set_cloud(cloud)
    scene.set_detail(True)
    assert scene.points.rest.actor.GetVisibility() and not scene.points.coarse.actor.GetVisibility()
    assert scene.drawn_points == len(cloud.rest)
    scene.set_detail(False)  # the camera moves
    assert scene.points.coarse.actor.GetVisibility() and not scene.points.rest.actor.GetVisibility()
    assert scene.drawn_points == len(cloud.coarse)
    top = OrthoScene("top")
    top.show(cloud, [], selected=None)
    assert top.points.full.count == len(cloud.rest)


def test_a_cloud_within_the_camera_move_budget_but_over_the_rest_sample_also_starts_from_the_sample() -> None:
    xyz = np.random.default_rng(3).normal(0.0, 10.0, (90_000, 3)).astype(np.float32)  # an Argoverse sweep
    cloud = prepare_cloud(xyz)  # within the default camera-move budget: moving draws it whole
    assert not cloud.is_decimated and cloud.progressive
    assert len(cloud.rest) <= REST_POINTS
    scene = PerspectiveScene()
    scene.set_cloud(cloud)
    scene.set_detail(True)
    assert scene.drawn_points == len(cloud.rest)  # a new frame's first picture: the sample only
    scene.set_detail(False)
    assert scene.drawn_points == len(cloud)
    assert scene.points.coarse.count == len(cloud) and cloud.coarse_points().xyz is cloud.xyz  # no copy
    small = prepare_cloud(xyz[:REST_POINTS])
    assert not small.progressive and small.rest_points().xyz is small.xyz
