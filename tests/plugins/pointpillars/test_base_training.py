"""`annotator train-base`: generated frames cached, training resumable from its per-epoch checkpoints; the
ground estimate and the sensor-agnostic augmentations it relies on."""

from __future__ import annotations

import numpy as np
import pytest

from annotator.cli import main

torch = pytest.importorskip("torch")


def test_a_tiny_run_trains_checkpoints_and_resumes(tmp_path, capsys):
    out = tmp_path / "base"
    args = ["train-base", str(out), "--frames", "2", "--epochs", "1", "--sensors", "vlp16", "--batch-size", "2",
            "--threads", "1"]  # fmt: skip
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "frames 2/2 (2 generated" in printed and "epoch 1/1" in printed and "min of training" in printed
    assert (out / "checkpoints" / "epoch_001.pt").is_file() and (out / "weights" / "epoch_001.pt").is_file()
    cached = sorted((out / "cache").glob("frame_*.npz"))
    assert len(cached) == 2
    stamp = cached[0].stat().st_mtime_ns

    assert main([*args[:5], "2", "--resume", str(out / "checkpoints" / "last.pt")]) == 0
    printed = capsys.readouterr().out
    assert "resuming after epoch 1" in printed and "(0 generated" in printed  # the cache is reused
    assert cached[0].stat().st_mtime_ns == stamp
    assert (out / "weights" / "epoch_002.pt").is_file()
    assert "epoch 2/2" in (out / "train.log").read_text(encoding="utf-8")

    from plugins.pointpillars.model import PointPillarsDetector

    detector = PointPillarsDetector()
    detector.load(str(out / "weights" / "epoch_002.pt"))
    assert detector.trained and detector.config.ground_z is not None and not detector.config.intensity

    # a new run started from those weights (--init) begins where they stand (new optimiser, new cycle)
    warm_args = ["train-base", str(tmp_path / "warm"), "--init", str(out / "weights" / "epoch_002.pt"),
                 "--cache", str(out / "cache"), "--learning-rate", "1e-9", *args[2:5], "1", *args[6:]]  # fmt: skip
    assert main(warm_args) == 0
    printed = capsys.readouterr().out
    assert "starting from the weights" in printed and "(0 generated" in printed
    warm = PointPillarsDetector()
    warm.load(str(tmp_path / "warm" / "weights" / "epoch_001.pt"))
    before, after = detector.members[0].state_dict(), warm.members[0].state_dict()
    convolutions = [k for k, v in before.items() if v.dim() == 4]
    assert convolutions and all(torch.allclose(before[k], after[k], atol=1e-5) for k in convolutions)


def test_bad_options_are_one_line_errors(tmp_path, capsys):
    assert main(["train-base", str(tmp_path / "x"), "--sensors", "hdl65"]) == 1
    assert "unknown sensor 'hdl65'" in capsys.readouterr().err
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    assert main(["train-base", str(tmp_path / "x"), "--resume", str(tmp_path / "junk.pt")]) == 1
    assert "not a readable base-training checkpoint" in capsys.readouterr().err
    assert main(["train-base", str(tmp_path / "x"), "--init", str(tmp_path / "missing.pt")]) == 1
    assert "missing.pt: no such weights file" in capsys.readouterr().err


def test_ground_height_of_a_sensor_frame_and_an_ego_frame():
    from plugins.pointpillars.ground import ground_height, ground_shift

    rng = np.random.default_rng(0)
    ground = np.column_stack(
        [rng.uniform(-30, 30, (20000, 2)), rng.normal(-1.73, 0.03, 20000), np.zeros(20000)]
    )
    walls = np.column_stack([rng.uniform(-30, 30, 8000), np.full(8000, 9.0), rng.uniform(-1.7, 4, 8000),
                             np.zeros(8000)])  # fmt: skip
    stray = np.column_stack(
        [rng.uniform(-20, 20, (50, 2)), np.full(50, -4.0), np.zeros(50)]
    )  # below the road
    points = np.concatenate([ground, walls, stray]).astype(np.float32)
    assert ground_height(points) == pytest.approx(-1.73, abs=0.1)  # cell minima sit a little low
    points[:, 2] += 1.73
    assert ground_height(points) == pytest.approx(0.0, abs=0.1)
    assert ground_shift(points, -1.73) == pytest.approx(-1.73, abs=0.1)
    assert ground_shift(points, None) == 0.0
    assert ground_height(points[:10]) is None


