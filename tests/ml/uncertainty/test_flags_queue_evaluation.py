"""Flag reasons, confident proposals, the queue by frame, matching against ground truth, the errors-caught
curve and the current model versions that make scores stale."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.model.records import Annotation, Frame, Provenance, Review, Source
from annotator.core.model_versions import ModelVersion, RecordModelVersion
from annotator.io.workspace import Workspace
from annotator.ml.registry import PluginRegistry
from annotator.ml.uncertainty.evaluation import (
    ScoredBox,
    caught,
    caught_curve,
    project_errors,
    scored_cuboids,
    wrong_proposals,
)
from annotator.ml.uncertainty.flags import confident_proposals, flag_reasons, flag_text, is_flagged
from annotator.ml.uncertainty.queue import queue_by_frame, queue_order
from annotator.ml.uncertainty.scoring import is_stale
from annotator.ml.uncertainty.staleness import current_model_versions, scoring_plugins
from annotator.ml.weights import mark_latest

EXAMPLES = Path(__file__).parents[1] / "example_plugins"


def _record(uncertainty: float, **measures: float) -> dict:
    base = {"presence": 1.0, "stability": 1.0, "entropy": 0.0, "mutual_information": 0.0}
    return {"uncertainty": uncertainty, **base, **measures, "mode": "tta", "passes": 8, "model_version": "m1"}


def _scored(
    frame_id: int, uncertainty: float, x: float = 0.0, cls: str = "Car", score: float = 0.9
) -> Annotation:
    return Annotation(
        0,
        frame_id,
        cls,
        cuboid=Cuboid((x, 0.0, 0.0), (4.0, 2.0, 1.5), 0.0),
        provenance=Provenance(Source.MODEL, "centroid-example", "m1", score),
        review=Review.UNREVIEWED,
        attributes={"uncertainty": _record(uncertainty)},
    )


@pytest.fixture
def workspace(tmp_path: Path):
    with Workspace.create(tmp_path / "project") as ws:
        frames = ws.push(AddFrames([Frame(0, f"{i:06d}", i) for i in range(3)])).ids
        ws.push(
            AddAnnotations(
                [
                    _scored(frames[0], 0.2, x=0.0),
                    _scored(frames[0], 0.7, x=10.0),
                    _scored(frames[1], 0.9, x=0.0),
                    _scored(frames[2], 0.1, x=0.0),
                    Annotation(0, frames[2], "Car", cuboid=Cuboid((5.0, 5.0, 0.0), (4.0, 2.0, 1.5), 0.0)),
                ]
            )
        )
        yield ws


def test_reasons_name_the_measures_that_drive_the_uncertainty_largest_first() -> None:
    record = _record(0.8, presence=3 / 8, stability=0.41, entropy=0.62)
    assert flag_reasons(record) == [
        "found in 3 of 8 passes",
        "class unsure (entropy 0.62)",
        "boxes disagree (stability 0.41)",
    ]
    assert flag_reasons(_record(0.01, stability=0.99)) == []


def test_flag_text_and_flagging_follow_the_threshold(workspace) -> None:
    annotation = next(a for a in workspace.project.annotations.values() if a.attributes)
    assert is_flagged(annotation, 0.2) and not is_flagged(annotation, 0.21)
    text = flag_text(annotation, 0.2, stale=True)
    assert text.splitlines()[0] == "uncertainty 0.20 (flagged: >= 0.20)"
    assert "stale" in text and "tta, 8 passes" in text
    manual = next(a for a in workspace.project.annotations.values() if not a.attributes)
    assert flag_text(manual, 0.5) == "" and not is_flagged(manual, 0.0)


def test_confident_proposals_are_the_unreviewed_scored_ones_below_the_threshold(workspace) -> None:
    project = workspace.project
    by_value = {
        a.attributes["uncertainty"]["uncertainty"]: a.id for a in project.annotations.values() if a.attributes
    }
    assert confident_proposals(project, 0.5) == sorted([by_value[0.2], by_value[0.1]])
    first_frame = project.frames_in_order()[0].id
    assert confident_proposals(project, 0.5, [first_frame]) == [by_value[0.2]]


def test_queue_orders_frames_by_their_most_uncertain_box_with_reductions(workspace) -> None:
    groups = queue_by_frame(workspace.project)
    assert [g.name for g in groups] == ["000001", "000000", "000002"]
    assert (groups[1].max, groups[1].mean, groups[1].sum) == pytest.approx((0.7, 0.45, 0.9))
    assert [i["uncertainty"] for i in groups[1].items] == [0.7, 0.2]
    assert [i["uncertainty"] for i in queue_order(groups)] == [0.9, 0.7, 0.2, 0.1]


def test_wrong_proposals_match_one_to_one_by_class_and_bev_iou() -> None:
    car = np.array([0.0, 0.0, 0.0, 4.0, 2.0, 1.5, 0.0])
    proposals = [
        ScoredBox("Car", car, 0.9),
        ScoredBox("Car", car + 0.1 * np.eye(7)[0], 0.8),  # the same object again: wrong
        ScoredBox("Pedestrian", car, 0.7),  # wrong class
        ScoredBox("Car", car + 3.0 * np.eye(7)[0], 0.6),  # IoU 1/7 with the truth
    ]
    assert wrong_proposals(proposals, [("Car", car)]) == [False, True, True, True]


def test_caught_curve_runs_from_nothing_to_everything_and_agrees_with_caught() -> None:
    values = np.array([0.9, 0.8, 0.3, 0.2, 0.1])
    wrong = np.array([True, False, True, False, False])
    flagged, found = caught_curve(values, wrong)
    assert flagged.tolist() == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert found.tolist() == [0.0, 0.5, 0.5, 1.0, 1.0, 1.0]
    assert found[2] == caught(values, wrong, 0.4)
    assert [len(a) for a in caught_curve(values, np.zeros(5, dtype=bool))] == [0, 0]


def test_project_errors_match_each_frames_scored_cuboids(workspace) -> None:
    truth = {"000000": [("Car", Cuboid((0.0, 0.0, 0.0), (4.0, 2.0, 1.5), 0.0))], "000001": []}
    errors = project_errors(scored_cuboids(workspace.project, truth.keys()), truth)
    by_uncertainty = dict(zip(errors.uncertainty.tolist(), errors.wrong.tolist(), strict=True))
    assert by_uncertainty == {0.2: False, 0.7: True, 0.9: True}  # frame 000002 has no ground truth


def test_current_versions_come_from_the_recorded_version_else_the_latest_weights(workspace, tmp_path) -> None:
    shutil.copytree(EXAMPLES / "centroid", tmp_path / "plugins" / "centroid")
    registry = PluginRegistry.discover([tmp_path / "plugins"], entry_points_too=False)
    project = workspace.project
    assert scoring_plugins(project) == {"centroid-example"}
    assert current_model_versions(project, registry, ["centroid-example", "missing"]) == {
        "centroid-example": "centroid-1.0+pad0.0"
    }
    folder = workspace.root / "models" / "centroid-example"
    folder.mkdir(parents=True)
    (folder / "w1.json").write_text(json.dumps({"padding": 0.5}), encoding="utf-8")
    mark_latest(folder / "w1.json")
    versions = current_model_versions(project, registry, ["centroid-example"])
    assert versions == {"centroid-example": "centroid-1.0+pad0.500"}
    annotation = next(a for a in project.annotations.values() if a.attributes)
    assert is_stale(annotation, versions)
    workspace.push(
        RecordModelVersion(ModelVersion("v1", "centroid-example", None, 1.0, "m1", "w1.json"), True)
    )
    assert current_model_versions(project, registry, ["centroid-example"]) == {"centroid-example": "m1"}
