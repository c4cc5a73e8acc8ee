"""A walked box (a key pressed again and again) costs each step about one nudge: the orthographic views fit
it afresh on different steps, one view a step, and the points found in a worker redraw only the views that
stood sample points in for them."""

from __future__ import annotations

import threading

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


def test_a_walking_step_redraws_every_view_before_an_orthographic_view_is_fitted_afresh(
    window, qtbot
) -> None:
    """The step on which a view fits the walked box afresh (its new crop drawn: the longest step) shows the
    moved box in all four views over their kept pictures first; the fit follows in a turn of its own."""
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
        log.clear()
        window.editing.move(0.1, 0.0, 0.0)
        assert [view.scene.fits for view in grid.ortho.values()] == fits  # no fit within the edit itself
        _settle(window, qtbot)
        refitted = sum(view.scene.fits > before for view, before in zip(grid.ortho.values(), fits))
        if not refitted:
            continue
        deferred += refitted
        first_fit = next(i for i, entry in enumerate(log) if entry.startswith("fit"))
        assert {entry for entry in log[:first_fit]} == {f"render {view.title.text()}" for view in grid.views}
    assert deferred >= 6  # and the views did follow the box
    assert sum(view.deferred_fits for view in grid.ortho.values()) == deferred


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


def test_a_deferred_fit_draws_its_new_crop_unseen_and_shows_it_in_the_next_turn(window, qtbot) -> None:
    """The turn of a walked box's fresh fit draws the view's new cloud layer without showing it; the next
    turn of the scheduler, before any other view's render, puts it back under the moved box: two short
    turns, not one of both."""
    _select_car(window, qtbot)
    grid = window.grid
    log: list[str] = []
    for view in grid.ortho.values():
        picture, name = view.scene.picture, view.title.text()
        drawn = picture.draw_unseen

        def unseen(drawn=drawn, name=name) -> bool:
            done = drawn()
            if done:
                log.append(f"unseen {name}")
            return done

        picture.draw_unseen = unseen
    for view in grid.views:
        view.rendered.connect(lambda _ms, view=view: log.append(f"render {view.title.text()}"))
    grid.scheduler._timer.timeout.connect(lambda: log.append("tick"))  # after each turn of the scheduler
    for _ in range(30):  # 3 m forward: each view fits the box afresh several times
        window.editing.move(0.1, 0.0, 0.0)
        _settle(window, qtbot)
    fits = sum(view.deferred_fits for view in grid.ortho.values())
    assert fits >= 6
    assert sum(entry.startswith("unseen") for entry in log) == fits
    for at, entry in enumerate(log):
        if entry.startswith("unseen"):
            name = entry.split(" ", 1)[1]
            shown = log.index(f"render {name}", at)
            assert set(log[at + 1 : shown]) == {"tick"}  # shown next, before any other view's render
