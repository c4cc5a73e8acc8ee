"""A walked box (a key pressed again and again) costs each step about one nudge: the orthographic views fit
it afresh on different steps, one view a step, and the points found in a worker redraw only the views that
stood sample points in for them."""

from __future__ import annotations

import threading

import numpy as np
import pytest

pytest.importorskip("PySide6")


def _settle(window, qtbot) -> None:
    qtbot.waitUntil(
        lambda: window.grid.scheduler.waiting == 0 and not window.grid.focus_jobs.busy(), timeout=10_000
    )


def _select_car(window, qtbot):
    car = min(window.document.cuboids(), key=lambda a: a.id)
    window.document.select(car.id)
    _settle(window, qtbot)
    return car


def test_a_walked_box_is_fitted_afresh_by_one_orthographic_view_a_step(window, qtbot) -> None:
    _select_car(window, qtbot)
    views = list(window.grid.ortho.values())
    refitted_per_step = []
    for _ in range(30):  # 3 m forward: each view fits the box afresh several times
        fits = [view.scene.fits for view in views]
        window.editing.move(0.1, 0.0, 0.0)
        _settle(window, qtbot)
        refitted_per_step.append([view.axis for view, before in zip(views, fits) if view.scene.fits > before])
    assert max(len(step) for step in refitted_per_step) == 1  # never two views on one step
    for view in views:  # and every view followed the box
        assert sum(view.axis in step for step in refitted_per_step) >= 3
        box = window.document.selected.cuboid
        fitted = view.scene._fit[2]
        assert abs(box.center[0] - fitted.center[0]) < box.size[0]  # still around the box


def test_a_walking_step_redraws_the_other_views_first_and_the_view_fitted_afresh_once_in_its_own_turn(
    window, qtbot
) -> None:
    """The step on which a view fits the walked box afresh (its new crop drawn: the longest step) shows the
    moved box in the other three views over their kept pictures first; the view fitted afresh is drawn once,
    in its fit's own turn, with its new crop and the moved box (not over its old picture first)."""
    _select_car(window, qtbot)
    grid = window.grid
    log: list[str] = []
    for view in grid.views:
        view.rendered.connect(lambda _ms, view=view: log.append(f"render {view.title.text()}"))
    for view in grid.ortho.values():
        view.prepared.connect(lambda view=view: log.append(f"fit {view.title.text()}"))
    deferred = 0
    for _ in range(30):  # 3 m forward: each view fits the box afresh several times
        fits = [view.scene.fits for view in grid.ortho.values()]
        draws = [view.scene.picture.draws for view in grid.ortho.values()]
        log.clear()
        window.editing.move(0.1, 0.0, 0.0)
        assert [view.scene.fits for view in grid.ortho.values()] == fits  # no fit within the edit itself
        _settle(window, qtbot)
        refitted = [view for view, before in zip(grid.ortho.values(), fits) if view.scene.fits > before]
        if not refitted:
            continue
        deferred += len(refitted)
        (view,) = refitted
        name = view.title.text()
        first_fit = log.index(f"fit {name}")
        others = {f"render {other.title.text()}" for other in grid.views if other is not view}
        assert set(log[:first_fit]) == others
        assert log.count(f"render {name}") == 1 and log.index(f"render {name}") > first_fit
        after = [view.scene.picture.draws - before for view, before in zip(grid.ortho.values(), draws)]
        assert after == [1 if other is view else 0 for other in grid.ortho.values()]  # its new crop, at once
    assert deferred >= 6  # and the views did follow the box
    assert sum(view.deferred_fits for view in grid.ortho.values()) == deferred


def test_a_walk_draws_sparser_crops_where_it_fits_views_afresh_and_whole_crops_once_it_rests(
    window, qtbot
) -> None:
    """As the perspective view draws a sample while its camera moves, a view fitted afresh around a walked
    box draws every other point of its crop; once the walk rests, every view draws its whole crop."""
    from annotator.render.scene import CROP_POINTS, WALK_THIN

    _select_car(window, qtbot)
    grid = window.grid
    views = list(grid.ortho.values())
    whole = {view.axis: len(view.scene.crop) for view in views}
    grid.walk_rest.setInterval(60_000)  # a slow machine's steps never rest the walk midway
    for step in range(12):  # 1.2 m forward: each view fits the box afresh at least once
        window.editing.move(0.1, 0.0, 0.0)
        _settle(window, qtbot)
        assert grid.walk_rest.isActive() == (step > 0)  # the same step twice: a walk
    assert all(view.scene.thin for view in views)
    for view in views:  # every other point of the crop around the box's new place
        assert abs(len(view.scene.crop) - whole[view.axis] / WALK_THIN) < 0.25 * whole[view.axis]
        assert view.scene.points.full.count == len(view.scene.crop)
    draws = [view.scene.picture.draws for view in views]
    grid.walk_rest.start(1)  # the walk rests
    qtbot.waitUntil(lambda: not grid.walk_rest.isActive(), timeout=5_000)
    _settle(window, qtbot)
    assert not any(view.scene.thin for view in views)
    assert [view.scene.picture.draws - before for view, before in zip(views, draws)] == [1, 1, 1]
    for view in views:  # the whole crop around the place each view was fitted to
        _, _, fitted, margin, _ = view.scene._fit
        assert np.array_equal(view.scene.crop, grid.shown_cloud.indices_near(fitted, margin, CROP_POINTS))
        assert view.scene.points.full.count == len(view.scene.crop)


