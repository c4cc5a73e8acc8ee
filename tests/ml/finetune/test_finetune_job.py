"""The fine-tuning job in a child process: progress arrives, the parent is free meanwhile, cancel works,
and the result becomes a gated version that pre-annotation then uses."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from annotator.core.edits import SetFrameStatus
from annotator.core.model.records import FrameStatus
from annotator.core.model_versions import current_version
from annotator.ml.finetune.data import REPLAY, TRAIN
from annotator.ml.finetune.engine import job_host, run_finetune, spread
from annotator.ml.finetune.job import FineTuneJob, JobError
from annotator.ml.finetune.pipeline import plan_finetune, record_result
from annotator.ml.finetune.spec import FineTuneOptions
from annotator.ml.protocol import CancelToken
from annotator.ml.registry import PluginRegistry
from annotator.ml.weights import latest_weights

PLUGIN = "centroid-example"


@pytest.fixture
def registry(plugin_folder: Path) -> PluginRegistry:
    return PluginRegistry.discover([plugin_folder], entry_points_too=False)


def plan(workspace, registry, plugin_folder, **options):
    return plan_finetune(
        workspace.project, registry.manifest(PLUGIN), FineTuneOptions(held_apart=0.0, **options),
        plugin_folders=[plugin_folder], entry_points=False,
    )  # fmt: skip


def test_job_reports_progress_while_the_parent_stays_free_and_its_version_is_promoted(
    tmp_path, tiny_project, registry, plugin_folder
) -> None:
    with tiny_project(tmp_path / "p", 3, 2) as workspace:
        spec = plan(workspace, registry, plugin_folder)
        seen: dict[str, list] = {"progress": [], "log": [], "finished": []}
        job = FineTuneJob(
            spec,
            on_progress=seen["progress"].append,
            on_log=seen["log"].append,
            on_finished=lambda result, error: seen["finished"].append((result, error)),
        )
        job.start()
        # start() came back while the child is still starting up; polling never waits
        assert job.running
        assert job.poll() is True
        result = job.wait(timeout=120)
        assert [p.step for p in seen["progress"]] == [1, 2]
        assert seen["log"] and "2 new" in seen["log"][0]
        assert seen["finished"] == [(result, None)]
        assert result.model_version == "centroid-1.0+pad0.500"
        assert Path(result.weights).is_file()
        version, decision = record_result(workspace.push, workspace.project, spec, result)
        assert decision.passed
        assert current_version(workspace.project, PLUGIN).id == "v1"
        assert re.fullmatch(r"models/centroid-example/v1-[0-9a-f]{8}\.weights", version.weights)
        assert {(e.frame, e.role, e.source) for e in version.data} == {
            ("f0", "train", "human"),
            ("f1", "train", "human"),
        }
        assert latest_weights(workspace.project, PLUGIN) == tmp_path / "p" / version.weights
        workspace.stack.undo()  # the record and the promotion are one step
        assert current_version(workspace.project, PLUGIN) is None


def test_cancelled_job_saves_no_weights(tmp_path, tiny_project, registry, plugin_folder) -> None:
    with tiny_project(tmp_path / "p", 3, 3) as workspace:
        spec = plan(workspace, registry, plugin_folder)
        job = FineTuneJob(spec)
        job.cancel()  # before its first step: the plugin's fit stops at once
        result = job.start().wait(timeout=120)
        assert result.cancelled and result.weights is None
        assert not Path(spec.output).exists()


def test_a_failing_job_reports_the_error(tmp_path, tiny_project, registry, plugin_folder) -> None:
    with tiny_project(tmp_path / "p", 2, 2) as workspace:
        spec = plan(workspace, registry, plugin_folder)
        spec.plugin_folders = [str(tmp_path / "nowhere")]
        with pytest.raises(JobError, match="no plugin 'centroid-example'"):
            FineTuneJob(spec).start().wait(timeout=120)


def test_self_training_adds_weighted_pseudo_frames_marked_as_pseudo(
    tmp_path, tiny_project, registry, plugin_folder
) -> None:
    with tiny_project(tmp_path / "p", 4, 2, label_unverified=False) as workspace:
        spec = plan(workspace, registry, plugin_folder, self_training=True, pseudo_min_score=0.5,
                    pseudo_max_uncertainty=1.0, pseudo_weight=0.25, pseudo_frames=1, passes=2)  # fmt: skip
        result = run_finetune(spec, lambda kind, payload: None, CancelToken(), job_host(spec))
        pseudo = result.pseudo
        assert [f.frame.name for f in pseudo] == ["f2"] and all(f.role == "pseudo" for f in pseudo)
        assert [e.frame for e in result.data if e.source == "pseudo"] == ["f2"]
        assert pseudo[0].weights[0].tolist() == [0.25]
        assert pseudo[0].entry().source == "pseudo"
        assert all(workspace.project.annotations_of(f.frame.id) == [] for f in spec.unverified)


def test_pseudo_labels_never_cover_a_human_label_of_an_unverified_frame(
    tmp_path, tiny_project, registry, plugin_folder
) -> None:
    with tiny_project(tmp_path / "p", 4, 2) as workspace:  # f2 and f3 carry a human label each
        spec = plan(workspace, registry, plugin_folder, self_training=True, pseudo_min_score=0.5,
                    pseudo_max_uncertainty=1.0, pseudo_frames=2, passes=2)  # fmt: skip
        assert [len(f.targets[0]) for f in spec.unverified] == [1, 1]
        result = run_finetune(spec, lambda kind, payload: None, CancelToken(), job_host(spec))
        # the model's only box on each is the human-labelled object: no pseudo frame remains
        assert result.pseudo == [] and all(e.source == "human" for e in result.data)


def test_uncertainty_selection_trains_the_most_uncertain_new_frames_twice(
    tmp_path, tiny_project, registry, plugin_folder
) -> None:
    with tiny_project(tmp_path / "p", 4, 4) as workspace:
        spec = plan(
            workspace, registry, plugin_folder, uncertainty_selection=True, select_share=0.25, passes=2
        )
        steps = []
        result = run_finetune(spec, lambda kind, payload: steps.append(payload) if kind == "progress" else None,
                              CancelToken(), job_host(spec))  # fmt: skip
        assert len(result.selected) == 1 and result.selected[0] in {f.frame.id for f in spec.frames}
        assert [p.step for p in steps] == [1, 2, 3, 4, 5]  # 4 new frames + the chosen one again


def test_a_version_promoted_meanwhile_keeps_the_later_result_a_candidate(
    tmp_path, tiny_project, registry, plugin_folder
) -> None:
    with tiny_project(tmp_path / "p", 3, 2) as workspace:
        first = plan(workspace, registry, plugin_folder)
        second = plan(workspace, registry, plugin_folder)  # planned before the first is recorded
        for spec in (first, second):
            result = run_finetune(spec, lambda kind, payload: None, CancelToken(), job_host(spec))
            version, decision = record_result(workspace.push, workspace.project, spec, result)
        assert first.output != second.output
        assert version.id == "v2" and not decision.passed
        assert "changed while training" in decision.reasons[-1]
        assert current_version(workspace.project, PLUGIN).id == "v1"


def test_a_poll_with_a_budget_leaves_the_rest_of_a_burst_for_later(
    tmp_path, tiny_project, registry, plugin_folder
) -> None:
    with tiny_project(tmp_path / "p", 3, 2) as workspace:
        steps: list[int] = []
        job = FineTuneJob(
            plan(workspace, registry, plugin_folder), on_progress=lambda p: steps.append(p.step)
        )
        job.start()
        while job._process.is_alive():  # let the child finish, every message queued up
            time.sleep(0.02)
        assert job.poll(budget=0.0) is True and steps == []  # no time to spend: nothing handed over
        while job.poll(budget=0.01):
            pass
        assert steps == [1, 2] and job.result is not None


def test_pseudo_labelled_frames_reach_fit_as_partial_frames(tmp_path, tiny_project, registry, plugin_folder):
    """Only the confident boxes of a pseudo-labelled frame are known: the plugin is told so, and must not
    learn "no object here" from the rest of it."""
    import dataclasses

    from annotator.ml.finetune.data import PSEUDO
    from annotator.ml.finetune.engine import _Runner

    with tiny_project(tmp_path / "p", 3, 2) as workspace:
        spec = plan(workspace, registry, plugin_folder)
        runner = _Runner(spec, lambda kind, payload: None, CancelToken(), job_host(spec))
        human = spec.frames[0]
        pseudo = dataclasses.replace(human, role=PSEUDO)
        assert [f.partial for f in runner.labelled([human, pseudo])] == [False, True]


def test_while_no_frame_is_held_apart_the_gate_measures_the_frames_the_parent_trained_on(
    tmp_path, tiny_project, registry, plugin_folder
) -> None:
    """A project with too few verified frames holds none apart (`held_apart_from`): the forgetting gate then
    compares candidate and parent on the frames the parent trained on, so a candidate must keep them."""
    with tiny_project(tmp_path / "p", 4, 2) as workspace:
        first = plan(workspace, registry, plugin_folder)
        result = run_finetune(first, lambda kind, payload: None, CancelToken(), job_host(first))
        assert result.scores["parent"] == {}  # the shipped start trained on none of the project's frames
        record_result(workspace.push, workspace.project, first, result)
        for frame in workspace.project.frames_in_order()[2:]:
            workspace.push(SetFrameStatus(frame.id, FrameStatus.VERIFIED))
        second = plan(workspace, registry, plugin_folder)
        assert [f.role for f in second.frames] == [REPLAY, REPLAY, TRAIN, TRAIN]
        result = run_finetune(second, lambda kind, payload: None, CancelToken(), job_host(second))
        assert set(result.scores["parent"]) == set(result.scores["candidate"]) == {"old"}
        _, decision = record_result(workspace.push, workspace.project, second, result)
        assert decision.reasons[0].startswith("old frames: ") and decision.passed == (
            result.scores["candidate"]["old"] >= result.scores["parent"]["old"] - decision.tolerance
        )


def test_the_gate_takes_frames_spread_over_all_the_trained_ones() -> None:
    assert spread(list(range(20)), 8) == [0, 3, 5, 8, 11, 14, 16, 19]
    assert spread([1, 2], 8) == [1, 2] and spread([], 8) == []
