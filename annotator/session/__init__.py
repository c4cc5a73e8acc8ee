"""The open project as one Qt-free, evented object: project, undo history and view state (`Session`)."""

from annotator.session.events import Event, SessionEvents
from annotator.session.session import Session

__all__ = ["Event", "Session", "SessionEvents"]
