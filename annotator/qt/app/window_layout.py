"""The default arrangement of the main window's dock panels, sized to fit small windows.

Left: label classes above frames. Right: the object list tabbed with the review queue and training, the properties
below. Bottom: the camera images, under the views only (the side columns keep their full height), about
a third of the window high so the image is readable. Panels whose content is taller than the room they
get (properties, the review queue with its plot) scroll instead of forcing the window taller than asked.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QFrame, QMainWindow, QScrollArea, QVBoxLayout, QWidget

logger = logging.getLogger(__name__)

#: Version of the saved dock arrangement: a layout saved by an older arrangement is not restored.
LAYOUT_VERSION = 3
#: Share of the window height the images dock gets by default.
IMAGES_SHARE = 0.27
#: Default widths of the side columns: share of the window width, at least, at most (pixels).
LEFT_WIDTH = (0.15, 170, 260)
RIGHT_WIDTH = (0.27, 320, 440)
#: Share of the right column the object list (and the review queue tabbed with it) gets.
OBJECTS_SHARE = 0.55


def scrollable(widget: QWidget) -> QScrollArea:
    """``widget`` in a frameless scroll area that gives it all the room there is and scrolls when
    there is less than it would like (so it never sets the window's minimum height)."""
    area = QScrollArea()
    area.setObjectName(f"{widget.objectName() or 'panel'}-scroll")
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(widget)
    return area


def arrange_docks(window: QMainWindow, docks: dict[str, QDockWidget]) -> None:
    """Put the docks (keys ``classes``, ``frames``, ``objects``, ``properties``, ``queue``,
    ``training``, ``images``; any may be missing) where the module docstring says, with their default sizes."""
    left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
    window.setCorner(Qt.Corner.BottomLeftCorner, left)
    window.setCorner(Qt.Corner.BottomRightCorner, right)
    places = {
        "classes": left,
        "frames": left,
        "objects": right,
        "properties": right,
        "queue": right,
        "training": right,
        "images": Qt.DockWidgetArea.BottomDockWidgetArea,
    }
    for name, area in places.items():
        if name in docks:
            window.addDockWidget(area, docks[name])
    tabbed = [docks[name] for name in ("objects", "queue", "training") if name in docks]
    for dock in tabbed[1:]:
        window.tabifyDockWidget(tabbed[0], dock)
    if tabbed:
        tabbed[0].raise_()
    size_docks(window, docks)


def size_docks(window: QMainWindow, docks: dict[str, QDockWidget]) -> None:
    """Give the side columns their default widths, the images dock and the object list their default
    shares of the window's height."""
    width, height = max(window.width(), 1), max(window.height(), 1)
    for names, (share, least, most) in ((("classes", "frames"), LEFT_WIDTH), (("objects",), RIGHT_WIDTH)):
        present = [docks[name] for name in names if name in docks]
        if present:
            wanted = min(max(round(width * share), least), most)
            window.resizeDocks(present[:1], [wanted], Qt.Orientation.Horizontal)
    if "images" in docks:
        window.resizeDocks([docks["images"]], [round(height * IMAGES_SHARE)], Qt.Orientation.Vertical)
    column = [docks[name] for name in ("objects", "properties") if name in docks]
    if len(column) == 2:
        shares = [round(height * OBJECTS_SHARE), round(height * (1.0 - OBJECTS_SHARE))]
        window.resizeDocks(column, shares, Qt.Orientation.Vertical)


def with_timeline(views: QWidget, timeline: QWidget) -> QWidget:
    """The central widget: the views with the track timeline strip under them."""
    central = QWidget()
    central.setObjectName("central")
    layout = QVBoxLayout(central)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addWidget(views, 1)
    layout.addWidget(timeline)
    return central
