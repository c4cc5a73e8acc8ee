"""What the Training panel remembers between sessions (QSettings): the plugin to fine-tune and the options
of a run (replay ratio, held-apart share and the verified frames from which it applies, gate tolerance, uncertainty selection, self-training, epochs,
threads)."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

from annotator.ml.finetune.spec import FineTuneOptions
from annotator.qt.app.settings import AppSettings

logger = logging.getLogger(__name__)

PREFIX = "training/"


@dataclass(frozen=True)
class TrainingChoice:
    """One run's choices as the panel shows them (``epochs`` 0: the plugin's default)."""

    plugin_id: str = ""
    replay_ratio: float = 0.5
    held_apart: float = 0.2
    held_apart_from: int = 30
    tolerance: float = 0.02
    uncertainty_selection: bool = False
    self_training: bool = False
    epochs: int = 0
    threads: int = 1

    def options(self, has_epochs: bool) -> FineTuneOptions:
        """The job's options (``epochs`` only passed to plugins that have that parameter)."""
        params = {"epochs": self.epochs} if has_epochs and self.epochs > 0 else {}
        return FineTuneOptions(
            replay_ratio=self.replay_ratio, held_apart=self.held_apart, held_apart_from=self.held_apart_from,
            tolerance=self.tolerance,
            uncertainty_selection=self.uncertainty_selection, self_training=self.self_training,
            threads=max(1, self.threads), params=params,
        )  # fmt: skip


class TrainingChoices:
    """Typed access to the remembered `TrainingChoice` (in the application's QSettings)."""

    def __init__(self, settings: AppSettings) -> None:
        self.qsettings = settings.qsettings

    def last(self) -> TrainingChoice:
        """The choices last remembered (defaults where none or unreadable)."""
        values = {}
        for field in dataclasses.fields(TrainingChoice):
            default = field.default
            try:
                values[field.name] = self.qsettings.value(PREFIX + field.name, default, type=type(default))
            except (TypeError, ValueError):
                values[field.name] = default
        return TrainingChoice(**values)

    def remember(self, choice: TrainingChoice) -> None:
        """Keep ``choice`` for the next session."""
        for name, value in dataclasses.asdict(choice).items():
            self.qsettings.setValue(PREFIX + name, value)
