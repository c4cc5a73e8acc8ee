"""Pre-annotation: proposals with provenance, replacing earlier proposals, failures reported per frame."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from annotator.core.edits import AddFrames, update_annotation
from annotator.core.model.records import Frame, Review, Source
from annotator.io.workspace import Workspace
from annotator.ml.preannotate import preannotate
from annotator.ml.registry import PluginRegistry

EXAMPLES = Path(__file__).parent / "example_plugins"


@pytest.fixture
def registry(tmp_path: Path) -> PluginRegistry:
    shutil.copytree(EXAMPLES / "centroid", tmp_path / "plugins" / "centroid")
    return PluginRegistry.discover([tmp_path / "plugins"], entry_points_too=False)


@pytest.fixture
def workspace(tmp_path: Path):
    root = tmp_path / "project"
    with Workspace.create(root) as ws:
        clouds = []
        for i in range(2):
            points = np.array([[0, 0, 0, 0], [2, 2, 1, 0], [4, 4, 2, 0]], dtype=np.float32)
            points[:, 0] += i
            path = root / f"{i:06d}.bin"
            points.astype(np.float32).tofile(path)
            clouds.append(Frame(0, path.stem, i, cloud=ws.project.store_path(path)))
        clouds.append(Frame(0, "broken", 2, cloud="missing.bin"))
        ws.push(AddFrames(clouds))
        yield ws


def test_proposals_carry_plugin_version_and_score_and_await_review(workspace, registry) -> None:
    frames = workspace.project.frames_in_order()[:2]
    summary = preannotate(workspace, registry, "centroid-example", frames, params={"min_height": 0.5})
    assert summary.frames_done == 2 and summary.proposals == 2 and not summary.failures
    proposal = workspace.project.annotations_of(frames[0].id)[0]
    assert proposal.review == Review.UNREVIEWED
    assert proposal.provenance.source == Source.MODEL
    assert proposal.provenance.model_id == "centroid-example"
    assert proposal.provenance.model_version == "centroid-1.0+pad0.0"
    assert proposal.provenance.score == 1.0
    assert "Object" in workspace.project.schema
    assert workspace.stack.undo_label() == "Pre-annotate 000001 (centroid-example)"


def test_rerun_replaces_unreviewed_proposals_but_keeps_reviewed_ones(workspace, registry) -> None:
    frame = workspace.project.frames_in_order()[0]
    preannotate(workspace, registry, "centroid-example", [frame])
    first = workspace.project.annotations_of(frame.id)[0]
    workspace.push(update_annotation(workspace.project, first.id, review=Review.ACCEPTED))
    preannotate(workspace, registry, "centroid-example", [frame])
    summary = preannotate(workspace, registry, "centroid-example", [frame])
    annotations = workspace.project.annotations_of(frame.id)
    assert [a.review for a in annotations] == [Review.ACCEPTED]  # no new proposal over the accepted box
    assert summary.proposals == 0


def test_a_frame_that_fails_is_reported_and_the_rest_is_done(workspace, registry) -> None:
    summary = preannotate(workspace, registry, "centroid-example", workspace.project.frames_in_order())
    assert summary.frames_done == 2
    assert len(summary.failures) == 1 and "missing.bin" in summary.failures[0]


def test_threshold_drops_low_scores_and_undo_removes_proposals(workspace, registry) -> None:
    frame = workspace.project.frames_in_order()[0]
    summary = preannotate(workspace, registry, "centroid-example", [frame], threshold=1.5)
    assert summary.proposals == 0
    preannotate(workspace, registry, "centroid-example", [frame])
    assert workspace.project.annotations_of(frame.id)
    workspace.stack.undo()
    assert not workspace.project.annotations_of(frame.id)
