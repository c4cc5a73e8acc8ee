"""The properties of the selected cuboid as editable numbers; every edit is one undoable command.

Consecutive arrow-key or wheel steps on the same field merge into one undo step ("Move cuboid"),
closed when the field loses focus or Enter is pressed. Each field's context menu pushes its value to the
same object's box in the next or previous frame (one undoable step).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QWidget

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import update_annotation
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation
from annotator.core.pose import Pose
from annotator.core.world import to_world
from annotator.qt.document import Document
from annotator.qt.panels.objects import provenance_text

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Field:
    name: str
    title: str
    label: str  # undo label
    decimals: int
    step: float
    minimum: float
    maximum: float
    degrees: bool = False
    nine_dof_only: bool = False


_FIELDS = (
    _Field("x", "x (m)", "Move cuboid", 3, 0.05, -1e5, 1e5),
    _Field("y", "y (m)", "Move cuboid", 3, 0.05, -1e5, 1e5),
    _Field("z", "z (m)", "Move cuboid", 3, 0.05, -1e5, 1e5),
    _Field("length", "length (m)", "Resize cuboid", 3, 0.05, 0.0, 1e4),
    _Field("width", "width (m)", "Resize cuboid", 3, 0.05, 0.0, 1e4),
    _Field("height", "height (m)", "Resize cuboid", 3, 0.05, 0.0, 1e4),
    _Field("yaw", "yaw (°)", "Rotate cuboid", 2, 1.0, -360.0, 360.0, degrees=True),
    _Field("pitch", "pitch (°)", "Rotate cuboid", 2, 1.0, -180.0, 180.0, degrees=True, nine_dof_only=True),
    _Field("roll", "roll (°)", "Rotate cuboid", 2, 1.0, -180.0, 180.0, degrees=True, nine_dof_only=True),
)


def cuboid_values(cuboid: Cuboid) -> dict[str, float]:
    """The panel's numbers for a cuboid (angles in degrees)."""
    (x, y, z), (length, width, height) = cuboid.center, cuboid.size
    return {
        "x": x,
        "y": y,
        "z": z,
        "length": length,
        "width": width,
        "height": height,
        "yaw": math.degrees(cuboid.yaw),
        "pitch": math.degrees(cuboid.pitch),
        "roll": math.degrees(cuboid.roll),
    }


def cuboid_with(cuboid: Cuboid, name: str, value: float) -> Cuboid:
    """``cuboid`` with one panel field changed (angles in degrees)."""
    values = cuboid_values(cuboid)
    values[name] = value
    return Cuboid(
        (values["x"], values["y"], values["z"]),
        (values["length"], values["width"], values["height"]),
        math.radians(values["yaw"]),
        math.radians(values["pitch"]),
        math.radians(values["roll"]),
    )


def track_neighbour(project: Project, annotation: Annotation, step: int) -> Annotation | None:
    """The cuboid of ``annotation``'s track in the frame ``step`` frames away (+1 next, -1 previous)."""
    if annotation.track_id is None:
        return None
    frames = project.frames_in_order()
    position = next((i for i, f in enumerate(frames) if f.id == annotation.frame_id), None)
    if position is None or not 0 <= position + step < len(frames):
        return None
    target = frames[position + step].id
    return next(
        (
            a
            for a in project.annotations_of(target, "cuboid")
            if a.track_id == annotation.track_id and a.id != annotation.id
        ),
        None,
    )


