"""The distillation command line on a project: its verified frames with their labels, the others (when
asked) without, named on the card and in the command that makes the student again."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames, SetFrameStatus
from annotator.core.model.records import Annotation, Frame, FrameStatus, Review
from annotator.io.workspace import Workspace
from plugins.pointpillars.distill import DistillOptions
from plugins.pointpillars.distill_run import project_frames, real_frames, reproduce_command


def three_frames(root: Path) -> None:
    """Frames a, b, c; b verified with one accepted car and one unreviewed proposal."""
    points = np.random.default_rng(0).uniform(-5, 5, (50, 4)).astype(np.float32)
    with Workspace.create(root) as workspace:
        for name in "abc":
            points.tofile(root / f"{name}.bin")
        ids = workspace.push(AddFrames([Frame(0, n, i, cloud=f"{n}.bin") for i, n in enumerate("abc")])).ids
        car = Cuboid((1.0, 0.0, 0.0), (4.0, 1.8, 1.5))
        workspace.push(AddAnnotations([Annotation(0, ids[1], "Car", cuboid=car, review=Review.ACCEPTED),
                                       Annotation(0, ids[1], "Car", cuboid=car.replace(center=(6.0, 0.0, 0.0)),
                                                  review=Review.UNREVIEWED)]))  # fmt: skip
        workspace.push(SetFrameStatus(ids[1], FrameStatus.VERIFIED))


def test_a_projects_verified_frames_carry_their_labels_and_the_others_none(tmp_path: Path) -> None:
    three_frames(tmp_path / "p")
    (verified,) = project_frames(tmp_path / "p")
    assert verified.frame.name == "b" and not verified.partial and len(verified.targets.boxes) == 1
    frames = project_frames(tmp_path / "p", unverified=True)
    assert [(f.frame.name, f.partial, len(f.targets.boxes)) for f in frames] == [
        ("b", False, 1), ("a", True, 0), ("c", True, 0)]  # fmt: skip
    assert real_frames(frames) == {"verified": ["b"], "soft_only": ["a", "c"]}


def test_the_reproduce_command_names_the_project_and_its_unverified_frames(tmp_path: Path) -> None:
    options = DistillOptions(init=str(tmp_path / "student.pt")).to_dict()
    plain = reproduce_command(tmp_path / "out.pt", options)
    assert "--project" not in plain
    command = reproduce_command(tmp_path / "out.pt", options, tmp_path / "argo", unverified=True)
    assert command.startswith(plain) and command.endswith(f"--project {tmp_path / 'argo'} --unverified")
