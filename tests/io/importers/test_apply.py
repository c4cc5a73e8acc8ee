"""Imports are one undoable step: schema, frames, tracks and annotations together; failures change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddFrames
from annotator.core.model.records import Frame, Review, Source
from annotator.io.errors import FormatError
from annotator.io.formats.base import Dataset, SourceObject
from annotator.io.importers import apply_dataset, read_source
from annotator.io.workspace import Workspace


def snapshot(workspace: Workspace) -> dict:
    return {(kind, key): value for kind, key, value in workspace.project.records()}


def dataset_of(tmp_path: Path) -> Dataset:
    cloud = tmp_path / "000001.bin"
    cloud.write_bytes(b"")
    car = Cuboid((10.0, 1.0, -0.8), (4.0, 1.8, 1.5), 0.3)
    dataset = Dataset("Test", tmp_path)
    dataset.frame("000001").cloud = cloud
    dataset.frame("000001").objects = [
        SourceObject("Car", cuboid=car, track_key="7"),
        SourceObject("Tram", cuboid=car, track_key="9"),
    ]
    dataset.frame("000002").objects = [
        SourceObject("Car", cuboid=car, track_key="7"),
        SourceObject("Car", cuboid=car),
    ]
    return dataset


def test_import_is_one_undoable_step(tmp_path):
    with Workspace.create(tmp_path / "p") as workspace:
        before = snapshot(workspace)
        report = apply_dataset(workspace, dataset_of(tmp_path))
        project = workspace.project
        assert workspace.stack.undo_label() == "Import Test (2 frames)"
        assert (report.frames_added, report.objects, report.tracks) == (2, 4, 3)
        assert report.classes_added == ["Tram"] and "Tram" in project.schema
        assert project.schema.get("Tram").default_size == (4.0, 1.8, 1.5)  # median of the imported sizes
        frame = project.frame_by_name("000001")
        assert frame.cloud == str(tmp_path / "000001.bin")  # referenced where it is, absolute
        annotations = list(project.annotations.values())
        assert all(
            a.provenance.source == Source.IMPORTED and a.review == Review.ACCEPTED for a in annotations
        )
        sevens = [a for a in annotations if project.tracks[a.track_id].attributes.get("source_id") == "7"]
        assert len(sevens) == 2 and len({a.track_id for a in sevens}) == 1  # one object in two frames
        workspace.stack.undo()
        assert snapshot(workspace) == before
        workspace.stack.redo()
        after = snapshot(workspace)
    with Workspace.open(tmp_path / "p") as reopened:  # stored in one transaction, history included
        assert snapshot(reopened) == after
        assert reopened.stack.undo_label() == "Import Test (2 frames)"


def test_a_failure_half_way_changes_nothing(tmp_path, monkeypatch):
    with Workspace.create(tmp_path / "p") as workspace:
        workspace.push(AddFrames([Frame(0, "existing", 0)]))
        before = snapshot(workspace)
        dataset = dataset_of(tmp_path)
        dataset.frame("000003").objects = [SourceObject("Car", box2d=None, cuboid=None)]  # invalid: neither
        with pytest.raises(ValueError):
            apply_dataset(workspace, dataset)
        assert snapshot(workspace) == before
    with Workspace.open(tmp_path / "p") as reopened:
        assert snapshot(reopened) == before


def test_frames_already_there_get_the_labels_and_keep_what_they_have(tmp_path):
    with Workspace.create(tmp_path / "p") as workspace:
        workspace.push(AddFrames([Frame(0, "000001", 0, cloud="mine.pcd", meta={"note": "keep"})]))
        report = apply_dataset(workspace, dataset_of(tmp_path))
        assert (report.frames_added, report.frames_updated) == (1, 1)
        frame = workspace.project.frame_by_name("000001")
        assert frame.cloud == "mine.pcd" and frame.meta == {"note": "keep"}
        assert len(workspace.project.annotations_of(frame.id)) == 2
        assert workspace.project.frame_by_name("000002").index == 1


def test_read_source_reports_unreadable_sources_as_format_errors(tmp_path):
    with pytest.raises(FormatError, match="no such file or folder"):
        read_source("coco", tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text(
        '{"images": [], "categories": [{"id": "x", "name": "Car"}], "annotations": []}'
    )
    with pytest.raises(FormatError, match=r"bad.json: categories\[0\].id: expected a number"):
        read_source("coco", tmp_path / "bad.json")


def test_export_only_formats_refuse_import_and_vice_versa(tmp_path):
    from annotator.core.errors import AnnotatorError
    from annotator.io.formats.export import export_project

    with (
        Workspace.create(tmp_path / "p") as workspace,
        pytest.raises(AnnotatorError, match="export is not supported"),
    ):
        export_project(workspace.project, "folder", tmp_path / "out")
