"""Reading and preparing point clouds off the UI thread, with a small cache and prefetching.

Loads are jobs on the loader's own `annotator.qt.jobs.QtJobs` (two threads: the frame shown and the next
one prefetched; a large frame's preview sample is read first, in the same job as the whole of it), run at
a lower CPU priority than the window; a load reads the cloud file and the boxes it is given, never the
project.

Memory: a large cloud (one drawn from a preview first, `PREVIEW_FROM` points or more) is held decoded
once at most. Prefetching one reads its file ahead into the kernel's page cache and its preview sample
(`annotator.io.pointcloud.readahead`), not the whole cloud: a second decoded copy beside the one shown
was the window's largest share of memory (10M points: 180 MiB). Opening it then shows the preview at
once while the whole cloud is decoded from memory; starting that drops the other large cloud from the
cache, so the one shown before is freed once the views let go of it. The loader also keeps the
allocator from holding on to freed temporaries (`annotator.jobs.memory`).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from annotator.core.cuboids.cuboid import Cuboid
from annotator.io.errors import AnnotatorError
from annotator.io.pointcloud import point_count, read_indexed, read_sample
from annotator.io.pointcloud.readahead import read_ahead
from annotator.jobs import JobContext, Outcome
from annotator.jobs.memory import return_large_blocks
from annotator.jobs.priority import BACKGROUND_NICENESS, lower_thread_priority
from annotator.qt.jobs import QtJobs
from annotator.render.cloud import DEFAULT_LOD_BUDGET, PreparedCloud, prepare_cloud

logger = logging.getLogger(__name__)

#: Clouds of at least this many points are drawn from a sample first, while they are read; the loader holds
#: one such cloud decoded at most, and prefetches them as page cache and preview only.
PREVIEW_FROM = 4_000_000
#: Previews (small samples of large clouds) the loader keeps.
PREVIEW_CACHE = 8
#: Niceness the loader's threads take on (Linux): reading and indexing a large cloud leaves the cores to
#: the window's own thread and the renderer first.
LOADER_NICENESS = BACKGROUND_NICENESS


@dataclass(frozen=True)
class LoadedFrame:
    """A frame's cloud, ready to draw, and how long reading and preparing it took."""

    frame_id: int
    path: Path
    cloud: PreparedCloud
    load_ms: float


def load_frame(
    frame_id: int, path: Path, lod_budget: int = DEFAULT_LOD_BUDGET, boxes: Sequence[Cuboid] = ()
) -> LoadedFrame:
    """Read and prepare one frame's cloud, finding the points inside ``boxes`` too (runs in a worker;
    raises `AnnotatorError` on bad files)."""
    start = time.perf_counter()
    cloud, index = read_indexed(path)
    prepared = prepare_cloud(cloud.xyz, cloud.fields, lod_budget, index=index)
    prepared.warm(boxes)
    elapsed = (time.perf_counter() - start) * 1000.0
    logger.debug("loaded frame %d (%s): %d points in %.0f ms", frame_id, path, len(prepared), elapsed)
    return LoadedFrame(frame_id, Path(path), prepared, elapsed)


def load_preview(frame_id: int, path: Path, lod_budget: int = DEFAULT_LOD_BUDGET) -> LoadedFrame | None:
    """An even sample of a large cloud read straight from its file, to draw while the whole cloud is
    read (see `annotator.io.pointcloud.sample`); None when the format cannot be sampled (runs in a
    worker; raises `AnnotatorError` on bad files)."""
    start = time.perf_counter()
    sample = read_sample(path, lod_budget)
    total = point_count(path)
    if sample is None or total is None:
        return None
    prepared = prepare_cloud(sample.xyz, sample.fields, lod_budget, total=total)
    elapsed = (time.perf_counter() - start) * 1000.0
    logger.debug(
        "preview of frame %d (%s): %d of %d points in %.0f ms", frame_id, path, len(sample), total, elapsed
    )
    return LoadedFrame(frame_id, Path(path), prepared, elapsed)


def _too_large(path: Path, points: int) -> bool:
    """True when ``path`` is known to hold more than ``points`` points (from its size alone)."""
    try:
        count = point_count(path)
    except (AnnotatorError, OSError):
        return False  # the load reports it
    return count is not None and count > points


