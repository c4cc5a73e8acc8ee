"""The plugin host: one per process, finds plugins on first use and once, one model per plugin, thread caps."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from annotator.ml.host import THREAD_VARIABLES, PluginHost
from annotator.ml.protocol import PluginError

EXAMPLES = Path(__file__).parent / "example_plugins"


@pytest.fixture(autouse=True)
def _restore_thread_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in THREAD_VARIABLES:  # the cap writes them: keep other tests' environment as it was
        monkeypatch.setenv(name, os.environ.get(name, ""))


def test_plugins_are_found_on_first_use_and_only_then(tmp_path: Path) -> None:
    host = PluginHost(dropin_folders=[tmp_path], entry_points_too=False)
    shutil.copytree(EXAMPLES / "centroid", tmp_path / "centroid")  # after the host was made: still found
    assert [e.id for e in host.entries()] == ["centroid-example"]
    shutil.copytree(EXAMPLES / "centroid", tmp_path / "second")  # after the first use: not looked for again
    assert [e.id for e in host.entries()] == ["centroid-example"]
    with pytest.raises(PluginError, match="installed: centroid-example"):
        host.get("nothing")


def test_workers_asking_at_once_share_one_model_loaded_under_the_thread_cap(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES / "centroid", tmp_path / "centroid")
    host = PluginHost(dropin_folders=[tmp_path], entry_points_too=False, threads=1)
    models: list[object] = []
    workers = [
        threading.Thread(target=lambda: models.append(host.load("centroid-example"))) for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(models) == 4 and all(model is models[0] for model in models)
    assert host.loaded() == ["centroid-example"]
    assert all(os.environ[name] == "1" for name in THREAD_VARIABLES)


def test_a_fixed_catalog_is_used_as_given_and_the_default_cap_keeps_a_core() -> None:
    host = PluginHost([])
    assert host.entries() == [] and 1 <= host.threads <= max(1, (os.cpu_count() or 2) - 1)


def test_plugins_take_their_error_type_from_the_protocol_not_the_host() -> None:
    plugins = Path(__file__).parents[2] / "plugins"
    if not plugins.is_dir():
        pytest.skip("first-party plugins are not beside the tests")
    internal = ("annotator.ml.registry", "annotator.ml.host")
    offenders = [
        str(path.relative_to(plugins))
        for path in plugins.rglob("*.py")
        if any(name in path.read_text(encoding="utf-8") for name in internal)
    ]
    assert offenders == []
