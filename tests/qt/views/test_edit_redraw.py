"""A box edit redraws the boxes over the kept cloud pictures: no view draws its cloud layer again."""

from __future__ import annotations

import math
import os
import threading

import numpy as np
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


def test_a_box_walked_out_of_its_ortho_views_gets_new_crops_there_and_nothing_else_redrawn(
    window, qtbot
) -> None:
    car = min(window.document.cuboids(), key=lambda a: a.id)
    window.document.select(car.id)
    _settle(window, qtbot)
    perspective, orthos = window.grid.perspective, list(window.grid.ortho.values())
    crops = [view.scene.crop for view in orthos]
    draws = perspective.scene.picture.draws
    ortho_draws = [view.scene.picture.draws for view in orthos]
    for _ in range(12):  # 1.2 m forward: past half the ortho views' margin
        window.editing.move(0.1, 0.0, 0.0)
        _settle(window, qtbot)
    assert perspective.scene.picture.draws == draws  # the perspective view only drew the moved box
    assert all(view.scene.crop is not crop for view, crop in zip(orthos, crops))  # cropped afresh
    assert all(0 < view.scene.picture.draws - before <= 2 for view, before in zip(orthos, ortho_draws))
    centre = np.asarray(window.document.selected.cuboid.center)
    for view in orthos:  # and the ortho views followed the box
        assert np.linalg.norm(np.asarray(view.scene.camera_pose().focal_point) - centre) < 0.6


def test_the_neighbourhood_worker_yields_the_cores_to_the_window() -> None:
    if not hasattr(os, "setpriority"):
        pytest.skip("thread priorities are a Linux feature here")
    from annotator.jobs.priority import lower_thread_priority

    seen: list[tuple[int, int]] = []

    def work() -> None:
        thread = threading.get_native_id()
        before = os.getpriority(os.PRIO_PROCESS, thread)
        lower_thread_priority()
        seen.append((before, os.getpriority(os.PRIO_PROCESS, thread)))

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    ((before, after),) = seen
    assert after == min(19, before + 5)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before  # this thread untouched
