"""Two writers on one project (the window and a batch command): nothing is lost, or a clean refusal.

Each writer is a `Workspace` with its own SQLite connection, which is what a second process has; the
interleavings are spelled out step by step. The last test runs a real second process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from tests_support import (  # type: ignore[import-not-found]
    apply_random_operation,
    operations,
    raised_points_project,
    snapshot,
)

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, RemoveAnnotations, update_annotation
from annotator.core.model.records import Annotation, Provenance, Review, Source
from annotator.io.errors import ProjectChanged
from annotator.io.formats.base import Dataset, SourceFrame, SourceObject
from annotator.io.importers.apply import apply_dataset
from annotator.io.workspace import Workspace
from annotator.ml.preannotate import ReplaceProposals

EXAMPLES = Path(__file__).parents[1] / "ml" / "example_plugins"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh project of six frames, each with a small cloud."""
    return raised_points_project(tmp_path / "project", 6)


FITTED = Cuboid((1.5, 0.2, 0.1), (4.2, 1.8, 1.6), 0.3)


def box_then_fit(window: Workspace, project: Path) -> int:
    """The window adds a box, then another process fits it (to `FITTED`); the box's id."""
    frame = window.project.frames_in_order()[0]
    target = window.push(AddAnnotations([box(frame.id, 1.0)])).ids[0]
    with Workspace.open(project) as fit:
        fit.push(update_annotation(fit.project, target, "Fit", cuboid=FITTED))
    return target


def box(frame_id: int, x: float, class_name: str = "Car") -> Annotation:
    """A manual cuboid at x."""
    return Annotation(0, frame_id, class_name, cuboid=Cuboid((x, 0, 0), (3.9, 1.6, 1.5), 0.0))


def proposals(frame_id: int, count: int) -> list[Annotation]:
    """``count`` unreviewed model proposals on a frame."""
    provenance = Provenance(Source.MODEL, "plug", "v1", 0.9)
    return [
        Annotation(0, frame_id, "Pedestrian", cuboid=Cuboid((i, 5, 0), (0.8, 0.8, 1.8), 0.0),
                   provenance=provenance, review=Review.UNREVIEWED)
        for i in range(count)
    ]  # fmt: skip


def dataset_of(frame_names: list[str], per_frame: int) -> Dataset:
    """An import of ``per_frame`` Truck objects on each named frame."""
    frames = [
        SourceFrame(name, objects=[
            SourceObject("Truck", Cuboid((20 + i, -3, 0), (8, 2.5, 3), 0.0), track_key=f"{name}-{i}")
            for i in range(per_frame)
        ])
        for name in frame_names
    ]  # fmt: skip
    return Dataset("test", Path("import"), frames)


def reopened(root: Path) -> Workspace:
    return Workspace.open(root)


def test_preannotate_and_import_interleaved_keep_both(project: Path) -> None:
    with Workspace.open(project) as batch, Workspace.open(project) as importer:
        frames = batch.project.frames_in_order()
        batch.push(ReplaceProposals(frames[0].id, "plug", proposals(frames[0].id, 4)))
        report = apply_dataset(importer, dataset_of(["000001", "000002"], 3))
        assert report.objects == 6
        for frame in frames[1:]:  # the batch is behind the import: it reloads and goes on
            batch.push(ReplaceProposals(frame.id, "plug", proposals(frame.id, 4)))
        assert report.objects == 6
    with reopened(project) as workspace:
        found = list(workspace.project.annotations.values())
        assert sum(a.class_name == "Truck" for a in found) == 6
        assert sum(a.class_name == "Pedestrian" for a in found) == 24
        assert len({a.track_id for a in found}) == 30  # no id handed out twice
        assert "Truck" in workspace.project.schema


def test_window_edits_during_preannotation_lose_nothing(project: Path) -> None:
    with Workspace.open(project) as window, Workspace.open(project) as batch:
        frames = window.project.frames_in_order()
        for round_ in range(3):
            for frame in frames:
                window.push(AddAnnotations([box(frame.id, float(round_))]))
                batch.push(ReplaceProposals(frame.id, "plug", proposals(frame.id, 5)))
    with reopened(project) as workspace:
        found = list(workspace.project.annotations.values())
        assert sum(a.provenance.source is Source.MANUAL for a in found) == 18
        assert sum(a.is_proposal for a in found) == 30  # the reruns replaced, never piled up
        assert len(workspace.stack.entries) == 1 + 36


def test_stale_window_cannot_revert_a_fit(project: Path) -> None:
    with Workspace.open(project) as window:
        target = box_then_fit(window, project)
        # The window prepared its edit from the copy it had before the fit: refused, not written.
        stale_edit = update_annotation(window.project, target, "Change class", class_name="Van")
        with pytest.raises(ProjectChanged, match="was changed by another process"):
            window.push(stale_edit)
        assert window.project.annotations[target].cuboid == FITTED  # the window now shows the fit
        window.push(update_annotation(window.project, target, "Change class", class_name="Van"))
    with reopened(project) as workspace:
        annotation = workspace.project.annotations[target]
        assert (annotation.class_name, annotation.cuboid) == ("Van", FITTED)


