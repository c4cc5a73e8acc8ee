"""`annotator plugin new` packages: every task x framework template passes the conformance suite, and a
generated package's own tests (conformance + a tiny training run) pass without installing anything."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from annotator.core.errors import AnnotatorError
from annotator.ml.authoring import new_plugin
from annotator.ml.manifest import FRAMEWORKS, TASKS
from annotator.ml.registry import PluginRegistry
from annotator.testing.plugin_conformance import PluginConformance, available_plugin

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = [(task, framework) for task in TASKS for framework in FRAMEWORKS]


@pytest.fixture(scope="module", params=TEMPLATES, ids=[f"{t}-{f}" for t, f in TEMPLATES])
def generated(request, tmp_path_factory) -> tuple[Path, str]:
    """A plugin package written by the kit (one per template) and its id."""
    task, framework = request.param
    plugin_id = f"kit-{task}-{framework}"
    return new_plugin(plugin_id, task, framework, tmp_path_factory.mktemp("kit") / plugin_id), plugin_id


class TestGeneratedPlugins(PluginConformance):
    @pytest.fixture
    def plugin(self, generated):
        root, plugin_id = generated
        return available_plugin(PluginRegistry.discover([root], entry_points_too=False), plugin_id)


def test_the_package_holds_manifest_entry_point_model_and_tests(tmp_path):
    root = new_plugin("my-detector", "detect2d", "torch", tmp_path / "pkg")
    pyproject = (root / "pyproject.toml").read_text()
    assert '[project.entry-points."annotator.plugins"]' in pyproject
    assert 'my-detector = "my_detector:MANIFEST"' in pyproject and '"torch"' in pyproject
    for name in ("__init__.py", "manifest.json", "model.py", "candidates.py", "prototypes.py"):
        assert (root / "my_detector" / name).is_file(), name
    assert (root / "tests" / "test_conformance.py").is_file() and (
        root / "tests" / "test_training.py"
    ).is_file()
    manifest = PluginRegistry.discover([root], entry_points_too=False).get("my-detector").manifest
    assert manifest.task == "detect2d" and manifest.framework == "torch"
    assert manifest.entry == "my_detector.model:Model"
    assert {p.name for p in manifest.parameters} >= {"contrast", "epochs", "learning_rate"}


def test_bad_names_and_existing_folders_are_refused(tmp_path):
    with pytest.raises(AnnotatorError, match="plugin name"):
        new_plugin("My Detector", out=tmp_path / "a")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "keep.txt").write_text("mine")
    with pytest.raises(AnnotatorError, match="not an empty folder"):
        new_plugin("fine", out=tmp_path / "b")
    assert (tmp_path / "b" / "keep.txt").read_text() == "mine"


def test_a_generated_package_passes_its_own_tests_uninstalled(tmp_path):
    root = new_plugin("standalone", "detect3d", "numpy", tmp_path / "standalone")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:dash", "tests"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env={**_env(), "PYTHONPATH": str(REPO_ROOT)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout  # conformance (one skip: no sampling mode) + the training example


def test_an_installed_package_is_found_through_its_entry_point(tmp_path):
    pytest.importorskip("pip")
    root = new_plugin("installed-kit", "detect2d", "numpy", tmp_path / "src")
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
         "--target", str(target), str(root)],
        check=True, capture_output=True, timeout=300, env=_env(),
    )  # fmt: skip
    probe = (
        "from annotator.ml.registry import PluginRegistry; "
        "entry = PluginRegistry.discover([]).get('installed-kit'); "
        "print(entry.origin, entry.available, entry.manifest.task)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True, text=True, timeout=120,
        env={**_env(), "PYTHONPATH": os.pathsep.join([str(target), str(REPO_ROOT)])},
    )  # fmt: skip
    assert result.stdout.split() == ["entry", "point", "installed_kit:MANIFEST", "True", "detect2d"], (
        result.stderr
    )


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("ANNOTATOR_PLUGIN_PATH", "PYTEST_ADDOPTS")}
