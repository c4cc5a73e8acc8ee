"""Helpers shared by tests: project snapshots and random command sequences."""

from __future__ import annotations

from pathlib import Path

from hypothesis import strategies as st

from annotator.core.box2d import Box2D
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import (
    AddAnnotations,
    AddFrames,
    RemoveAnnotations,
    SetFrameStatus,
    SetSetting,
    update_annotation,
)
from annotator.core.model.commands import UndoStack
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame, FrameStatus, Provenance, Review, Source


def snapshot(project: Project) -> dict:
    """Every record of a project keyed by (kind, key), for exact comparisons."""
    return {(kind, key): value for kind, key, value in project.records()}


def car(frame_id: int, x: float = 0.0) -> Annotation:
    """A manual Car cuboid at x."""
    return Annotation(0, frame_id, "Car", cuboid=Cuboid((x, 0, 0), (3.9, 1.6, 1.5), 0.2))


# -- property: random command sequences --------------------------------------------------------------
operations = st.lists(
    st.tuples(st.sampled_from(["add", "add2d", "move", "class", "remove", "status", "setting", "frame"]),
              st.integers(0, 1000), st.floats(-50, 50)),
    min_size=1, max_size=25,
)  # fmt: skip


def apply_random_operation(project: Project, stack: UndoStack, op: str, pick: int, value: float) -> None:
    if not project.frames:
        stack.push(AddFrames([Frame(0, "first", 0)]))
    frame_ids = sorted(project.frames)
    annotation_ids = sorted(project.annotations)
    frame_id = frame_ids[pick % len(frame_ids)]
    if op == "add":
        stack.push(AddAnnotations([car(frame_id, value)]))
    elif op == "add2d":
        box = Box2D(abs(value), 10, abs(value) + 30, 40)
        provenance = Provenance(Source.MODEL, "geometric", "v1", 0.5)
        stack.push(
            AddAnnotations(
                [
                    Annotation(
                        0,
                        frame_id,
                        "Car",
                        box2d=box,
                        camera="front",
                        provenance=provenance,
                        review=Review.UNREVIEWED,
                    )
                ]
            )
        )
    elif op == "frame":
        stack.push(AddFrames([Frame(0, f"f{pick}", len(frame_ids))]))
    elif op == "status":
        stack.push(SetFrameStatus(frame_id, list(FrameStatus)[pick % 3]))
    elif op == "setting":
        stack.push(SetSetting("nine_dof", bool(pick % 2)))
    elif annotation_ids:
        annotation_id = annotation_ids[pick % len(annotation_ids)]
        annotation = project.annotations[annotation_id]
        if op == "remove":
            stack.push(RemoveAnnotations([annotation_id]))
        elif op == "class":
            stack.push(
                update_annotation(project, annotation_id, class_name=["Car", "Van", "Truck"][pick % 3])
            )
        elif annotation.cuboid is not None:
            moved = annotation.cuboid.replace(center=(value, value / 2, 0.1), yaw=value)
            stack.push(update_annotation(project, annotation_id, merge_key=pick % 2, cuboid=moved))


def raised_points_project(root, frames: int):
    """A project in ``root`` of ``frames`` frames, each a cloud of three raised points; ``root``."""
    import numpy as np

    from annotator.io.workspace import Workspace

    with Workspace.create(root) as workspace:
        records = []
        for i in range(frames):
            points = np.array([[i, 0, 1, 0], [i + 2, 2, 1, 0], [i + 4, 4, 2, 0]], dtype=np.float32)
            points.tofile(root / f"{i:06d}.bin")
            records.append(Frame(0, f"{i:06d}", i, cloud=f"{i:06d}.bin"))
        workspace.push(AddFrames(records))
    return root


def argoverse_copy(log: Path, out: Path, first: int, count: int) -> Path:
    """Sweeps ``first .. first + count - 1`` of the shared Argoverse log (lidar, labels, poses)."""
    stamps = sorted(p.stem[3:] for p in (log / "lidar").glob("PC_*.ply"))[first : first + count]
    for stamp in stamps:
        for folder, name in (
            ("lidar", f"PC_{stamp}.ply"),
            ("per_sweep_annotations_amodal", f"tracked_object_labels_{stamp}.json"),
            ("poses", f"city_SE3_egovehicle_{stamp}.json"),
        ):
            (out / folder).mkdir(parents=True, exist_ok=True)
            (out / folder / name).write_bytes((log / folder / name).read_bytes())
    return out
