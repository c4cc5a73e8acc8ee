"""The plugin conformance suite, importable from a plugin's own tests.

A plugin package checks itself with a test class that names its plugin id::

    from annotator.testing.plugin_conformance import PluginConformance

    class TestConformance(PluginConformance):
        plugin_id = "my-detector"
        plugin_folders = (Path(__file__).parents[1],)  # found as a drop-in, no install needed

Each test checks that the plugin does what its manifest declares: predict numpy in / numpy out with its
version stamped, sample K times when it declares a sampling mode, save and load local weights, and fit as
a generator that honours cancel. A plugin whose framework is missing is skipped (it is unavailable).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.ml.manifest import CAPABILITIES, PluginManifest
from annotator.ml.protocol import CancelToken, Detections, FitProgress, FrameInput, LabelledFrame
from annotator.ml.registry import PluginRegistry

logger = logging.getLogger(__name__)

SAMPLING = {"samples:ensemble": "ensemble", "samples:mc_dropout": "mc_dropout"}


def tiny_frame(task: str, class_name: str = "Car") -> tuple[FrameInput, Detections]:
    """A frame a plugin of ``task`` can run on (a car on flat ground, or a box in an image), labelled."""
    rng = np.random.default_rng(0)
    if task == "detect3d":
        ground = np.column_stack(
            [rng.uniform(-20, 20, (4000, 2)), rng.normal(-1.7, 0.02, 4000), np.zeros(4000)]
        )
        car = Cuboid((10.0, 2.0, -0.95), (4.2, 1.8, 1.5), 0.3)
        local = rng.uniform(-0.5, 0.5, (600, 3)) * np.array(car.size)
        local[:300, 0] = np.sign(local[:300, 0]) * car.size[0] / 2
        points = np.column_stack([car.box_to_world(local), np.full(600, 0.5)])
        cloud = np.concatenate([ground, points]).astype(np.float32)
        return FrameInput("tiny", cloud), Detections(car.to_array()[None], [0], [1.0], (class_name,), "label")
    image = np.full((96, 128, 3), 90, np.uint8)
    image[30:70, 40:100] = (30, 110, 200)
    frame = FrameInput("tiny", None, {"image": image})
    return frame, Detections(
        np.array([[40, 30, 100, 70.0]]), [0], [1.0], (class_name,), "label", camera="image"
    )


def as_list(result: Detections | Sequence[Detections]) -> list[Detections]:
    """A prediction as a list (2D models return one `Detections` per camera)."""
    return list(result) if isinstance(result, (list, tuple)) else [result]  # type: ignore[list-item]


class PluginConformance:
    """Tests every plugin must pass; subclass it and set `plugin_id` (and `plugin_folders` for drop-ins)."""

    #: The id of the plugin under test.
    plugin_id: ClassVar[str] = ""
    #: Drop-in folders to search besides installed entry points (each holds ``<plugin>/manifest.json``).
    plugin_folders: ClassVar[tuple[Path, ...]] = ()

    def registry(self) -> PluginRegistry:
        """The registry the plugin is loaded through."""
        return PluginRegistry.discover(list(self.plugin_folders))

    @pytest.fixture
    def plugin(self) -> tuple[PluginRegistry, PluginManifest]:
        """The registry and the manifest of the plugin under test (skipped when unavailable)."""
        return available_plugin(self.registry(), self.plugin_id)

    def test_manifest_declares_a_known_task_classes_and_capabilities(self, plugin: Any) -> None:
        _, manifest = plugin
        assert manifest.task in ("detect3d", "detect2d")
        assert manifest.classes and "predict" in manifest.capabilities
        assert set(manifest.capabilities) <= set(CAPABILITIES)
        manifest.parameter_values({})  # the defaults are valid

    def test_predict_stamps_the_model_version_and_uses_the_protocol_layout(self, plugin: Any) -> None:
        reg, manifest = plugin
        model = reg.load(manifest.id)
        frame, _ = tiny_frame(manifest.task)
        results = as_list(model.predict(frame, manifest.parameter_values({})))
        assert results
        for result in results:
            assert isinstance(result, Detections)
            assert result.model_version == model.version
            assert result.is_3d == (manifest.task == "detect3d")
            assert np.isfinite(result.boxes).all() and ((result.scores >= 0) & (result.scores <= 1)).all()

    def test_declared_sampling_modes_give_k_samples(self, plugin: Any) -> None:
        reg, manifest = plugin
        modes = [mode for capability, mode in SAMPLING.items() if capability in manifest.capabilities]
        if not modes:
            pytest.skip(f"{manifest.id} declares no sampling mode (test-time augmentation is the host's)")
        model = reg.load(manifest.id)
        frame, _ = tiny_frame(manifest.task)
        for mode in modes:
            if mode == "ensemble" and getattr(model, "ensemble_size", 2) < 2:
                continue  # a single network: ensemble samples need ensemble members (trained with fit)
            samples = model.predict_samples(frame, manifest.parameter_values({}), 3, mode)
            assert len(samples) == 3 * max(1, len(frame.images))
            assert all(isinstance(s, Detections) and s.model_version == model.version for s in samples)

    def test_saved_weights_load_back_to_the_same_version_and_predictions(
        self, plugin: Any, tmp_path: Path
    ) -> None:
        reg, manifest = plugin
        if not {"save", "load"} <= set(manifest.capabilities):
            pytest.skip(f"{manifest.id} has no weights")
        model = reg.load(manifest.id)
        frame, _ = tiny_frame(manifest.task)
        params = manifest.parameter_values({})
        path = tmp_path / "weights"
        model.save(str(path))
        assert path.is_file()
        model.load(str(path))
        before = as_list(model.predict(frame, params))
        version = model.version
        model.load(str(path))
        after = as_list(model.predict(frame, params))
        assert model.version == version
        for a, b in zip(before, after, strict=True):
            np.testing.assert_allclose(a.boxes, b.boxes, rtol=1e-5, atol=1e-5)

    def test_fit_is_a_generator_that_stops_when_cancelled(self, plugin: Any) -> None:
        reg, manifest = plugin
        if "fit" not in manifest.capabilities:
            pytest.skip(f"{manifest.id} cannot be trained")
        model = reg.load(manifest.id)
        frame, targets = tiny_frame(manifest.task)
        cancel = CancelToken()
        steps = []
        for progress in model.fit([LabelledFrame(frame, targets)], manifest.parameter_values({}), cancel):
            assert isinstance(progress, FitProgress)
            steps.append(progress)
            cancel.cancel()
        assert len(steps) <= 1


def available_plugin(registry: PluginRegistry, plugin_id: str) -> tuple[PluginRegistry, PluginManifest]:
    """``registry`` and the manifest of ``plugin_id``; skips the test when the plugin is unavailable."""
    entry = registry.get(plugin_id)
    if not entry.available:
        pytest.skip(f"{entry.id} unavailable here: {entry.reason}")
    assert entry.manifest is not None
    return registry, entry.manifest
