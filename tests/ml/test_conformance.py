"""The model protocol, checked against every installed plugin (entry points) and the example drop-in.

The checks are `annotator.testing.plugin_conformance.PluginConformance`, the suite plugin authors run
from their own packages' tests; here it runs once per discovered plugin.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.ml.registry import PluginRegistry
from annotator.testing.plugin_conformance import PluginConformance, available_plugin

EXAMPLES = Path(__file__).parent / "example_plugins"


def plugin_ids() -> list[str]:
    return sorted(entry.id for entry in PluginRegistry.discover([EXAMPLES]).entries())


class TestEveryPlugin(PluginConformance):
    plugin_folders = (EXAMPLES,)

    @pytest.fixture(params=plugin_ids())
    def plugin(self, request):
        return available_plugin(self.registry(), request.param)