def test_a_fresh_fit_outside_a_walk_draws_the_whole_crop(window, qtbot) -> None:
    _select_car(window, qtbot)
    views = list(window.grid.ortho.values())
    for _ in range(12):
        window.editing.move(0.1, 0.0, 0.0)
        _settle(window, qtbot)
    window.editing.turn(0.05)  # no walk: every view fits the box afresh, on its whole crop
    _settle(window, qtbot)
    assert not any(view.scene.thin or view.scene.walking for view in views)


def test_turning_the_box_fits_every_orthographic_view_at_once(window, qtbot) -> None:
    _select_car(window, qtbot)
    views = list(window.grid.ortho.values())
    for _ in range(7):  # walked some way: the views' fits are out of step
        window.editing.move(0.1, 0.0, 0.0)
        _settle(window, qtbot)
    fits = [view.scene.fits for view in views]
    window.editing.turn(0.05)
    assert all(view.scene.fits == before + 1 for view, before in zip(views, fits))


def test_points_found_in_the_worker_redraw_only_the_views_that_stood_in_for_them(
    window, qtbot, monkeypatch
) -> None:
    from annotator.qt.views import view_grid

    _select_car(window, qtbot)
    grid = window.grid
    release = threading.Event()
    original = view_grid.exact_crop

    def held_back(*args, **kwargs):  # the worker's crops wait until the views have drawn the step
        release.wait(10.0)
        return original(*args, **kwargs)

    monkeypatch.setattr(view_grid, "exact_crop", held_back)
    views = grid.views
    for _ in range(12):  # until a view fits the box afresh on a stand-in
        window.editing.move(0.1, 0.0, 0.0)
        qtbot.waitUntil(lambda: grid.scheduler.waiting == 0, timeout=5_000)
        if grid.provisional:
            break
    stood_in = [view for view in views if view.scene.provisional]
    assert stood_in and grid.perspective not in stood_in
    renders = [view.render_count for view in views]
    release.set()
    qtbot.waitUntil(lambda: not grid.provisional and not grid.focus_jobs.busy(), timeout=10_000)
    _settle(window, qtbot)
    redrawn = [view for view, before in zip(views, renders) if view.render_count > before]
    assert redrawn == stood_in


def test_a_box_moved_once_far_is_fitted_afresh_by_every_orthographic_view(window, qtbot) -> None:
    """Only a walk (the same step again and again) spreads the fits over its steps."""
    _select_car(window, qtbot)
    views = list(window.grid.ortho.values())
    fits = [view.scene.fits for view in views]
    window.editing.move(0.7, 0.0, 0.0)  # beyond half the margin (1.05 m for the 4.2 m car), within 0.8 of it
    assert all(view.scene.fits == before + 1 for view, before in zip(views, fits))


def test_the_next_frame_after_a_walk_is_drawn_on_whole_crops_without_waiting_for_the_walk_to_rest(
    window, qtbot
) -> None:
    _select_car(window, qtbot)
    grid = window.grid
    grid.walk_rest.setInterval(60_000)
    for _ in range(12):
        window.editing.move(0.1, 0.0, 0.0)
        _settle(window, qtbot)
    assert any(view.scene.thin for view in grid.ortho.values())
    assert grid.perspective.refiner.held
    window.step_frame(1)
    assert not grid.walk_rest.isActive()  # nothing left to redraw once the walk rests
    assert not grid.perspective.refiner.held  # the next frame's detail comes at once
    _settle(window, qtbot)
    assert not any(view.scene.thin or view.scene.walking for view in grid.ortho.values())


def test_the_perspective_views_full_detail_waits_while_a_box_walks_and_goes_on_once_it_rests(
    window, qtbot
) -> None:
    """A chunk of detail among a walking step's renders made the step 20 ms longer at 100M points."""
    _select_car(window, qtbot)
    grid = window.grid
    refiner = grid.perspective.refiner
    grid.walk_rest.setInterval(60_000)
    window.editing.move(0.1, 0.0, 0.0)
    _settle(window, qtbot)
    assert not refiner.held  # one nudge is no walk
    window.editing.move(0.1, 0.0, 0.0)
    _settle(window, qtbot)
    assert refiner.held
    grid.walk_rest.start(1)  # the walk rests
    qtbot.waitUntil(lambda: not grid.walk_rest.isActive(), timeout=5_000)
    assert not refiner.held
