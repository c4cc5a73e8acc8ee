"""What the application remembers between sessions (QSettings): recent projects, the last frame viewed
per project, the window layout and the display options.

The last frame is kept here, per project path, rather than as a project setting: moving between frames
is not an edit, so it must not fill the undo history or write to the project database.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from annotator.io.store_api import is_shared_location
from annotator.render.style import DisplayOptions

logger = logging.getLogger(__name__)

MAX_RECENT = 8


def _project_key(directory: Path | str) -> str:
    path = str(Path(directory).resolve())
    return "projects/" + hashlib.sha1(path.encode("utf-8")).hexdigest()[:16]


def _typed(value: Any, default: Any) -> Any:
    """QSettings returns strings from ini files: convert back to the default's type."""
    if value is None:
        return default
    if isinstance(default, bool):
        return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
    try:
        return type(default)(value)
    except (TypeError, ValueError):
        return default


class AppSettings:
    """Typed access to the application's QSettings (pass one in for tests)."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self.qsettings = settings if settings is not None else QSettings()

    # -- recent projects ----------------------------------------------------------------------------
    def recent_projects(self) -> list[str]:
        """Recently opened project directories, newest first."""
        value = self.qsettings.value("recent_projects", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def remember_recent(self, directory: Path | str) -> None:
        """Put ``directory`` first in the recent projects."""
        path = directory if is_shared_location(directory) else str(Path(directory).resolve())
        paths = [path] + [p for p in self.recent_projects() if p != path]
        self.qsettings.setValue("recent_projects", paths[:MAX_RECENT])

    # -- per project --------------------------------------------------------------------------------
    def last_frame(self, directory: Path | str) -> int | None:
        """Id of the frame last viewed in the project, or None."""
        value = self.qsettings.value(_project_key(directory) + "/last_frame")
        try:
            return None if value is None else int(value)
        except (TypeError, ValueError):
            return None

    def set_last_frame(self, directory: Path | str, frame_id: int | None) -> None:
        """Remember the frame viewed in the project."""
        key = _project_key(directory) + "/last_frame"
        if frame_id is None:
            self.qsettings.remove(key)
        else:
            self.qsettings.setValue(key, int(frame_id))

    # -- display options ----------------------------------------------------------------------------
    def display_options(self) -> DisplayOptions:
        """The display options last used (defaults for anything unset)."""
        defaults = DisplayOptions()
        values = {
            f.name: _typed(self.qsettings.value(f"display/{f.name}"), getattr(defaults, f.name))
            for f in dataclasses.fields(DisplayOptions)
        }
        return DisplayOptions(**values)

    def set_display_options(self, options: DisplayOptions) -> None:
        """Remember the display options."""
        for f in dataclasses.fields(DisplayOptions):
            self.qsettings.setValue(f"display/{f.name}", getattr(options, f.name))

    # -- window layout ------------------------------------------------------------------------------
    def layout_state(self, name: str) -> QByteArray | None:
        """A saved geometry or state blob (window geometry, dock state, splitter sizes)."""
        value = self.qsettings.value(f"layout/{name}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_layout_state(self, name: str, state: QByteArray) -> None:
        """Remember a geometry or state blob."""
        self.qsettings.setValue(f"layout/{name}", state)

    def sync(self) -> None:
        """Write pending changes to disk."""
        self.qsettings.sync()
