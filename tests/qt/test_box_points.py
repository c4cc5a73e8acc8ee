"""Nudging a box in a very large cloud tests no more than a stand-in's few points on the window's thread: a
worker finds the exact points (a newer edit cancels its older job), which then replace the stand-in, and the
box's count follows."""

from __future__ import annotations

import threading

import numpy as np
import pytest

pytest.importorskip("PySide6")

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.cuboid_ops import move_local, rotate
from annotator.qt.box_points import BoxPointFinder, walk_step, walked_ahead
from annotator.qt.panels.objects import COLUMNS
from annotator.render import cloud as cloud_module
from annotator.render import neighbourhood as neighbourhood_module
from annotator.render.cloud import prepare_cloud
from annotator.render.neighbourhood import Neighbourhood


@pytest.fixture
def large_neighbourhoods(monkeypatch: pytest.MonkeyPatch) -> None:
    """Treat the neighbourhood of the street's car as 100M points make it: too many to test at once."""
    monkeypatch.setattr(cloud_module, "AT_ONCE_POINTS", 100)
    monkeypatch.setattr(neighbourhood_module, "FIND_BLOCK", 512)
    monkeypatch.setattr(neighbourhood_module, "THIN_POINTS", 200)


def _points_tested_on_this_thread(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A log of how many points of a neighbourhood each test on the calling (window's) thread examines."""
    log: list[int] = []
    window_thread, original = threading.current_thread(), Neighbourhood._tested

    def counted(self, cuboid, part):
        if threading.current_thread() is window_thread:
            log.append(len(self.indices[part]))
        return original(self, cuboid, part)

    monkeypatch.setattr(Neighbourhood, "_tested", counted)
    return log


def _count_cell(window, annotation_id: int) -> str:
    panel = window.objects_panel
    row = next(r for r in range(panel.table.rowCount()) if panel.annotation_at(r) == annotation_id)
    return panel.table.item(row, COLUMNS.index("points")).text()


def _select_the_car(window, qtbot):
    """Select the street's car and wait for the points around it to be copied out: (car, its cloud)."""
    document = window.document
    car = min(document.cuboids(), key=lambda a: a.id)
    document.select(car.id)
    cloud = document.cloud
    qtbot.waitUntil(
        lambda: cloud.neighbourhood is not None and not window.grid.focus_jobs.busy(), timeout=10_000
    )
    return car, cloud


def test_a_nudge_draws_a_stand_in_and_the_worker_brings_the_exact_points_and_count(
    window, qtbot, monkeypatch, large_neighbourhoods
) -> None:
    grid, document = window.grid, window.document
    car, cloud = _select_the_car(window, qtbot)
    qtbot.waitUntil(lambda: grid.scheduler.waiting == 0 and not grid.box_points.busy(), timeout=10_000)
    tested = _points_tested_on_this_thread(monkeypatch)
    gate, find = threading.Event(), cloud.find_inside

    def held(boxes):  # the worker waits until the window's side of the edit was looked at
        gate.wait(5.0)
        yield from find(boxes)

    monkeypatch.setattr(cloud, "find_inside", held)
    window.editing.move(0.1, 0.0, 0.0)
    moved = document.selected.cuboid
    near = cloud.neighbourhood.around(moved)
    assert near is not None and len(near.indices) > cloud_module.AT_ONCE_POINTS
    assert grid.provisional  # the box's points drawn from a stand-in at once
    assert _count_cell(window, car.id) == "…"  # its count waits for the worker
    assert sum(tested) < len(near.indices) / 2  # the window tested a sample of the region, never all of it
    gate.set()
    qtbot.waitUntil(lambda: not grid.box_points.busy() and grid.scheduler.waiting == 0, timeout=10_000)
    assert not grid.provisional
    exact = cloud.index.indices_inside(moved)
    assert _count_cell(window, car.id) == str(len(exact))
    every = sum(len(cloud.index.indices_inside(a.cuboid)) for a in document.cuboids())
    assert grid.perspective.scene.highlight.count == every  # every point inside a box highlighted now
    assert sum(tested) < len(near.indices) / 2  # the exact points came from the worker


def test_a_newer_request_cancels_the_older_job(qtbot, large_neighbourhoods) -> None:
    xyz = np.random.default_rng(7).uniform((-10, -10, -2), (10, 10, 1), (100_000, 3)).astype(np.float32)
    cloud = prepare_cloud(xyz, lod_budget=5_000)
    first = Cuboid((2.0, 1.0, -0.5), (4.5, 1.9, 1.6), 0.3)
    cloud.focus(first, 2.0)
    second = first.replace(center=(2.3, 1.0, -0.5))
    gate, original = threading.Event(), cloud.find_inside

    def held(boxes):  # the first job waits until the second request was made
        gate.wait(5.0)
        yield from original(boxes)

    cloud.find_inside = held
    finder = BoxPointFinder()
    found: list[object] = []
    finder.found.connect(found.append)
    assert finder.request(cloud, [first])
    assert finder.request(cloud, [second])
    gate.set()
    qtbot.waitUntil(lambda: not finder.busy(), timeout=10_000)
    assert found == [cloud]  # one answer: the newer request's
    assert first not in cloud._inside  # the older job stopped before it was done
    assert np.array_equal(cloud.inside(second), cloud.index.indices_inside(second))
    assert not finder.request(cloud, [second])  # found: nothing left to look for


def test_walked_ahead_repeats_the_move_exactly_as_the_key_computes_it() -> None:
    before = Cuboid((9.0, 3.0, -0.95), (4.5, 1.9, 1.6), 0.3)
    after = move_local(before, forward=0.1, left=0.0, up=0.0)
    again = move_local(after, forward=0.1, left=0.0, up=0.0)
    step = walk_step(before, after)
    assert step == (0.1, 0.0, 0.0)  # as typed, whatever the rounding of the centre's sums
    assert walked_ahead(after, step, 2) == [again, move_local(again, forward=0.1, left=0.0, up=0.0)]
    assert walk_step(before, rotate(after, yaw=0.1)) is None  # turned: no walk
    assert walk_step(before, before) is None  # not moved
    assert walk_step(before, move_local(before, forward=5.0)) is None  # another box, far away


def test_a_walked_box_is_found_ahead_so_the_next_step_needs_no_stand_in(
    window, qtbot, monkeypatch, large_neighbourhoods
) -> None:
    grid, document = window.grid, window.document
    car, cloud = _select_the_car(window, qtbot)

    def settled() -> bool:
        busy = grid.box_points.busy() or grid.box_points.prefetching() or grid.focus_jobs.busy()
        return not busy and grid.scheduler.waiting == 0

    window.editing.move(0.1, 0.0, 0.0)
    qtbot.waitUntil(settled, timeout=10_000)
    window.editing.move(0.1, 0.0, 0.0)  # a walk: its next steps are found in the worker meanwhile
    qtbot.waitUntil(settled, timeout=10_000)
    tested = _points_tested_on_this_thread(monkeypatch)
    window.editing.move(0.1, 0.0, 0.0)  # the step found ahead
    moved = document.selected.cuboid
    assert cloud.inside_at_once(moved)  # its points were known before the key was pressed
    assert not grid.provisional  # no stand-in drawn
    assert not grid.box_points.busy()  # and nothing to wait for
    assert _count_cell(window, car.id) == str(len(cloud.index.indices_inside(moved)))
    assert sum(tested) == 0  # the window's thread tested no point of the neighbourhood


def test_a_box_nudged_to_and_fro_is_not_found_ahead(window, qtbot, large_neighbourhoods) -> None:
    grid = window.grid
    _select_the_car(window, qtbot)
    for forward in (0.05, -0.05, 0.05, -0.05):
        window.editing.move(forward, 0.0, 0.0)
        assert not grid.box_points.prefetching()  # no worker time spent on places the box never takes
        qtbot.waitUntil(lambda: not grid.box_points.busy() and not grid.focus_jobs.busy(), timeout=10_000)


def test_a_walk_lends_its_heading_to_the_points_copied_out_around_the_box(qtbot) -> None:
    xyz = np.random.default_rng(7).uniform((-10, -10, -2), (10, 10, 1), (20_000, 3)).astype(np.float32)
    cloud = prepare_cloud(xyz, lod_budget=5_000)
    start = Cuboid((2.0, 1.0, -0.5), (4.5, 1.9, 1.6), 0.3)
    finder = BoxPointFinder()
    places = [start, move_local(start, forward=0.1)]
    places.append(move_local(places[-1], forward=0.1))
    for place in places[:2]:
        finder.request(cloud, [place])
    assert finder.reach(2.0) is None  # one move: maybe a nudge to and fro
    finder.request(cloud, [places[2]])
    assert finder.reach(2.0) == pytest.approx((2.0, 0.0, 0.0))  # the same move twice: a walk forward
    finder.request(cloud, [places[1]])
    assert finder.reach(2.0) is None  # back again
    qtbot.waitUntil(lambda: not finder.busy() and not finder.prefetching(), timeout=10_000)


def test_a_dense_stand_in_is_not_drawn_again_when_the_worker_finds_the_points(
    window, qtbot, monkeypatch, large_neighbourhoods
) -> None:
    from annotator.render import scene as scene_module

    monkeypatch.setattr(scene_module, "HIGHLIGHT_POINTS", 10)  # the car's stand-in holds more than that
    grid, document = window.grid, window.document
    car, cloud = _select_the_car(window, qtbot)
    qtbot.waitUntil(lambda: grid.scheduler.waiting == 0 and not grid.box_points.busy(), timeout=10_000)
    gate, find = threading.Event(), cloud.find_inside

    def held(boxes):
        gate.wait(5.0)
        yield from find(boxes)

    monkeypatch.setattr(cloud, "find_inside", held)
    window.editing.move(0.1, 0.0, 0.0)
    assert grid.box_points.busy() and _count_cell(window, car.id) == "…"  # the exact points still wanted
    assert not grid.provisional  # yet the picture is what they will draw
    qtbot.waitUntil(lambda: grid.scheduler.waiting == 0, timeout=10_000)
    renders = [view.render_count for view in grid.ortho.values()]
    highlight = grid.perspective.scene.highlight._points
    gate.set()
    qtbot.waitUntil(lambda: not grid.box_points.busy(), timeout=10_000)
    qtbot.waitUntil(lambda: _count_cell(window, car.id) != "…", timeout=10_000)
    assert _count_cell(window, car.id) == str(len(cloud.index.indices_inside(document.selected.cuboid)))
    qtbot.wait(50)
    assert [view.render_count for view in grid.ortho.values()] == renders  # the count followed, no view
    assert grid.perspective.scene.highlight._points is highlight  # redrew its highlight


def test_a_walked_box_highlights_and_counts_exactly_its_points_at_every_step(window, qtbot) -> None:
    grid, document = window.grid, window.document
    car, cloud = _select_the_car(window, qtbot)
    for _ in range(8):  # the points copied out reach ahead of the box once it walks
        window.editing.move(0.1, 0.0, 0.0)
        qtbot.waitUntil(lambda: not grid.focus_jobs.busy() and grid.scheduler.waiting == 0, timeout=10_000)
        box = document.selected.cuboid
        exact = cloud.index.indices_inside(box)
        assert np.array_equal(cloud.inside(box), exact)
        assert _count_cell(window, car.id) == str(len(exact))
        top = grid.ortho["top"].scene.highlight._points.xyz
        assert box.points_inside(top, margin=1e-3).all()  # the highlight lies in the box
