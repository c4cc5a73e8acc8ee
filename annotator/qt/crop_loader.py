"""The points around one box of each of a track's frames, cut out in a worker thread (for the track strip).

A request names a frame, its cloud file and the box; the worker reads the points near the box from the
file (a KITTI / nuScenes ``.bin`` block by block, so a 100M-point cloud is never held whole; other formats
whole) or takes the points given (e.g. from the frame loader's cache), keeps only the points near the box
(`annotator.core.track_crops.crop_points`, at most `MAX_CROP_POINTS` of them) and hands them back on the
UI thread through `cropped` (`annotator.qt.jobs.QtJobs`: one thread, the latest request per frame). The
work reads files and the points given only, never the project. Requests made before `reset` are dropped,
also before they run.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.track_crops import crop_margin, crop_points
from annotator.io.pointcloud import read_point_cloud
from annotator.io.pointcloud.near import points_near
from annotator.jobs import JobContext, Outcome
from annotator.qt.jobs import QtJobs

logger = logging.getLogger(__name__)

#: A crop keeps at most this many points (an even sample): the strip stays fast on dense clouds.
MAX_CROP_POINTS = 6000


def cut_crop(path: Path, box: Cuboid, xyz: np.ndarray | None = None) -> np.ndarray:
    """The points around ``box`` (at most `MAX_CROP_POINTS`, an even sample) of ``xyz``, else of the
    cloud at ``path`` (raises `AnnotatorError` when it cannot be read)."""
    if xyz is not None:
        points = crop_points(xyz, box)
    else:  # a KITTI / nuScenes file is searched block by block, never read whole
        near = points_near(path, box, crop_margin(box))
        points = near if near is not None else crop_points(read_point_cloud(path).xyz, box)
    if len(points) > MAX_CROP_POINTS:
        points = points[np.linspace(0, len(points) - 1, MAX_CROP_POINTS).astype(np.int64)]
    return points


class CropLoader(QObject):
    """Cuts crops in a one-thread pool; answers arrive as `cropped` (frame id, box, points or None)."""

    cropped = Signal(int, object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs = QtJobs(self, name="crop")

    def reset(self) -> None:
        """Forget the requests made so far (another track is shown)."""
        self.jobs.forget()

    def request(self, frame_id: int, path: Path, box: Cuboid, xyz: np.ndarray | None = None) -> None:
        """Crop frame ``frame_id``'s points around ``box`` (from ``xyz`` when given, else read ``path``);
        a later request for the same frame supersedes this one."""

        def work(_context: JobContext) -> np.ndarray:
            return cut_crop(path, box, xyz)

        def done(outcome: Outcome) -> None:
            if outcome.error:
                logger.warning("cannot crop frame %d: %s", frame_id, outcome.error)
            self.cropped.emit(frame_id, box, outcome.result if outcome.ok else None)

        self.jobs.submit(work, name=f"crop-{frame_id}", on_done=done)

    def wait(self, msecs: int = 30_000) -> bool:
        """Wait for the running crop (tests, closing the window)."""
        return self.jobs.wait(msecs)
