"""The model version each plugin would score with now, to tell stale scores from current ones.

A plugin's current version is the one recorded by fine-tuning (`annotator.core.model_versions`), else
the version its model reports once the project's latest trained weights are loaded
(`annotator.ml.weights`). Loading a plugin can take seconds: call `current_model_versions` off the UI
thread.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from annotator.core.model.project import Project
from annotator.core.model_versions import current_version
from annotator.ml.registry import PluginRegistry
from annotator.ml.uncertainty.scoring import uncertainty_of
from annotator.ml.weights import load_weights

logger = logging.getLogger(__name__)


def scoring_plugins(project: Project) -> set[str]:
    """The plugins that scored any annotation of the project."""
    return {
        a.provenance.model_id
        for a in project.annotations.values()
        if a.provenance.model_id and uncertainty_of(a) is not None
    }


def current_model_versions(
    project: Project, registry: PluginRegistry, plugin_ids: Iterable[str]
) -> dict[str, str]:
    """Plugin id -> the model version it would score with now; plugins that cannot be loaded are left
    out (their scores are then not called stale)."""
    versions: dict[str, str] = {}
    for plugin_id in sorted(set(plugin_ids)):
        recorded = current_version(project, plugin_id)
        if recorded is not None:
            versions[plugin_id] = recorded.model_version
            continue
        try:
            manifest = registry.manifest(plugin_id)
            model = registry.load(plugin_id)
            load_weights(model, manifest, project)
            versions[plugin_id] = str(model.version)
        except Exception as error:  # an unavailable plugin must not stop the others
            logger.warning("current version of %s unknown: %s", plugin_id, error)
    return versions
