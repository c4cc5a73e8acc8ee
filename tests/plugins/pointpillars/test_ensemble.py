"""Ensemble heads on a shared backbone, calibration maps and the OOD index beside the weights
(`plugins.pointpillars.ensemble`), on the tiny grid."""

from __future__ import annotations

import json

import numpy as np
import pytest

from annotator.ml.protocol import CancelToken, FrameInput
from annotator.ml.registry import PluginError
from annotator.ml.uncertainty.ood import OodIndex

LOOSE = {"score_threshold": 0.0, "max_detections": 6, "nms_iou": 0.5, "threads": 1}


@pytest.fixture
def trained(detector, scenes, tmp_path):
    """A tiny detector fitted for one epoch and saved; its weights path."""
    for _ in detector.fit(scenes[:2], {"epochs": 1, "batch_size": 2, "threads": 1}, CancelToken()):
        pass
    path = tmp_path / "tiny.pt"
    detector.save(str(path))
    return detector, path


def _heads(detector, scenes, count: int, epochs: int = 1):
    from plugins.pointpillars.ensemble import (
        EnsembleOptions,
        _feature_sample,
        new_head,
        recompute_head_norm,
        train_head,
    )
    from plugins.pointpillars.training import TrainSample

    net = detector.members[0]
    index = {name: i for i, name in enumerate(net.config.classes)}
    samples = []
    for labelled in scenes[:4]:
        t = labelled.targets
        labels = np.array([index[t.class_names[int(k)]] for k in t.labels])
        sample = TrainSample(labelled.frame.points, t.boxes[:, :7], labels, np.ones(len(labels), np.float32))
        samples.append(_feature_sample(net, sample))
    options = EnsembleOptions(epochs=epochs, batch_size=2, crop_rows=16)
    states = []
    for k in range(count):
        head = new_head(net, k)
        losses = train_head(head, samples, options, k, lambda: False)
        assert len(losses) == epochs and all(np.isfinite(losses))
        recompute_head_norm(head, samples, 2)
        states.append(head.state_dict())
    return states, samples


def test_heads_beside_the_weights_give_ensemble_samples_from_one_backbone_pass(
    trained, scenes, scene, monkeypatch
):
    from plugins.pointpillars.ensemble import extras_paths, frame_embedding, write_extras
    from plugins.pointpillars.model import PointPillarsDetector

    detector, path = trained
    states, samples = _heads(detector, scenes, 2)
    index = OodIndex.build(np.array([frame_embedding(s.features[None].float()) for s in samples]))
    card = write_extras(path, states, index, {"calibration": {"maps": {"uncertainty": {
        "kind": "isotonic", "x": [0.0, 1.0], "y": [0.1, 0.9]}}}})  # fmt: skip
    assert set(card["sha256"]) == {"weights", "heads", "ood"} and card["members"] == 3
    assert json.loads(extras_paths(path)["card"].read_text())["sha256"] == card["sha256"]

    loaded = PointPillarsDetector()
    loaded.load(str(path))
    assert loaded.ensemble_size == 3 and loaded.version != detector.version
    net = loaded.members[0]
    calls = []
    original = net.forward_features
    monkeypatch.setattr(net, "forward_features", lambda *a, **k: calls.append(1) or original(*a, **k))
    frame = FrameInput("scene 0", scene(0)[0])
    samples_out = loaded.predict_samples(frame, LOOSE, 3, "ensemble")
    ood = loaded.frame_ood(frame, LOOSE)
    assert len(samples_out) == 3 and len(calls) == 1  # the OOD score reuses the frame's features
    assert ood is not None and ood >= 0.0
    np.testing.assert_array_equal(samples_out[0].boxes, loaded.predict(frame, LOOSE).boxes)
    assert not np.array_equal(samples_out[1].scores, samples_out[2].scores)
    far = FrameInput("far", (scene(0)[0] * np.array([1, 1, 4, 1], dtype=np.float32)))
    assert loaded.frame_ood(far, LOOSE) > ood
    assert float(loaded.calibration["uncertainty"](0.5)) == pytest.approx(0.5)
    embeddings = loaded.box_embeddings(frame, samples_out[0].boxes, LOOSE)
    assert embeddings.shape == (len(samples_out[0].boxes), 16)


