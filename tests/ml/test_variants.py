"""Model variants (Models > Model version): the project's choice picks the weights and precision that
pre-annotation and scoring use; training and fine-tuning keep to the project's own weights."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from annotator.core.edits import SetSetting
from annotator.core.model_versions import ModelVersion, RecordModelVersion
from annotator.io.workspace import Workspace
from annotator.ml.manifest import manifest_from_dict
from annotator.ml.registry import PluginError
from annotator.ml.variants import (
    chosen_variant,
    declared_variants,
    setting_key,
    variant_card,
    with_variant_precision,
)
from annotator.ml.weights import chosen_weights, file_digest, load_weights, verified_weights
from plugins.pointpillars import MANIFEST

WEIGHTS = Path(__file__).parents[2] / "plugins" / "pointpillars" / "weights"


@pytest.fixture
def manifest():
    return manifest_from_dict(MANIFEST, "plugins.pointpillars")


@pytest.fixture
def workspace(tmp_path: Path):
    with Workspace.create(tmp_path / "project") as workspace:
        yield workspace


def choose(workspace, name: str) -> None:
    workspace.push(SetSetting(setting_key("pointpillars"), name))


def test_pointpillars_declares_the_six_versions_and_fp32_is_the_default(workspace, manifest):
    assert [v.name for v in declared_variants(manifest)] == [
        "fp32",
        "int8-static",
        "fp16-gpu",
        "pruned",
        "student",
        "student-real",
    ]
    assert chosen_variant(workspace.project, manifest).name == "fp32"
    assert chosen_weights(manifest, workspace.project) == WEIGHTS / "base.pt"
    assert with_variant_precision({"precision": "fp32"}, workspace.project, manifest) == {"precision": "fp32"}


def test_int8_static_sets_the_precision_unless_another_is_asked_for(workspace, manifest):
    choose(workspace, "int8-static")
    project = workspace.project
    assert with_variant_precision({"precision": "fp32"}, project, manifest)["precision"] == "int8-static"
    asked = {"precision": "bf16"}
    assert with_variant_precision(asked, project, manifest, asked)["precision"] == "bf16"
    assert chosen_weights(manifest, project) == WEIGHTS / "base.pt"  # the same weights


@pytest.mark.skipif(not (WEIGHTS / "pruned.pt").is_file(), reason="pruned weights not shipped here")
def test_pruned_loads_the_pruned_weights_after_checking_their_card_hash(workspace, manifest):
    choose(workspace, "pruned")
    project = workspace.project
    assert verified_weights(manifest, project) == WEIGHTS / "pruned.pt"
    assert variant_card(project, manifest, chosen_variant(project, manifest))["sha256"] == file_digest(
        WEIGHTS / "pruned.pt"
    )
    assert chosen_weights(manifest, project, variant=False) == WEIGHTS / "base.pt"  # training's start


def test_a_projects_own_student_comes_before_the_shipped_one(workspace, manifest, tmp_path):
    project = workspace.project
    folder = project.root / "models" / "pointpillars"
    folder.mkdir(parents=True)
    student = folder / "student-1.pt"
    shutil.copy(WEIGHTS / "base.pt", student)
    card = {"sha256": file_digest(student), "model": "a student"}
    version = ModelVersion("v1", "pointpillars", None, time.time(), "pp-x", project.store_path(student),
                           settings={"kind": "student"}, metrics={"card": card}, sha256=card["sha256"])  # fmt: skip
    workspace.push(RecordModelVersion(version, promote=False))
    choose(workspace, "student")
    assert verified_weights(manifest, workspace.project) == student
    assert variant_card(workspace.project, manifest, chosen_variant(workspace.project, manifest)) == card
    student.write_bytes(b"swapped")  # a changed file is refused, never loaded

    class Model:
        def load(self, path: str) -> None:
            raise AssertionError("must not load")

    with pytest.raises(PluginError, match="differ"):
        load_weights(Model(), manifest, workspace.project)


@pytest.mark.skipif(not (WEIGHTS / "student.pt").is_file(), reason="no shipped student here")
def test_without_a_project_student_the_shipped_student_is_loaded(workspace, manifest):
    choose(workspace, "student")
    assert verified_weights(manifest, workspace.project) == WEIGHTS / "student.pt"


@pytest.mark.skipif(not (WEIGHTS / "student_real.pt").is_file(), reason="no shipped real-sweep student here")
def test_the_student_distilled_on_real_sweeps_is_a_version_of_its_own_with_its_card(workspace, manifest):
    choose(workspace, "student-real")
    assert verified_weights(manifest, workspace.project) == WEIGHTS / "student_real.pt"
    card = variant_card(workspace.project, manifest, chosen_variant(workspace.project, manifest))
    assert (
        card["sha256"] == file_digest(WEIGHTS / "student_real.pt") and card["data"]["verified_frames"] == 30
    )


def test_a_version_whose_weights_are_missing_is_refused_with_its_name(workspace):
    variants = {
        "fp32": {"precision": "fp32"},
        "student": {"weights": "weights/none.pt", "project_kind": "student"},
    }
    manifest = manifest_from_dict(MANIFEST | {"variants": variants}, "plugins.pointpillars")
    choose(workspace, "student")
    with pytest.raises(PluginError, match=r"model version student has no weights here.*annotator distill"):
        chosen_weights(manifest, workspace.project)
