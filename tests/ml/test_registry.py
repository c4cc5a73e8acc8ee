"""Plugin discovery: manifests without importing code, unavailable plugins with reasons, lazy loading."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from annotator.ml import registry as registry_module
from annotator.ml.manifest import ManifestError, manifest_from_dict
from annotator.ml.protocol import Detections, FrameInput
from annotator.ml.registry import PluginError, PluginRegistry

EXAMPLES = Path(__file__).parent / "example_plugins"


@pytest.fixture
def dropin(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLES / "centroid", tmp_path / "centroid")
    return tmp_path


def write_manifest(folder: Path, name: str, data: object) -> None:
    (folder / name).mkdir()
    text = data if isinstance(data, str) else json.dumps(data)
    (folder / name / "manifest.json").write_text(text)


def test_dropin_plugin_is_listed_without_importing_its_code(dropin: Path) -> None:
    sys.modules.pop("centroid_example_model", None)
    registry = PluginRegistry.discover([dropin], entry_points_too=False)
    entry = registry.get("centroid-example")
    assert entry.available and entry.manifest is not None
    assert entry.manifest.task == "detect3d"
    assert entry.manifest.parameters[0].default == 0.3
    assert "centroid_example_model" not in sys.modules


def test_example_plugin_predicts_end_to_end(dropin: Path) -> None:
    registry = PluginRegistry.discover([dropin], entry_points_too=False)
    model = registry.load("centroid-example")
    assert registry.load("centroid-example") is model, "code is loaded once"
    points = np.array([[0, 0, 0, 0], [1, 2, 1, 0], [3, 4, 2, 0]], dtype=np.float32)
    params = registry.manifest("centroid-example").parameter_values({"min_height": "0.5"})
    detections = model.predict(FrameInput("f", points), params)
    assert isinstance(detections, Detections)
    np.testing.assert_allclose(detections.boxes[0], [2, 3, 1.5, 2, 2, 1, 0])
    assert detections.model_version == "centroid-1.0+pad0.0"


def test_broken_manifests_are_listed_as_unavailable_with_reasons(tmp_path: Path) -> None:
    write_manifest(tmp_path, "badjson", "{not json")
    write_manifest(
        tmp_path, "notask", {"id": "x", "name": "X", "version": "1", "framework": "numpy", "entry": "m:f"}
    )
    registry = PluginRegistry.discover([tmp_path], entry_points_too=False)
    reasons = {e.id: e.reason for e in registry.entries()}
    assert "not valid JSON" in reasons["badjson"]
    assert "lacks task" in reasons["notask"]
    with pytest.raises(PluginError, match="unavailable"):
        registry.load("notask")


def test_plugin_whose_code_fails_to_import_gives_a_clear_error(tmp_path: Path) -> None:
    write_manifest(
        tmp_path,
        "ghost",
        {
            "id": "ghost",
            "name": "G",
            "version": "1",
            "task": "detect3d",
            "framework": "numpy",
            "entry": "no_such_mod:M",
        },
    )
    registry = PluginRegistry.discover([tmp_path], entry_points_too=False)
    assert registry.get("ghost").available
    with pytest.raises(PluginError, match="ghost failed to load: ModuleNotFoundError"):
        registry.load("ghost")


def test_missing_framework_makes_a_plugin_unavailable(dropin: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry_module.importlib.util, "find_spec", lambda name: None)
    registry = PluginRegistry.discover([dropin], entry_points_too=False)
    assert "framework numpy is not installed" in registry.get("centroid-example").reason


def test_unknown_plugin_and_parameters_are_reported() -> None:
    registry = PluginRegistry([])
    with pytest.raises(PluginError, match="no plugin 'nope'"):
        registry.get("nope")
    manifest = manifest_from_dict(json.loads((EXAMPLES / "centroid" / "manifest.json").read_text()))
    with pytest.raises(ManifestError, match="unknown parameter"):
        manifest.parameter_values({"speed": 3})
    with pytest.raises(ManifestError, match="above"):
        manifest.parameter_values({"min_height": 99})


def test_detections_validate_their_shapes() -> None:
    with pytest.raises(ValueError, match="boxes must be"):
        Detections(np.zeros((2, 5)), [0, 0], [1, 1], ("A",), "v")
    with pytest.raises(ValueError, match="outside class_names"):
        Detections(np.zeros((1, 7)), [3], [1], ("A",), "v")
    assert len(Detections.empty(("A",), "v")) == 0


def test_fine_tuning_defaults_must_name_valid_parameter_values() -> None:
    data = json.loads((EXAMPLES / "centroid" / "manifest.json").read_text())
    with pytest.raises(ManifestError, match=r"finetune_defaults.*unknown parameter 'speed'"):
        manifest_from_dict({**data, "finetune_defaults": {"speed": 3}}, "centroid")
    with pytest.raises(ManifestError, match=r"finetune_defaults.*above"):
        manifest_from_dict({**data, "finetune_defaults": {"min_height": 99}}, "centroid")
    with pytest.raises(ManifestError, match="mapping"):
        manifest_from_dict({**data, "finetune_defaults": [1]}, "centroid")
    assert manifest_from_dict({**data, "finetune_defaults": {"min_height": "0.5"}}).finetune_defaults == {
        "min_height": 0.5
    }


def test_jobs_loading_a_plugin_at_once_from_several_threads_share_one_model(tmp_path: Path) -> None:
    import threading

    folder = tmp_path / "slow"
    folder.mkdir()
    (folder / "slow_registry_model.py").write_text(
        "import time\nBUILT = []\n\nclass Model:\n    version = '1'\n\n"
        "    def __init__(self):\n        time.sleep(0.05)\n        BUILT.append(self)\n"
    )
    manifest = {"id": "slow", "name": "slow", "version": "1", "task": "detect3d", "framework": "numpy"}
    (folder / "manifest.json").write_text(json.dumps({**manifest, "entry": "slow_registry_model:Model"}))
    sys.modules.pop("slow_registry_model", None)
    registry = PluginRegistry.discover([tmp_path], entry_points_too=False)
    models: list = []
    threads = [threading.Thread(target=lambda: models.append(registry.load("slow"))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(models) == 4 and all(model is models[0] for model in models)
    assert len(sys.modules["slow_registry_model"].BUILT) == 1
