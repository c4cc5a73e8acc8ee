"""Generated replay frames: fresh street scenes labelled with a plugin's classes, for fine-tuning."""

from __future__ import annotations

import numpy as np

from annotator.synth.replay import generated_frames


def test_generated_frames_carry_their_ground_truth_with_sparse_objects_weighing_nothing():
    frames = generated_frames(("Car", "Pedestrian"), 1)
    (frame,) = frames
    assert frame.frame.points.shape[1] == 4 and len(frame.frame.points) > 10_000
    assert frame.targets.class_names == ("Car", "Pedestrian") and len(frame.targets) > 0
    assert frame.weights is not None and set(np.unique(frame.weights)) <= {0.0, 1.0}
    assert frame.weights.sum() > 0