def test_extras_made_for_other_weights_are_ignored(trained, scenes, scene):
    from plugins.pointpillars.ensemble import write_extras
    from plugins.pointpillars.model import PointPillarsDetector

    detector, path = trained
    states, _ = _heads(detector, scenes, 1)
    write_extras(path, states, None, {})
    for _ in detector.fit(scenes[2:4], {"epochs": 1, "batch_size": 2, "threads": 1}, CancelToken()):
        pass
    detector.save(str(path))  # new weights, old card
    loaded = PointPillarsDetector()
    loaded.load(str(path))
    assert loaded.heads == [] and loaded.ensemble_size == 1
    with pytest.raises(PluginError, match="train-ensemble"):
        loaded.predict_samples(FrameInput("s", scene(0)[0]), LOOSE, 2, "ensemble")


def test_fitting_fine_tunes_the_heads_and_rebuilds_the_ood_index_with_the_frames_trained_on(
    trained, scenes, scene, tmp_path, monkeypatch
):
    import torch

    from plugins.pointpillars import ensemble_online
    from plugins.pointpillars.ensemble import frame_embedding, write_extras
    from plugins.pointpillars.model import PointPillarsDetector

    detector, path = trained
    states, samples = _heads(detector, scenes, 2)
    index = OodIndex.build(np.array([frame_embedding(s.features[None].float()) for s in samples]))
    write_extras(path, states, index, {})
    loaded = PointPillarsDetector()
    loaded.load(str(path))
    assert loaded.ensemble_size == 3 and len(loaded.ood_index.vectors) == 4
    backbone, old_heads = loaded.members[0], [h.state_dict() for h in loaded.heads]
    reference = loaded._samples(scenes[4:6])  # stands in for the generated frames of train-ensemble
    monkeypatch.setattr(ensemble_online, "reference_samples", lambda: reference)
    for _ in loaded.fit(scenes[:3], {"epochs": 1, "batch_size": 2, "threads": 1}, CancelToken()):
        pass
    # fine-tuned, not started afresh because the heads counted as members
    assert loaded.members[0] is backbone and loaded.ensemble_size == 3
    changed = [not torch.equal(h.state_dict()["heatmap.weight"], o["heatmap.weight"])
               for h, o in zip(loaded.heads, old_heads, strict=True)]  # fmt: skip
    assert all(changed)  # each head fine-tuned on the new backbone (its own bootstrap sample)
    # the index: 2 reference frames and the 3 frames just trained on, embedded by the new backbone
    assert len(loaded.ood_index.vectors) == 5 and loaded.calibration == {}
    trained_frame = FrameInput("trained", scenes[0].frame.points)
    assert loaded.frame_ood(trained_frame, LOOSE) < 0.01  # its own frame (features in half precision)
    # the version's heads and index travel inside its checkpoint
    version = tmp_path / "v1.pt"
    loaded.save(str(version))
    again = PointPillarsDetector()
    again.load(str(version))
    assert again.ensemble_size == 3 and again.version == loaded.version
    np.testing.assert_allclose(again.ood_index.vectors, loaded.ood_index.vectors, rtol=1e-5)
    assert again.frame_ood(trained_frame, LOOSE) < 0.01
    far = FrameInput("far", scene(0)[0] * np.array([1, 1, 4, 1], dtype=np.float32))
    assert again.frame_ood(far, LOOSE) > 0.5
    # without the refresh (faster fine-tuning) they are dropped
    fit = {"epochs": 1, "batch_size": 2, "threads": 1, "ensemble_refresh": False}
    for _ in again.fit(scenes[:2], fit, CancelToken()):
        pass
    assert again.heads == [] and again.ood_index is None and again.ensemble_size == 1


def test_extras_beside_the_weights_are_not_copied_into_other_checkpoints(trained, scenes, tmp_path):
    from plugins.pointpillars.ensemble import write_extras
    from plugins.pointpillars.model import PointPillarsDetector

    detector, path = trained
    states, _ = _heads(detector, scenes, 1)
    write_extras(path, states, None, {})
    loaded = PointPillarsDetector()
    loaded.load(str(path))
    assert loaded.ensemble_size == 2
    copy = tmp_path / "copy.pt"
    loaded.save(str(copy))  # e.g. a pruned or distilled variant saved from the shipped model
    again = PointPillarsDetector()
    again.load(str(copy))
    assert again.ensemble_size == 1 and again.heads == []


