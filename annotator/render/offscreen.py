"""Render windows (on screen, or off screen through EGL) and reading their pixels back."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from annotator.render._vtk import (
    vtk_to_numpy,
    vtkEGLRenderWindow,
    vtkRenderWindow,
    vtkWindowToImageFilter,
)

logger = logging.getLogger(__name__)

if vtkEGLRenderWindow is not None:

    class _EGLWindowIgnoringHost(vtkEGLRenderWindow):
        """An off-screen EGL window that ignores the native window id a Qt widget hands it.

        Under Qt's offscreen platform there is no X window to draw into; VTK then renders into its own
        EGL surface and the pixels are read back with `capture`.
        """

        def SetWindowInfo(self, info: str) -> None:
            """Ignore the host window (called by the Qt widget with its window id)."""

else:  # pragma: no cover - depends on the VTK build
    _EGLWindowIgnoringHost = None


def create_render_window(offscreen: bool) -> vtkRenderWindow:
    """A render window: an off-screen EGL one (headless), or VTK's default on-screen one.

    Multisampling is off: under software OpenGL it costs 3-4x per frame and points need none.
    """
    if offscreen and _EGLWindowIgnoringHost is not None:
        window = _EGLWindowIgnoringHost()
    else:
        if offscreen:
            logger.warning("this VTK has no EGL; off-screen rendering falls back to the default window")
        window = vtkRenderWindow()
    if offscreen:
        window.SetOffScreenRendering(True)
    window.SetMultiSamples(0)
    return window


def renderer_name(window: vtkRenderWindow) -> str:
    """The OpenGL renderer string of a window that has rendered once (e.g. ``llvmpipe (LLVM 15...)``)."""
    for line in window.ReportCapabilities().splitlines():
        if line.startswith("OpenGL renderer string:"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def capture(window: vtkRenderWindow, rerender: bool = True) -> np.ndarray:
    """The window's pixels as an (H, W, 3) uint8 array, top row first."""
    grabber = vtkWindowToImageFilter()
    grabber.SetInput(window)
    grabber.SetInputBufferTypeToRGB()
    grabber.ReadFrontBufferOff()
    grabber.SetShouldRerender(rerender)
    grabber.Update()
    image = grabber.GetOutput()
    width, height, _ = image.GetDimensions()
    pixels = vtk_to_numpy(image.GetPointData().GetScalars()).reshape(height, width, -1)[:, :, :3]
    return np.ascontiguousarray(pixels[::-1])


def save_png(pixels: np.ndarray, path: Path | str) -> Path:
    """Write an (H, W, 3) uint8 image as PNG."""
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8)).save(path)
    return path


def count_foreground(pixels: np.ndarray, background: tuple[int, int, int], tolerance: int = 12) -> int:
    """How many pixels differ from the background colour by more than ``tolerance`` in some channel."""
    diff = np.abs(pixels.astype(np.int16) - np.asarray(background, dtype=np.int16))
    return int(np.count_nonzero(diff.max(axis=2) > tolerance))
