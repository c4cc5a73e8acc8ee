"""Pre-annotation and scoring on Ray: model actors compute, the driver stores, as the in-process run does."""

from __future__ import annotations

import shutil
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from tests_support import raised_points_project

from annotator.core.model.records import Frame
from annotator.io.workspace import Workspace
from annotator.ml.preannotate import preannotate
from annotator.ml.ray_batch import RaySettings, RayUnavailable, actor_slots, import_ray
from annotator.ml.registry import PluginRegistry
from annotator.ml.uncertainty.scoring import score_frames

EXAMPLES = Path(__file__).parent / "example_plugins"
FAULTY = Path(__file__).parent / "fault_plugins" / "faulty"


@pytest.fixture
def registry(tmp_path: Path) -> PluginRegistry:
    shutil.copytree(EXAMPLES / "centroid", tmp_path / "plugins" / "centroid")
    shutil.copytree(FAULTY, tmp_path / "plugins" / "faulty")
    return PluginRegistry.discover([tmp_path / "plugins"], entry_points_too=False)


def twin_projects(tmp_path: Path, frames: int = 4) -> tuple[Path, Path]:
    """Two identical projects of ``frames`` frames of raised points (the centroid plugin boxes them)."""
    first = raised_points_project(tmp_path / "in_process", frames)
    second = tmp_path / "on_ray"
    shutil.copytree(first, second)
    return first, second


def proposals(workspace: Workspace) -> list[tuple]:
    """The project's proposals as comparable values, in frame order."""
    project = workspace.project
    return [
        (
            project.frames[a.frame_id].name,
            a.class_name,
            a.provenance,
            tuple(a.cuboid.to_array()),
            a.attributes,
        )
        for a in sorted(project.annotations.values(), key=lambda a: (project.frames[a.frame_id].index, a.id))
    ]


@pytest.mark.ray
def test_preannotation_on_two_actors_stores_what_the_in_process_run_stores(tmp_path, registry, ray_cluster):
    plain, on_ray = twin_projects(tmp_path)
    with Workspace.open(plain) as workspace:
        preannotate(workspace, registry, "centroid-example", workspace.project.frames_in_order())
        expected = proposals(workspace)
    seen = []
    with Workspace.open(on_ray) as workspace:
        summary = preannotate(
            workspace, registry, "centroid-example", workspace.project.frames_in_order(),
            on_frame=lambda done, frame: seen.append((done, frame.name)), ray=RaySettings(workers=2),
        )  # fmt: skip
        assert summary.frames_done == 4 and summary.proposals == 4 and not summary.failures
        assert proposals(workspace) == expected
        # the driver wrote every frame's step itself, in frame order (one writer)
        labels = [entry.label for entry in workspace.stack.entries][1:]  # after "Add 4 frames"
        assert labels == [f"Pre-annotate {i:06d} (centroid-example)" for i in range(4)]
    assert seen == [(i + 1, f"{i:06d}") for i in range(4)]


@pytest.mark.ray
def test_scoring_on_ray_stores_the_same_uncertainty(tmp_path, registry, ray_cluster):
    plain, on_ray = twin_projects(tmp_path, 2)
    results = []
    for root, ray in ((plain, None), (on_ray, RaySettings(workers=1))):
        with Workspace.open(root) as workspace:
            summary = score_frames(
                workspace,
                registry,
                "centroid-example",
                workspace.project.frames_in_order(),
                "tta",
                3,
                ray=ray,
            )
            assert summary.frames_done == 2
            results.append((proposals(workspace), summary.frame_uncertainty))
    assert results[0] == results[1]
    assert results[1][0][0][4]["uncertainty"]["passes"] == 3


@pytest.mark.ray
def test_frames_an_actor_fails_on_are_named_and_the_rest_are_stored(tmp_path, registry, ray_cluster):
    root = tmp_path / "faulty"
    from annotator.core.edits import AddFrames

    with Workspace.create(root) as workspace:
        names = ["ok1", "nan", "missing", "ok2"]
        for name in names:
            np.zeros((3, 4), dtype=np.float32).tofile(root / f"{name}.bin")
        (root / "missing.bin").unlink()
        workspace.push(AddFrames([Frame(0, n, i, cloud=f"{n}.bin") for i, n in enumerate(names)]))
        summary = preannotate(
            workspace,
            registry,
            "faulty-example",
            workspace.project.frames_in_order(),
            ray=RaySettings(workers=2),
        )
    assert summary.frames_done == 2
    assert [failure.split(":")[0] for failure in summary.failures] == ["nan", "missing"]
    assert "NaN" in summary.failures[0] or "nan" in summary.failures[0].lower()


