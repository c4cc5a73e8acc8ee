"""A view's picture in three layers, so that a box edit does not redraw the cloud.

- ``base``: the cloud (its sample or crop), the ground grid and rings, faded points. Drawn only when
  they or the camera change; its colour and depth are then copied into an off-screen framebuffer.
- ``detail``: more points of the cloud, added to the kept picture a chunk at a time (progressive full
  detail): the kept colour and depth are copied back, the chunk is drawn over them (depth-tested), and
  the result is kept again.
- ``overlay``: cuboids, labels, highlighted points, the colour bar. Drawn on every render over the kept
  colour and depth (so points in front of a box still hide it).

The first picture of new content (another cloud) may take two renders, each in an event-loop turn of its own
(`draw_in_turns`, `draw_unseen`): the first draws the cloud layers and keeps them without showing them (no
overlay, buffer swaps off), the second only puts them back and draws the overlay over them. Drawn in one,
the upload and rasterising of the new points, the copy into the kept picture, the overlay (a new colour
bar) and the swap were 60-90 ms under software OpenGL at 1600x1000.

Each render of the window is planned when it starts (`vtkCommand.StartEvent` of the window): ``draw``
(the base layer changed or the camera moved), ``add`` (a chunk is waiting and the kept picture is still
valid) or ``reuse`` (only the overlay changed). Copies are framebuffer blits (`glBlitFramebuffer`),
a few milliseconds at 1600x1000 under software OpenGL, where drawing millions of points takes seconds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager

from annotator.render._vtk import vtkOpenGLFramebufferObject, vtkRenderer, vtkRenderWindow

logger = logging.getLogger(__name__)

_GL_READ_FRAMEBUFFER = 0x8CA8
_GL_DRAW_FRAMEBUFFER = 0x8CA9
_GL_COLOR_AND_DEPTH = 0x4000 | 0x0100
_GL_NEAREST = 0x2600
_VTK_UNSIGNED_CHAR = 3

#: How a render draws the cloud layers (see the module docstring).
DRAW, ADD, REUSE = "draw", "add", "reuse"


def _camera_state(renderer: vtkRenderer) -> tuple:
    """The camera as rounded numbers (a capture may set the view angle and put it back a hair off)."""
    camera = renderer.GetActiveCamera()
    values = (
        *camera.GetPosition(),
        *camera.GetFocalPoint(),
        *camera.GetViewUp(),
        camera.GetViewAngle(),
        camera.GetParallelScale(),
        camera.GetParallelProjection(),
        *camera.GetClippingRange(),
    )
    return tuple(round(float(value), 5) for value in values)


def _props_state(renderer: vtkRenderer) -> tuple:
    """What the base layer draws, as modification times and visibilities of its props and mappers."""
    state: list = [renderer.GetBackground()]
    props = renderer.GetViewProps()
    props.InitTraversal()
    for _ in range(props.GetNumberOfItems()):
        prop = props.GetNextProp()
        state.append((prop.GetVisibility(), prop.GetMTime()))
        mapper = prop.GetMapper() if hasattr(prop, "GetMapper") else None
        if mapper is not None:
            state.append(mapper.GetMTime())
    return tuple(state)


class LayeredPicture:
    """The three renderers of one view and the kept picture of its cloud layers."""

    def __init__(self, base: vtkRenderer) -> None:
        self.base = base
        self.detail = vtkRenderer()
        self.overlay = vtkRenderer()
        camera = base.GetActiveCamera()
        for layer, renderer in ((1, self.detail), (2, self.overlay)):
            renderer.SetLayer(layer)
            renderer.SetActiveCamera(camera)
            renderer.InteractiveOff()  # the interactor style works on the base renderer
        self.detail.SetPreserveColorBuffer(True)
        self.detail.SetPreserveDepthBuffer(True)
        self.overlay.SetPreserveDepthBuffer(True)
        self._window: vtkRenderWindow | None = None
        self._kept = None  # vtkOpenGLFramebufferObject holding the cloud layers' colour and depth
        self._kept_size = (0, 0)
        self._kept_key: Hashable | None = None
        self._adding = False
        self._aside = False  # the layers are set aside (see `aside`): renders leave the picture alone
        self.mode = DRAW
        self.enabled = True  # False when this OpenGL cannot keep a picture: every render draws
        self.draws = 0  # renders that drew the base layer (for tests and benchmarks)
        self.adds = 0  # renders that added a chunk
        self.reuses = 0  # renders that reused the kept picture
        self.generation = 0  # grows with every base draw: chunks added before it are gone
        self.on_draw: Callable[[], None] | None = None  # called after a render that drew the base layer
        #: True while the camera moves over a sample (see `PerspectiveScene.set_detail`): a render that moved
        #: the camera keeps no picture (the next frame draws anew anyway; the copy cost 10-70 ms a frame
        #: at 1600x1000 under software OpenGL on a loaded machine).
        self.transient = False
        self.kept_skipped = 0  # renders that kept no picture because the camera moved (tests, benchmarks)
        self._last_camera: tuple | None = None  # the camera of the last render
        self._keep = True  # whether this render keeps its picture
        self._in_turns = False  # the next render that draws the cloud layers may be split (`draw_in_turns`)
        self._unseen = False  # this render draws the cloud layers only, unseen (`draw_unseen`)
        self.unseen = 0  # renders that drew the cloud layers unseen (for tests and benchmarks)

    def attach(self, window: vtkRenderWindow) -> None:
        """Draw in ``window`` (one picture per window)."""
        self._window = window
        window.SetNumberOfLayers(3)
        for renderer in (self.base, self.detail, self.overlay):
            window.AddRenderer(renderer)
        window.AddObserver("StartEvent", self._plan)
        window.AddObserver("EndEvent", self._finished)
        self.detail.AddObserver("StartEvent", self._restore_if(ADD))
        self.overlay.AddObserver("StartEvent", self._overlay_start)

    @property
    def window(self) -> vtkRenderWindow | None:
        """The render window drawn in (None before `attach`)."""
        return self._window

    @contextmanager
    def aside(self, renderer: vtkRenderer) -> Iterator[None]:
        """Let the window's renders within the block draw ``renderer`` alone (the three layers taken out,
        the kept picture and the counters left alone); the next render after it draws the base layer."""
        window = self._window
        layers = (self.base, self.detail, self.overlay)
        for layer in layers:
            window.RemoveRenderer(layer)
        window.AddRenderer(renderer)
        self._aside = True
        try:
            yield
        finally:
            window.RemoveRenderer(renderer)
            for layer in layers:
                window.AddRenderer(layer)
            self._aside = False
            self.invalidate()

    def invalidate(self) -> None:
        """Draw the base layer on the next render."""
        self._kept_key = None

    def add_next(self) -> None:
        """Draw the detail layer over the kept picture on the next render (when it is still valid)."""
        self._adding = True

    def draw_in_turns(self) -> None:
        """Let the next render that draws the cloud layers (new content) be split in two (`draw_unseen`)."""
        self._in_turns = True

    @property
    def split_pending(self) -> bool:
        """True when the next render would draw the cloud layers of new content and may be split in two."""
        return self._in_turns and self.enabled and not self.transient and not self._aside

    def draw_unseen(self) -> bool:
        """Draw the cloud layers now and keep them without showing them (no overlay, no buffer swap), so that
        the next render only puts them back and draws the overlay; False (nothing drawn) when the kept
        picture is still valid, the camera moves, or there is no window or kept picture."""
        window = self._window
        self._in_turns = False
        if window is None or not self.enabled or self.transient or self._aside:
            return False
        if self._key() == self._kept_key:
            return False
        swap = window.GetSwapBuffers()
        self._unseen = True
        self.overlay.SetDraw(False)
        window.SwapBuffersOff()
        try:
            window.Render()
        finally:
            window.SetSwapBuffers(swap)
            self.overlay.SetDraw(True)
            self._unseen = False
        self.unseen += 1
        return True

    def _key(self) -> Hashable:
        window = self._window
        return (tuple(window.GetSize()), _camera_state(self.base), _props_state(self.base))

    # -- render hooks -------------------------------------------------------------------------------
    def _plan(self, *_: object) -> None:
        if self._aside:
            return
        key = self._key()
        if not self.enabled or key != self._kept_key:
            self.mode = DRAW
        else:
            self.mode = ADD if self._adding else REUSE
        self._adding = False
        self._keep = not (self.transient and self.mode == DRAW and key[1] != self._last_camera)
        self.kept_skipped += not self._keep
        self.base.SetDraw(self.mode == DRAW)
        self.detail.SetDraw(self.mode == ADD)
        if self.mode == DRAW:
            self._in_turns = False  # drawn (in one render, or unseen now): the next one is not split
            self.draws += 1
            self.generation += 1
        elif self.mode == ADD:
            self.adds += 1
        else:
            self.reuses += 1

    def _restore_if(self, mode: str) -> Callable[..., None]:
        def restore(*_: object) -> None:
            if self.mode == mode:
                self._copy(into_kept=False)

        return restore

    def _overlay_start(self, *_: object) -> None:
        if self.mode == REUSE:
            self._copy(into_kept=False)
        elif self.enabled and self._keep:
            self._copy(into_kept=True)

    def _finished(self, *_: object) -> None:
        if self._aside:
            return
        if self._unseen and self.enabled and self._keep:  # no overlay started: keep the picture here
            self._copy(into_kept=True)
        key = self._key()  # after the render: VTK may fit the clipping range while rendering
        self._kept_key = key if self._keep else None
        self._last_camera = key[1]
        self.base.SetDraw(True)  # other code (picking, clipping) sees a normal renderer between renders
        if self.mode == DRAW and self.on_draw is not None:
            self.on_draw()

    def _copy(self, into_kept: bool) -> None:
        """Blit colour and depth between the window's framebuffer and the kept one."""
        window = self._window
        width, height = window.GetSize()
        state = window.GetState()
        state.Push()  # making the framebuffer sets the viewport and scissor box: put them back after
        try:
            self._blit(window, width, height, into_kept)
        finally:
            state.Pop()

    def _blit(self, window: vtkRenderWindow, width: int, height: int, into_kept: bool) -> None:
        try:
            if self._kept is None or self._kept_size != (width, height):
                self.release()
                kept = vtkOpenGLFramebufferObject()
                kept.SetContext(window)
                kept.PopulateFramebuffer(width, height, True, 1, _VTK_UNSIGNED_CHAR, True, 32, 0, False)
                self._kept, self._kept_size = kept, (width, height)
            render = window.GetRenderFramebuffer()
        except (AttributeError, TypeError) as error:  # pragma: no cover - depends on the VTK build
            logger.warning("cannot keep the cloud picture (%s): every render draws the cloud", error)
            self.enabled = False
            return
        source, target = (render, self._kept) if into_kept else (self._kept, render)
        state = window.GetState()
        state.PushFramebufferBindings()
        source.Bind(_GL_READ_FRAMEBUFFER)
        source.ActivateReadBuffer(0)
        target.Bind(_GL_DRAW_FRAMEBUFFER)
        target.ActivateDrawBuffer(0)
        extent = [0, width, 0, height]
        vtkOpenGLFramebufferObject.Blit(extent, extent, _GL_COLOR_AND_DEPTH, _GL_NEAREST)
        state.PopFramebufferBindings()

    def release(self) -> None:
        """Drop the kept picture (before the window's context goes)."""
        if self._kept is not None and self._window is not None:
            self._kept.ReleaseGraphicsResources(self._window)
        self._kept = None
