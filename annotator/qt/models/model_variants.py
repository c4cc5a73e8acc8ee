"""Models > Model version: which form of the model (fp32, int8-static, fp16 on the GPU, pruned, a distilled
student) pre-annotation and scoring use, and its card.

The choice is a project setting (`annotator.ml.variants`), changed by an undoable, saved step; the menu's
check marks follow the project (undo, another window). fp16-gpu is greyed out on a machine without an
NVIDIA GPU.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMessageBox, QWidget

from annotator.core.edits import SetSetting
from annotator.ml.manifest import PluginManifest
from annotator.ml.registry import PluginRegistry
from annotator.ml.shipped import card_lines
from annotator.ml.variants import chosen_variant, cuda_visible, declared_variants, setting_key, variant_card
from annotator.qt.document import Document

logger = logging.getLogger(__name__)

#: The plugin whose variants the menu lists (the one that declares them).
PLUGIN = "pointpillars"
#: The variants the menu offers, in order (ids ``models.variant.<name>``).
VARIANT_NAMES = ("fp32", "int8-static", "fp16-gpu", "pruned", "student", "student-real")


class VariantChooser(QObject):
    """Handlers of Models > Model version (``variants.choose``, ``variants.show_card``)."""

    message = Signal(str, int)

    def __init__(self, document: Document, plugins: PluginRegistry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self._registry = plugins
        self._widget = parent
        self._actions: dict[str, QAction] = {}
        self.card_box: QMessageBox | None = None
        document.opened.connect(self._check_actions)
        document.settings_changed.connect(self._check_actions)

    def manifest(self) -> PluginManifest | None:
        """The manifest of the plugin whose variants are chosen (None when it is not available)."""
        try:
            manifest = self._registry.manifest(PLUGIN)
        except Exception:  # a missing or broken plugin: the menu just does nothing
            return None
        return manifest if declared_variants(manifest) else None

    def bind_actions(self, actions: dict[str, QAction]) -> None:
        """Keep the menu's check marks on the project's choice; grey out fp16-gpu without a GPU."""
        self._actions = actions
        gpu = actions.get("models.variant.fp16-gpu")
        if gpu is not None and not cuda_visible():
            gpu.setEnabled(False)
            gpu.setToolTip("needs an NVIDIA GPU (CUDA); this machine shows none")
        self._check_actions()

    def chosen(self) -> str:
        """The name of the project's chosen variant ("fp32" without a project or plugin)."""
        project, manifest = self.document.project, self.manifest()
        variant = None if project is None or manifest is None else chosen_variant(project, manifest)
        return "fp32" if variant is None else variant.name

    def choose(self, name: str, checked: bool = True) -> None:
        """Use variant ``name`` for pre-annotation and scoring (one undoable step)."""
        if not checked:
            self._check_actions()
            return
        if self.document.project is None or self.manifest() is None:
            self.message.emit(f"Open a project to choose a model version (plugin {PLUGIN} needed)", 5000)
            self._check_actions()
            return
        if name != self.chosen():
            self.document.push(SetSetting(setting_key(PLUGIN), name))
            self.message.emit(f"Pre-annotation and scoring with {PLUGIN} now use: {name}", 5000)
        self._check_actions()

    def card_text(self) -> str:
        """The chosen variant's card as text."""
        project, manifest = self.document.project, self.manifest()
        if project is None or manifest is None:
            return "No project open, or no plugin with model versions."
        variant = chosen_variant(project, manifest)
        card = None if variant is None else variant_card(project, manifest, variant)
        title = f"{PLUGIN}: {variant.title or variant.name}" if variant is not None else PLUGIN
        if card is None:
            return f"{title}\n(no card: its weights are missing here)"
        return "\n".join([title, *card_lines(card)])

    def show_card(self) -> None:
        """Models > Model version > Card of the chosen version."""
        if self.card_box is not None:
            self.card_box.close()
        self.card_box = QMessageBox(
            QMessageBox.Icon.Information, "Model version card", self.card_text(), parent=self._widget
        )
        self.card_box.setObjectName("variantCard")
        self.card_box.open()

    def _check_actions(self) -> None:
        chosen = self.chosen()
        for name in VARIANT_NAMES:
            action = self._actions.get(f"models.variant.{name}")
            if action is not None:
                action.blockSignals(True)
                action.setChecked(name == chosen)
                action.blockSignals(False)
