"""Interactor styles for the views (VTK objects handed only to the Qt widget that hosts them)."""

from __future__ import annotations

import logging

from annotator.render._vtk import vtkInteractorStyleTrackballCamera, vtkInteractorStyleUser

logger = logging.getLogger(__name__)


def orbit_style() -> vtkInteractorStyleTrackballCamera:
    """Left drag orbits, middle (or Shift+left) drag pans, right drag dollies, Ctrl+left spins.

    Wheel zoom is left to the caller (it zooms toward the cursor, which VTK's style does not).
    """
    style = vtkInteractorStyleTrackballCamera()
    style.AutoAdjustCameraClippingRangeOn()
    for event in ("MouseWheelForwardEvent", "MouseWheelBackwardEvent", "CharEvent", "KeyPressEvent"):
        style.AddObserver(event, lambda *_: None)  # an observer replaces VTK's own handling
    return style


def passive_style() -> vtkInteractorStyleUser:
    """A style that moves nothing: the caller handles every gesture (orthographic views)."""
    return vtkInteractorStyleUser()
