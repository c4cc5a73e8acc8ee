"""A box edit redraws the boxes over the kept cloud pictures: no view draws its cloud layer again."""

from __future__ import annotations

import math

import pytest

pytest.importorskip("PySide6")


def _settle(window, qtbot) -> None:
    qtbot.waitUntil(lambda: window.grid.scheduler.waiting == 0, timeout=5_000)


def test_a_keyboard_nudge_redraws_every_view_without_drawing_any_cloud_layer(window, qtbot) -> None:
    car = min(window.document.cuboids(), key=lambda a: a.id)
    window.document.select(car.id)
    _settle(window, qtbot)
    cloud = window.document.cloud  # the points around the selected box are copied out in a worker
    qtbot.waitUntil(lambda: cloud.neighbourhood is not None and cloud.neighbourhood.covers(car.cuboid))
    views = window.grid.views
    draws = [view.scene.picture.draws for view in views]
    renders = [view.render_count for view in views]
    for step in (0.1, -0.1, 0.1):
        window.editing.move(step, 0.0, 0.0)
        _settle(window, qtbot)
    assert all(view.render_count > count for view, count in zip(views, renders))  # each showed the moved box
    assert [view.scene.picture.draws for view in views] == draws  # and drew no point of the cloud
    moved = math.dist(window.document.selected.cuboid.center, car.cuboid.center)
    assert moved == pytest.approx(0.1)  # forward along its heading