class FrameLoader(QObject):
    """Loads clouds in worker threads; keeps the last few in memory (at most ``cache_size`` clouds and
    ``cache_points`` points); a request for a cached or pending cloud costs nothing. Results arrive as
    `loaded` / `failed` signals on the UI thread. A cloud of at least ``preview_from`` points that can
    be sampled from its file is announced twice: first a preview (``cloud.partial``), then in full; such
    a large cloud is kept decoded alone (see the module's docstring)."""

    loaded = Signal(object)  # LoadedFrame
    failed = Signal(int, str)  # frame id, message

    def __init__(
        self,
        cache_size: int = 4,
        lod_budget: int = DEFAULT_LOD_BUDGET,
        threads: int = 2,
        cache_points: int = 30_000_000,
        parent: QObject | None = None,
        preview_from: int = PREVIEW_FROM,
    ) -> None:
        super().__init__(parent)
        return_large_blocks()  # the temporaries of reading large clouds go back to the system when freed
        self.preview_from = preview_from
        self.cache_size = cache_size
        self.cache_points = cache_points
        self.lod_budget = lod_budget
        self.jobs = QtJobs(self, threads, name="frame-load")
        self._cache: OrderedDict[tuple[int, str], LoadedFrame] = OrderedDict()
        self._pending: set[tuple[int, str]] = set()
        #: Previews of large clouds prefetched (or shown before): drawn at once when their frame is opened.
        self._previews: OrderedDict[tuple[int, str], LoadedFrame] = OrderedDict()
        self._warming: set[tuple[int, str]] = set()  # large clouds being prefetched (page cache, preview)

    def cached(self, frame_id: int, path: Path) -> LoadedFrame | None:
        """The loaded frame when it is in the cache."""
        key = (frame_id, str(path))
        result = self._cache.get(key)
        if result is not None:
            self._cache.move_to_end(key)
        return result

    def request(self, frame_id: int, path: Path, boxes: Sequence[Cuboid] = ()) -> LoadedFrame | None:
        """The frame at once when cached; else start loading it (`loaded` follows) and return None.

        The worker also finds the points inside ``boxes`` (the frame's cuboids).
        """
        result = self.cached(frame_id, path)
        if result is None:
            key = (frame_id, str(path))
            kept = self._previews.get(key)
            self._start(key, boxes, preview=kept is None)
            if kept is not None:  # announced as a fresh preview would be, from the window's next turn
                QTimer.singleShot(0, self, lambda: self._previewed(key, kept))
        return result

    def prefetch(self, frame_id: int, path: Path, boxes: Sequence[Cuboid] = ()) -> None:
        """Load a frame the user will probably want next (silently; failures are only logged). A large
        cloud (``preview_from`` points or more) is not decoded ahead: its file is read ahead into the page
        cache and its preview sample kept (`request` shows it at once). A cloud larger than the whole cache
        is not prefetched at all."""
        key = (frame_id, str(path))
        if self.cached(frame_id, path) is not None or _too_large(path, self.cache_points):
            return
        if not _too_large(path, self.preview_from - 1):
            self._start(key, boxes)
        elif key not in self._previews and key not in self._pending and key not in self._warming:
            self._start_preview(key)

    def load_now(self, frame_id: int, path: Path, boxes: Sequence[Cuboid] = ()) -> LoadedFrame:
        """Load on this thread (for headless snapshots and scripts); raises `AnnotatorError`."""
        result = self.cached(frame_id, path)
        if result is None:
            result = load_frame(frame_id, path, self.lod_budget, boxes)
            self._store((frame_id, str(path)), result)
        return result

    def is_pending(self, frame_id: int, path: Path) -> bool:
        """True while a worker loads this frame."""
        return (frame_id, str(path)) in self._pending

    def clear(self) -> None:
        """Forget cached clouds (e.g. another project was opened)."""
        self._cache.clear()
        self._previews.clear()

    def decoded_points(self) -> int:
        """Points of the clouds the cache holds decoded (previews not counted)."""
        return sum(len(loaded.cloud) for loaded in self._cache.values())

    def wait(self, msecs: int = 30_000) -> bool:
        """Wait for running workers (tests, shutdown); True when all finished."""
        return self.jobs.wait(msecs)

    def shutdown(self) -> None:
        """Drop queued jobs and wait for the running ones."""
        self.jobs.shutdown(30_000)

    def _start(self, key: tuple[int, str], boxes: Sequence[Cuboid], preview: bool = False) -> None:
        if key in self._pending:
            return
        self._pending.add(key)
        frame_id, path = key
        lod_budget, boxes = self.lod_budget, tuple(boxes)
        large = _too_large(Path(path), self.preview_from - 1)
        sample_first = preview and large
        if large:  # decoded alone: the large cloud shown before goes once the views let go of it
            self._drop_large()

        def work(context: JobContext) -> LoadedFrame:
            # One job, the sample first: run beside the whole read, the sample's thousands of short reads
            # each waited for the GIL behind the other thread's block work (100M: 0.7 s alone, 13 s beside).
            lower_thread_priority(LOADER_NICENESS)
            if sample_first:
                try:
                    sample = load_preview(frame_id, Path(path), lod_budget)
                except AnnotatorError:  # the whole read reports it
                    sample = None
                if sample is not None:
                    context.progress(sample)
            return load_frame(frame_id, Path(path), lod_budget, boxes)

        self.jobs.submit(
            work,
            name=f"load-{frame_id}-{path}",
            on_progress=lambda sample: self._previewed(key, sample),
            on_done=lambda outcome: self._finished(key, outcome),
        )

    def _start_preview(self, key: tuple[int, str]) -> None:
        """Prefetch a large cloud: read its file ahead into the page cache and keep its preview."""
        self._warming.add(key)
        frame_id, path = key
        lod_budget = self.lod_budget

        def work(_context: JobContext) -> LoadedFrame | None:
            lower_thread_priority(LOADER_NICENESS)
            read_ahead(path)
            return load_preview(frame_id, Path(path), lod_budget)

        def done(outcome: Outcome) -> None:
            self._warming.discard(key)
            if isinstance(outcome.result, LoadedFrame):
                self._keep_preview(key, outcome.result)
            elif outcome.error:
                logger.info("cannot prefetch frame %d: %s", frame_id, outcome.error)

        self.jobs.submit(work, name=f"prefetch-{frame_id}-{path}", on_done=done)

    def _keep_preview(self, key: tuple[int, str], sample: LoadedFrame) -> None:
        self._previews[key] = sample
        self._previews.move_to_end(key)
        while len(self._previews) > PREVIEW_CACHE:
            self._previews.popitem(last=False)

    def _drop_large(self) -> None:
        """Forget the large clouds the cache holds (a large one is about to be decoded)."""
        for key in [key for key, loaded in self._cache.items() if len(loaded.cloud) >= self.preview_from]:
            del self._cache[key]

    def _previewed(self, key: tuple[int, str], sample: LoadedFrame) -> None:
        """A preview arrived: announce it unless the whole cloud came first (kept for the next opening)."""
        self._keep_preview(key, sample)
        if key in self._pending:
            self.loaded.emit(sample)

    def _finished(self, key: tuple[int, str], outcome: Outcome) -> None:
        self._pending.discard(key)
        if isinstance(outcome.result, LoadedFrame):
            self._store(key, outcome.result)
            self.loaded.emit(outcome.result)
        else:
            error = outcome.error or "unknown error"
            if key[1] not in error:  # an unexpected error: name the file, as reader errors do
                error = f"{key[1]}: {error}"
            logger.warning("cannot load frame %d: %s", key[0], error)
            self.failed.emit(key[0], error)

    def _store(self, key: tuple[int, str], result: LoadedFrame) -> None:
        if len(result.cloud) >= self.preview_from:
            self._drop_large()
        self._cache[key] = result
        self._cache.move_to_end(key)
        # keep at most cache_size clouds and cache_points points (but always the newest cloud)
        while len(self._cache) > 1 and (
            len(self._cache) > self.cache_size
            or sum(len(loaded.cloud) for loaded in self._cache.values()) > self.cache_points
        ):
            self._cache.popitem(last=False)
