"""`qt.Document` is a thin adapter: the session's events arrive as the Qt signals the views use."""

from __future__ import annotations

from annotator.core.edits import RemoveAnnotations, update_annotation
from annotator.io.workspace import Workspace
from annotator.qt.document import Document


def record(document: Document, *names: str) -> list[tuple[str, tuple]]:
    """Every emission of the named Qt signals, in order."""
    seen: list[tuple[str, tuple]] = []
    for name in names:
        getattr(document, name).connect(lambda *args, name=name: seen.append((name, args)))
    return seen


def test_view_state_changes_on_the_session_reach_the_qt_signals(document: Document) -> None:
    seen = record(
        document, "selection_changed", "active_class_changed", "annotations_changed", "frame_changed"
    )
    first, second = (a.id for a in document.cuboids()[:2])
    document.session.select_many([first, second])  # the session alone, as a headless caller would
    document.session.set_active_class("Truck")
    document.session.set_class_hidden("Car", True)
    assert document.selected_ids == [first, second] and document.active_class == "Truck"
    assert "Car" in document.hidden_classes
    document.session.step_frame(1)
    assert document.frame_id == document.frames()[1].id
    assert seen == [
        ("selection_changed", (first,)),
        ("active_class_changed", ("Truck",)),
        ("annotations_changed", (False,)),
        ("selection_changed", (None,)),
        ("frame_changed", (document.frame_id,)),
    ]


def test_an_edit_reaches_the_views_once_saved_and_moves_the_generation(document: Document) -> None:
    target = document.cuboids()[0]
    document.select(target.id)
    seen = record(document, "annotations_changed", "history_changed")
    generation, copy = document.generation, document.snapshot()
    moved = target.cuboid.replace(size=(5.0, 2.0, 1.6))
    command = document.push(update_annotation(document.project, target.id, "Resize cuboid", cuboid=moved))
    assert command is not None and command.label == "Resize cuboid"
    assert seen == [("annotations_changed", (True,)), ("history_changed", ())]
    assert document.generation > generation and copy.annotations[target.id].cuboid == target.cuboid
    assert document.session.undo_label() == "Resize cuboid"


def test_removing_the_selected_box_clears_the_selection_before_the_views_redraw(document: Document) -> None:
    target = document.cuboids()[0].id
    document.select(target)
    seen = record(document, "selection_changed", "annotations_changed")
    document.push(RemoveAnnotations([target]))
    assert seen == [("selection_changed", (None,)), ("annotations_changed", (False,))]


def test_a_refused_edit_is_announced_and_returns_nothing(document: Document) -> None:
    seen = record(document, "edit_refused")
    target = document.cuboids()[0]
    stale = update_annotation(document.project, target.id, "Rename", class_name="Van")
    with Workspace.open(document.session.root) as other:  # another process removes the box first
        other.push(RemoveAnnotations([target.id]))
    assert document.push(stale) is None
    assert len(seen) == 1 and target.id not in document.project.annotations


def test_annotations_changed_names_the_edited_boxes_or_none_when_any_may_look_different(
    document: Document,
) -> None:
    first, second = (a.id for a in document.cuboids()[:2])
    seen: list[frozenset[int] | None] = []
    document.annotations_changed.connect(lambda _selected: seen.append(document.changed_ids))
    moved = document.project.annotations[first].cuboid.replace(size=(5.0, 2.0, 1.6))
    document.push(update_annotation(document.project, first, "Resize cuboid", cuboid=moved))
    document.push(RemoveAnnotations([second]))
    document.set_class_hidden("Car", True)
    document.flags.set_threshold(0.1)
    assert seen == [frozenset({first}), frozenset({second}), None, None]
