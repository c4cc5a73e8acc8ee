"""Selecting or walking a box in a large cloud never queries the whole cloud's index on the window's thread:
sample points stand in for a moment, then the points a worker found replace them."""

from __future__ import annotations

import threading

import numpy as np
import pytest

pytest.importorskip("PySide6")


def _index_queries_on_this_thread(cloud, log: list[str]) -> None:
    """Log every query of ``cloud``'s index made on the calling (window's) thread."""
    index, original = cloud.index, cloud.index.indices_inside
    window_thread = threading.current_thread()

    def logged(*args, **kwargs):
        if threading.current_thread() is window_thread:
            log.append("index")
        return original(*args, **kwargs)

    index.indices_inside = logged


def _settle(window, qtbot) -> None:
    qtbot.waitUntil(
        lambda: window.grid.scheduler.waiting == 0 and not window.grid.focus_jobs.busy(), timeout=10_000
    )


def test_selecting_a_box_draws_stand_ins_at_once_and_the_found_points_after(window, qtbot) -> None:
    cloud = window.document.cloud
    assert cloud.is_decimated  # 20,000 points over a 5,000-point budget
    car = min(window.document.cuboids(), key=lambda a: a.id)
    log: list[str] = []
    _index_queries_on_this_thread(cloud, log)
    window.document.select(car.id)
    assert window.grid.provisional  # the orthographic crops stand in with sample points
    top = window.grid.ortho["top"].scene
    assert set(top.crop.tolist()) <= set(cloud.coarse.tolist())
    _settle(window, qtbot)
    assert not window.grid.provisional
    assert len(top.crop) > len(np.intersect1d(top.crop, cloud.coarse))  # now every point near the box
    assert log == []  # and never the whole index on the window's thread


def test_a_box_walked_past_its_copied_out_points_is_drawn_from_stand_ins_until_found(window, qtbot) -> None:
    car = min(window.document.cuboids(), key=lambda a: a.id)
    window.document.select(car.id)
    _settle(window, qtbot)
    cloud = window.document.cloud
    log: list[str] = []
    _index_queries_on_this_thread(cloud, log)
    for _ in range(40):  # 4 m forward, well past the points copied out around the box
        window.editing.move(0.1, 0.0, 0.0)
        qtbot.waitUntil(lambda: window.grid.scheduler.waiting == 0, timeout=5_000)
    _settle(window, qtbot)
    assert not window.grid.provisional
    assert cloud.neighbourhood.covers(window.document.selected.cuboid)
    assert log == []


def test_walking_the_box_out_of_the_views_refits_them_on_crops_made_ahead_in_the_worker(
    window, qtbot, monkeypatch
) -> None:
    """Once the walk is known (the same step twice), the step on which an orthographic view fits the walked
    box afresh draws the exact crop the views' worker made ahead of the box: no stand-in, no second pass,
    and no crop made on the window's thread."""
    from annotator.render import scene as scene_module

    car = min(window.document.cuboids(), key=lambda a: a.id)
    window.document.select(car.id)
    _settle(window, qtbot)
    grid = window.grid
    made_on: list[bool] = []
    original = scene_module.PreparedCloud.indices_near
    window_thread = threading.current_thread()

    def logged(cloud, *args, **kwargs):
        made_on.append(threading.current_thread() is window_thread)
        return original(cloud, *args, **kwargs)

    monkeypatch.setattr(scene_module.PreparedCloud, "indices_near", logged)
    fitted: list[tuple[bool, bool]] = []  # each fresh fit as drawn: (a crop wanted, a stand-in drawn)
    for view in grid.ortho.values():  # a walked box's fit takes a turn of its own after the step's renders
        view.prepared.connect(
            lambda scene=view.scene: fitted.append((scene.crop_wanted is not None, scene.provisional))
        )
    for step in range(30):  # 3 m forward: the views fit the box afresh several times
        if step == 2:  # the walk is known: its crops are made ahead from now on
            fitted.clear()
        window.editing.move(0.1, 0.0, 0.0)
        _settle(window, qtbot)
    assert len(fitted) >= 3
    assert fitted == [(False, False)] * len(fitted)
    cloud = window.document.cloud
    top = grid.ortho["top"].scene
    assert len(top.crop) > len(np.intersect1d(top.crop, cloud.coarse))  # every point near the box
    assert made_on and not any(made_on)  # every crop was made in the worker


def test_boxes_added_to_a_large_cloud_are_counted_by_a_worker_not_the_window(window, qtbot) -> None:
    from annotator.core.edits import AddAnnotations
    from annotator.core.model.records import Annotation
    from annotator.qt.panels.objects import COLUMNS

    document, panel = window.document, window.objects_panel
    car = min(document.cuboids(), key=lambda a: a.id)
    document.select(car.id)
    _settle(window, qtbot)
    cloud = document.cloud
    parked = [
        Annotation(0, document.frame_id, "Car", cuboid=car.cuboid.replace(center=(4.0 * k, y, -1.0)))
        for k in range(-4, 5)
        for y in (-6.0, 6.0)
    ]
    log: list[str] = []
    _index_queries_on_this_thread(cloud, log)
    document.push(AddAnnotations(parked, "Park cars"))  # 18 boxes whose points nobody knows yet
    assert log == []  # counts, highlights and stand-ins: no query of the whole cloud's index here
    _settle(window, qtbot)

    def counts() -> dict[int, str]:
        column = COLUMNS.index("points")
        return {
            panel.annotation_at(r): panel.table.item(r, column).text() for r in range(panel.table.rowCount())
        }

    qtbot.waitUntil(lambda: "…" not in counts().values(), timeout=10_000)  # the worker's counts arrived
    shown = counts()
    assert log == []  # the counts too came from the worker
    for annotation in document.cuboids():
        assert shown[annotation.id] == str(len(cloud.index.indices_inside(annotation.cuboid)))