def test_beam_down_sampling_keeps_every_other_beam_and_drops_emptied_labels():
    from plugins.pointpillars.base_augment import thin
    from plugins.pointpillars.base_data import CachedFrame

    ring = np.repeat(np.arange(64, dtype=np.uint8), 10)
    owner = np.where(ring < 4, 0, -1).astype(np.int64)  # object 0 is seen by beams 0-3 only
    frame = CachedFrame(np.zeros((640, 4), np.float32), ring, owner, np.zeros((1, 7)), np.array([0]), 64)
    seen = set()
    for seed in range(40):
        thinned = thin(frame, np.random.default_rng(seed))
        beams = np.unique(thinned.ring)
        seen.add(len(beams))
        if len(beams) == 16:  # 1 beam in 4: object 0 keeps 10 points on one beam
            assert len(np.unique(beams % 4)) == 1
    assert {64, 32, 16} <= seen or {32, 16} <= seen


def test_ground_truth_sampling_pastes_objects_where_nothing_stands(monkeypatch):
    from plugins.pointpillars import base_augment
    from plugins.pointpillars.base_augment import ObjectBank, paste_objects
    from plugins.pointpillars.base_data import CachedFrame

    monkeypatch.setattr(base_augment, "TURN_CHANCE", 0.0)  # pasted where the donor frame had it

    def frame_with_car(x: float) -> CachedFrame:
        box = np.array([[x, 5.0, -0.98, 4.0, 1.8, 1.5, 0.0]])
        points = np.column_stack([np.random.default_rng(1).uniform(-1.5, 1.5, (40, 3)) * [1, 0.5, 0.4] + box[0, :3],
                                  np.zeros(40)]).astype(np.float32)  # fmt: skip
        return CachedFrame(points, np.zeros(40, np.uint8), np.zeros(40, np.int64), box, np.array([0]), 64)

    donor = frame_with_car(20.0)
    bank = ObjectBank([donor], classes=5)
    assert len(bank) == 1
    pasted = paste_objects(frame_with_car(-20.0), bank, np.random.default_rng(0))
    assert len(pasted.boxes) == 2 and len(pasted.points) == 80
    assert set(np.unique(pasted.owner)) == {0, 1}
    blocked = paste_objects(frame_with_car(20.0), bank, np.random.default_rng(0))
    assert len(blocked.boxes) == 1  # the footprint is taken


def test_a_turned_object_keeps_its_range_and_the_side_the_sensor_sees():
    from plugins.pointpillars.base_augment import points_in_box, turned

    box = np.array([10.0, 2.0, -0.9, 4.0, 1.8, 1.5, 0.3])
    rng = np.random.default_rng(3)
    local = rng.uniform(-0.5, 0.5, (50, 3)) * box[3:6]
    c, s = np.cos(box[6]), np.sin(box[6])
    cloud = np.column_stack([box[0] + c * local[:, 0] - s * local[:, 1], box[1] + s * local[:, 0] + c * local[:, 1],
                             box[2] + local[:, 2], np.ones(50)]).astype(np.float32)  # fmt: skip
    moved, moved_box = turned(cloud, box, 2.5)
    assert np.allclose(np.hypot(moved[:, 0], moved[:, 1]), np.hypot(cloud[:, 0], cloud[:, 1]), atol=1e-4)
    assert np.allclose(moved[:, 2:], cloud[:, 2:]) and np.allclose(moved_box[2:6], box[2:6])
    seen_from = np.arctan2(box[1], box[0]) - box[6]
    assert np.isclose(np.arctan2(moved_box[1], moved_box[0]) - moved_box[6], seen_from)
    assert -np.pi < moved_box[6] <= np.pi and points_in_box(moved, moved_box).all()
    assert np.allclose(cloud, turned(cloud, box, 0.0)[0])  # the bank's copy is left alone


