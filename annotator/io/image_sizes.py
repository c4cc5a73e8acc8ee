"""Image sizes of frames' cameras, read from the image headers where the calibration lacks them."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from annotator.core.derive import derivable_cameras
from annotator.core.errors import AnnotatorError
from annotator.core.model.project import Project
from annotator.core.model.records import Frame
from annotator.io.formats.boxes2d import image_size

logger = logging.getLogger(__name__)


def missing_image_sizes(
    project: Project, frames: Sequence[Frame], cameras: Iterable[str] | None = None
) -> tuple[dict[tuple[int, str], tuple[int, int]], list[str]]:
    """Sizes keyed by (frame id, camera) for calibrated cameras without a size, and problems met.

    A problem (an unreadable image) is one message naming the file; that camera is left out.
    """
    wanted = None if cameras is None else list(cameras)
    sizes: dict[tuple[int, str], tuple[int, int]] = {}
    problems: list[str] = []
    for frame in frames:
        for name in derivable_cameras(frame, wanted):
            calibration = frame.cameras[name]
            if calibration.width and calibration.height:
                continue
            try:
                sizes[(frame.id, name)] = image_size(project.resolve_path(frame.images[name]))
            except AnnotatorError as error:
                problems.append(str(error))
    return sizes, problems
