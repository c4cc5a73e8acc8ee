"""Rebinding the action registry's shortcuts: current bindings, conflicts, user overrides in QSettings.

A binding is an action id and its keys as Qt portable strings (``("Ctrl+K", "Shift+Up")``). Only the
bindings that differ from the registry's defaults are saved (``shortcuts/<action id>`` in the user
settings), so new default keys reach users who never changed that action.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from annotator.qt.app.actions import ActionSpec, MenuSlot, key_sequences
from annotator.qt.app.dialog_focus import exec_returning_focus
from annotator.qt.app.settings import AppSettings

logger = logging.getLogger(__name__)

Bindings = dict[str, tuple[str, ...]]
GROUP = "shortcuts"


def portable(keys: Sequence[str]) -> tuple[str, ...]:
    """Keys (portable strings or ``std:Name``) as the portable strings Qt resolves them to."""
    return tuple(s.toString(QKeySequence.SequenceFormat.PortableText) for s in key_sequences(keys))


def parse_keys(text: str) -> tuple[str, ...]:
    """Keys typed as ``"Ctrl+K, Shift+Up"`` as portable strings; raises ValueError for an unknown key."""
    keys = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if part == "+" or part.endswith("++"):  # "+" alone or "Ctrl++" names the plus key
            sequence = QKeySequence(part)
        else:
            sequence = QKeySequence.fromString(part, QKeySequence.SequenceFormat.PortableText)
        if sequence.isEmpty() or sequence.toString() == "":
            raise ValueError(f"{part!r} is not a key")
        keys.append(sequence.toString(QKeySequence.SequenceFormat.PortableText))
    return tuple(dict.fromkeys(keys))


def conflicts(bindings: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Keys bound to more than one action: key -> the action ids (sorted)."""
    users: dict[str, list[str]] = defaultdict(list)
    for action_id, keys in bindings.items():
        for key in dict.fromkeys(keys):
            users[key].append(action_id)
    return {key: sorted(ids) for key, ids in users.items() if len(ids) > 1}


def default_bindings(specs: Sequence[ActionSpec | MenuSlot]) -> Bindings:
    """Every action's default keys (portable strings)."""
    return {spec.id: portable(spec.keys) for spec in specs if isinstance(spec, ActionSpec)}


class ShortcutManager(QObject):
    """The window's key bindings: defaults from the registry, user overrides applied and saved."""

    #: The bindings changed (after `apply`).
    changed = Signal()

    def __init__(
        self,
        specs: Sequence[ActionSpec | MenuSlot],
        settings: AppSettings,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.specs = [spec for spec in specs if isinstance(spec, ActionSpec)]
        self.actions: Mapping[str, QAction] = {}
        self.settings = settings
        self.defaults = default_bindings(self.specs)

    def attach(self, actions: Mapping[str, QAction]) -> None:
        """Manage these actions (built from the same specs) and give them the saved keys."""
        self.actions = actions
        self.load()

    def saved(self) -> Bindings:
        """The user's overrides from the settings (unknown action ids and bad keys are dropped)."""
        qsettings = self.settings.qsettings
        qsettings.beginGroup(GROUP)
        try:
            stored = {key: qsettings.value(key) for key in qsettings.childKeys()}
        finally:
            qsettings.endGroup()
        overrides: Bindings = {}
        for action_id, value in stored.items():
            if action_id not in self.defaults:
                continue
            text = ", ".join(value) if isinstance(value, list) else str(value or "")
            try:
                overrides[action_id] = parse_keys(text)
            except ValueError as error:
                logger.warning("ignoring saved shortcut of %s: %s", action_id, error)
        return overrides

    def current(self) -> Bindings:
        """The bindings in effect (portable strings)."""
        return {
            action_id: tuple(s.toString(QKeySequence.SequenceFormat.PortableText) for s in action.shortcuts())
            for action_id, action in self.actions.items()
            if action_id in self.defaults
        }

    def load(self) -> None:
        """Apply the saved overrides over the defaults (at start-up)."""
        self._set({**self.defaults, **self.saved()})

    def apply(self, bindings: Mapping[str, Sequence[str]], check: bool = True) -> None:
        """Use ``bindings`` at once and save the ones that differ from the defaults.

        Raises ValueError (naming the keys and actions) when two actions would share a key (unless
        ``check`` is False: the registry's defaults are taken as they are).
        """
        merged = {**self.current(), **{k: tuple(v) for k, v in bindings.items() if k in self.defaults}}
        clashes = conflicts(merged) if check else {}
        if clashes:
            raise ValueError(describe_conflicts(clashes, self.titles()))
        self._set(merged)
        qsettings = self.settings.qsettings
        qsettings.remove(GROUP)
        for action_id, keys in merged.items():
            if keys != self.defaults[action_id]:
                qsettings.setValue(f"{GROUP}/{action_id}", ", ".join(keys))
        self.changed.emit()

    def reset(self) -> None:
        """Back to the registry's default keys (and forget the saved overrides)."""
        self.apply(self.defaults, check=False)

    def titles(self) -> dict[str, str]:
        """Action id -> readable title (``Cuboid > Move > Forward``)."""
        return {
            spec.id: f"{spec.menu.replace('&', '').replace('/', ' > ')} > {spec.title.replace('&', '').rstrip('.')}"
            for spec in self.specs
        }

    def ask(self, parent: QWidget | None = None) -> None:
        """Edit > Keyboard shortcuts: the preferences dialog."""
        from annotator.qt.app.preferences import ShortcutDialog

        dialog = ShortcutDialog(self, parent if parent is not None else self.parent())
        exec_returning_focus(dialog)

    def _set(self, bindings: Mapping[str, Sequence[str]]) -> None:
        for action_id, keys in bindings.items():
            action = self.actions.get(action_id)
            if action is not None:
                action.setShortcuts(
                    [QKeySequence.fromString(k, QKeySequence.SequenceFormat.PortableText) for k in keys]
                )


def describe_conflicts(clashes: Mapping[str, Sequence[str]], titles: Mapping[str, str]) -> str:
    """One line per shared key: ``Ctrl+K: Tracks > Copy ... and Cuboid > ...``."""
    return "\n".join(
        f"{key}: " + " and ".join(titles.get(action_id, action_id) for action_id in ids)
        for key, ids in sorted(clashes.items())
    )
