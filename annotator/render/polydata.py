"""numpy arrays to VTK poly data, without copies where VTK allows it (the arrays must stay alive)."""

from __future__ import annotations

import logging

import numpy as np

from annotator.render._vtk import numpy_to_vtk, vtk_to_numpy, vtkCellArray, vtkPoints, vtkPolyData

logger = logging.getLogger(__name__)


def _cells(offsets: np.ndarray, connectivity: np.ndarray) -> vtkCellArray:
    dtype = np.int64 if len(connectivity) >= 2**31 - 1 else np.int32
    cells = vtkCellArray()
    cells.SetData(
        numpy_to_vtk(np.ascontiguousarray(offsets, dtype=dtype), deep=False),
        numpy_to_vtk(np.ascontiguousarray(connectivity, dtype=dtype), deep=False),
    )
    return cells


def vtk_points(xyz: np.ndarray) -> vtkPoints:
    """VTK points sharing memory with a contiguous float32 (N, 3) array (copied when it is not)."""
    array = np.ascontiguousarray(xyz, dtype=np.float32).reshape(-1, 3)
    points = vtkPoints()
    points.SetData(numpy_to_vtk(array, deep=False))
    return points


def point_cloud_polydata(xyz: np.ndarray) -> vtkPolyData:
    """Poly data drawing every point of ``xyz`` (N, 3) as a vertex (one poly-vertex cell)."""
    count = len(xyz)
    polydata = vtkPolyData()
    polydata.SetPoints(vtk_points(xyz))
    if count:
        dtype = np.int64 if count >= 2**31 - 1 else np.int32
        polydata.SetVerts(_cells(np.array([0, count], dtype=dtype), np.arange(count, dtype=dtype)))
    return polydata


def moved_points(polydata: vtkPolyData | None, xyz: np.ndarray) -> bool:
    """Move the points of ``polydata`` (made here, with as many points as ``xyz`` (N, 3)) to ``xyz`` in
    place, its cells kept; False (nothing changed) when it has another number of points. A handful of
    points (a box's handles, its label) so cost microseconds, where new poly data costs a millisecond."""
    points = None if polydata is None else polydata.GetPoints()
    if points is None or points.GetNumberOfPoints() != len(xyz):
        return False
    vtk_to_numpy(points.GetData())[:] = np.asarray(xyz, dtype=np.float32).reshape(-1, 3)
    points.Modified()
    return True


def line_polydata(vertices: np.ndarray, segments: np.ndarray) -> vtkPolyData:
    """Poly data of straight segments: ``segments`` (K, 2) index pairs into ``vertices`` (M, 3)."""
    segments = np.asarray(segments).reshape(-1, 2)
    polydata = vtkPolyData()
    polydata.SetPoints(vtk_points(np.asarray(vertices, dtype=np.float32)))
    if len(segments):
        offsets = np.arange(0, 2 * len(segments) + 1, 2)
        polydata.SetLines(_cells(offsets, segments.ravel()))
    return polydata


def colour_array(rgb: np.ndarray, name: str = "colours") -> object:
    """A named VTK unsigned-char array of colours (K, 3) or (K, 4) for direct colouring."""
    array = numpy_to_vtk(np.ascontiguousarray(rgb, dtype=np.uint8), deep=False)
    array.SetName(name)
    return array


def scalar_array(values: np.ndarray, name: str) -> object:
    """A named VTK float array sharing memory with a contiguous 1-D array."""
    array = numpy_to_vtk(np.ascontiguousarray(values, dtype=np.float32), deep=False)
    array.SetName(name)
    return array
