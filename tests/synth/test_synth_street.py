"""Urban streets: cars packed along the kerbs, pedestrians in groups, real body-type sizes, boundaries."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_intersection_area
from annotator.synth import SceneConfig, iter_frames, sensor_preset
from annotator.synth.ground import Ground
from annotator.synth.layout import StreetLayout
from annotator.synth.primitives import FOLIAGE
from annotator.synth.scene import Scene
from annotator.synth.street import SizeVariant, Spacing, sample_size, side_streets, street_style

CLASSES = ("Car", "Van", "Truck", "Bus", "Pedestrian", "Cyclist")


@pytest.fixture(scope="module")
def scenes() -> list[Scene]:
    return [Scene(SceneConfig(seed=s, n_frames=1, street="urban", classes=CLASSES)) for s in range(3)]


def footprint_gaps(actors: list) -> list[float]:
    """Free space along x between neighbours of one strip (sorted by x)."""
    actors = sorted(actors, key=lambda a: a.start[0])
    return [b.start[0] - b.size[0] / 2 - (a.start[0] + a.size[0] / 2) for a, b in itertools.pairwise(actors)]


def test_parked_cars_are_packed_along_the_kerb(scenes: list[Scene]) -> None:
    gaps = []
    for scene in scenes:
        kerb = scene.layout.road_half_width
        for side in (-1, 1):
            parked = [a for a in scene.actors if a.velocity == 0 and a.label in ("Car", "Van", "Truck", "Bus")
                      and side * a.start[1] > scene.layout.lanes_half_width + scene.layout.bike_width]  # fmt: skip
            for actor in parked:  # close to the kerb
                half_y = actor.size[0] / 2 * abs(np.sin(actor.yaw)) + actor.size[1] / 2 * abs(
                    np.cos(actor.yaw)
                )
                assert 0.0 < kerb - (side * actor.start[1] + half_y) < 0.25
            gaps += footprint_gaps(parked)
    gaps = np.array(gaps)
    assert len(gaps) > 40 and np.all(gaps > 0.25)
    assert np.mean(gaps < 1.0) > 0.6  # runs of cars under a metre apart, broken by driveways
    assert np.any(gaps > 3.0)


def test_classic_parking_is_spread_out() -> None:
    scene = Scene(SceneConfig(seed=0, n_frames=1))
    parked = [a for a in scene.actors if a.velocity == 0 and a.start[1] < 0 and a.label == "Car"]
    assert np.mean(np.array(footprint_gaps(parked)) < 1.0) < 0.3


def test_pedestrians_walk_in_groups(scenes: list[Scene]) -> None:
    together, alone = 0, 0
    for scene in scenes:
        people = [a for a in scene.actors if a.label == "Pedestrian"]
        for person in people:
            near = [o for o in people if o is not person and abs(o.start[0] - person.start[0]) < 1.6
                    and abs(o.start[1] - person.start[1]) < 1.6 and o.velocity == person.velocity]  # fmt: skip
            together += bool(near)
            alone += not near
    assert together > 0.35 * (together + alone) and alone > 0.2 * (together + alone)


def test_nobody_overlaps_in_an_urban_street(scenes: list[Scene]) -> None:
    for scene in scenes:
        boxes = [Cuboid((*a.start, 0.0), a.size, a.yaw) for a in scene.actors]
        for a, b in itertools.combinations(boxes, 2):
            if abs(a.center[0] - b.center[0]) < 20 and abs(a.center[1] - b.center[1]) < 4:
                assert bev_intersection_area(a, b) < 1e-6


def test_vehicle_sizes_follow_body_type_mixtures(scenes: list[Scene]) -> None:
    lengths = {label: [a.size[0] for s in scenes for a in s.actors if a.label == label] for label in CLASSES}
    cars = np.array(lengths["Car"])
    assert cars.min() >= 3.59 and cars.max() < 6.0 and cars.std() > 0.3
    heights = np.array([a.size[2] for s in scenes for a in s.actors if a.label == "Car"])
    assert 1.5 < np.median(heights) < 1.8  # SUV-heavy, as the real fleets (synth_vs_real.py)
    people = np.array([a.size[:2] for s in scenes for a in s.actors if a.label == "Pedestrian"])
    assert people[:, 0].min() > 0.45 and people[:, 0].max() < 1.25  # standing to a long stride
    assert np.mean(people[:, 0] > 0.9) > 0.08 and np.mean(people[:, 0] < 0.62) > 0.2
    rng = np.random.default_rng(0)
    trucks = np.array([sample_size(street_style("urban").sizes["Truck"], rng)[0] for _ in range(400)])
    assert np.mean(trucks < 9.0) > 0.4 and np.mean(trucks > 13.0) > 0.05  # box trucks to articulated
    assert sample_size((SizeVariant(1.0, (2.0, 1.0, 1.0), (0.0, 0.0, 0.0)),), rng) == (2.0, 1.0, 1.0)


def test_urban_streets_have_boundaries_and_steeper_slopes() -> None:
    rng = np.random.default_rng(0)
    style = street_style("urban")
    slopes = [abs(Ground.sample(StreetLayout(), rng, 1.0, style.max_slope).slope[0]) for _ in range(40)]
    assert max(slopes) > 0.04 and max(slopes) <= 0.06
    scene = Scene(SceneConfig(seed=1, n_frames=1, street="urban", object_range=20.0))
    assert scene.ground.slope[0] != Scene(SceneConfig(seed=1, n_frames=1, object_range=20.0)).ground.slope[0]
    line = scene.layout.building_line
    along_line = [p for p in scene.static if abs(abs(p.center[1]) - (line - 0.15)) < 0.01]
    assert len(along_line) > 10
    assert any(p.porosity > 0.5 for p in along_line)  # fences
    assert any(p.texture == FOLIAGE for p in along_line)  # hedges
    assert any(p.porosity == 0 and p.half[1] > 0.1 for p in along_line)  # walls


def test_spacing_draws_far_gaps_at_their_rate() -> None:
    spacing = Spacing((0.0, 1.0), (10.0, 20.0), far_chance=0.25)
    gaps = np.array([spacing.sample(np.random.default_rng(i)) for i in range(800)])
    assert np.mean(gaps >= 10.0) == pytest.approx(0.25, abs=0.05)
    with pytest.raises(ValueError, match="unknown street 'rural'"):
        street_style("rural")
    with pytest.raises(ValueError, match="street must be one of"):
        SceneConfig(street="rural")


def test_an_urban_frame_is_the_same_bytes_for_the_same_seed() -> None:
    lidar = replace(sensor_preset("vlp16"), azimuth_step=1.0)
    config = SceneConfig(seed=2, n_frames=1, object_range=30.0, street="urban", lidar=lidar, classes=CLASSES)
    first, again = (next(iter_frames(config, render_images=False)) for _ in range(2))
    assert len(first.points) > 1000 and first.points.tobytes() == again.points.tobytes()
    assert [o.to_dict() for o in first.objects] == [o.to_dict() for o in again.objects]


def test_side_streets_open_between_the_buildings() -> None:
    style = street_style("urban")
    assert side_streets(street_style("classic"), np.random.default_rng(0), (0.0, 500.0)) == {-1: [], 1: []}
    scene = Scene(SceneConfig(seed=4, n_frames=1, street="urban", object_range=60.0))
    gaps = side_streets(style, np.random.default_rng(0), (0.0, 2000.0))
    widths = [hi - lo for lo, hi in gaps[1]]
    assert len(widths) > 8 and min(widths) >= 9.0 and max(widths) <= 18.0
    kerb = scene.layout.road_half_width
    mouths = [(side, lo, hi) for side in (-1, 1) for lo, hi in scene.side_streets[side]]
    assert mouths and Scene(SceneConfig(seed=4, n_frames=1, object_range=20.0)).side_streets == {
        -1: [],
        1: [],
    }
    for side, lo, hi in mouths:
        for p in scene.static:  # nothing built beside the road across a side street
            if side * p.center[1] > kerb:
                assert not (p.center[0] - p.half[0] < hi - 1e-6 and p.center[0] + p.half[0] > lo + 1e-6)
        for a in scene.actors:  # nobody parked across its mouth
            if (
                a.velocity == 0
                and scene.layout.lanes_half_width + scene.layout.bike_width < side * a.start[1] < kerb
            ):
                assert not (a.start[0] - a.size[0] / 2 < hi and a.start[0] + a.size[0] / 2 > lo)


def _furniture(scene_seed: int, clutter_weights: tuple[float, float] | None) -> tuple[list, list]:
    """The furniture of an urban street (seed ``scene_seed``), and the next draws of its generator."""
    from annotator.synth import static

    style = street_style("urban")
    if clutter_weights is not None:
        style = replace(style, clutter_weights=clutter_weights)
    rng = np.random.default_rng(scene_seed)
    layout = StreetLayout.sample_urban(rng)
    ground = Ground.sample(layout, rng, 0.0, style.max_slope)
    items = static.furniture(ground, rng, (-60.0, 60.0), 1.0, style)
    return items, [float(rng.random()) for _ in range(5)]


def test_urban_furniture_strips_hold_shrubs_and_parked_bicycles() -> None:
    plain, after_plain = _furniture(4, (0.0, 0.0))
    cluttered, after_cluttered = _furniture(4, None)
    extra = cluttered[len(plain) :]
    # the other furniture is the same ...
    assert [(p.kind, p.center.tolist(), p.half.tolist()) for p in cluttered[: len(plain)]] == [
        (p.kind, p.center.tolist(), p.half.tolist()) for p in plain
    ]
    assert after_cluttered == after_plain  # ... and so is everything drawn after it
    shrubs = [p for p in extra if p.texture == FOLIAGE]
    bicycle_parts = [p for p in extra if p.texture != FOLIAGE]
    assert len(shrubs) >= 4 and len(bicycle_parts) >= 8
    lo, hi = 0.0, 0.0
    for p in extra:  # in the furniture strips, on the ground, person- to car-sized
        assert abs(p.center[1]) > 2.0 and p.center[2] - p.half.max() > -2.0
        lo, hi = min(lo, float(p.center[0])), max(hi, float(p.center[0]))
    assert hi - lo > 40.0
    assert all(0.3 <= p.half[2] <= 0.9 for p in shrubs)


def test_only_urban_streets_get_the_extra_clutter() -> None:
    assert street_style("classic").clutter_weights == (0.0, 0.0)
    assert sum(street_style("urban").clutter_weights) > 0
