"""File > Import dataset and File > Export labels: dialogs over the label-format registry.

An import is parsed in a worker thread (nothing touches the project), then added on the UI thread as
one undoable step. An export runs on the UI thread behind a progress dialog (it only reads).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QProgressDialog,
    QPushButton,
    QWidget,
)

from annotator.core.errors import AnnotatorError
from annotator.core.model.project import Project
from annotator.io.formats import Dataset, LabelFormat, available_formats
from annotator.jobs import Outcome
from annotator.qt.jobs import QtJobs
from annotator.session import Session

logger = logging.getLogger(__name__)


@dataclass
class TransferRequest:
    """What the user chose: a format, a path (source or output folder) and format options."""

    format_id: str
    path: Path
    options: dict[str, str] = field(default_factory=dict)
    frames: str | None = None
    classes: list[str] | None = None


class TransferDialog(QDialog):
    """Choose a format, a path and the format's options (for import or for export)."""

    def __init__(self, exporting: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.exporting = exporting
        self.setWindowTitle("Export labels" if exporting else "Import dataset")
        self.formats: list[LabelFormat] = [
            f for f in available_formats() if (f.can_export if exporting else f.can_import)
        ]
        form = QFormLayout(self)
        self.format_box = QComboBox()
        for label_format in self.formats:
            self.format_box.addItem(f"{label_format.title} ({label_format.id})", label_format.id)
        self.format_box.currentIndexChanged.connect(self._format_changed)
        form.addRow("format", self.format_box)
        self.path_edit = QLineEdit()
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        folder = QPushButton("Folder...")
        folder.clicked.connect(self._choose_folder)
        row.addWidget(folder)
        if not exporting:
            file_button = QPushButton("File...")
            file_button.clicked.connect(self._choose_file)
            row.addWidget(file_button)
        form.addRow("output folder" if exporting else "source", row)
        self.variant_box = QComboBox()
        form.addRow("variant", self.variant_box)
        self.camera_edit = QLineEdit()
        self.camera_edit.setPlaceholderText("default camera")
        form.addRow("camera", self.camera_edit)
        self.options_edit = QLineEdit()
        self.options_edit.setPlaceholderText("format options, e.g. max_range=50, min_points=10 (argoverse)")
        form.addRow("options", self.options_edit)
        self.frames_edit = QLineEdit()
        self.frames_edit.setPlaceholderText("all (or 0-9,15,20-, names)")
        self.classes_edit = QLineEdit()
        self.classes_edit.setPlaceholderText("all classes (or Car, Pedestrian)")
        if exporting:
            form.addRow("frames", self.frames_edit)
            form.addRow("classes", self.classes_edit)
        self.layout_hint = QLineEdit()
        self.layout_hint.setReadOnly(True)
        form.addRow("files", self.layout_hint)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.resize(640, 0)
        self._format_changed()

    def current_format(self) -> LabelFormat | None:
        """The chosen format."""
        index = self.format_box.currentIndex()
        return self.formats[index] if 0 <= index < len(self.formats) else None

    def _format_changed(self, *_: object) -> None:
        label_format = self.current_format()
        self.variant_box.clear()
        if label_format is not None:
            self.variant_box.addItems(list(label_format.variants))
            self.layout_hint.setText(label_format.layout)
        self.variant_box.setEnabled(self.variant_box.count() > 0)

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a folder")
        if folder:
            self.path_edit.setText(folder)

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a label file")
        if path:
            self.path_edit.setText(path)

    def request(self) -> TransferRequest | None:
        """The user's choice (None when the format or the path is missing)."""
        label_format = self.current_format()
        text = self.path_edit.text().strip()
        if label_format is None or not text:
            return None
        options: dict[str, str] = {}
        if self.variant_box.count():
            options["variant"] = self.variant_box.currentText()
        if self.camera_edit.text().strip():
            options["camera"] = self.camera_edit.text().strip()
        for item in self.options_edit.text().split(","):
            key, sep, value = item.partition("=")
            if sep and key.strip():
                options[key.strip()] = value.strip()
        classes = [c.strip() for c in self.classes_edit.text().split(",") if c.strip()]
        return TransferRequest(
            label_format.id,
            Path(text),
            options,
            frames=self.frames_edit.text().strip() or None,
            classes=classes or None,
        )


def read_dataset(request: TransferRequest, timeout_ms: int = 600_000) -> Dataset:
    """Parse a source in a worker thread while the event loop runs; returns the `Dataset`.

    Raises `AnnotatorError` with the reader's message when it cannot be read.
    """
    from PySide6.QtCore import QEventLoop, QTimer

    from annotator.io.importers import read_source

    loop = QEventLoop()
    outcome: dict[str, object] = {}
    jobs = QtJobs(name="read-source")

    def finished(answer: Outcome) -> None:
        outcome["dataset"], outcome["error"] = answer.result, answer.error or None
        loop.quit()

    jobs.submit(
        lambda _context: read_source(request.format_id, request.path, request.options), on_done=finished
    )
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    jobs.shutdown(0)  # a reader past the time limit is left to end on its own; its answer is dropped
    if "dataset" not in outcome:
        raise AnnotatorError(f"reading {request.path} took longer than {timeout_ms // 1000} s")
    if outcome["error"] is not None:
        raise AnnotatorError(str(outcome["error"]))
    dataset = outcome["dataset"]
    assert isinstance(dataset, Dataset)
    return dataset


def import_dataset(session: Session, request: TransferRequest) -> str:
    """Read a source and add it to the open project as one undoable step; returns a summary line."""
    from annotator.io.importers import apply_dataset

    dataset = read_dataset(request)
    report = apply_dataset(session, dataset)
    summary = (
        f"{report.label}: {report.frames_added} frames added, {report.frames_updated} updated, "
        f"{report.objects} objects ({report.objects_added} new, {report.objects_updated} updated)"
    )
    if report.problems:
        summary += f"; {len(report.problems)} malformed objects skipped (first: {report.problems[0]})"
    return summary


def export_labels(project: Project, request: TransferRequest, progress: QProgressDialog | None = None) -> str:
    """Write the project's labels in the chosen format; returns a summary line."""
    from annotator.io.formats.export import export_project

    def step(done: int, total: int, name: str) -> None:
        if progress is not None:
            progress.setMaximum(total)
            progress.setValue(done)
            progress.setLabelText(f"Exporting {name}")
            QApplication.processEvents()

    report = export_project(
        project,
        request.format_id,
        request.path,
        request.frames,
        request.classes,
        request.options,
        step,
    )
    summary = (
        f"exported {report.frames} frames, {report.objects} objects as {report.format_id} to {report.out}"
        f" ({report.unreviewed_text()})"
    )
    if report.skipped:
        summary += (
            f"; {len(report.skipped)} frames skipped (first: {report.skipped[0][0]}: {report.skipped[0][1]})"
        )
    return summary
