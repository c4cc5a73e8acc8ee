"""paddle-det2d is found through its entry point without importing paddle, and loads on first use."""

from __future__ import annotations

import json
import subprocess
import sys

from annotator.ml.manifest import manifest_from_dict
from annotator.ml.protocol import DetectionModel
from annotator.ml.registry import PluginRegistry

DISCOVER = """
import json, sys
from annotator.ml.registry import PluginRegistry
entry = PluginRegistry.discover(dropin_folders=[]).get("paddle-det2d")
print(json.dumps({"available": entry.available, "reason": entry.reason,
                  "imported": sorted(m for m in sys.modules if m == "paddle" or m.startswith("paddle.")
                                     or m.startswith("plugins.paddle_det2d."))}))
"""


def test_discovery_lists_the_plugin_without_importing_paddle():
    result = subprocess.run([sys.executable, "-c", DISCOVER], capture_output=True, text=True, check=True)
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found == {"available": True, "reason": None, "imported": []}


def test_manifest_declares_task_framework_capabilities_and_valid_defaults():
    from plugins.paddle_det2d import MANIFEST

    manifest = manifest_from_dict(MANIFEST)
    assert (manifest.id, manifest.task, manifest.framework) == ("paddle-det2d", "detect2d", "paddle")
    assert manifest.classes == ("Car", "Van", "Truck", "Pedestrian", "Cyclist")
    assert set(manifest.capabilities) == {"predict", "fit", "save", "load", "samples:mc_dropout"}
    for spec in manifest.parameters:
        assert spec.help
        assert spec.coerce(spec.default) == spec.default
    names = {spec.name for spec in manifest.parameters}
    assert {"score_threshold", "nms_iou", "input_scale", "epochs", "learning_rate", "dropout_rate"} <= names


def test_registry_loads_the_model_on_first_use():
    registry = PluginRegistry.discover(dropin_folders=[])
    model = registry.load("paddle-det2d")
    assert isinstance(model, DetectionModel)
    assert model.version.startswith("det2d-")
    assert registry.load("paddle-det2d") is model
