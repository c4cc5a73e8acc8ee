"""Weights never run code: a crafted pickle in a project's model folder is refused, not executed, and
weights that differ from their recorded hash are not loaded."""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from annotator.core.model.project import Project
from annotator.io.errors import FormatError
from annotator.ml.registry import PluginError, PluginRegistry
from annotator.ml.safe_weights import load_arrays, save_arrays
from annotator.ml.weights import load_weights, mark_latest, models_folder, record_digest


class _Payload:
    """Unpickling this creates ``marker``: the proof that loading ran code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def crafted_pickle(path: Path, marker: Path) -> Path:
    path.write_bytes(pickle.dumps({"format": "x", "state": _Payload(marker)}))
    return path


def test_arrays_round_trip_with_metadata(tmp_path: Path) -> None:
    arrays = {"conv.weight": np.arange(12, dtype=np.float32).reshape(3, 4), "bn._mean": np.zeros(3)}
    save_arrays(tmp_path / "w", {"format": "f/1", "config": {"width": 8}}, arrays)
    meta, loaded = load_arrays(tmp_path / "w")
    assert meta == {"format": "f/1", "config": {"width": 8}}
    assert set(loaded) == set(arrays)
    np.testing.assert_array_equal(loaded["conv.weight"], arrays["conv.weight"])


def test_a_pickle_is_refused_without_running(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    with pytest.raises(FormatError, match="pickled weights are refused"):
        load_arrays(crafted_pickle(tmp_path / "w", marker))
    assert not marker.exists()


def test_a_zip_bomb_is_refused_before_inflating(tmp_path: Path) -> None:
    path = tmp_path / "bomb"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.npy", b"\0" * (64 << 20))
    with pytest.raises(FormatError, match="inflates"):
        load_arrays(path)


def project_with_latest(tmp_path: Path, plugin_id: str, weights_name: str = "w1.weights") -> Path:
    project = Project(tmp_path)
    folder = models_folder(project, plugin_id)
    assert folder is not None
    folder.mkdir(parents=True)
    return folder / weights_name


@pytest.mark.parametrize("plugin_id", ["paddle-det2d", "paddle-det3d", "pointpillars"])
def test_crafted_pickle_in_the_model_folder_runs_nothing(tmp_path: Path, plugin_id: str) -> None:
    registry = PluginRegistry.discover([], entry_points_too=True)
    if not registry.get(plugin_id).available:
        pytest.skip(f"{plugin_id} unavailable here")
    marker = tmp_path / "ran"
    weights = crafted_pickle(project_with_latest(tmp_path, plugin_id), marker)
    mark_latest(weights)
    with pytest.raises(PluginError, match="cannot read weights"):
        load_weights(registry.load(plugin_id), registry.manifest(plugin_id), Project(tmp_path))
    assert not marker.exists()


def test_weights_changed_after_saving_are_not_loaded(tmp_path: Path) -> None:
    registry = PluginRegistry.discover([], entry_points_too=True)
    if not registry.get("paddle-det2d").available:
        pytest.skip("paddle-det2d unavailable here")
    model = registry.load("paddle-det2d")
    manifest = registry.manifest("paddle-det2d")
    weights = project_with_latest(tmp_path, "paddle-det2d")
    model.save(str(weights))
    record_digest(weights)
    mark_latest(weights)
    model._annotator_weights = None
    assert load_weights(model, manifest, Project(tmp_path)) == weights  # the safe format loads back
    meta, arrays = load_arrays(weights)
    save_arrays(weights, meta, {name: value + 1.0 for name, value in arrays.items()})  # swapped in
    model._annotator_weights = None
    with pytest.raises(PluginError, match="differ from the hash"):
        load_weights(model, manifest, Project(tmp_path))
