"""Training a plugin on confirmed labels: weights saved in the project and used by pre-annotation."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames, RemoveAnnotations
from annotator.core.model.records import Annotation, Frame, Review
from annotator.io.workspace import Workspace
from annotator.ml.preannotate import preannotate
from annotator.ml.protocol import CancelToken
from annotator.ml.registry import PluginError, PluginRegistry
from annotator.ml.training import labelled_frames, train
from annotator.ml.weights import latest_weights

EXAMPLES = Path(__file__).parent / "example_plugins"
POINTS = np.array([[0, 0, 1, 0], [2, 2, 1, 0], [4, 4, 2, 0]], dtype=np.float32)


@pytest.fixture
def plugin_folder(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLES / "centroid", tmp_path / "plugins" / "centroid")
    return tmp_path / "plugins"


@pytest.fixture
def registry(plugin_folder: Path) -> PluginRegistry:
    return PluginRegistry.discover([plugin_folder], entry_points_too=False)


@pytest.fixture
def workspace(tmp_path: Path):
    """A frame whose confirmed label is the raised points' extent grown by 0.5 m on every side."""
    root = tmp_path / "project"
    with Workspace.create(root) as ws:
        POINTS.tofile(root / "a.bin")
        frame_id = ws.push(AddFrames([Frame(0, "a", 0, cloud="a.bin")])).ids[0]
        label = Annotation(0, frame_id, "Object", cuboid=Cuboid((2, 2, 1.5), (5, 5, 2), 0.0))
        proposal = Annotation(
            0, frame_id, "Object", cuboid=Cuboid((9, 9, 1), (1, 1, 1)), review=Review.UNREVIEWED
        )
        ws.push(AddAnnotations([label, proposal]))
        yield ws


def test_only_confirmed_labels_are_targets(workspace, registry) -> None:
    frames = labelled_frames(workspace.project, workspace.project.frames_in_order(), ["Object"], "detect3d")
    assert len(frames) == 1
    assert len(frames[0].targets) == 1
    np.testing.assert_allclose(frames[0].targets.boxes[0, :3], [2, 2, 1.5])


def test_training_saves_weights_that_preannotation_then_uses(workspace, registry) -> None:
    result = train(workspace.project, registry, "centroid-example", workspace.project.frames_in_order())
    assert result.weights is not None and result.weights.is_file()
    assert latest_weights(workspace.project, "centroid-example") == result.weights
    assert result.model_version == "centroid-1.0+pad0.500"
    assert [p.step for p in result.history] == [1]
    # A fresh registry (as in a new session) loads the project's trained weights.
    fresh = PluginRegistry.discover(
        [
            registry.manifest("centroid-example").search_path
            and Path(registry.manifest("centroid-example").search_path).parent
        ],
        entry_points_too=False,
    )
    frame = workspace.project.frames_in_order()[0]
    # no proposal lands on a labelled box: take the label away to see what the trained model proposes
    workspace.push(RemoveAnnotations([a.id for a in workspace.project.annotations_of(frame.id)]))
    preannotate(workspace, fresh, "centroid-example", [frame], params={"min_height": 0.0})
    proposal = next(a for a in workspace.project.annotations_of(frame.id) if a.provenance.model_id)
    assert proposal.provenance.model_version == "centroid-1.0+pad0.500"
    assert proposal.cuboid.size == pytest.approx((5.0, 5.0, 2.0))


def test_cancelled_training_saves_nothing(workspace, registry) -> None:
    cancel = CancelToken()
    cancel.cancel()
    result = train(
        workspace.project, registry, "centroid-example", workspace.project.frames_in_order(), cancel=cancel
    )
    assert result.cancelled and result.weights is None


def test_training_without_labels_is_a_clear_error(tmp_path: Path, registry) -> None:
    with Workspace.create(tmp_path / "empty") as ws, pytest.raises(PluginError, match="no frame"):
        train(ws.project, registry, "centroid-example", [])
