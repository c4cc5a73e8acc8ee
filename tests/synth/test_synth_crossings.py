"""People crossing the road: side-on walkers on crosswalks, clear of traffic and of the ego car's path."""

from __future__ import annotations

import math

import numpy as np
import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_intersection_area
from annotator.synth import SceneConfig
from annotator.synth.actors import Actor
from annotator.synth.crossings import COURSE_SPREAD, EGO_CLEARANCE, HALF_WIDTH, Crosswalk, crosswalks
from annotator.synth.scene import Scene
from annotator.synth.street import street_style

CLASSES = ("Car", "Van", "Truck", "Bus", "Pedestrian", "Cyclist")


@pytest.fixture(scope="module")
def scenes() -> list[Scene]:
    return [Scene(SceneConfig(seed=s, n_frames=2, street="urban", classes=CLASSES)) for s in range(4)]


def crossers(scene: Scene) -> list[Actor]:
    return [a for a in scene.actors if a.course != 0.0]


def footprint(actor: Actor) -> Cuboid:
    return Cuboid((actor.start[0], actor.start[1], 0.0), actor.size, actor.yaw)


def test_urban_streets_have_people_crossing_side_on(scenes: list[Scene]) -> None:
    people = [a for scene in scenes for a in crossers(scene)]
    assert len(people) >= 8
    for person in people:
        assert person.label == "Pedestrian" and person.yaw == person.course
        assert abs(abs(math.sin(person.course)) - 1.0) < 1.0 - math.cos(4 * COURSE_SPREAD)
    # both ways across the street
    assert {np.sign(math.sin(p.course)) for p in people} == {-1.0, 1.0}


def test_crossers_walk_across_the_carriageway(scenes: list[Scene]) -> None:
    for scene in scenes:
        carriageway = scene.layout.lanes_half_width + scene.layout.bike_width
        for person in crossers(scene):
            assert abs(person.start[1]) <= carriageway
            x0, y0 = person.position(0.0)
            x1, y1 = person.position(1.0)
            assert abs(y1 - y0) > 0.6 and abs(x1 - x0) < abs(y1 - y0)  # about a metre a second, across
            vx, vy = person.world_velocity()
            assert (vx, vy) == pytest.approx((x1 - x0, y1 - y0))


def test_ground_truth_velocity_follows_the_course(scenes: list[Scene]) -> None:
    scene = scenes[0]
    objects = [o for o in scene.state(1).objects if o.actor.course != 0.0]
    assert objects
    for obj in objects:
        assert obj.velocity[:2] == pytest.approx(obj.actor.world_velocity())
        assert abs(math.remainder(obj.cuboid.yaw - obj.actor.course, 2 * math.pi)) < 0.1


def test_nobody_stands_on_a_crosser_at_the_start(scenes: list[Scene]) -> None:
    for scene in scenes:
        people = crossers(scene)
        others = [a for a in scene.actors if a.course == 0.0]
        for person in people:
            for other in others:
                assert bev_intersection_area(footprint(person), footprint(other)) == 0.0
        ids = [a.track_id for a in scene.actors]
        assert len(ids) == len(set(ids))


def test_crosswalks_keep_clear_of_the_ego_path() -> None:
    style = street_style("urban")
    walks = crosswalks(style, np.random.default_rng(3), (-200.0, 200.0), (0.0, 20.0))
    assert len(walks) > 5
    assert all(w.x < -EGO_CLEARANCE - HALF_WIDTH or w.x > 20.0 + EGO_CLEARANCE + HALF_WIDTH for w in walks)


def test_a_crosswalk_covers_who_stands_on_it() -> None:
    walk = Crosswalk(10.0)
    car = Actor(0, "Car", (4.5, 1.8, 1.5), (0, 0, 0), (10.0 + HALF_WIDTH + 2.0, 1.5), 0.0, 8.0)
    far_car = Actor(1, "Car", (4.5, 1.8, 1.5), (0, 0, 0), (10.0 + HALF_WIDTH + 3.5, 1.5), 0.0, 8.0)
    assert walk.covers(car) and not walk.covers(far_car)


def test_classic_streets_have_nobody_crossing() -> None:
    assert street_style("classic").crossing_spacing == 0.0
    assert not crossers(Scene(SceneConfig(seed=0, n_frames=1, classes=CLASSES)))