class PropertiesPanel(QWidget):
    """Class, pose and size of the selected cuboid (editable), and its id, track, source and points."""

    #: A message for the status bar (text, milliseconds).
    message = Signal(str, int)

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        form = QFormLayout(self)
        form.setContentsMargins(6, 6, 6, 6)
        self.info = QLabel("Nothing selected")
        self.info.setWordWrap(True)
        form.addRow(self.info)
        self.class_box = QComboBox()
        self.class_box.activated.connect(self._class_chosen)
        form.addRow("class", self.class_box)
        self.spins: dict[str, QDoubleSpinBox] = {}
        self._rows: dict[str, tuple[QLabel, QDoubleSpinBox]] = {}
        for field in _FIELDS:
            spin = QDoubleSpinBox()
            spin.setObjectName(f"property-{field.name}")
            spin.setDecimals(field.decimals)
            spin.setSingleStep(field.step)
            spin.setRange(field.minimum, field.maximum)
            spin.setKeyboardTracking(False)
            spin.setWrapping(field.degrees and field.name == "yaw")
            spin.valueChanged.connect(lambda value, f=field: self._edited(f, value))
            spin.editingFinished.connect(self._close_merge)
            spin.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
            for step, where in ((1, "next"), (-1, "previous")):
                push = QAction(f"Push {field.name} to the {where} frame", spin)
                push.setObjectName(f"push-{field.name}-{where}")
                push.triggered.connect(lambda _=False, f=field, s=step: self.push_value(f.name, s))
                spin.addAction(push)
            label = QLabel(field.title)
            form.addRow(label, spin)
            self.spins[field.name] = spin
            self._rows[field.name] = (label, spin)
        self.points_label = QLabel("")
        form.addRow("points inside", self.points_label)
        self.world_label = QLabel("")  # the box in the world frame, when the frame has an ego pose
        self.world_label.setToolTip("centre (m) and yaw of the box in the world frame of the ego poses")
        form.addRow("in the world", self.world_label)
        document.selection_changed.connect(self.refresh)
        document.annotations_changed.connect(self.refresh)
        document.cloud_changed.connect(self.refresh)
        document.points_found.connect(self.refresh)
        document.schema_changed.connect(self.refresh)
        document.settings_changed.connect(self.refresh)
        document.opened.connect(self.refresh)
        document.cuboid_previewed.connect(self._previewed)
        self.refresh()

    def _show_values(self, values: dict[str, float]) -> None:
        """Put numbers in the fields without treating them as edits."""
        for field in _FIELDS:
            spin = self.spins[field.name]
            spin.blockSignals(True)
            spin.setValue(values.get(field.name, 0.0))
            spin.blockSignals(False)

    def _previewed(self, annotation_id: int, cuboid: Cuboid | None) -> None:
        """Follow a drag of the selected box live (the drag's end is a command: `refresh` then)."""
        if annotation_id != self.document.selected_id:
            return
        if cuboid is None:
            self.refresh()
        else:
            self._show_values(cuboid_values(cuboid))

    def refresh(self, *_: object) -> None:
        """Show the selected annotation's values."""
        annotation = self.document.selected
        project = self.document.project
        enabled = annotation is not None and annotation.cuboid is not None
        nine_dof = bool(project is not None and project.setting("nine_dof"))
        self.class_box.blockSignals(True)
        self.class_box.clear()
        if project is not None:
            self.class_box.addItems(project.schema.names)
        if enabled:
            if annotation.class_name not in project.schema:
                self.class_box.addItem(annotation.class_name)
            self.class_box.setCurrentText(annotation.class_name)
        self.class_box.setEnabled(enabled)
        self.class_box.blockSignals(False)
        values = cuboid_values(annotation.cuboid) if enabled else {}
        for field in _FIELDS:
            label, spin = self._rows[field.name]
            visible = not field.nine_dof_only or nine_dof or bool(values.get(field.name))
            label.setVisible(visible)
            spin.setVisible(visible)
            spin.setEnabled(enabled)
        self._show_values(values)
        frame = self.document.frame
        self.world_label.setText(
            world_text(annotation.cuboid, frame.pose) if enabled and frame is not None else ""
        )
        if not enabled:
            self.info.setText("Nothing selected")
            self.points_label.setText("")
            return
        track = f"track {annotation.track_id}" if annotation.track_id else "no track"
        self.info.setText(
            f"<b>#{annotation.id}</b> · {track} · {provenance_text(annotation.provenance)} · {annotation.review.value}"
        )
        count = self.document.points_inside(annotation)
        self.points_label.setText("…" if count is None else f"{count:,}")

    def _edited(self, field: _Field, value: float) -> None:
        annotation = self.document.selected
        project = self.document.project
        if annotation is None or annotation.cuboid is None or project is None:
            return
        if abs(cuboid_values(annotation.cuboid)[field.name] - value) < 10 ** (-field.decimals - 1):
            return
        cuboid = cuboid_with(annotation.cuboid, field.name, value)
        self.document.push(
            update_annotation(
                project,
                annotation.id,
                label=field.label,
                merge_key=("properties", annotation.id, field.name),
                cuboid=cuboid,
            )
        )

    def push_value(self, name: str, step: int) -> bool:
        """Give the same object's cuboid in the next (``step`` 1) or previous (-1) frame this field's value
        of the selected cuboid; False (and a message) when that frame has no box of the object."""
        annotation = self.document.selected
        project = self.document.project
        if annotation is None or annotation.cuboid is None or project is None:
            return False
        where = "next" if step > 0 else "previous"
        other = track_neighbour(project, annotation, step)
        if other is None or other.cuboid is None:
            self.message.emit(f"The {where} frame has no box of this object", 4000)
            return False
        value = cuboid_values(annotation.cuboid)[name]
        cuboid = cuboid_with(other.cuboid, name, value)
        if cuboid != other.cuboid:
            label = f"Push {name} to the {where} frame"
            self.document.push(update_annotation(project, other.id, label=label, cuboid=cuboid))
        self.message.emit(f"{name} {value:.3f} pushed to the {where} frame", 3000)
        return True

    def _close_merge(self) -> None:
        self.document.close_merge()

    def _class_chosen(self, index: int) -> None:
        annotation = self.document.selected
        project = self.document.project
        name = self.class_box.itemText(index)
        if annotation is None or project is None or not name or name == annotation.class_name:
            return
        self.document.push(
            update_annotation(project, annotation.id, label=f"Change class to {name}", class_name=name)
        )


def world_text(cuboid: Cuboid | None, pose: Pose | None) -> str:
    """A box's centre and yaw in the world frame (empty without a pose)."""
    if cuboid is None or pose is None:
        return ""
    world = to_world(cuboid, pose)
    x, y, z = world.center
    return f"{x:.2f}, {y:.2f}, {z:.2f} m · yaw {math.degrees(world.yaw):.1f}°"
