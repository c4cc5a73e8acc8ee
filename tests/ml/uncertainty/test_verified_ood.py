"""The OOD reference grown by a project's verified frames: scoring stores each frame's embedding on the frame,
and a frame like one a person verified is no longer out of distribution (as ``simulate --adapt-every``)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from sequence_support import CAR, frames_project  # type: ignore[import-not-found]

from annotator.core.edits import SetFrameStatus, UpdateFrame
from annotator.core.model.records import Annotation, FrameStatus, Provenance, Review, Source
from annotator.ml.protocol import FrameInput
from annotator.ml.uncertainty.ood import OodIndex
from annotator.ml.uncertainty.scoring import UNCERTAINTY_KEY, ScoreProposals, scored_ood
from annotator.ml.uncertainty.verified_ood import (
    EMBEDDING_KEY,
    FRAME_EMBEDDING_KEY,
    known_embeddings,
    reference_ood,
    stored_embedding,
    verified_embeddings,
    with_embedding,
)

#: Training frames on a unit square around the origin: their own nearest-neighbour spacing is 1 (scale 1
#: after standardisation only roughly; the tests compare scores, not absolute values).
TRAINING = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
FAR = np.array([9.0, 9.0])


def test_a_frame_far_from_the_training_data_is_near_once_its_twin_is_known() -> None:
    index = OodIndex.build(TRAINING)
    alone = reference_ood(index, FAR)
    assert alone == pytest.approx(index.score(FAR[None])[0]) and alone > 3.0
    assert reference_ood(index, FAR, np.array([FAR])) == pytest.approx(0.0, abs=1e-9)
    assert reference_ood(index, FAR, np.array([[9.0, 8.0]])) < alone
    # nothing known, or vectors of another latent space (another width): the index alone
    assert reference_ood(index, FAR, np.zeros((0, 2))) == pytest.approx(alone)
    assert reference_ood(index, FAR, np.ones((1, 3))) == pytest.approx(alone)


def test_only_verified_frames_embeddings_of_one_version_count_and_never_the_frame_scored(tmp_path) -> None:
    with frames_project(tmp_path / "project", 4, step=3.0) as workspace:
        project = workspace.project
        frames = project.frames_in_order()
        vectors = {"m1": [1.0, 2.0], "m2": [3.0, 4.0, 5.0]}
        for frame, version in zip(frames, ("m1", "m1", "m2", "m1"), strict=True):
            workspace.push(UpdateFrame(frame.id, meta=with_embedding(frame, "pp", version, vectors[version])))
        for frame in frames[:3]:
            workspace.push(SetFrameStatus(frame.id, FrameStatus.VERIFIED))
        known = verified_embeddings(project, "pp")
        assert set(known) == {"m1", "m2"}  # the fourth frame is not verified
        np.testing.assert_array_equal(known["m1"], [[1.0, 2.0], [1.0, 2.0]])
        assert verified_embeddings(project, "pp", exclude=frames[0].id)["m1"].shape == (1, 2)
        assert verified_embeddings(project, "another plugin") == {}
        broken = replace(project.frames[frames[1].id], meta={EMBEDDING_KEY: {"pp": {"vector": "x"}}})
        assert stored_embedding(broken, "pp") is None


def test_known_embeddings_leave_out_vectors_of_another_length() -> None:
    by_frame = {1: ("m1", np.array([1.0, 2.0])), 2: ("m1", np.array([1.0, 2.0, 3.0]))}
    assert known_embeddings(by_frame)["m1"].shape == (1, 2)


class Embedding:
    """A model with an OOD index and a frame embedding read off the frame's name ("far" or not)."""

    version = "m1"

    def __init__(self) -> None:
        self.ood_index = OodIndex.build(TRAINING)

    def frame_embedding(self, frame: FrameInput, params: dict) -> np.ndarray:
        return FAR if frame.name == "far" else np.array([0.5, 0.5])


def test_scoring_measures_a_frame_against_the_verified_frames_of_its_model_version() -> None:
    model, far = Embedding(), FrameInput("far", None)
    alone, vector = scored_ood(model, far, {})
    assert alone is not None and alone > 3.0 and vector == [9.0, 9.0]
    assert scored_ood(model, far, {}, {"m1": np.array([FAR])})[0] == pytest.approx(0.0, abs=1e-9)
    assert scored_ood(model, far, {}, {"m0": np.array([FAR])})[0] == pytest.approx(alone)  # another version


def test_a_plugin_without_an_index_keeps_its_own_frame_ood() -> None:
    class Own:
        def frame_ood(self, frame: FrameInput, params: dict) -> float:
            return 1.7

    assert scored_ood(Own(), FrameInput("f", None), {}, {"": np.array([FAR])}) == (1.7, None)
    assert scored_ood(object(), FrameInput("f", None), {}) == (None, None)


def test_the_scoring_step_stores_the_frame_embedding_on_the_frame_and_undo_removes_it(tmp_path) -> None:
    with frames_project(tmp_path / "project", 1, step=3.0) as workspace:
        frame = workspace.project.frames_in_order()[0]
        record = {"uncertainty": 0.2, "model_version": "m1", FRAME_EMBEDDING_KEY: [0.25, 0.5]}
        proposal = Annotation(0, frame.id, "Car", cuboid=CAR, review=Review.UNREVIEWED,
                              provenance=Provenance(Source.MODEL, "pp", "m1", 0.9),
                              attributes={UNCERTAINTY_KEY: record})  # fmt: skip
        workspace.push(ScoreProposals(frame.id, "pp", [proposal], frame.name, "ensemble"))
        stored = workspace.project.frames[frame.id]
        version, vector = stored_embedding(stored, "pp")
        assert version == "m1" and vector.tolist() == [0.25, 0.5]
        (scored,) = [a for a in workspace.project.annotations_of(frame.id) if a.is_proposal]
        assert FRAME_EMBEDDING_KEY not in scored.attributes[UNCERTAINTY_KEY]  # records never hold it
        workspace.stack.undo()
        assert EMBEDDING_KEY not in workspace.project.frames[frame.id].meta
