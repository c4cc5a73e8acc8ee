"""Responsiveness: views render one per event-loop turn, the object list updates only changed rows."""

from __future__ import annotations

import dataclasses
import itertools
import time

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt, QTimer

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, RemoveAnnotations, UpdateAnnotations
from annotator.core.model.records import Annotation
from annotator.qt.views.render_scheduler import RenderScheduler


class SlowView:
    """Stands in for a view: each render takes 30 ms and is logged."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name, self.log = name, log

    def render_now(self) -> float:
        self.log.append(self.name)
        time.sleep(0.03)
        return 30.0


def _ticking(log: list[str], interval_ms: int = 5) -> QTimer:
    """A timer logging "tick": it stands for input and timers waiting while a view renders."""
    timer = QTimer()
    timer.setInterval(interval_ms)
    timer.timeout.connect(lambda: log.append("tick"))
    timer.start()
    return timer


def test_views_render_one_per_event_loop_turn_with_other_events_in_between(qtbot) -> None:
    log: list[str] = []
    scheduler = RenderScheduler()
    views = [SlowView(name, log) for name in ("perspective", "top", "side", "front")]
    ticker = _ticking(log)
    qtbot.wait(20)
    for view in views:
        scheduler.request(view)
    qtbot.waitUntil(lambda: scheduler.waiting == 0, timeout=3_000)
    qtbot.wait(20)
    ticker.stop()
    renders = [i for i, entry in enumerate(log) if entry != "tick"]
    assert [log[i] for i in renders] == ["perspective", "top", "side", "front"]
    assert all(later - earlier > 1 for earlier, later in itertools.pairwise(renders))  # a tick between


def test_requests_coalesce_and_a_view_asking_again_waits_for_the_others(qtbot) -> None:
    log: list[str] = []
    scheduler = RenderScheduler()
    busy, other = SlowView("busy", log), SlowView("other", log)
    for _ in range(5):
        scheduler.request(busy)
    scheduler.request(other)
    assert scheduler.pending(busy) and scheduler.waiting == 2
    qtbot.waitUntil(lambda: log == ["busy"], timeout=2_000)
    scheduler.request(busy)  # changed again right after its render: the other view goes first
    qtbot.waitUntil(lambda: scheduler.waiting == 0, timeout=2_000)
    assert log == ["busy", "other", "busy"]
    scheduler.request(other)
    scheduler.withdraw(other)  # e.g. it rendered at once by other means
    qtbot.wait(30)
    assert log == ["busy", "other", "busy"]


class Detail(SlowView):
    """Stands in for the progressive detail: background work that asks again after each chunk."""

    background = True

    def __init__(self, log: list[str], scheduler: RenderScheduler) -> None:
        super().__init__("chunk", log)
        self.scheduler = scheduler

    def render_now(self) -> float:
        super().render_now()
        self.scheduler.request(self)
        return 30.0


def test_an_edits_redraw_goes_before_a_waiting_chunk_of_detail(qtbot) -> None:
    log: list[str] = []
    scheduler = RenderScheduler()
    detail = Detail(log, scheduler)
    scheduler.request(detail)  # the detail waits for its turn when a box is nudged
    views = [SlowView(name, log) for name in ("perspective", "top", "side", "front")]
    for view in views:
        scheduler.request(view)
    qtbot.waitUntil(lambda: len(log) >= 6, timeout=3_000)
    scheduler.withdraw(detail)
    assert log[:6] == ["perspective", "top", "side", "front", "chunk", "chunk"]


def test_views_asking_all_the_time_do_not_starve_the_detail(qtbot) -> None:
    log: list[str] = []
    scheduler = RenderScheduler()
    detail = Detail(log, scheduler)

    class Busy(SlowView):
        def render_now(self) -> float:
            scheduler.request(self)  # changed again at once, every time
            return super().render_now()

    busy = Busy("busy", log)
    scheduler.request(detail)
    scheduler.request(busy)
    qtbot.waitUntil(lambda: log.count("chunk") >= 2, timeout=3_000)
    scheduler.withdraw(detail)
    scheduler.withdraw(busy)
    first = log.index("chunk")
    assert first == 4 and log[:first] == ["busy"] * 4  # at most four renders go before it in a row


def test_a_change_to_every_view_renders_them_in_separate_turns(window, qtbot) -> None:
    log: list[str] = []
    for view in window.grid.views:
        name = view.objectName()
        view.rendered.connect(lambda _ms, name=name: log.append(name))
    ticker = _ticking(log, 0)  # due in every turn, however fast the renders are
    window.document.set_class_hidden("Truck", True)  # every view draws the cuboids anew
    qtbot.waitUntil(lambda: window.grid.scheduler.waiting == 0, timeout=5_000)
    qtbot.wait(30)
    ticker.stop()
    renders = [i for i, entry in enumerate(log) if entry != "tick"]
    assert {log[i] for i in renders} == {view.objectName() for view in window.grid.views}
    assert len(renders) == 4  # once each
    assert all(later - earlier > 1 for earlier, later in itertools.pairwise(renders))


def _row_items(table) -> dict[int, list[object]]:
    rows = {}
    for row in range(table.rowCount()):
        key = table.item(row, 0).data(Qt.ItemDataRole.UserRole)
        rows[key] = [table.item(row, column) for column in range(table.columnCount())]
    return rows


def test_object_list_replaces_only_the_rows_that_changed(window) -> None:
    table = window.objects_panel.table
    before = _row_items(table)
    car, pedestrian, truck = sorted(window.document.cuboids(), key=lambda a: a.id)
    window.document.push(UpdateAnnotations([dataclasses.replace(pedestrian, class_name="Cyclist")]))
    after = _row_items(table)
    assert after[car.id] == before[car.id] and after[truck.id] == before[truck.id]  # same item objects
    assert after[pedestrian.id][1].text() == "Cyclist"
    box = Cuboid((20.0, -6.0, -0.9), (4.0, 1.8, 1.5), 0.0)
    window.document.push(AddAnnotations([Annotation(0, car.frame_id, "Car", cuboid=box)]))
    added = _row_items(table)
    assert len(added) == 4 and added[car.id] == before[car.id]
    window.document.push(RemoveAnnotations([truck.id]))
    removed = _row_items(table)
    assert truck.id not in removed and removed[car.id] == before[car.id]
    assert table.rowCount() == 3
    window.undo()
    assert table.rowCount() == 4
