"""Headless pictures of the image panel (``annotator snapshot --view image``)."""

from __future__ import annotations

import logging

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from annotator.core.errors import AnnotatorError
from annotator.qt.images.image_panel import ImagePanel

logger = logging.getLogger(__name__)


def grab_image_panel(
    panel: ImagePanel, size: tuple[int, int], camera: str | None = None, points: bool = False
) -> QImage:
    """The panel alone at ``size``, showing ``camera`` (default: the first), fitted, with or without the
    projected LiDAR points. Raises `AnnotatorError` when the frame has no such camera image."""
    app = QApplication.instance()
    names = panel.cameras()
    if not names:
        raise AnnotatorError("the frame has no camera images")
    if camera is not None and camera not in names:
        raise AnnotatorError(f"the frame has no image of camera {camera!r} (its cameras: {', '.join(names)})")
    panel.setParent(None)
    panel.resize(*size)
    panel.show()
    panel.set_camera(camera or names[0])
    panel.wait_for_image()
    panel.set_points_visible(points)
    for _ in range(3):
        app.processEvents()
    panel.wait_for_points()
    if panel.view.image_size == (0, 0):
        raise AnnotatorError(panel.message.text() or "the camera image could not be read")
    panel.view.fit()
    app.processEvents()
    return panel.grab().toImage()
