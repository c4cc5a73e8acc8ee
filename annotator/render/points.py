"""Point-cloud actors: one `PointLayer` per drawn point set, and `LodPoints` for a whole cloud."""

from __future__ import annotations

import logging

from annotator.render._vtk import vtkActor, vtkLookupTable, vtkPolyDataMapper
from annotator.render.cloud import PointSet, PreparedCloud
from annotator.render.polydata import colour_array, point_cloud_polydata, scalar_array

logger = logging.getLogger(__name__)


def _unlit_actor(mapper: vtkPolyDataMapper) -> vtkActor:
    actor = vtkActor()
    actor.SetMapper(mapper)
    prop = actor.GetProperty()
    prop.SetAmbient(1.0)
    prop.SetDiffuse(0.0)
    prop.SetSpecular(0.0)
    prop.LightingOff()
    return actor


class PointLayer:
    """One actor drawing a `PointSet` as points, coloured by a scalar through a lookup table or by RGB."""

    def __init__(self) -> None:
        self._mapper = vtkPolyDataMapper()
        self._mapper.SetScalarModeToUsePointFieldData()
        self._mapper.ScalarVisibilityOff()
        self.actor = _unlit_actor(self._mapper)
        self._points: PointSet | None = None
        self._mode = "height"
        self._lut: vtkLookupTable | None = None
        self.actor.VisibilityOff()

    @property
    def count(self) -> int:
        """Number of points held (drawn when visible)."""
        return 0 if self._points is None else len(self._points)

    def set_points(self, points: PointSet | None) -> None:
        """Draw ``points`` (None or empty: draw nothing). The arrays are shared, not copied."""
        self._points = points
        if points is None or len(points) == 0:
            self.actor.VisibilityOff()
            self._mapper.RemoveAllInputs()
            return
        polydata = point_cloud_polydata(points.xyz)
        data = polydata.GetPointData()
        for name, values in points.scalars.items():
            data.AddArray(colour_array(values, name) if values.ndim == 2 else scalar_array(values, name))
        self._mapper.SetInputData(polydata)
        self._apply_coloring()
        self.actor.VisibilityOn()

    def set_coloring(self, mode: str, lut: vtkLookupTable | None) -> None:
        """Colour by the scalar ``mode`` through ``lut``, or by the ``rgb`` colours (lut unused)."""
        self._mode, self._lut = mode, lut
        self._apply_coloring()

    def _apply_coloring(self) -> None:
        points = self._points
        if points is None or self._mode not in points.scalars:
            self._mapper.ScalarVisibilityOff()
            return
        self._mapper.SelectColorArray(self._mode)
        self._mapper.ScalarVisibilityOn()
        if points.scalars[self._mode].ndim == 2:
            self._mapper.SetColorModeToDirectScalars()
        else:
            self._mapper.SetColorModeToMapScalars()
            if self._lut is not None:
                self._mapper.SetLookupTable(self._lut)
                self._mapper.UseLookupTableScalarRangeOn()

    def set_point_size(self, size: float) -> None:
        """Point size in pixels."""
        self.actor.GetProperty().SetPointSize(float(size))

    def set_solid_color(self, rgb: tuple[float, float, float]) -> None:
        """The colour used when no scalar colours the points (floats in [0, 1])."""
        self.actor.GetProperty().SetColor(*rgb)

    def set_visible(self, visible: bool) -> None:
        """Show or hide the layer (an empty layer stays hidden)."""
        self.actor.SetVisibility(bool(visible and self.count))


class LodPoints:
    """A whole cloud: drawn in full when it is within the level-of-detail budget, else its coarse sample
    while the camera moves, or at rest a sparser sample to which the full detail is added chunk by chunk
    (the wanted ``detail`` says which)."""

    def __init__(self) -> None:
        self.full = PointLayer()
        self.coarse = PointLayer()
        self.rest = PointLayer()
        self._cloud: PreparedCloud | None = None
        self._detail_full = True

    @property
    def actors(self) -> list[vtkActor]:
        """Both actors (for adding to a renderer)."""
        return [self.full.actor, self.coarse.actor, self.rest.actor]

    @property
    def detail(self) -> str:
        """``"full"`` or ``"coarse"``: what is drawn now."""
        return "full" if self._detail_full or not self.decimated else "coarse"

    @property
    def decimated(self) -> bool:
        """True when the cloud is drawn from samples (see `PreparedCloud.progressive`)."""
        return self._cloud is not None and self._cloud.progressive

    @property
    def drawn_count(self) -> int:
        """Number of points the layers draw (a decimated cloud: its sample)."""
        if not self.decimated:
            return self.full.count
        return self.rest.count if self._detail_full else self.coarse.count

    def set_cloud(self, cloud: PreparedCloud | None) -> None:
        """Show ``cloud`` (None: nothing). A decimated cloud is only ever drawn as its sample here: its full
        detail is added in chunks (see `annotator.render.layers`), so VTK never holds a copy of it all."""
        self._cloud = cloud
        decimated = cloud is not None and cloud.progressive
        self.full.set_points(None if cloud is None or decimated else cloud.full())
        self.coarse.set_points(cloud.coarse_points() if decimated else None)
        self.rest.set_points(cloud.rest_points() if decimated else None)
        self._show_detail()

    def set_detail(self, full: bool) -> bool:
        """Want the full cloud (True) or the coarse sample (False); returns True when that changed."""
        before = self.detail
        self._detail_full = full
        self._show_detail()
        return self.detail != before

    def _show_detail(self) -> None:
        self.full.set_visible(not self.decimated)
        self.coarse.set_visible(self.decimated and not self._detail_full)
        self.rest.set_visible(self.decimated and self._detail_full)

    def set_coloring(self, mode: str, lut: vtkLookupTable | None) -> None:
        """See `PointLayer.set_coloring`."""
        self.full.set_coloring(mode, lut)
        self.coarse.set_coloring(mode, lut)
        self.rest.set_coloring(mode, lut)

    def set_point_size(self, size: float) -> None:
        """See `PointLayer.set_point_size`."""
        self.full.set_point_size(size)
        self.coarse.set_point_size(size)
        self.rest.set_point_size(size)
