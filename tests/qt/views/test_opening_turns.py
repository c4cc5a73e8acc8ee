"""Opening a frame keeps the window responsive: one view's picture per event-loop turn, programs compiled
before the first cloud arrives."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QTimer
from window_support import show_window  # type: ignore[import-not-found]


def _renders_between_ticks(log: list[str]) -> list[list[str]]:
    """The renders logged between consecutive ticks of the timer."""
    turns: list[list[str]] = [[]]
    for entry in log:
        if entry == "tick":
            turns.append([])
        else:
            turns[-1].append(entry)
    return turns


def test_every_view_compiled_its_programs_on_a_tiny_frame_before_the_first_cloud(
    qtbot, settings, street_project
) -> None:
    main = show_window(qtbot, settings, street_project)
    qtbot.waitUntil(lambda: main.grid.scheduler.waiting == 0, timeout=10_000)
    assert all(view.rehearsed for view in main.grid.views)  # each drew the tiny frame before its first render
    main.close()


def _settled_window_logging_renders(qtbot, settings, street_project):
    """The window settled on the first frame, and a log its views' renders are written to."""
    main = show_window(qtbot, settings, street_project)
    grid = main.grid
    qtbot.waitUntil(lambda: grid.scheduler.waiting == 0 and not grid.perspective.refining, timeout=10_000)
    log: list[str] = []
    for view in grid.views:
        name = view.objectName()
        view.rendered.connect(lambda _ms, name=name: log.append(name))
    return main, log


def _next_frame_settled(qtbot, main) -> object:
    """Step to the next frame and wait for it to be drawn; returns the cloud shown before."""
    before = main.document.cloud
    main.step_frame(1)
    qtbot.waitUntil(
        lambda: main.document.cloud is not None and main.document.cloud is not before, timeout=10_000
    )
    return before


def test_the_next_frame_reaches_the_views_one_view_per_event_loop_turn(
    qtbot, settings, street_project
) -> None:
    main, log = _settled_window_logging_renders(qtbot, settings, street_project)
    grid = main.grid
    ticker = QTimer()
    ticker.setInterval(0)  # fires on every pass of the event loop (a 1 ms one may not be due between two
    # fast renders of a tiny cloud)
    ticker.timeout.connect(lambda: log.append("tick"))
    ticker.start()
    _next_frame_settled(qtbot, main)
    qtbot.waitUntil(lambda: grid.scheduler.waiting == 0 and not grid.perspective.refining, timeout=10_000)
    ticker.stop()
    turns = _renders_between_ticks(log)
    assert {name for turn in turns for name in turn} == {view.objectName() for view in grid.views}
    assert max(len(turn) for turn in turns) == 1  # never two pictures in one turn
    main.close()


def test_the_orthographic_views_take_in_the_next_frame_each_in_a_turn_of_its_own(
    qtbot, settings, street_project
) -> None:
    main, log = _settled_window_logging_renders(qtbot, settings, street_project)
    grid = main.grid
    for view in grid.ortho.values():
        name = view.objectName()
        view.prepared.connect(lambda name=name: log.append("prepared " + name))
    grid.scheduler._timer.timeout.connect(lambda: log.append("tick"))  # after each of its turns
    before = _next_frame_settled(qtbot, main)
    assert grid.ortho["top"].scene.cloud is before  # the new cloud waits for the view's own turn
    qtbot.waitUntil(lambda: grid.scheduler.waiting == 0 and not grid.perspective.refining, timeout=10_000)
    turns = _renders_between_ticks(log)
    prepared = [turn for turn in turns if any(entry.startswith("prepared") for entry in turn)]
    assert sorted(entry for turn in prepared for entry in turn) == sorted(
        "prepared " + view.objectName() for view in grid.ortho.values()
    )  # each alone in its turn: no picture drawn beside it
    assert all(view.scene.cloud is main.document.cloud for view in grid.ortho.values())
    main.close()


def test_each_views_first_picture_of_the_next_cloud_takes_two_turns(qtbot, settings, street_project) -> None:
    main, log = _settled_window_logging_renders(qtbot, settings, street_project)
    grid = main.grid
    for view in grid.views:
        picture, name = view.scene.picture, view.objectName()
        drawn = picture.draw_unseen

        def unseen(drawn=drawn, name=name) -> bool:
            done = drawn()
            if done:
                log.append("unseen " + name)
            return done

        picture.draw_unseen = unseen
    grid.scheduler._timer.timeout.connect(lambda: log.append("tick"))  # after each of its turns
    _next_frame_settled(qtbot, main)
    qtbot.waitUntil(lambda: grid.scheduler.waiting == 0 and not grid.perspective.refining, timeout=10_000)
    turns = _renders_between_ticks(log)
    assert max(len(turn) for turn in turns) == 1  # the unseen draw and the picture each in a turn of its own
    flat = [entry for turn in turns for entry in turn]
    for view in grid.views:
        name = view.objectName()
        assert flat.count("unseen " + name) == 1
        assert flat.index("unseen " + name) < flat.index(name)  # then shown, under its boxes
        assert flat.index(name) - flat.index("unseen " + name) == 1  # at once: before any other view's
    main.close()
