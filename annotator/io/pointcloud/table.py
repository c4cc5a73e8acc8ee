"""Whitespace-separated numeric tables (ascii PCD, ascii PLY, .xyz/.pts/.txt), one row per line.

Rows are checked without a Python loop over lines: token starts and line ends are found with
numpy on the raw bytes, so the values per line are counted at C speed; only the error path walks
the lines to name the bad one.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from annotator.io.errors import FormatError
from annotator.io.limits import MAX_ROW_VALUES, check_budget

logger = logging.getLogger(__name__)

__all__ = ["parse_table"]

_SPACE = np.zeros(256, dtype=bool)
_SPACE[[9, 10, 11, 12, 13, 32]] = True


def parse_table(
    path: Path,
    data: bytes,
    *,
    first_line: int,
    width: int | None = None,
    rows: int | None = None,
    unit: str = "rows",
) -> np.ndarray:
    """Parse numbers into a float64 (rows, width) array, one row per non-blank line of ``data``.

    ``first_line`` is the 1-based line number of ``data``'s first line in the file (for messages).
    ``width`` is the number of values a row must have (default: the first row's). With ``rows``,
    exactly that many rows are read (fewer raise, further lines are ignored); ``unit`` names them in
    messages ("points", "vertices"). "nan" and "inf" parse.
    Raises FormatError naming the line of a short/long row or of a value that is not a number.
    """
    check_budget(path, len(data) * 12, f"a table of {len(data):,} bytes")  # token indices, values
    raw = np.frombuffer(data, dtype=np.uint8)
    space = _SPACE[raw]
    starts = np.flatnonzero(~space & np.concatenate(([True], space[:-1])))
    newlines = np.flatnonzero(raw == 10)
    token_line = np.searchsorted(newlines, starts)  # line index (0-based) of each token
    bounds = np.concatenate(([0], np.flatnonzero(np.diff(token_line)) + 1, [len(token_line)]))
    if len(token_line) == 0:
        bounds = bounds[:1]
    lines = token_line[bounds[:-1]]  # the non-blank lines
    counts = np.diff(bounds)  # values on each of them
    if rows is not None:
        if len(lines) < rows:
            missing_at = first_line + (int(lines[-1]) + 1 if len(lines) else 0)
            raise FormatError(
                path, f"truncated data: {rows} {unit} announced, {len(lines)} present", line=missing_at
            )
        if len(lines) > rows:
            logger.debug("%s: %d lines after the last of the %s ignored", path, len(lines) - rows, unit)
            lines, counts = lines[:rows], counts[:rows]
    if len(lines) == 0:
        return np.zeros((0, width or 0), dtype=np.float64)
    width = int(counts[0]) if width is None else width
    widest = int(np.argmax(counts))
    if counts[widest] > MAX_ROW_VALUES:
        raise FormatError(
            path, f"{int(counts[widest]):,} values on one line (at most {MAX_ROW_VALUES})",
            line=first_line + int(lines[widest]),
        )  # fmt: skip
    bad = np.flatnonzero(counts != width)
    if len(bad):
        k = int(bad[0])
        raise FormatError(
            path, f"expected {width} values, found {int(counts[k])}", line=first_line + int(lines[k])
        )
    end = int(newlines[lines[-1]]) if lines[-1] < len(newlines) else len(data)
    try:  # C-speed parsing straight from the bytes: no list of tokens in memory
        values = np.fromstring(data[:end], dtype=np.float64, sep=" ")
        if values.size == len(lines) * width:
            return values.reshape(len(lines), width)
    except ValueError:
        pass
    tokens = data[:end].split()  # the error path: find and name the bad value
    for index, token in enumerate(tokens):
        try:
            float(token)
        except ValueError:
            line = first_line + int(lines[index // width])
            raise FormatError(path, f"not a number: {token.decode(errors='replace')!r}", line=line) from None
    raise FormatError(path, "values that are not numbers", line=first_line)  # pragma: no cover
