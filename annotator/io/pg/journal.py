"""The local journal of a shared project: steps written while the server could not be reached.

Each step is one JSON line (its changes, its undo-history update and the row versions it was based on),
flushed and fsynced before the edit is shown as done. On reconnect the store replays the lines in order;
a step that conflicts with what others wrote meanwhile is moved to a ``.conflicts.jsonl`` file beside the
journal and reported, never dropped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotator.core.model.commands import HistoryEntry, HistoryUpdate
from annotator.core.model.project import Change
from annotator.core.model.serialize import change_from_data, change_to_data

logger = logging.getLogger(__name__)

#: Overrides the journal folder (default: the user's state directory).
JOURNAL_DIR_VARIABLE = "ANNOTATOR_JOURNAL_DIR"


@dataclass
class JournalStep:
    """One step written offline: its changes, history update and the versions it expected."""

    changes: list[Change]
    update: HistoryUpdate
    #: "table|json-key" -> the row version the step was based on (None: the row did not exist;
    #: "pending": a row an earlier journaled step wrote).
    expected: dict[str, Any]


def journal_path(location: str, user: str) -> Path:
    """Where the journal of ``user``'s edits of the project at ``location`` lives."""
    folder = os.environ.get(JOURNAL_DIR_VARIABLE)
    if folder is None:
        from platformdirs import user_state_dir

        folder = str(Path(user_state_dir("annotator")) / "journal")
    digest = hashlib.sha1(f"{location}\n{user}".encode()).hexdigest()[:16]
    name = location.rstrip("/").rsplit("/", 1)[-1]
    return Path(folder) / f"{name}-{digest}.jsonl"


class OfflineJournal:
    """Appends steps to a JSON-lines file and reads them back for replay."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def conflicts_path(self) -> Path:
        """Where steps that conflicted on replay are kept."""
        return self.path.with_suffix(".conflicts.jsonl")

    def append(self, changes: Sequence[Change], update: HistoryUpdate, expected: dict[str, Any]) -> None:
        """Write one step durably."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(_step_to_data(changes, update, expected), separators=(",", ":"))
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def steps(self) -> list[JournalStep]:
        """The journaled steps in order (a torn last line, from a crash mid-write, is skipped)."""
        if not self.path.is_file():
            return []
        steps = []
        for number, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), 1):
            try:
                steps.append(_step_from_data(json.loads(line)))
            except (ValueError, KeyError, TypeError) as error:
                logger.warning("%s:%d: unreadable journal step skipped (%s)", self.path, number, error)
        return steps

    def keep_conflict(self, step: JournalStep, reason: str) -> None:
        """Move a step that could not be replayed to the conflicts file, with why."""
        data = _step_to_data(step.changes, step.update, step.expected)
        data["conflict"] = reason
        with self.conflicts_path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(data, separators=(",", ":")) + "\n")

    def replace(self, steps: list[JournalStep]) -> None:
        """Keep only ``steps`` (those not replayed yet), durably."""
        temporary = self.path.with_suffix(".tmp")
        with temporary.open("w", encoding="utf-8") as handle:
            for step in steps:
                handle.write(
                    json.dumps(_step_to_data(step.changes, step.update, step.expected), separators=(",", ":"))
                    + "\n"
                )
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(self.path)

    def clear(self) -> None:
        """Forget the replayed steps."""
        self.path.unlink(missing_ok=True)


def _step_to_data(
    changes: Sequence[Change], update: HistoryUpdate, expected: dict[str, Any]
) -> dict[str, Any]:
    entry = update.entry
    return {
        "changes": [change_to_data(c) for c in changes],
        "action": update.action,
        "index": update.index,
        "entry": None
        if entry is None
        else {"label": entry.label, "changes": [change_to_data(c) for c in entry.changes]},
        "expected": expected,
    }


def _step_from_data(data: dict[str, Any]) -> JournalStep:
    entry = data["entry"]
    history = None
    if entry is not None:
        history = HistoryEntry(str(entry["label"]), tuple(change_from_data(c) for c in entry["changes"]))
    update = HistoryUpdate(str(data["action"]), int(data["index"]), history)
    return JournalStep([change_from_data(c) for c in data["changes"]], update, dict(data["expected"]))
