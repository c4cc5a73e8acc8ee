"""`annotator distill`: a tiny real run on generated frames and the project's frames (labels where verified,
soft targets only elsewhere) records a student version with its card; the student is then chosen and the
project's pre-annotation loads it; bad input gives one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from annotator.cli import main
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames, SetFrameStatus
from annotator.core.model.records import Annotation, Frame, FrameStatus, Review
from annotator.core.model_versions import model_versions
from annotator.io.store import ProjectStore
from annotator.io.workspace import Workspace
from annotator.ml.manifest import manifest_from_dict
from annotator.ml.variants import setting_key
from annotator.ml.weights import file_digest, verified_weights
from plugins.pointpillars import MANIFEST

pytest.importorskip("torch")


def load(root: Path):
    store = ProjectStore.open(root, read_only=True)
    try:
        return store.load()
    finally:
        store.close()


def street(root: Path) -> None:
    """Two frames of a car's points on flat ground: "verified" (its car labelled) and "unverified"."""
    rng = np.random.default_rng(4)
    car = Cuboid((10.0, 2.0, -0.98), (4.2, 1.8, 1.5), 0.3)
    ground = np.column_stack([rng.uniform(-20, 20, (4000, 2)), np.full(4000, -1.73), np.zeros(4000)])
    body = np.column_stack([car.box_to_world(rng.uniform(-0.5, 0.5, (600, 3)) * car.size), np.zeros(600)])
    with Workspace.create(root) as workspace:
        for name in ("verified", "unverified"):
            np.concatenate([ground, body]).astype(np.float32).tofile(root / f"{name}.bin")
        first, _ = workspace.push(AddFrames([Frame(0, n, i, cloud=f"{n}.bin")
                                                  for i, n in enumerate(("verified", "unverified"))])).ids  # fmt: skip
        workspace.push(AddAnnotations([Annotation(0, first, "Car", cuboid=car, review=Review.ACCEPTED)]))
        workspace.push(SetFrameStatus(first, FrameStatus.VERIFIED))


def test_a_tiny_distillation_records_a_student_that_pre_annotation_then_uses(tmp_path: Path, capsys) -> None:
    root = tmp_path / "project"
    street(root)
    code = main(["distill", str(root), "--plugin", "pointpillars", "--frames", "2", "--epochs", "1",
                 "--quality-frames", "1", "--cache", str(tmp_path / "cache"), "--use", "--unverified"])  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "student v1" in out and "1 verified frames and 1 unverified frames (soft targets only)" in out
    project = load(root)
    (version,) = model_versions(project, "pointpillars")
    weights = root / "models" / "pointpillars" / "student-1.pt"
    assert version.settings["kind"] == "student" and version.sha256 == file_digest(weights)
    card = version.metrics["card"]
    assert (
        card["teacher"]["file"] == "base.pt" and card["epochs"] == 1 and card["data"]["generated_frames"] == 2
    )
    assert card["data"]["real_frames"] == {"verified": ["verified"], "soft_only": ["unverified"]}
    assert version.settings["verified_frames"] == 1 and card["data"]["samples"] == 2 * 2 + 2
    assert set(card["quality_generated_held_apart"]) == {"student", "teacher (first network)"}
    assert (root / "models" / "pointpillars" / "student-1.card.json").is_file()
    assert project.settings[setting_key("pointpillars")] == "student"
    assert verified_weights(manifest_from_dict(MANIFEST, "plugins.pointpillars"), project) == weights


def test_bad_input_gives_one_line_errors(tmp_path: Path, capsys) -> None:
    root = tmp_path / "project"
    Workspace.create(root).close()
    assert main(["distill", str(tmp_path / "nowhere"), "--plugin", "pointpillars"]) == 1
    assert "not a project" in capsys.readouterr().err
    assert main(["distill", str(root), "--plugin", "geometric"]) == 1
    assert "offers no distillation" in capsys.readouterr().err
    assert main(["distill", str(root), "--plugin", "pointpillars", "--teacher", str(tmp_path / "x.pt")]) == 1
    assert "no such weights file" in capsys.readouterr().err
