"""Loading what a frame's files hold (points, images) for models and exports."""

from __future__ import annotations

import logging

import numpy as np

from annotator.core.model.project import Project
from annotator.core.model.records import Frame
from annotator.io.errors import FormatError
from annotator.io.pointcloud import read_point_cloud

logger = logging.getLogger(__name__)


def load_points(project: Project, frame: Frame) -> np.ndarray | None:
    """The frame's points as float32 (N, 4) x, y, z, intensity, or None for an image-only frame."""
    if not frame.cloud:
        return None
    return read_point_cloud(project.resolve_path(frame.cloud)).xyzi()


def load_image(project: Project, frame: Frame, camera: str) -> np.ndarray:
    """One camera image of the frame as uint8 (H, W, 3) RGB."""
    from PIL import Image, UnidentifiedImageError

    stored = frame.images.get(camera)
    if stored is None:
        raise FormatError(frame.name, f"frame has no image for camera {camera!r}")
    path = project.resolve_path(stored)
    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"))
    except FileNotFoundError:
        raise FormatError(path, "no such file") from None
    except (UnidentifiedImageError, OSError) as error:
        raise FormatError(path, f"not a readable image ({error})") from None
