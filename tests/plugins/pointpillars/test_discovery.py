"""The pointpillars plugin is found through its entry point without importing torch or its code."""

from __future__ import annotations

import json
import subprocess
import sys

from annotator.ml.protocol import DetectionModel
from annotator.ml.registry import PluginRegistry

DISCOVER = """
import json, sys
from annotator.ml.registry import PluginRegistry
registry = PluginRegistry.discover(dropin_folders=[])
entry = registry.get("pointpillars")
print(json.dumps({"available": entry.available, "reason": entry.reason,
                  "torch": "torch" in sys.modules,
                  "code": sorted(m for m in sys.modules if m.startswith("plugins.pointpillars."))}))
"""


def test_discovery_reads_the_manifest_without_torch_or_the_model_code():
    result = subprocess.run([sys.executable, "-c", DISCOVER], capture_output=True, text=True, check=True)
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found == {"available": True, "reason": None, "torch": False, "code": []}


def test_entry_point_lists_pointpillars_with_its_capabilities_and_parameters():
    registry = PluginRegistry.discover(dropin_folders=[])
    entry = registry.get("pointpillars")
    assert entry.available, entry.reason
    manifest = entry.manifest
    assert manifest.task == "detect3d" and manifest.framework == "torch"
    assert manifest.classes == ("Car", "Van", "Truck", "Pedestrian", "Cyclist")
    for capability in ("predict", "fit", "save", "load", "samples:mc_dropout", "samples:ensemble"):
        assert manifest.supports(capability)
    assert all(p.help for p in manifest.parameters)
    values = manifest.parameter_values({"score_threshold": "0.5", "augment": "no", "ensemble_size": "3"})
    assert values["score_threshold"] == 0.5 and values["augment"] is False and values["ensemble_size"] == 3


def test_registry_loads_an_untrained_model_with_a_version():
    model = PluginRegistry.discover(dropin_folders=[]).load("pointpillars")
    assert isinstance(model, DetectionModel)
    assert model.version.startswith("pp-") and not model.trained