@pytest.mark.ray
def test_a_cancel_request_stops_storing_and_keeps_the_frames_done(tmp_path, registry, ray_cluster):
    root = raised_points_project(tmp_path / "p", 5)
    cancel = threading.Event()
    with Workspace.open(root) as workspace:
        summary = preannotate(
            workspace, registry, "centroid-example", workspace.project.frames_in_order(),
            cancel=cancel, on_frame=lambda done, frame: cancel.set() if done == 2 else None,
            ray=RaySettings(workers=1),
        )  # fmt: skip
        assert summary.cancelled and summary.frames_done == 2
        assert [e.label for e in workspace.stack.entries][1:] == [
            "Pre-annotate 000000 (centroid-example)",
            "Pre-annotate 000001 (centroid-example)",
        ]
    with Workspace.open(root) as reopened:
        assert len(reopened.project.annotations) == 2


def test_actors_take_one_gpu_each_for_gpu_frameworks_else_one_cpu():
    assert actor_slots({"CPU": 16.0, "GPU": 2.0}, "torch") == (2, {"num_gpus": 1.0})
    assert actor_slots({"CPU": 16.0, "GPU": 2.0}, "numpy") == (16, {"num_cpus": 1.0})
    assert actor_slots({"CPU": 2.0}, "torch", workers=1) == (1, {"num_cpus": 1.0})


def test_without_ray_installed_the_error_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(RayUnavailable, match=r"pip install 'ray\[data\]'"):
        import_ray()


@pytest.mark.ray
@pytest.mark.timeout(300)
def test_a_plugin_killing_its_actor_stops_the_run_with_one_line(tmp_path, registry, ray_cluster):
    from annotator.core.edits import AddFrames
    from annotator.core.errors import AnnotatorError

    root = tmp_path / "crashing"
    with Workspace.create(root) as workspace:
        names = ["ok1", "crash", "ok2"]  # the faulty plugin ends its process with os._exit(9) on "crash"
        for name in names:
            np.zeros((3, 4), dtype=np.float32).tofile(root / f"{name}.bin")
        workspace.push(AddFrames([Frame(0, n, i, cloud=f"{n}.bin") for i, n in enumerate(names)]))
        with pytest.raises(AnnotatorError, match="the Ray run stopped") as raised:
            preannotate(
                workspace,
                registry,
                "faulty-example",
                workspace.project.frames_in_order(),
                ray=RaySettings(workers=1),
            )
        assert "\n" not in str(raised.value)
        stored = {workspace.project.frames[a.frame_id].name for a in workspace.project.annotations.values()}
        assert stored <= {"ok1"}  # ok1's result may die with the actor; nothing after it is stored


@pytest.mark.ray
def test_scoring_on_ray_names_the_frames_that_fail(tmp_path, registry, ray_cluster):
    from annotator.core.edits import AddFrames

    root = tmp_path / "scored"
    with Workspace.create(root) as workspace:
        for name in ("fine", "none"):  # the faulty plugin returns None on "none"
            np.zeros((3, 4), dtype=np.float32).tofile(root / f"{name}.bin")
        workspace.push(AddFrames([Frame(0, n, i, cloud=f"{n}.bin") for i, n in enumerate(("fine", "none"))]))
        summary = score_frames(
            workspace, registry, "faulty-example", workspace.project.frames_in_order(), "ensemble", 2,
            ray=RaySettings(workers=1),
        )  # fmt: skip
    assert summary.frames_done == 1 and [f.split(":")[0] for f in summary.failures] == ["none"]


@pytest.mark.ray
def test_a_runtime_already_running_here_is_joined_and_left_running(ray_cluster):
    from annotator.ml.ray_batch import ray_runtime

    with ray_runtime(None, 1) as ray:
        assert ray.cluster_resources()["CPU"] == 2.0  # the session's runtime, not a new 1-CPU one
    assert ray.is_initialized()


def test_an_unreachable_cluster_is_a_one_line_error_at_once():
    from annotator.ml.ray_batch import ray_runtime

    refused = pytest.raises(RayUnavailable, match=r"cannot reach the Ray cluster at 127\.0\.0\.1:1: ")
    with refused, ray_runtime("127.0.0.1:1"):
        pass
