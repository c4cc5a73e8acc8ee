"""Generated frames join fine-tuning of a plugin that ships base weights (and names their replay source) while
verified frames are few."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest

from annotator.ml.finetune.engine import _generated_replay
from annotator.ml.finetune.spec import FineTuneOptions
from annotator.ml.registry import PluginRegistry
from annotator.ml.shipped import replay_source
from annotator.synth.replay import generated_frames


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


def test_the_replay_source_is_resolved_by_name_from_the_manifest_and_a_bad_name_counts_as_none():
    runner, _ = _runner("pointpillars", FineTuneOptions())
    assert replay_source(runner.manifest) is generated_frames
    info = dict(runner.manifest.extra["base_weights"], replay="annotator.synth.replay:no_such_function")
    broken = dataclasses.replace(runner.manifest, extra={**runner.manifest.extra, "base_weights": info})
    assert replay_source(broken) is None
