"""The session drives selection and editing headless: no QApplication, no Qt import needed."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests_support import car, raised_points_project  # type: ignore[import-not-found]

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, RemoveAnnotations, RemoveFrames, update_annotation
from annotator.io.store import ProjectStore
from annotator.io.workspace import Workspace
from annotator.session import Event, Session


class Recorder:
    """Every session event as (name, arguments), in the order they came."""

    def __init__(self, session: Session) -> None:
        self.seen: list[tuple[str, tuple]] = []
        for name in ("opened", "project", "history", "frame", "selection", "active_class", "hidden_classes"):
            getattr(session.events, name).connect(lambda *args, name=name: self.seen.append((name, args)))

    def names(self) -> list[str]:
        names = [name for name, _ in self.seen]
        self.seen.clear()
        return names


@pytest.fixture
def session(tmp_path: Path) -> Session:
    """A session on a generated project of three frames, each with two cars; closed afterwards."""
    workspace = Workspace.open(raised_points_project(tmp_path / "project", 3))
    for frame in workspace.project.frames_in_order():
        workspace.push(AddAnnotations([car(frame.id, 0.0), car(frame.id, 8.0)]))
    session = Session()
    session.open(workspace)
    yield session
    session.close()
    workspace.close()


def moved(session: Session, annotation_id: int, x: float) -> Cuboid:
    cuboid = session.project.annotations[annotation_id].cuboid
    return Cuboid((x, cuboid.center[1], cuboid.center[2]), cuboid.size, cuboid.yaw)


def test_opening_shows_the_first_frame_with_nothing_selected(session: Session) -> None:
    assert session.frame_id == session.frames()[0].id and session.frame_position() == 0
    assert session.selected_ids == [] and len(session.cuboids()) == 2
    assert session.active_class == session.project.schema.names[0]


def test_selection_is_of_the_current_frame_and_follows_it(session: Session) -> None:
    events = Recorder(session)
    first, second = (a.id for a in session.cuboids())
    session.select(first)
    session.toggle_selected(second)  # Ctrl+click adds
    assert session.selected_ids == [first, second] and session.also_selected == (second,)
    session.toggle_selected(first)  # Ctrl+click on a selected box takes it out; the next becomes primary
    assert session.selected_ids == [second]
    session.select_many([first, second, first])
    assert session.selected_ids == [first, second]
    elsewhere = session.project.annotations_of(session.frames()[1].id)[0].id
    session.select_many([elsewhere])  # not on this frame: nothing
    assert session.selected_ids == []
    assert events.seen == [
        ("selection", (first,)),
        ("selection", (first,)),
        ("selection", (second,)),
        ("selection", (first,)),
        ("selection", (None,)),
    ]
    session.select(first)
    events.seen.clear()
    session.step_frame(1)  # another frame: the selection clears first, then the frame changes
    assert events.seen == [("selection", (None,)), ("frame", (session.frames()[1].id,))]
    session.step_frame(5)
    assert session.frame_position() == 2


def test_active_and_hidden_classes_are_view_state(session: Session) -> None:
    events = Recorder(session)
    generation, undo_label = session.generation, session.undo_label()
    session.set_active_class("Pedestrian")
    session.set_active_class("Pedestrian")  # no news when it is already chosen
    session.set_class_hidden("Car", True)
    assert session.active_class == "Pedestrian" and session.hidden_classes == {"Car"}
    session.set_class_hidden("Car", False)
    assert events.seen == [
        ("active_class", ("Pedestrian",)),
        ("hidden_classes", ("Car", True)),
        ("hidden_classes", ("Car", False)),
    ]
    assert session.generation == generation and session.undo_label() == undo_label  # no project change


def test_an_edit_is_announced_after_it_is_saved_and_counted(session: Session) -> None:
    root = session.root
    saved: list[bool] = []

    def check_saved(changes: tuple) -> None:
        with_store = ProjectStore.open(root, read_only=True)
        try:
            stored = with_store.load().annotations[changes[0].key]
        finally:
            with_store.close()
        saved.append(stored == changes[0].after)

    session.events.project.connect(check_saved)
    events = Recorder(session)
    generation = session.generation
    target = session.cuboids()[0].id
    command = session.push(
        update_annotation(session.project, target, "Move cuboid", cuboid=moved(session, target, 3))
    )
    assert command.label == "Move cuboid" and session.undo_label() == "Move cuboid"
    assert saved == [True] and session.generation > generation
    assert events.names() == ["project", "history"]


def test_consecutive_nudges_merge_until_close_merge(session: Session) -> None:
    target = session.cuboids()[0].id
    start = session.project.annotations[target].cuboid
    for x in (1.0, 2.0, 3.0):
        session.push(
            update_annotation(
                session.project,
                target,
                "Nudge",
                merge_key=("nudge", target),
                cuboid=moved(session, target, x),
            )
        )
    session.close_merge()
    session.push(
        update_annotation(
            session.project, target, "Nudge", merge_key=("nudge", target), cuboid=moved(session, target, 4.0)
        )
    )
    session.undo()
    assert session.project.annotations[target].cuboid.center[0] == 3.0
    session.undo()  # the three merged nudges are one step
    assert session.project.annotations[target].cuboid == start
    generation = session.generation
    session.redo()
    assert session.project.annotations[target].cuboid.center[0] == 3.0 and session.generation > generation


def test_a_group_is_one_step_announced_once(session: Session) -> None:
    events = Recorder(session)
    frame_id = session.frame_id
    with session.group("Add two vans"):
        session.push(AddAnnotations([car(frame_id, 20.0)]))
        session.push(AddAnnotations([car(frame_id, 30.0)]))
        assert events.names() == []  # nothing is announced before the group is saved
    assert events.names() == ["project", "history"]
    assert session.undo_label() == "Add two vans" and len(session.cuboids()) == 4
    session.undo()
    assert len(session.cuboids()) == 2


def test_a_failing_group_takes_its_commands_back_silently(session: Session) -> None:
    events = Recorder(session)
    generation = session.generation
    with pytest.raises(RuntimeError), session.group("Half done"):
        session.push(AddAnnotations([car(session.frame_id, 20.0)]))
        raise RuntimeError("stopped")
    assert len(session.cuboids()) == 2 and events.names() == [] and session.generation == generation


def test_removing_selected_boxes_updates_the_selection_before_the_project_event(session: Session) -> None:
    first, second = (a.id for a in session.cuboids())
    session.select_many([first, second])
    seen: list[tuple[str, object]] = []
    session.events.selection.connect(lambda primary: seen.append(("selection", primary)))
    session.events.project.connect(lambda changes: seen.append(("project", session.selected_ids)))
    session.push(RemoveAnnotations([first]))
    assert seen == [("selection", second), ("project", [second])]
    session.undo()
    assert session.selected_ids == [second]


def test_removing_the_current_frame_moves_to_the_first(session: Session) -> None:
    session.step_frame(2)
    last = session.frame_id
    session.push(RemoveFrames([last]))
    assert session.frame_id == session.frames()[0].id


def test_a_snapshot_is_a_private_copy_of_its_generation(session: Session) -> None:
    generation, copy = session.generation, session.snapshot()
    target = session.cuboids()[0].id
    session.push(
        update_annotation(session.project, target, "Move cuboid", cuboid=moved(session, target, 9.0))
    )
    assert copy.annotations[target].cuboid.center[0] == 0.0 and session.generation != generation


def test_another_process_s_changes_are_loaded_and_announced(session: Session) -> None:
    events = Recorder(session)
    generation = session.generation
    with Workspace.open(session.root) as other:
        other.push(AddAnnotations([car(session.frame_id, 40.0)]))
    assert session.refresh_if_changed()
    assert len(session.cuboids()) == 3 and session.generation > generation
    assert "project" in events.names()


def test_closing_forgets_the_project_and_the_view_state(session: Session) -> None:
    session.select(session.cuboids()[0].id)
    events = Recorder(session)
    generation = session.generation
    session.close()
    assert session.project is None and session.frame_id is None and session.selected_ids == []
    assert events.names() == ["opened", "frame", "history"] and session.generation > generation
    with pytest.raises(RuntimeError, match="no project is open"):
        session.snapshot()


def test_an_event_calls_each_callback_once_in_order() -> None:
    event, calls = Event(), []
    first = event.connect(lambda value: calls.append(("first", value)))
    event.connect(first)
    event.connect(lambda value: calls.append(("second", value)))
    event.emit(1)
    event.disconnect(first)
    event.disconnect(first)
    event.emit(2)
    assert calls == [("first", 1), ("second", 1), ("second", 2)]