def test_a_frame_cache_of_another_generator_is_made_again(tmp_path, monkeypatch):
    """Cached frames carry the generator's version: after `annotator.synth` changes what frames hold (and
    `GENERATOR` with it), a cache never hands out the older frames."""
    from plugins.pointpillars import base_data

    made = []
    monkeypatch.setattr(
        base_data, "_write", lambda path, frame, lidar: (made.append(path.name), path.touch())
    )
    base_data.build_cache(tmp_path, 2, ["vlp16"], seed=3)
    base_data.build_cache(tmp_path, 2, ["vlp16"], seed=3)
    assert made == ["frame_00000.npz", "frame_00001.npz"]  # the second call reused both
    monkeypatch.setattr(base_data, "GENERATOR", base_data.GENERATOR + "-next")
    base_data.build_cache(tmp_path, 2, ["vlp16"], seed=3)
    assert made[2:] == ["frame_00000.npz", "frame_00001.npz"]


def test_worker_processes_generate_the_same_frames(tmp_path):
    """Each scene depends on the seed and its number only, so scenes generated side by side in worker
    processes are the frames one process writes."""
    from plugins.pointpillars.base_data import INDEX_FILE, build_cache

    seen = []
    alone = build_cache(tmp_path / "alone", 4, ["vlp16"], seed=3)
    side_by_side = build_cache(
        tmp_path / "pool", 4, ["vlp16"], seed=3, progress=lambda *a: seen.append(a), workers=2
    )
    assert (
        [p.name for p in alone] == [p.name for p in side_by_side] == [f"frame_{k:05d}.npz" for k in range(4)]
    )
    for mine, theirs in zip(alone, side_by_side):
        with np.load(mine) as a, np.load(theirs) as b:
            assert a.files == b.files and all(np.array_equal(a[k], b[k]) for k in a.files)
    assert (tmp_path / "alone" / INDEX_FILE).read_text() == (tmp_path / "pool" / INDEX_FILE).read_text()
    assert seen[-1] == (4, 4, 4)


def test_a_time_budget_cuts_the_epochs_to_those_that_fit(tmp_path, capsys):
    from plugins.pointpillars.base_training import BaseRun, epochs_within, load_checkpoint

    assert epochs_within(0.0, BaseRun(epoch=1, seconds=60.0)) > 10**6  # no budget
    assert epochs_within(10.0, BaseRun(epoch=2, seconds=240.0)) == 5  # 2 min an epoch
    assert epochs_within(1.0, BaseRun(epoch=3, seconds=600.0)) == 3  # never fewer than those done

    out = tmp_path / "base"
    args = ["train-base", str(out), "--frames", "2", "--epochs", "6", "--sensors", "vlp16", "--batch-size", "2",
            "--threads", "1", "--workers", "0", "--minutes", "0.0001"]  # fmt: skip
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "time budget 0.0001 min: the run ends after epoch 1" in printed and "done: 1 epochs" in printed
    assert not (out / "weights" / "epoch_002.pt").exists()
    kept = load_checkpoint(out / "checkpoints" / "last.pt")["options"]
    assert kept["epochs"] == 1  # a resume keeps the cut
    assert main([*args[:-4], "--workers", "-1"]) == 1
    assert "--workers must be at least 0" in capsys.readouterr().err


def test_the_device_script_trains_and_leaves_the_weights_log_and_record_in_out(tmp_path):
    """`scripts/device_train_base.sh train` (one call on a lent GPU machine), run here on the CPU with
    this interpreter: the last epoch's weights, the log and the run's record are left for the device tool
    to bring back; a bad option is the training command's error and exit code."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from plugins.pointpillars.model import PointPillarsDetector

    root = Path(__file__).resolve().parents[3]
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "OUT": str(tmp_path / "out"),
        "WHEELS": str(tmp_path / "no-wheels"),
        "WORK": str(tmp_path / "work"),
    }
    command = ["bash", str(root / "scripts" / "device_train_base.sh"), "train", "--frames", "2", "--epochs", "1",
               "--sensors", "vlp16", "--batch-size", "2", "--device", "cpu", "--workers", "0", "--threads", "1"]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "weights: epoch_001.pt" in done.stdout
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["run.json", "train.log", "weights.pt"]
    PointPillarsDetector().load(str(tmp_path / "out" / "weights.pt"))

    refused = subprocess.run(
        [*command, "--frames", "0"], env=env, capture_output=True, text=True, timeout=300
    )
    assert refused.returncode == 1 and "--frames must be at least 1" in refused.stderr
