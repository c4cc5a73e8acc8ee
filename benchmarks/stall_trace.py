"""Where the window's event loop stalls: spans around the views' render and preparation steps.

`StallTrace` wraps a chosen set of methods (renders of each view, the picture copies, crops, highlights,
uploads to VTK, the document's hand-overs) so that each call records a span (name, start, end), and runs
a 5 ms timer whose gaps are the stalls. `report` prints, for each stall longer than a threshold, the spans
that ran within it (longest first), so a stall can be attributed to a view and a step.

Used by ``benchmarks/large_clouds.py --trace``; import-only (prints nothing at import).
"""

from __future__ import annotations

import functools
import gc
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Span:
    """One call of a traced method."""

    name: str
    start: float
    end: float
    depth: int


def _label(owner: object, name: str) -> str:
    """A span's name: the class, the method and, for a view or scene, which one."""
    which = getattr(owner, "axis", None)
    if which is None and hasattr(owner, "title") and hasattr(owner.title, "text"):
        which = owner.title.text()
    kind = type(owner).__name__
    return f"{kind}({which}).{name}" if which else f"{kind}.{name}"


@dataclass
class StallTrace:
    """Spans of traced methods and the gaps of a 5 ms timer (see the module docstring)."""

    spans: list[Span] = field(default_factory=list)
    gaps: list[tuple[float, float]] = field(default_factory=list)
    _depth: int = 0
    _undo: list[Callable[[], None]] = field(default_factory=list)

    def wrap(self, cls: type, *names: str) -> None:
        """Record a span for every call of these methods of ``cls``."""
        for name in names:
            original = cls.__dict__.get(name)
            if original is None:
                continue

            def traced(owner, *args, __original=original, __name=name, **kwargs):
                if threading.current_thread() is not threading.main_thread():  # a worker: no nesting
                    start = time.perf_counter()
                    try:
                        return __original(owner, *args, **kwargs)
                    finally:
                        label = f"[{threading.current_thread().name}] {_label(owner, __name)}"
                        self.spans.append(Span(label, start, time.perf_counter(), 0))
                self._depth += 1
                start = time.perf_counter()
                try:
                    return __original(owner, *args, **kwargs)
                finally:
                    self._depth -= 1
                    self.spans.append(Span(_label(owner, __name), start, time.perf_counter(), self._depth))

            setattr(cls, name, functools.wraps(original)(traced))
            self._undo.append(lambda cls=cls, name=name, original=original: setattr(cls, name, original))

    def observe_layers(self, views: list) -> None:
        """Also record a span for each layer renderer's draw inside every render of these views (``base``,
        ``detail``, ``overlay``) and each render window's whole ``Render`` (spans named ``view:layer``)."""
        for view in views:
            picture = view.scene.picture
            name = view.title.text()
            observed = [("window", picture.window)]
            observed += [(layer, getattr(picture, layer)) for layer in ("base", "detail", "overlay")]
            for layer, vtk_object in observed:
                begun: list[float] = []
                label = f"{name}:{layer}"

                def begin(*_: object, begun=begun) -> None:
                    begun.append(time.perf_counter())

                def end(*_: object, begun=begun, label=label) -> None:
                    if begun:
                        self.spans.append(Span(label, begun.pop(), time.perf_counter(), self._depth + 1))

                tags = (vtk_object.AddObserver("StartEvent", begin), vtk_object.AddObserver("EndEvent", end))
                self._undo.append(lambda o=vtk_object, tags=tags: [o.RemoveObserver(t) for t in tags])

    def observe_gc(self) -> None:
        """Also record a span for each run of Python's cycle collector (``gc genN``; a worker's named by its
        thread)."""
        begun: list[float] = []

        def collected(phase: str, info: dict) -> None:
            if phase == "start":
                begun.append(time.perf_counter())
            elif begun:
                name = f"gc gen{info.get('generation')}"
                if threading.current_thread() is not threading.main_thread():
                    name = f"[{threading.current_thread().name}] {name}"
                self.spans.append(Span(name, begun.pop(), time.perf_counter(), self._depth + 1))

        gc.callbacks.append(collected)
        self._undo.append(lambda: gc.callbacks.remove(collected))

    def start(self) -> None:
        """Start the 5 ms timer (call on the Qt thread, with an application)."""
        from PySide6.QtCore import QTimer

        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.setInterval(5)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        if now - self._last > 0.02:
            self.gaps.append((self._last, now))
        self._last = now

    def stop(self) -> None:
        """Stop the timer and put the traced methods back."""
        self._timer.stop()
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()

    def report(self, threshold_ms: float = 40.0, phases: dict[str, tuple[float, float]] | None = None) -> str:
        """The stalls longer than ``threshold_ms``, each with the spans inside it (at most 8, longest
        first; a worker's spans named by its thread), labelled with the phase they ended in (with
        ``phases``, only stalls ending in one: the stall of a phase's first step counts)."""
        lines = []
        for begin, end in self.gaps:
            gap = (end - begin) * 1000.0
            if gap < threshold_ms:
                continue
            phase = next((p for p, (a, b) in (phases or {}).items() if a < end <= b), None)
            if phases is not None and phase is None:
                continue  # between the phases measured (the benchmark's own steps)
            inside = [s for s in self.spans if s.start >= begin - 1e-4 and s.end <= end + 1e-4]
            inside.sort(key=lambda s: s.start - s.end)
            lines.append(
                f"stall {gap:6.1f} ms {phase or ''} (from {begin:.6f} to {end:.6f} s, monotonic clock)"
            )
            for span in inside[:8]:
                lines.append(f"    {'  ' * (span.depth)}{(span.end - span.start) * 1000.0:6.1f} {span.name}")
        return "\n".join(lines)

    def steps(self, begin: float, end: float, top: int = 16) -> str:
        """Each traced step of the window's thread between ``begin`` and ``end``: calls, median and longest
        milliseconds (the longest first)."""
        times: dict[str, list[float]] = {}
        for span in self.spans:
            if begin <= span.start and span.end <= end and not span.name.startswith("["):
                times.setdefault(span.name, []).append((span.end - span.start) * 1000.0)
        rows = sorted(times.items(), key=lambda item: -max(item[1]))[:top]
        return "\n".join(
            f"    {len(values):4d} x  median {statistics.median(values):6.1f}  longest {max(values):6.1f} ms  {name}"
            for name, values in rows
        )

    def sequence(self, begin: float, end: float, depth: int = 2) -> str:
        """The window thread's spans between ``begin`` and ``end`` in the order they started (nested ones
        indented, at most ``depth`` deep): milliseconds from ``begin`` and each span's own milliseconds."""
        inside = [
            s
            for s in self.spans
            if begin <= s.start and s.end <= end and s.depth <= depth and not s.name.startswith("[")
        ]
        inside.sort(key=lambda s: (s.start, s.depth))
        return "\n".join(
            f"    {(s.start - begin) * 1000.0:7.1f} {'  ' * s.depth}{(s.end - s.start) * 1000.0:6.1f} {s.name}"
            for s in inside
        )


