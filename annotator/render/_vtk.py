"""The one door to VTK: every vtkmodules import of the render package goes through this module.

Importing it registers the OpenGL2 rendering backend, FreeType text and the interaction styles with
VTK's object factories. Nothing is created here; importing costs only the VTK libraries' load time.
"""

from __future__ import annotations

import logging

# Factory registrations: these modules must be imported for rendering, text and interaction to work.
import vtkmodules.vtkInteractionStyle
import vtkmodules.vtkRenderingFreeType
import vtkmodules.vtkRenderingOpenGL2  # noqa: F401
from vtkmodules.util.numpy_support import numpy_to_vtk, vtk_to_numpy
from vtkmodules.vtkCommonCore import (
    vtkCommand,
    vtkLookupTable,
    vtkPoints,
    vtkStringArray,
    vtkTypeInt32Array,
    vtkTypeInt64Array,
    vtkUnsignedCharArray,
)
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData
from vtkmodules.vtkInteractionStyle import vtkInteractorStyleTrackballCamera, vtkInteractorStyleUser
from vtkmodules.vtkRenderingAnnotation import vtkScalarBarActor
from vtkmodules.vtkRenderingCore import (
    vtkActor,
    vtkActor2D,
    vtkCamera,
    vtkCoordinate,
    vtkPolyDataMapper,
    vtkProp,
    vtkRenderer,
    vtkRenderWindow,
    vtkTextProperty,
    vtkTexture,
    vtkWindowToImageFilter,
)
from vtkmodules.vtkRenderingLabel import vtkLabeledDataMapper
from vtkmodules.vtkRenderingOpenGL2 import vtkOpenGLFramebufferObject

try:  # VTK wheels >= 9.4 on Linux ship EGL next to X11
    from vtkmodules.vtkRenderingOpenGL2 import vtkEGLRenderWindow
except ImportError:  # pragma: no cover - depends on the VTK build
    vtkEGLRenderWindow = None

logger = logging.getLogger(__name__)

__all__ = [
    "numpy_to_vtk",
    "vtkActor",
    "vtkActor2D",
    "vtkCamera",
    "vtkCellArray",
    "vtkCommand",
    "vtkCoordinate",
    "vtkEGLRenderWindow",
    "vtkInteractorStyleTrackballCamera",
    "vtkInteractorStyleUser",
    "vtkLabeledDataMapper",
    "vtkLookupTable",
    "vtkOpenGLFramebufferObject",
    "vtkPoints",
    "vtkPolyData",
    "vtkPolyDataMapper",
    "vtkProp",
    "vtkRenderWindow",
    "vtkRenderer",
    "vtkScalarBarActor",
    "vtkStringArray",
    "vtkTextProperty",
    "vtkTexture",
    "vtkTypeInt32Array",
    "vtkTypeInt64Array",
    "vtkUnsignedCharArray",
    "vtkWindowToImageFilter",
    "vtk_to_numpy",
]
