"""A small street for the sequence tests: a car, a walker, a hedge, and a sequence of frames to put them on."""

from __future__ import annotations

from pathlib import Path

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddFrames
from annotator.core.model.records import Annotation, Frame, Provenance, Source
from annotator.core.pose import Pose
from annotator.core.tracks import CARRIED_BOX_KEY
from annotator.io.workspace import Workspace

CAR = Cuboid((10.0, 2.0, 0.0), (4.0, 2.0, 1.5), 0.3)
WALKER = Cuboid((20.0, -3.0, 0.0), (0.7, 0.7, 1.8), 0.0)
HEDGE = Cuboid((15.0, 8.0, 0.0), (3.0, 1.0, 1.2), 0.0)


def shifted(box: Cuboid, dx: float) -> Cuboid:
    """``box`` moved ``dx`` metres along x."""
    return box.replace(center=(box.center[0] + dx, box.center[1], box.center[2]))


def frames_project(folder: Path, frames: int, step: float | None = None) -> Workspace:
    """A new project of ``frames`` frames without points; with ``step``, poses of a sensor driving that many
    metres along x per frame (else none)."""
    workspace = Workspace.create(folder)
    poses = [
        None if step is None else Pose((1.0, 0.0, 0.0, 0.0), (step * k, 0.0, 0.0)) for k in range(frames)
    ]
    workspace.push(AddFrames([Frame(0, f"f{k}", k, pose=pose) for k, pose in enumerate(poses)]))
    return workspace


def carried_in(frame_id: int, name: str, box: Cuboid) -> Annotation:
    """A box as propagation leaves it on ``frame_id``: provenance *propagated*, stamped with the cuboid it was
    carried in as (`annotator.core.tracks.CARRIED_BOX_KEY`), accepted."""
    return Annotation(
        0,
        frame_id,
        name,
        cuboid=box,
        provenance=Provenance(Source.PROPAGATED),
        attributes={CARRIED_BOX_KEY: [float(v) for v in box.to_array()[:7]]},
    )