def test_train_ensemble_refuses_missing_weights_and_bad_options_in_one_line(tmp_path, capsys):
    from annotator.cli import main

    assert main(["train-ensemble", "--weights", str(tmp_path / "nope.pt")]) == 1
    assert (
        capsys.readouterr().err.strip() == f"annotator: error: {tmp_path / 'nope.pt'}: no such weights file"
    )
    (tmp_path / "w.pt").write_bytes(b"not torch")
    assert main(["train-ensemble", "--weights", str(tmp_path / "w.pt"), "--heads", "0"]) == 1
    assert capsys.readouterr().err.strip() == "annotator: error: --heads must be at least 1"
    assert main(["train-ensemble", "--weights", str(tmp_path / "w.pt"), "--cache", str(tmp_path / "c")]) == 1
    err = capsys.readouterr().err.strip()
    assert (
        err.startswith("annotator: error: ") and "cannot read weights" in err and len(err.splitlines()) == 1
    )


def test_score_in_a_child_process_stores_the_ood_score_calibration_and_embeddings(
    trained, scenes, scene, tmp_path
):
    from annotator.cli import main
    from annotator.core.edits import AddFrames
    from annotator.core.model.records import Frame
    from annotator.io.workspace import Workspace
    from annotator.ml.uncertainty.scoring import uncertainty_of
    from plugins.pointpillars.ensemble import frame_embedding, write_extras

    detector, path = trained
    states, samples = _heads(detector, scenes, 2)
    index = OodIndex.build(np.array([frame_embedding(s.features[None].float()) for s in samples]))
    maps = {"uncertainty": {"kind": "isotonic", "x": [0.0, 1.0], "y": [0.2, 0.8]}}
    write_extras(path, states, index, {"calibration": {"maps": maps}})
    root = tmp_path / "project"
    with Workspace.create(root) as workspace:
        scene(0)[0].tofile(root / "000000.bin")
        workspace.push(AddFrames([Frame(0, "000000", 0, cloud="000000.bin")]))
    args = ["score", str(root), "--plugin", "pointpillars", "--mode", "ensemble", "--passes", "3", "--weights",
            str(path), "--min-score", "0", "-p", "score_threshold=0.0", "--no-progress"]  # fmt: skip
    assert main(args) == 0
    with Workspace.open(root) as workspace:
        records = [uncertainty_of(a) for a in workspace.project.annotations.values()]
    assert records and all(r["frame_ood"] >= 0 and len(r["embedding"]) == 16 for r in records)
    assert all(r["p_wrong"] == pytest.approx(0.2 + 0.6 * r["uncertainty"], abs=1e-5) for r in records)


def test_a_frame_like_a_verified_one_is_not_out_of_distribution_in_the_next_scoring(
    trained, scenes, scene, tmp_path
):
    from annotator.cli import main
    from annotator.core.edits import AddFrames, SetFrameStatus
    from annotator.core.model.records import Frame, FrameStatus
    from annotator.io.workspace import Workspace
    from annotator.ml.uncertainty.escalation import frame_ood
    from annotator.ml.uncertainty.scoring import uncertainty_of
    from annotator.ml.uncertainty.verified_ood import stored_embedding
    from plugins.pointpillars.ensemble import frame_embedding, write_extras

    detector, path = trained
    states, samples = _heads(detector, scenes, 2)
    write_extras(
        path,
        states,
        OodIndex.build(np.array([frame_embedding(s.features[None].float()) for s in samples])),
        {},
    )
    root = tmp_path / "project"
    stretched = scene(0)[0] * np.array([1, 1, 4, 1], dtype=np.float32)  # far from the training frames
    with Workspace.create(root) as workspace:
        stretched.tofile(root / "a.bin")
        stretched.tofile(root / "b.bin")
        workspace.push(AddFrames([Frame(0, "a", 0, cloud="a.bin"), Frame(0, "b", 1, cloud="b.bin")]))
    args = ["score", str(root), "--plugin", "pointpillars", "--mode", "ensemble", "--passes", "2", "--weights",
            str(path), "--min-score", "0", "-p", "score_threshold=0.0", "--no-progress", "--frames"]  # fmt: skip

    def ood_of(name: str) -> float:
        with Workspace.open(root) as workspace:
            frame = next(f for f in workspace.project.frames.values() if f.name == name)
            return frame_ood([uncertainty_of(a) for a in workspace.project.annotations_of(frame.id)])

    assert main([*args, "a"]) == 0
    first = ood_of("a")
    with Workspace.open(root) as workspace:
        a = next(f for f in workspace.project.frames.values() if f.name == "a")
        assert stored_embedding(a, "pointpillars") is not None
        workspace.push(SetFrameStatus(a.id, FrameStatus.VERIFIED))
    assert main([*args, "b"]) == 0  # in a child process, the verified frame's embedding handed over
    assert first > 0.5 and ood_of("b") < 0.05 * first
