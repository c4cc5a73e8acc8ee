"""paddle-det3d is found through its entry point without importing paddle, and declares its parameters."""

from __future__ import annotations

import json
import subprocess
import sys

from annotator.ml.manifest import manifest_from_dict

DISCOVER = """
import json, sys
from annotator.ml.registry import PluginRegistry
entry = PluginRegistry.discover(dropin_folders=[]).get("paddle-det3d")
print(json.dumps({"available": entry.available, "imported": sorted(m for m in sys.modules
                  if m == "paddle" or m.startswith("paddle.") or m.startswith("plugins.paddle_det3d."))}))
"""


def test_discovery_lists_the_plugin_without_importing_paddle():
    result = subprocess.run([sys.executable, "-c", DISCOVER], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"available": True, "imported": []}


def test_manifest_declares_a_paddle_3d_detector_with_shipped_weights():
    from plugins.paddle_det3d import MANIFEST

    manifest = manifest_from_dict(MANIFEST)
    assert (manifest.id, manifest.task, manifest.framework) == ("paddle-det3d", "detect3d", "paddle")
    assert {"predict", "fit", "save", "load", "samples:mc_dropout"} == set(manifest.capabilities)
    assert len(MANIFEST["base_weights"]["sha256"]) == 64
    for spec in manifest.parameters:
        assert spec.help and spec.coerce(spec.default) == spec.default
