"""Dataset importers: read a source in a registered format, then add it to a project in one step.

`read_source` parses and validates everything first (nothing touches the project); `apply_dataset`
then adds it as one undoable command. Source files are referenced where they are, never copied.
"""

from __future__ import annotations

import logging
from pathlib import Path

from annotator.core.errors import AnnotatorError
from annotator.io.errors import FormatError
from annotator.io.formats import get_format
from annotator.io.formats.base import Dataset
from annotator.io.importers.apply import ImportReport, apply_dataset, import_label

logger = logging.getLogger(__name__)

__all__ = ["ImportReport", "apply_dataset", "import_label", "read_source"]


def read_source(format_id: str, source: Path | str, options: dict[str, str] | None = None) -> Dataset:
    """Parse a whole source in ``format_id``; raise `FormatError` for anything that stops the import.

    Problems with single objects do not stop it: they are collected in ``Dataset.problems``.
    """
    label_format = get_format(format_id)
    if not label_format.can_import:
        raise AnnotatorError(f"format {label_format.id}: import is not supported")
    source = Path(source).absolute()
    if not source.exists():
        raise FormatError(source, "no such file or folder")
    try:
        dataset = label_format.read(source, dict(options or {}))
    except (ValueError, KeyError, TypeError, IndexError) as error:  # a reader's gap: still one clear line
        logger.debug("reading %s failed", source, exc_info=True)
        raise FormatError(
            source, f"cannot read as {label_format.title}: {type(error).__name__}: {error}"
        ) from error
    logger.info(
        "read %s: %d frames, %d objects, %d problems",
        source,
        len(dataset.frames),
        dataset.object_count,
        len(dataset.problems),
    )
    return dataset
