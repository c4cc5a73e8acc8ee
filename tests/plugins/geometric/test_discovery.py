"""The geometric plugin is found through its entry point and loads on first use."""

from __future__ import annotations

import sys

from annotator.ml.protocol import DetectionModel
from annotator.ml.registry import PluginRegistry


def test_entry_point_lists_geometric_as_available():
    registry = PluginRegistry.discover(dropin_folders=[])
    entry = registry.get("geometric")
    assert entry.available, entry.reason
    manifest = entry.manifest
    assert manifest.task == "detect3d" and manifest.framework == "numpy"
    assert manifest.classes == ("Car", "Van", "Truck", "Pedestrian", "Cyclist")
    assert manifest.supports("predict")
    values = manifest.parameter_values({"cluster_eps": "0.3", "complete_boxes": "no"})
    assert values["cluster_eps"] == 0.3 and values["complete_boxes"] is False
    assert all(p.help for p in manifest.parameters)


def test_discovery_reads_the_manifest_only_and_load_imports_the_model():
    sys.modules.pop("plugins.geometric.model", None)
    registry = PluginRegistry.discover(dropin_folders=[])
    assert "plugins.geometric.model" not in sys.modules
    model = registry.load("geometric")
    assert isinstance(model, DetectionModel)
    assert model.version.startswith("geometric-")