def test_push_after_another_writers_step_keeps_its_undo_history(project: Path) -> None:
    with Workspace.open(project) as window:
        target = box_then_fit(window, project)
        frame = window.project.frames_in_order()[0]
        window.push(AddAnnotations([box(frame.id, 9.0)], "Add second"))
        assert [e.label for e in window.stack.entries][-3:] == ["Add 1 cuboid", "Fit", "Add second"]
    with reopened(project) as workspace:
        assert [e.label for e in workspace.stack.entries][-3:] == ["Add 1 cuboid", "Fit", "Add second"]
        workspace.stack.undo()
        workspace.stack.undo()  # the fit's step is still there to undo
        assert workspace.project.annotations[target].cuboid == box(frame.id, 1.0).cuboid


def test_undo_after_another_writer_reloads_and_refuses_once(project: Path) -> None:
    with Workspace.open(project) as window, Workspace.open(project) as batch:
        frame = window.project.frames_in_order()[0]
        window.push(AddAnnotations([box(frame.id, 1.0)]))
        batch.push(ReplaceProposals(frame.id, "plug", proposals(frame.id, 2)))
        with pytest.raises(ProjectChanged, match="try again"):
            window.undo()
        assert len(window.project.annotations) == 3  # the batch's proposals are shown now
        window.undo()  # the shared history's last step: the proposals
        assert len(window.project.annotations) == 1


def test_window_poll_sees_a_batch_write(project: Path) -> None:
    with Workspace.open(project) as window, Workspace.open(project) as batch:
        assert not window.refresh_if_changed()
        seen = []
        window.project.events.batch.connect(seen.append)
        frame = batch.project.frames_in_order()[2]
        batch.push(ReplaceProposals(frame.id, "plug", proposals(frame.id, 3)))
        assert window.store.changed_elsewhere()
        assert window.refresh_if_changed()
        assert len(window.project.annotations_of(frame.id)) == 3
        assert seen and all(c.kind in ("annotation", "track", "schema") for c in seen[0])
        assert not window.store.changed_elsewhere()


def test_preannotate_process_and_edits_here_both_land(project: Path, tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    shutil.copytree(EXAMPLES / "centroid", plugins / "centroid")
    env = dict(os.environ, ANNOTATOR_PLUGIN_PATH=str(plugins))
    command = [sys.executable, "-m", "annotator.cli", "preannotate", str(project), "--plugin",
               "centroid-example", "--no-progress", "--in-process"]  # fmt: skip
    with Workspace.open(project) as window:
        frames = window.project.frames_in_order()
        child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        added = 0
        while child.poll() is None or added < 6:
            frame = frames[added % len(frames)]
            # far from the frame's object: a proposal never lands on a box the frame already has
            window.push(AddAnnotations([box(frame.id, 200.0 + added)]))
            added += 1
            time.sleep(0.01)  # a person's pace, still many edits per frame of the batch
        out, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
        assert "pre-annotated 6 of 6 frames" in out
    with reopened(project) as workspace:
        found = list(workspace.project.annotations.values())
        assert sum(a.provenance.source is Source.MANUAL for a in found) == added
        assert sum(a.is_proposal for a in found) == 6


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations, st.booleans())
@example(
    ops=[("add", 0, 0.0), ("add", 1, 0.0), ("frame", 1, 0.0), ("add", 1, 0.0)], drop_log=False
)  # a box on a new frame
def test_a_reload_equals_a_fresh_open(tmp_path_factory, ops: list, drop_log: bool) -> None:
    root = tmp_path_factory.mktemp("reload") / "p"
    Workspace.create(root).close()
    with Workspace.open(root) as window, Workspace.open(root) as batch:
        for op, pick, value in ops:
            apply_random_operation(batch.project, batch, op, pick, value)  # the batch's Workspace.push
            if pick % 4 == 0:
                batch.undo()
            if drop_log and pick % 3 == 0:  # an older writer or a pruned log: every row is compared
                batch.store.db.execute("DELETE FROM change_log")
                batch.store.db.commit()
            if pick % 2 == 0:
                window.refresh_if_changed()
        window.refresh_if_changed()
        with Workspace.open(root) as fresh:
            assert snapshot(window.project) == snapshot(fresh.project)
            assert [e.label for e in window.stack.entries] == [e.label for e in fresh.stack.entries]
            assert window.stack.index == fresh.stack.index


def test_an_edit_of_a_box_another_process_deleted_is_refused(project: Path) -> None:
    with Workspace.open(project) as window:
        frame = window.project.frames_in_order()[0]
        target = window.push(AddAnnotations([box(frame.id, 1.0)])).ids[0]
        edit = update_annotation(window.project, target, "Change class", class_name="Van")
        with Workspace.open(project) as batch:
            batch.push(RemoveAnnotations([target]))
        with pytest.raises(ProjectChanged, match="no longer applies"):
            window.push(edit)
        assert target not in window.project.annotations
