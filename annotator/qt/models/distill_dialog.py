"""The dialog of Models > Distil student: which of the project's frames the student learns from beside the
generated ones, and how many epochs; the last choice is remembered in the settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QLabel,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from annotator.qt.app.settings import AppSettings
from annotator.qt.models.model_dialogs import ok_cancel_buttons

#: Which project frames go into a run beside the generated ones (`annotator distill`'s flags).
FRAME_CHOICES = {
    "verified": "Verified frames (their labels and the teacher's soft targets)",
    "all": "Verified frames, and the unverified ones as soft targets only (--unverified)",
    "none": "None: generated frames only (--no-verified)",
}
MAX_EPOCHS = 200


@dataclass(frozen=True)
class DistillChoice:
    """What a distillation run learns from: ``frames`` one of `FRAME_CHOICES`; ``epochs`` 0 for the
    plugin's default."""

    frames: str = "verified"
    epochs: int = 0

    def settings(self) -> dict[str, Any]:
        """The distiller's settings this choice sets (none for the plugin's defaults)."""
        return {"epochs": self.epochs} if self.epochs > 0 else {}


class DistillChoices:
    """The last distillation choice, kept in the application settings."""

    def __init__(self, settings: AppSettings) -> None:
        self._settings = settings.qsettings

    def last(self) -> DistillChoice:
        """The choice made last time (the defaults where none was, or it cannot be read)."""
        frames = str(self._settings.value("distill/frames", "verified") or "verified")
        try:
            epochs = int(self._settings.value("distill/epochs", 0) or 0)
        except (TypeError, ValueError):
            epochs = 0
        return DistillChoice(
            frames if frames in FRAME_CHOICES else "verified", max(0, min(MAX_EPOCHS, epochs))
        )

    def remember(self, choice: DistillChoice) -> None:
        """Keep ``choice`` for next time."""
        self._settings.setValue("distill/frames", choice.frames)
        self._settings.setValue("distill/epochs", choice.epochs)


class DistillDialog(QDialog):
    """Choose the project frames a student learns from and its epochs (``counts``: how many frames each
    choice of `FRAME_CHOICES` takes, as shown)."""

    def __init__(
        self, plugin_id: str, counts: dict[str, str], last: DistillChoice, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Distil a {plugin_id} student")
        self.frame_buttons: dict[str, QRadioButton] = {}
        form = QFormLayout()
        for name, title in FRAME_CHOICES.items():
            button = QRadioButton(f"{title}: {counts.get(name, '-')}")
            button.setChecked(name == last.frames)
            self.frame_buttons[name] = button
            form.addRow("Project frames" if name == "verified" else "", button)
        self.epochs_box = QSpinBox()
        self.epochs_box.setRange(0, MAX_EPOCHS)
        self.epochs_box.setSpecialValueText("the plugin's default")
        self.epochs_box.setValue(last.epochs)
        form.addRow("Epochs", self.epochs_box)
        form.addRow(
            QLabel("Runs in a child process; Models > Cancel distillation keeps the finished epochs.")
        )
        buttons = ok_cancel_buttons(self, "Distil")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def choice(self) -> DistillChoice:
        """What the dialog shows now."""
        frames = next((name for name, button in self.frame_buttons.items() if button.isChecked()), "verified")
        return DistillChoice(frames, self.epochs_box.value())