def trace_views() -> StallTrace:
    """A trace of the window's render and preparation steps (imports the application's modules)."""
    from annotator.qt.app.main_window import MainWindow
    from annotator.qt.app.settings import AppSettings
    from annotator.qt.document import Document
    from annotator.qt.keyboard_editing import KeyboardEditor
    from annotator.qt.panels.objects import ObjectsPanel
    from annotator.qt.panels.properties import PropertiesPanel
    from annotator.qt.views.ortho_view import OrthoView
    from annotator.qt.views.refiner import DetailRefiner
    from annotator.qt.views.render_scheduler import RenderScheduler
    from annotator.qt.views.view_base import SceneView
    from annotator.qt.views.view_grid import ViewGrid
    from annotator.qt.views.viewport import PerspectiveView
    from annotator.render.cloud import PreparedCloud
    from annotator.render.layers import LayeredPicture
    from annotator.render.neighbourhood import Neighbourhood
    from annotator.render.points import LodPoints, PointLayer
    from annotator.render.scene import OrthoScene, PerspectiveScene, Scene
    from annotator.render.shared import SharedGeometry
    from annotator.session.session import Session

    trace = StallTrace()
    trace.wrap(SceneView, "render_now")
    trace.wrap(DetailRefiner, "_step")
    trace.wrap(RenderScheduler, "_render_next")
    trace.wrap(LayeredPicture, "_copy")
    trace.wrap(ViewGrid, "_cloud_changed", "_show_cuboids", "_focus", "_annotations_changed")
    trace.wrap(PerspectiveView, "set_cloud", "set_cuboids")
    trace.wrap(OrthoView, "show_frame")
    trace.wrap(OrthoScene, "show", "_show_points", "_update_highlight")
    trace.wrap(PerspectiveScene, "set_cloud", "_update_highlight")
    trace.wrap(Scene, "_highlight_within", "_apply_coloring", "set_cuboids")
    trace.wrap(PointLayer, "set_points")
    trace.wrap(
        PreparedCloud,
        "indices_near",
        "inside",
        "subset",
        "stand_in",
        "sample_inside",
        "focus",
        "coarse_points",
        "rest_points",
        "strided",
    )
    trace.wrap(Neighbourhood, "_tested")
    trace.wrap(LodPoints, "set_cloud")
    trace.wrap(SharedGeometry, "inside", "crop")
    trace.wrap(KeyboardEditor, "_fit", "_scene_priors")
    trace.wrap(Document, "_adopt", "select", "_on_frame_set", "push", "points_inside")
    trace.wrap(ObjectsPanel, "_annotations_changed", "refresh")
    trace.wrap(PropertiesPanel, "refresh")
    trace.wrap(MainWindow, "open_project", "close_project")
    trace.wrap(Document, "open")
    trace.wrap(Session, "open")
    trace.wrap(AppSettings, "remember_recent", "last_frame")
    return trace
