"""Training: progress, cancellation, versions, and a tiny run that learns."""

from __future__ import annotations

import numpy as np

from annotator.ml.protocol import CancelToken, FitProgress, FrameInput
from plugins.pointpillars.pillars import crop_points


def test_fit_yields_progress_and_changes_the_version(detector, scenes):
    before = detector.version
    progress = list(detector.fit(scenes[:4], {"epochs": 2, "batch_size": 2, "threads": 1}, CancelToken()))
    assert all(isinstance(p, FitProgress) for p in progress)
    assert [p.step for p in progress] == [1, 2, 3, 4] and {p.total for p in progress} == {4}
    assert all(np.isfinite(p.metrics["loss"]) for p in progress)
    assert {"heatmap", "box", "direction", "learning_rate"} <= set(progress[0].metrics)
    assert detector.trained and detector.version != before


def test_cancel_stops_between_steps_and_keeps_the_old_weights(detector, scenes):
    cancel = CancelToken()
    before = detector.version
    steps = []
    for progress in detector.fit(scenes, {"epochs": 5, "batch_size": 2, "threads": 1}, cancel):
        steps.append(progress.step)
        if progress.step == 2:
            cancel.cancel()
    assert steps == [1, 2]
    assert detector.version == before and not detector.trained


def test_labels_of_unknown_classes_are_ignored(detector, scenes):
    labelled = scenes[0]
    targets = labelled.targets
    targets.class_names = ("Pedestrian", "Misc")  # every "Car" box becomes an unknown class
    progress = list(detector.fit([labelled], {"epochs": 1, "threads": 1}, CancelToken()))
    assert len(progress) == 1 and np.isfinite(progress[0].metrics["loss"])


def test_a_tiny_training_run_makes_the_loss_fall_and_finds_the_objects(detector, scenes, scene):
    params = {"epochs": 25, "batch_size": 2, "learning_rate": 0.02, "threads": 1, "augment": False}
    losses = [p.metrics["loss"] for p in detector.fit(scenes, params, CancelToken())]
    assert len(losses) == 100
    assert np.mean(losses[-10:]) < 0.3 * np.mean(losses[:10])
    points, names, boxes = scene(0)
    found = detector.predict(FrameInput("seen", points), {"score_threshold": 0.1})
    assert len(found) >= 3
    distance = np.hypot(*(found.boxes[:, None, :2] - boxes[None, :, :2]).transpose(2, 0, 1))
    nearest = distance.argmin(axis=0)
    hits = [
        distance[j, i] < 1.0 and found.class_names[found.labels[j]] == names[i] for i, j in enumerate(nearest)
    ]
    assert sum(hits) >= 3


def test_after_fit_eval_mode_normalises_like_the_training_frames_themselves(detector, scenes):
    """Batch-norm statistics are recomputed from the training frames at the end of fit, so that the
    network in eval mode gives what it gives with the frames' own statistics (no lag behind the weights)."""
    import torch

    one = scenes[:1]
    list(detector.fit(one, {"epochs": 3, "batch_size": 1, "threads": 1, "augment": True}, CancelToken()))
    net = detector.members[0]
    points = torch.from_numpy(crop_points(one[0].frame.points, detector.config))
    batch = torch.zeros(len(points), dtype=torch.int64)
    with torch.no_grad():
        running = net(points, batch, 1)
        net.train()
        own = net(points, batch, 1)
        net.eval()
    assert not net.training
    # equal up to the unbiased/biased variance of the smallest feature maps; without the recalibration
    # the outputs differ by up to 2 (0.3 on average) after these three steps
    assert (running - own).abs().max() < 0.05 and (running - own).abs().mean() < 0.01


def test_a_wider_grid_keeps_the_network_and_is_saved(detector, scenes, scene, tmp_path):
    from plugins.pointpillars.model import PointPillarsDetector

    list(detector.fit(scenes[:2], {"epochs": 1, "threads": 1}, CancelToken()))
    before = detector.version
    points, _, _ = scene(0)
    far = np.array([[20.5, 0.0, -1.0, 0.5]], dtype=np.float32)
    frame = FrameInput("far", np.concatenate([points, far]))
    detector.predict(frame, {"x_extent": 20.0, "threads": 1})  # rounded up to whole strides of 1.6 m
    assert detector.config.x_range == (-20.8, 20.8) and detector.config.y_range == (-12.8, 12.8)
    assert len(crop_points(frame.points, detector.config)) == len(frame.points)
    assert detector.version != before  # another grid gives other boxes
    detector.save(str(tmp_path / "wide.pt"))
    loaded = PointPillarsDetector()
    loaded.load(str(tmp_path / "wide.pt"))
    assert loaded.config == detector.config and loaded.version == detector.version
    loaded.predict(frame, {"threads": 1})  # 0 keeps the saved grid
    assert loaded.config.x_range == (-20.8, 20.8)
