"""The shipped base weights: hash-checked loading, a quality floor on a generated frame, the model card, and
their use as the default starting point of pre-annotation and fine-tuning."""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from annotator.cli import main
from annotator.core.cuboids.overlap import bev_iou
from annotator.core.model.project import Project
from annotator.ml.protocol import FrameInput
from annotator.ml.registry import PluginError, PluginRegistry
from annotator.ml.shipped import base_weights, model_card, shipped_weights
from annotator.ml.weights import chosen_weights, load_weights, verified_weights

pytest.importorskip("torch")


@pytest.fixture(scope="module")
def registry() -> PluginRegistry:
    return PluginRegistry.discover([], entry_points_too=True)


def test_the_plugin_ships_weights_with_a_recorded_hash_and_a_card(registry):
    manifest = registry.manifest("pointpillars")
    path, digest = shipped_weights(manifest)
    assert path.is_file() and path.stat().st_size <= 25 << 20
    assert digest is not None and len(digest) == 64
    card = model_card(manifest)
    assert card["sha256"] == digest
    assert {"data", "training", "quality"} <= set(card)


def test_shipped_weights_find_the_cars_of_a_generated_frame(registry):
    from annotator.synth import SceneConfig, iter_frames

    manifest = registry.manifest("pointpillars")
    model = registry.load("pointpillars")
    model.load(str(base_weights(manifest)))
    frame = next(iter(iter_frames(SceneConfig(seed=4242, n_frames=1), render_images=False)))
    cars = [o.cuboid for o in frame.objects if o.label == "Car" and o.num_points >= 50
            and abs(o.cuboid.center[0]) < 40 and abs(o.cuboid.center[1]) < 20]  # fmt: skip
    found = model.predict(FrameInput("generated", frame.points), {"threads": 1})
    boxes = [b for b, k in zip(found.boxes, found.labels) if found.class_names[int(k)] in ("Car", "Van")]
    from annotator.core.cuboids.cuboid import Cuboid

    hit = sum(any(bev_iou(car, Cuboid.from_array(b)) >= 0.5 for b in boxes) for car in cars)
    assert len(cars) >= 5
    assert hit / len(cars) >= 0.6  # a floor far below the measured quality (see the model card)


def test_swapped_shipped_weights_are_refused(registry, tmp_path, monkeypatch):
    manifest = registry.manifest("pointpillars")
    path, _ = shipped_weights(manifest)
    copy = tmp_path / "pointpillars" / "weights" / "base.pt"
    copy.parent.mkdir(parents=True)
    shutil.copyfile(path, copy)
    with open(copy, "r+b") as file:  # one byte changed
        file.seek(-3, 2)
        byte = file.read(1)
        file.seek(-3, 2)
        file.write(bytes([byte[0] ^ 0xFF]))
    moved = dataclasses.replace(
        manifest, search_path=str(tmp_path), entry="pointpillars.model:PointPillarsDetector"
    )
    with pytest.raises(PluginError, match="differ from the hash"):
        base_weights(moved)
    with pytest.raises(PluginError, match="differ from the hash"):
        load_weights(registry.load("pointpillars"), moved, Project(tmp_path))


def test_a_project_without_weights_of_its_own_starts_from_the_shipped_ones(registry, tmp_path):
    manifest = registry.manifest("pointpillars")
    shipped, _ = shipped_weights(manifest)
    project = Project(tmp_path)
    assert chosen_weights(manifest, project) == shipped
    assert verified_weights(manifest, project) == shipped
    geometric = registry.manifest("geometric")
    assert chosen_weights(geometric, project) is None


def test_plugins_command_shows_the_model_card(capsys):
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert "pointpillars ships base weights" in out
    assert "sha256:" in out and "training:" in out and "quality:" in out
    assert main(["plugins", "--json"]) == 0
    rows = {row["id"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["pointpillars"]["weights_card"]["weights"] == "base.pt"
    assert rows["geometric"]["weights_card"] is None


def test_ground_levelling_makes_predictions_follow_the_frame(registry):
    """Argoverse-like points (ground near z = 0) and KITTI-like ones (ground 1.73 m down) give the same
    boxes, shifted by the same height."""
    from annotator.synth import SceneConfig, iter_frames

    model = registry.load("pointpillars")
    model.load(str(base_weights(registry.manifest("pointpillars"))))
    frame = next(iter(iter_frames(SceneConfig(seed=77, n_frames=1), render_images=False)))
    low = model.predict(FrameInput("sensor frame", frame.points), {"threads": 1})
    raised = frame.points.copy()
    raised[:, 2] += 1.73
    high = model.predict(FrameInput("ego frame", raised), {"threads": 1})
    assert len(low) >= 3 and len(high) == len(low)
    np.testing.assert_allclose(high.boxes[:, 2] - low.boxes[:, 2], 1.73, atol=0.02)
    np.testing.assert_allclose(high.boxes[:, :2], low.boxes[:, :2], atol=0.02)
    assert all(math.isfinite(v) for v in high.scores)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """A one-frame demo project (no weights of its own)."""
    from annotator.cli.demo_project import create_demo_project

    root = tmp_path_factory.mktemp("base") / "demo"
    create_demo_project(root, frames=1, seed=5)
    return root


def test_simulate_starts_from_the_shipped_weights_unless_from_scratch(registry, demo):
    from annotator.ml.finetune.simulate import SimulationSettings, _Simulation

    shipped, _ = shipped_weights(registry.manifest("pointpillars"))
    assert _Simulation(demo, registry, "pointpillars", SimulationSettings("fixed")).initial == shipped
    own = PluginRegistry.discover([], entry_points_too=True)  # a registry keeps the model it loaded
    fresh = _Simulation(demo, own, "pointpillars", SimulationSettings("fixed", from_scratch=True))
    assert fresh.initial is None and not fresh.model.trained


def test_first_preannotation_of_a_new_project_uses_the_shipped_weights(registry, demo, capsys):
    from annotator.io.workspace import Workspace

    root = demo
    args = [
        "preannotate",
        str(root),
        "--plugin",
        "pointpillars",
        "--in-process",
        "--no-progress",
        "-p",
        "threads=1",
    ]
    assert main(args) == 0
    assert "pre-annotated 1 of 1 frames with pointpillars" in capsys.readouterr().out
    model = registry.load("pointpillars")
    model.load(str(base_weights(registry.manifest("pointpillars"))))
    with Workspace.open(root) as workspace:
        proposals = [a for a in workspace.project.annotations.values() if a.is_proposal]
    assert len(proposals) >= 5  # fresh weights propose nothing at the default threshold
    assert {a.provenance.model_version for a in proposals} == {model.version}
