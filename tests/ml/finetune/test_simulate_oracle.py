"""The simulation's ground truth: reference labels keep their tracks, so that carrying works on them too."""

from __future__ import annotations

from sequence_support import CAR, WALKER, frames_project  # type: ignore[import-not-found]

from annotator.io.reference_labels import REFERENCE_FILE, ReferenceObject, write_reference_labels
from annotator.ml.finetune.simulate import oracle_of


def test_reference_labels_give_their_tracks_and_leave_sparse_objects_as_dont_care(tmp_path) -> None:
    root = tmp_path / "project"
    with frames_project(root, 2) as workspace:
        project = workspace.project
        frames = project.frames_in_order()
        labels = [
            ReferenceObject(7, "Car", CAR, num_points=50),
            ReferenceObject(8, "Pedestrian", WALKER, num_points=3),
        ]
        write_reference_labels(root / REFERENCE_FILE, {f.name: labels for f in frames})
        oracles = oracle_of(root, project, frames, ("Car", "Pedestrian"), min_points=10)
    first = oracles[frames[0].id]
    assert first.truths == [("Car", CAR)] and first.tracks == [7]
    assert first.ignore == [WALKER]  # 3 points: neither right nor wrong
