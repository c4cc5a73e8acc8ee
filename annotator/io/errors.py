"""Errors raised for bad input files: each names the file, where in it, and the problem."""

from __future__ import annotations

from pathlib import Path

from annotator.core.errors import AnnotatorError

__all__ = ["AnnotatorError", "EditRefused", "FormatError", "ProjectChanged", "ProjectError"]


class FormatError(AnnotatorError):
    """A file could not be read or is malformed.

    The message reads ``path:line: field: problem`` (line and field only when known), so a user can
    open the file at the right place.
    """

    def __init__(
        self, path: str | Path, problem: str, *, line: int | None = None, field: str | None = None
    ) -> None:
        self.path = Path(path)
        self.problem = problem
        self.line = line
        self.field = field
        where = str(self.path)
        if line is not None:
            where += f":{line}"
        detail = f"{field}: {problem}" if field else problem
        super().__init__(f"{where}: {detail}")


class ProjectError(AnnotatorError):
    """A project directory is missing, not a project, corrupt, or from a newer version."""


class ProjectChanged(ProjectError):
    """Another process wrote to the project since this one last read it; nothing was written."""


class EditRefused(ProjectChanged):
    """A shared store refused an undo or redo that would revert another annotator's later work; the
    message says which record and who. Nothing was written; the records it touched are reloaded."""
