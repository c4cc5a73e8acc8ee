"""Exporting on a Ray cluster: Ray tasks render the frames, this process merges and writes.

`ray_renderer` gives `export_project` a `FrameRenderer`. The exporter (it holds no project, so it
pickles) goes into the object store once; the frames' `FrameLabels` go out in blocks, one Ray task per
block, at most one task per CPU slot (``--workers``) running and a few more queued. A task runs
`Exporter.render_frame` on its frames (labels to file bytes: calibrations and projections, world-frame
boxes, image sizes read from the images); the driver takes the outputs back in frame order and merges
them (`Exporter.accept`, the only step that writes), so the files are those of a serial export. A frame
that cannot be rendered comes back as a `FrameFailure` and is named in the report. Ctrl+C (or closing the
renderer) cancels the tasks not yet done; every file is written through a temporary file and a rename, so
none is left half-written, and the files that span frames are written only at the end of a whole run.

Plain tasks, not Ray Data: rendering a frame takes milliseconds, and a Ray Data pipeline costs seconds to
start (measured ~5 s per run on 2 cores against ~15 ms for a round of warm tasks).
"""

from __future__ import annotations

import logging
import math
import pickle
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from annotator.io.formats.base import Exporter, FrameLabels, FrameOutput
from annotator.io.formats.export import FrameFailure, FrameRenderer, render_or_failure
from annotator.ml.ray_batch import RaySettings, actor_slots, ray_runtime, rows_or_error

logger = logging.getLogger(__name__)

#: Blocks per worker slot: enough to keep every slot busy and the progress moving, few enough that the
#: per-task cost stays small next to rendering the frames.
BLOCKS_PER_SLOT = 4
#: Tasks submitted ahead per slot, so a slot never waits for the driver.
QUEUED_PER_SLOT = 2


@dataclass(frozen=True)
class ExportPlan:
    """How the frames are cut: ``slots`` tasks running at once, ``block`` frames per task."""

    slots: int
    block: int

    def blocks(self, frames: Sequence[FrameLabels]) -> list[list[bytes]]:
        """The frames' labels, pickled, in blocks of ``block`` in frame order."""
        return [
            [pickle.dumps(labels) for labels in frames[i : i + self.block]]
            for i in range(0, len(frames), self.block)
        ]


def export_plan(resources: dict[str, float], frames: int, workers: int | None) -> ExportPlan:
    """One task slot per CPU (at most ``workers``, at most one per frame), a few blocks per slot."""
    slots, _each = actor_slots(resources, "", workers)
    slots = max(1, min(slots, frames))
    return ExportPlan(slots, max(1, math.ceil(frames / (slots * BLOCKS_PER_SLOT))))


def render_block(exporter: Exporter, block: list[bytes]) -> list[bytes]:
    """A Ray task: each frame of ``block`` rendered (or its failure), pickled, in order."""
    return [pickle.dumps(render_or_failure(exporter, pickle.loads(labels))) for labels in block]


def ray_renderer(settings: RaySettings) -> FrameRenderer:
    """A `FrameRenderer` rendering on Ray (joining ``settings.address``, else a local runtime)."""

    def render(exporter: Exporter, frames: Sequence[FrameLabels]) -> Iterator[FrameOutput | FrameFailure]:
        with ray_runtime(settings.address, settings.workers) as ray:
            plan = export_plan(ray.cluster_resources(), len(frames), settings.workers)
            logger.info(
                "export on Ray: %d frames, %d slots, %d per task", len(frames), plan.slots, plan.block
            )
            yield from rows_or_error(ray, _rendered(ray, exporter, plan.blocks(frames), plan.slots))

    return render


def _rendered(ray: Any, exporter: Exporter, blocks: list[list[bytes]], slots: int) -> Iterator[Any]:
    """The frames' outputs in frame order, each block's as soon as it is done; tasks still running or
    queued are cancelled when the caller stops early (Ctrl+C, an error)."""
    task = ray.remote(render_block).options(num_cpus=1, max_retries=0)
    shared = ray.put(exporter)
    waiting = iter(blocks)
    pending: deque[Any] = deque()
    try:
        for block in waiting:
            pending.append(task.remote(shared, block))
            if len(pending) >= slots * QUEUED_PER_SLOT:
                break
        while pending:
            done = ray.get(pending.popleft())
            for block in waiting:  # one more in, one out
                pending.append(task.remote(shared, block))
                break
            for output in done:
                yield _checked(pickle.loads(output))
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)


def _checked(output: Any) -> FrameOutput | FrameFailure:
    if not isinstance(output, FrameOutput | FrameFailure):
        raise TypeError(f"an export task returned {type(output).__name__}")
    return output
