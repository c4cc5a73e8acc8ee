"""The base of all errors caused by user input rather than by a bug."""

from __future__ import annotations


class AnnotatorError(Exception):
    """An error the user can act on: shown as one clear line, never as a traceback."""
