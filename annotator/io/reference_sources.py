"""Reference labels from a labelled dataset in any importable format (KITTI, Argoverse, OpenLABEL, ...).

The dataset's cuboids become reference objects of the frames with the same names; each object's LiDAR point
count is measured on the frame's cloud (so "too few points" filters work as on generated ground truth).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from annotator.core.cuboids.point_index import PointIndex
from annotator.io.errors import FormatError
from annotator.io.formats.base import Dataset, SourceFrame
from annotator.io.pointcloud import read_point_cloud
from annotator.io.reference_labels import ReferenceObject

logger = logging.getLogger(__name__)


def reference_objects(
    dataset: Dataset, progress: Callable[[int, int], None] | None = None
) -> dict[str, list[ReferenceObject]]:
    """Reference objects per frame name of a parsed dataset: its cuboids (2D-only objects are left out),
    with track ids numbered by first appearance and point counts from the frames' clouds."""
    tracks: dict[str, int] = {}
    result: dict[str, list[ReferenceObject]] = {}
    for number, frame in enumerate(dataset.frames):
        counts = _point_counts(frame)
        objects = []
        for k, obj in enumerate(frame.objects):
            if obj.cuboid is None:
                continue
            key = obj.track_key if obj.track_key is not None else f"{frame.name}#{k}"
            track_id = tracks.setdefault(key, len(tracks) + 1)
            objects.append(ReferenceObject(track_id, obj.class_name, obj.cuboid, counts(obj.cuboid)))
        result[frame.name] = objects
        if progress is not None:
            progress(number + 1, len(dataset.frames))
    return result


def _point_counts(frame: SourceFrame) -> Callable[..., int]:
    """Points inside a cuboid on the frame's cloud (0 without a readable cloud)."""
    if frame.cloud is None:
        return lambda cuboid: 0
    try:
        index = PointIndex(read_point_cloud(frame.cloud).xyzi()[:, :3])
    except (FormatError, OSError) as error:
        logger.warning("%s: points not counted: %s", frame.name, error)
        return lambda cuboid: 0
    return index.count_inside
