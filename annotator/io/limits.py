"""Limits every reader checks before allocating: what a file declares must fit the file and a budget.

A small hostile file can declare billions of points (or a zip member that inflates to gigabytes). The
readers compare such declarations with the bytes actually present and with ``MAX_DECODED_BYTES``
before they allocate anything, and give a named `FormatError` instead.
"""

from __future__ import annotations

import logging
import os
import time
import zipfile
from pathlib import Path

from annotator.io.errors import FormatError

logger = logging.getLogger(__name__)

#: Largest decoded size (bytes) one file may need; ``ANNOTATOR_MAX_CLOUD_MB`` overrides it.
DEFAULT_MAX_DECODED_BYTES = 1 << 30
#: Largest decompressed/compressed ratio of one archive member (a zip bomb has thousands).
MAX_RATIO = 200
#: Most values one row of a text cloud may hold.
MAX_ROW_VALUES = 256
#: Longest (seconds) decoding one file may take; ``ANNOTATOR_MAX_READ_SECONDS`` overrides it.
DEFAULT_MAX_READ_SECONDS = 60.0


def max_decoded_bytes() -> int:
    """The decoding budget in bytes (``ANNOTATOR_MAX_CLOUD_MB`` in the environment, else 1 GiB)."""
    value = os.environ.get("ANNOTATOR_MAX_CLOUD_MB", "")
    if value.isdigit() and len(value) < 9:
        return int(value) << 20
    return DEFAULT_MAX_DECODED_BYTES


def max_read_seconds() -> float:
    """The wall-clock reading budget per file (``ANNOTATOR_MAX_READ_SECONDS``, else 60 s)."""
    try:
        value = float(os.environ.get("ANNOTATOR_MAX_READ_SECONDS", DEFAULT_MAX_READ_SECONDS))
    except ValueError:
        return DEFAULT_MAX_READ_SECONDS
    return value if value >= 0 else DEFAULT_MAX_READ_SECONDS


class ReadDeadline:
    """A wall-clock budget for decoding one file: `check` raises `FormatError` once it is spent.

    The size checks above keep hostile files fast; this bounds what is left (a pure-Python decoder
    working through a large, valid but pathological stream)."""

    def __init__(self, path: Path, seconds: float | None = None) -> None:
        self.path = path
        self.seconds = max_read_seconds() if seconds is None else seconds
        self._end = time.monotonic() + self.seconds

    def check(self) -> None:
        """Raise `FormatError` when the budget is spent."""
        if time.monotonic() >= self._end:
            raise FormatError(
                self.path,
                f"reading took longer than the {self.seconds:g} s budget (ANNOTATOR_MAX_READ_SECONDS)",
            )


def check_budget(path: Path, nbytes: int, what: str) -> None:
    """Raise `FormatError` when decoding ``what`` would take more than the budget."""
    budget = max_decoded_bytes()
    if nbytes > budget:
        raise FormatError(
            path, f"{what} would need {nbytes:,} bytes, more than the {budget:,} byte reading budget"
        )


def check_present(path: Path, need: int, have: int, what: str) -> None:
    """Raise `FormatError` when ``what`` needs ``need`` bytes and the file holds only ``have``."""
    if need > have:
        raise FormatError(path, f"truncated data: {what} need {need:,} bytes, the file has {have:,}")


def check_archive(path: Path, max_bytes: int | None = None) -> list[zipfile.ZipInfo]:
    """The members of a zip (``.npz``) after checking, from its directory alone, that they inflate to
    at most ``max_bytes`` in all and none with an absurd compression ratio; `FormatError` otherwise."""
    limit = max_decoded_bytes() if max_bytes is None else max_bytes
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (OSError, zipfile.BadZipFile, ValueError) as error:
        raise FormatError(path, f"not a readable {path.suffix or 'zip'} file ({error})") from error
    total = 0
    for member in members:
        total += member.file_size
        if member.file_size > MAX_RATIO * max(member.compress_size, 4096):
            raise FormatError(
                path, f"member {member.filename!r} inflates to {member.file_size:,} bytes: refused"
            )
    if total > limit:
        raise FormatError(path, f"members inflate to {total:,} bytes, more than the {limit:,} byte budget")
    return members
