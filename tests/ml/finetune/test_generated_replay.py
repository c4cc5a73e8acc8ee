"""Generated frames join fine-tuning of a plugin that ships base weights while verified frames are few."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from annotator.ml.finetune.engine import _generated_replay
from annotator.ml.finetune.generated import generated_frames
from annotator.ml.finetune.spec import FineTuneOptions
from annotator.ml.registry import PluginRegistry


def test_generated_frames_carry_their_ground_truth_with_sparse_objects_weighing_nothing():
    frames = generated_frames(("Car", "Pedestrian"), 1)
    (frame,) = frames
    assert frame.frame.points.shape[1] == 4 and len(frame.frame.points) > 10_000
    assert frame.targets.class_names == ("Car", "Pedestrian") and len(frame.targets) > 0
    assert frame.weights is not None and set(np.unique(frame.weights)) <= {0.0, 1.0}
    assert frame.weights.sum() > 0


def _runner(plugin: str, options: FineTuneOptions):
    registry = PluginRegistry.discover([], entry_points_too=True)
    if not registry.get(plugin).available:
        pytest.skip(f"{plugin} unavailable here")
    manifest = registry.manifest(plugin)
    logs = []
    spec = SimpleNamespace(options=options, task=manifest.task, classes=tuple(manifest.classes))
    return SimpleNamespace(spec=spec, manifest=manifest, emit=lambda kind, text: logs.append(text)), logs


def test_only_a_plugin_with_base_weights_and_few_verified_frames_gets_generated_replay():
    options = FineTuneOptions(generated_frames=1, generated_below=10)
    runner, logs = _runner("pointpillars", options)
    assert len(_generated_replay(runner, 3)) == 1 and "1 generated frames replayed beside 3" in logs[0]
    assert _generated_replay(runner, 10) == []  # enough of the user's own frames
    geometric, _ = _runner("geometric", options)
    assert _generated_replay(geometric, 3) == []  # ships no base weights
    off, _ = _runner("pointpillars", FineTuneOptions(generated_frames=0))
    assert _generated_replay(off, 3) == []
