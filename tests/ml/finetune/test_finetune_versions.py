"""Model versions: immutable records with a parent chain, the forgetting gate, promotion and rollback."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.model.commands import UndoStack
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Provenance, Review, Source
from annotator.core.model_versions import (
    ModelVersion,
    RecordModelVersion,
    VersionError,
    current_version,
    get_version,
    lineage,
    model_versions,
)
from annotator.ml.finetune.gate import forgetting_gate, report_score
from annotator.ml.finetune.pipeline import rollback, stale_annotations, stale_frames
from annotator.ml.quality import QualityReport
from annotator.ml.weights import latest_weights


def version(
    vid: str, parent: str | None, created: float, model_version: str = "m", weights: str = "w"
) -> ModelVersion:
    return ModelVersion(vid, "det", parent, created, model_version, weights)


@pytest.fixture
def stack() -> UndoStack:
    return UndoStack(Project())


def test_records_keep_a_parent_chain_and_cannot_be_overwritten(stack) -> None:
    stack.push(RecordModelVersion(version("v1", None, 1.0), promote=True))
    stack.push(RecordModelVersion(version("v2", "v1", 2.0), promote=False))
    stack.push(RecordModelVersion(version("v3", "v2", 3.0), promote=True))
    project = stack.project
    assert [v.id for v in model_versions(project, "det")] == ["v1", "v2", "v3"]
    assert [v.id for v in lineage(project, "det", "v3")] == ["v3", "v2", "v1"]
    assert current_version(project, "det").id == "v3"
    with pytest.raises(VersionError, match="already exists"):
        stack.push(RecordModelVersion(version("v2", "v1", 9.0, "changed"), promote=False))
    assert get_version(project, "det", "v2").model_version == "m"  # unchanged
    with pytest.raises(VersionError, match="versions: v1, v2, v3"):
        get_version(project, "det", "v9")


def test_rollback_to_any_version_is_one_undoable_step(stack) -> None:
    stack.push(RecordModelVersion(version("v1", None, 1.0), promote=True))
    stack.push(RecordModelVersion(version("v2", "v1", 2.0), promote=True))
    rollback(stack.push, "det", "v1")
    assert current_version(stack.project, "det").id == "v1"
    stack.undo()
    assert current_version(stack.project, "det").id == "v2"
    with pytest.raises(VersionError):
        rollback(stack.push, "det", "v7")


def test_a_version_record_round_trips_through_the_store(tmp_path: Path, tiny_project) -> None:
    with tiny_project(tmp_path / "p", 1, 1) as workspace:
        workspace.push(RecordModelVersion(version("v1", None, 1.5, "m1"), promote=True))
    from annotator.io.workspace import Workspace

    with Workspace.open(tmp_path / "p") as reopened:
        assert current_version(reopened.project, "det") == version("v1", None, 1.5, "m1")


def test_gate_accepts_within_tolerance_and_rejects_forgetting() -> None:
    current = {"old": 0.80, "new": 0.50}
    assert forgetting_gate({"old": 0.79, "new": 0.70}, current, 0.02).passed
    forgot = forgetting_gate({"old": 0.70, "new": 0.90}, current, 0.02)
    assert not forgot.passed and "old frames: 0.700 vs 0.800 (lost)" in forgot.reasons
    assert not forgetting_gate({"old": 0.80, "new": 0.40}, current, 0.02).passed
    assert forgetting_gate({"new": 0.1}, None).passed  # nothing to compare with
    only_new = forgetting_gate({"new": 0.6}, {"new": 0.5})
    assert only_new.passed and "old frames: not measured" in only_new.reasons


def test_report_score_is_f1_for_3d_and_ap_for_2d() -> None:
    three = QualityReport("detect3d", "", 1, {}, {"recall": 0.5, "precision": 1.0})
    assert report_score(three) == pytest.approx(2 / 3)
    assert (
        report_score(QualityReport("detect3d", "", 1, {}, {"recall": math.nan, "precision": math.nan})) == 1.0
    )
    assert report_score(QualityReport("detect2d", "", 1, {}, {"map50": 0.4})) == 0.4


def test_current_version_decides_the_weights_and_the_stale_proposals(tmp_path: Path, tiny_project) -> None:
    with tiny_project(tmp_path / "p", 2, 1) as workspace:
        project = workspace.project
        (tmp_path / "p" / "v1.weights").write_text("{}")
        (tmp_path / "p" / "v2.weights").write_text("{}")
        workspace.push(RecordModelVersion(version("v1", None, 1.0, "model-a", "v1.weights"), promote=True))
        frame = project.frames_in_order()[1]
        made_by = Provenance(Source.MODEL, "det", "model-a", 0.9)
        proposal = Annotation(0, frame.id, "Object", cuboid=Cuboid((0, 0, 0), (1, 1, 1)), provenance=made_by,
                              review=Review.UNREVIEWED)  # fmt: skip
        from annotator.core.edits import AddAnnotations

        workspace.push(AddAnnotations([proposal]))
        assert latest_weights(project, "det") == tmp_path / "p" / "v1.weights"
        assert stale_annotations(project, "det") == []
        workspace.push(RecordModelVersion(version("v2", "v1", 2.0, "model-b", "v2.weights"), promote=True))
        assert latest_weights(project, "det") == tmp_path / "p" / "v2.weights"
        assert [f.name for f in stale_frames(project, "det")] == ["f1"]
