"""Training data of a fine-tuning run: verified frames only, replay mix, held-apart split, pseudo-labels."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import numpy as np
import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import UpdateAnnotations
from annotator.core.model.records import Frame
from annotator.core.model_versions import RecordModelVersion
from annotator.ml.finetune.data import (
    HELD_NEW,
    HELD_OLD,
    REPLAY,
    TRAIN,
    held_share_now,
    is_held_apart,
    mix_replay,
    most_uncertain,
    replay_count,
    select_pseudo_labels,
)
from annotator.ml.finetune.pipeline import finetune_due, newly_verified, plan_finetune
from annotator.ml.finetune.spec import FineTuneOptions
from annotator.ml.protocol import Detections
from annotator.ml.registry import PluginError, PluginRegistry

CLASSES = ("Car", "Pedestrian")


def test_replay_mix_has_the_set_ratio_and_spreads_old_frames_through() -> None:
    new, old = [f"n{i}" for i in range(6)], [f"o{i}" for i in range(20)]
    assert replay_count(6, 20, 0.5) == 6
    assert replay_count(6, 20, 0.25) == 2
    assert replay_count(6, 3, 0.5) == 3  # no more old frames than there are
    assert replay_count(0, 4, 0.5) == 4
    mixed = mix_replay(new, old, 0.5, random.Random(1))
    assert sorted(m for m in mixed if m.startswith("n")) == new
    assert sum(m.startswith("o") for m in mixed) == 6
    assert len(set(mixed)) == 12
    halves = mixed[:6], mixed[6:]
    assert all(sum(m.startswith("o") for m in half) == 3 for half in halves)
    with pytest.raises(ValueError):
        replay_count(1, 1, 1.0)


def test_held_apart_frames_are_chosen_by_name_and_stay_chosen() -> None:
    frames = [Frame(i, f"frame{i:03d}", i) for i in range(400)]
    held = [f.name for f in frames if is_held_apart(f, 0.2)]
    assert 60 <= len(held) <= 100
    assert held == [f.name for f in frames if is_held_apart(f, 0.2)]
    assert not any(is_held_apart(f, 0.0) for f in frames)


def test_most_uncertain_picks_the_share_with_the_highest_scores() -> None:
    assert most_uncertain({1: 0.1, 2: 0.9, 3: 0.5, 4: 0.7}, 0.5) == [2, 4]
    assert most_uncertain({1: 0.1}, 0.1) == [1]
    assert most_uncertain({}, 0.5) == []


def test_pseudo_labels_keep_confident_certain_boxes_at_a_lower_weight_and_never_cover_human_ones() -> None:
    boxes = np.array([[0, 0, 0, 4, 2, 1.5, 0], [10, 0, 0, 4, 2, 1.5, 0], [20, 0, 0, 4, 2, 1.5, 0],
                      [30, 0, 0, 4, 2, 1.5, 0]])  # fmt: skip
    found = Detections(boxes, [0, 0, 1, 0], [0.9, 0.9, 0.95, 0.3], CLASSES, "m1")
    uncertainty = np.array([0.1, 0.1, 0.6, 0.05])
    human = Detections(np.array([[10.3, 0, 0, 4, 2, 1.5, 0]]), [0], [1.0], CLASSES, "labels")
    targets, weights = select_pseudo_labels(found, uncertainty, human, 0.6, 0.3, 0.4)
    # the human box stays (weight 1); box 0 is added; box 1 overlaps the human box, 2 is uncertain,
    # 3 scores too low
    np.testing.assert_allclose(targets.boxes[:, 0], [10.3, 0.0])
    np.testing.assert_allclose(weights, [1.0, 0.4])
    assert targets.labels.tolist() == [0, 0]


@pytest.fixture
def manifest(plugin_folder: Path):
    return PluginRegistry.discover([plugin_folder], entry_points_too=False).manifest("centroid-example")


def test_only_verified_frames_are_planned_and_seen_ones_become_replay(
    tmp_path, tiny_project, manifest
) -> None:
    options = FineTuneOptions(held_apart=0.0)
    with tiny_project(tmp_path / "p", 4, 2) as workspace:
        project = workspace.project
        spec = plan_finetune(project, manifest, options)
        assert [(f.frame.name, f.role) for f in spec.frames] == [("f0", TRAIN), ("f1", TRAIN)]
        assert [(f.frame.name, f.role) for f in spec.unverified] == [("f2", "pseudo"), ("f3", "pseudo")]
        assert spec.version_id == "v1" and spec.parent is None
        from annotator.core.model_versions import ModelVersion

        data = tuple(f.entry() for f in spec.frames)
        workspace.push(RecordModelVersion(ModelVersion("v1", manifest.id, None, 1.0, "m", "w", data), True))
        assert newly_verified(project, manifest) == []
        # a corrected label makes its frame new again
        label = project.annotations_of(spec.frames[1].frame.id)[0]
        workspace.push(
            UpdateAnnotations([dataclasses.replace(label, cuboid=Cuboid((12.5, 2, 1.5), (5, 5, 2)))])
        )
        again = plan_finetune(project, manifest, options)
        assert [(f.frame.name, f.role) for f in again.frames] == [("f0", REPLAY), ("f1", TRAIN)]
        assert again.version_id == "v2" and again.parent == "v1"


def test_held_apart_frames_are_measured_not_trained(tmp_path, tiny_project, manifest) -> None:
    with tiny_project(tmp_path / "p", 12, 12) as workspace:
        options = FineTuneOptions(held_apart=0.3, held_apart_from=0)
        spec = plan_finetune(workspace.project, manifest, options)
        held = {f.frame.name for f in spec.frames if f.role == HELD_NEW}
        assert held == {f.frame.name for f in spec.frames if is_held_apart(f.frame, 0.3)}
        assert held and len(held) < 12


def test_no_frame_is_held_apart_until_enough_are_verified(tmp_path, tiny_project, manifest) -> None:
    """A project with few verified frames trains on all of them (the default waits for 30); once it has
    ``held_apart_from``, frames are held apart by name, except those an earlier version trained on."""
    from annotator.core.model_versions import ModelVersion

    assert held_share_now(0.2, 29, 30) == 0.0 and held_share_now(0.2, 30, 30) == 0.2
    with tiny_project(tmp_path / "p", 12, 12) as workspace:
        project = workspace.project
        hashed = {f.name for f in project.frames_in_order() if is_held_apart(f, 0.3)}
        assert hashed  # some of these 12 frames would be held apart by name
        early = plan_finetune(project, manifest, FineTuneOptions(held_apart=0.3))
        assert {f.role for f in early.frames} == {TRAIN}
        data = tuple(f.entry() for f in early.frames[:6])  # v1 trained on the first six
        workspace.push(RecordModelVersion(ModelVersion("v1", manifest.id, None, 1.0, "m", "w", data), True))
        later = plan_finetune(project, manifest, FineTuneOptions(held_apart=0.3, held_apart_from=12))
        roles = {f.frame.name: f.role for f in later.frames}
        first_six = {f.frame.name for f in early.frames[:6]}
        assert {n for n, r in roles.items() if r in (HELD_NEW, HELD_OLD)} == hashed - first_six
        assert all(roles[n] == REPLAY for n in first_six)


def test_due_after_the_set_number_of_newly_verified_frames(tmp_path, tiny_project, manifest) -> None:
    from annotator.core.edits import SetSetting

    with tiny_project(tmp_path / "p", 3, 2) as workspace:
        workspace.push(SetSetting("finetune_every", 3))
        assert not finetune_due(workspace.project, manifest)
        workspace.push(SetSetting("finetune_every", 2))
        assert finetune_due(workspace.project, manifest)


def test_planning_without_verified_frames_says_so(tmp_path, tiny_project, manifest) -> None:
    with (
        tiny_project(tmp_path / "p", 2, 0) as workspace,
        pytest.raises(PluginError, match="no verified frame"),
    ):
        plan_finetune(workspace.project, manifest, FineTuneOptions())


def test_fine_tuning_uses_the_plugins_fine_tuning_defaults_unless_the_options_set_them() -> None:
    from annotator.ml.finetune.engine import fine_tuning_params
    from annotator.ml.finetune.spec import FineTuneOptions
    from annotator.ml.manifest import manifest_from_dict

    manifest = manifest_from_dict(
        {
            "id": "m", "name": "m", "version": "1", "task": "detect3d", "framework": "numpy", "entry": "x:y",
            "classes": ["Car"], "capabilities": ["predict", "fit"],
            "parameters": [
                {"name": "epochs", "type": "int", "default": 12},
                {"name": "augment", "type": "bool", "default": True},
                {"name": "threads", "type": "int", "default": 1},
            ],
            "finetune_defaults": {"epochs": 4, "augment": "no"},
        }
    )  # fmt: skip
    assert fine_tuning_params(manifest, FineTuneOptions(threads=2)) == {
        "epochs": 4, "augment": False, "threads": 2,
    }  # fmt: skip
    given = FineTuneOptions(params={"epochs": 9})
    assert fine_tuning_params(manifest, given) == {"epochs": 9, "augment": False, "threads": 1}


def test_selection_rounds_share_one_decaying_learning_rate() -> None:
    """Each round of uncertainty selection is a fit call with its own schedule; their peak rates follow
    one cosine decay, so the last round ends converged instead of restarting at the full rate."""
    from itertools import pairwise

    from annotator.ml.finetune.engine import round_rate

    assert round_rate(0, 1) == 1.0
    rates = [round_rate(k, 5) for k in range(5)]
    assert rates[0] == 1.0 and all(a > b for a, b in pairwise(rates)) and rates[-1] < 0.05
