"""Which boxes an ortho view around the selected one shows (`annotator.render.scene._near`)."""

from __future__ import annotations

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.render.cuboids import CuboidItem
from annotator.render.scene import _near


def _touching(region: Cuboid, box: Cuboid) -> bool:
    probe = np.vstack([box.corners(), np.asarray(box.center)[None]])
    return bool(region.points_inside(probe).any() or box.points_inside(region.corners()).any())


def test_near_keeps_exactly_the_boxes_reaching_into_the_region() -> None:
    rng = np.random.default_rng(4)
    items = [
        CuboidItem(
            k,
            Cuboid((*rng.uniform(-15, 15, 2), 0.0), tuple(rng.uniform(0.5, 6.0, 3)), rng.uniform(-3, 3)),
            (255, 0, 0),
        )
        for k in range(120)
    ]
    target, margin = items[0], 1.5
    region = target.cuboid.replace(size=tuple(s + 2 * margin for s in target.cuboid.size))
    expected = [item.id for item in items if item is target or _touching(region, item.cuboid)]
    assert [item.id for item in _near(items, target, margin)] == expected
    assert 1 < len(expected) < len(items)  # some near, most far: both paths taken
