"""Importing the same labels again adds nothing: objects match the earlier import by their source ids."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from annotator.core.derive import derive_frame_boxes
from annotator.core.edits import AddAnnotations
from annotator.core.model.commands import FunctionCommand
from annotator.core.model.project import Project
from annotator.core.model.records import Review
from annotator.io.formats.base import Dataset, SourceObject
from annotator.io.formats.export import export_project
from annotator.io.importers import apply_dataset, read_source
from annotator.io.importers.matching import SOURCE_ID
from annotator.io.workspace import Workspace


def counts(workspace: Workspace) -> tuple[int, int, int]:
    project = workspace.project
    return len(project.frames), len(project.tracks), len(project.annotations)


def import_twice(tmp_path: Path, format_id: str, source: Path) -> Workspace:
    """A workspace that imported ``source`` twice; asserts the second import changed nothing."""
    workspace = Workspace.create(tmp_path / f"p-{format_id}")
    first = apply_dataset(workspace, read_source(format_id, source))
    assert first.objects > 0 and first.objects_added == first.objects
    before = counts(workspace)
    second = apply_dataset(workspace, read_source(format_id, source))
    assert counts(workspace) == before, format_id
    assert second.objects_unchanged == second.objects == first.objects
    assert (second.objects_added, second.objects_updated, second.tracks) == (0, 0, 0)
    return workspace


@pytest.fixture(scope="module")
def synth_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated KITTI frame imported into a project, with a 2D box derived from each visible cuboid."""
    from annotator.synth.scene import SceneConfig
    from annotator.synth.writer import write_kitti_dataset

    root = tmp_path_factory.mktemp("synth")
    write_kitti_dataset(SceneConfig(seed=3, n_frames=1), root / "kitti")
    with Workspace.create(root / "project") as workspace:
        apply_dataset(workspace, read_source("kitti", root / "kitti"))
        project = workspace.project
        for frame in project.frames_in_order():
            boxes = derive_frame_boxes(frame, project.annotations_of(frame.id, "cuboid"))
            workspace.push(AddAnnotations([dataclasses.replace(b, attributes={}) for b in boxes]))
    return root


@pytest.mark.parametrize(
    "format_id", ["kitti", "openlabel", "sustech", "nuscenes", "labelcloud", "coco", "yolo", "voc"]
)
def test_reimporting_an_export_adds_no_objects(synth_project, tmp_path, format_id):
    with Workspace.open(synth_project / "project") as workspace:
        report = export_project(workspace.project, format_id, tmp_path / "export")
    assert report.frames == 1 and not report.skipped
    import_twice(tmp_path, format_id, tmp_path / "export").close()


@pytest.mark.parametrize(
    ("format_id", "folder"),
    [
        ("kitti", "kitti_object/training"),
        ("sustech", "sustechpoints_example"),
        ("labelcloud", "labelcloud_example"),
        ("openlabel", "openlabel_example/openlabel100_test_cuboids.json"),
    ],
)
def test_reimporting_real_labels_adds_no_objects(shared_data, tmp_path, format_id, folder):
    workspace = import_twice(tmp_path, format_id, shared_data / folder)
    with workspace:
        keys = [(a.frame_id, a.attributes[SOURCE_ID]) for a in workspace.project.annotations.values()]
        assert len(set(keys)) == len(keys)  # every object of a frame has its own identity


def test_tracks_stay_one_per_source_object_across_frames(shared_data, tmp_path):
    with import_twice(tmp_path, "sustech", shared_data / "sustechpoints_example") as workspace:
        sources = [t.attributes.get("source_id") for t in workspace.project.tracks.values()]
        assert len(sources) == len(set(sources))


def test_a_changed_source_updates_the_object_in_one_undoable_step(synth_project, tmp_path):
    export_project(Workspace.open(synth_project / "project").project, "kitti", tmp_path / "k")
    label = sorted((tmp_path / "k" / "label_2").glob("*.txt"))[0]
    workspace = import_twice(tmp_path, "kitti", tmp_path / "k")
    with workspace:
        lines = label.read_text().splitlines()
        first = next(i for i, line in enumerate(lines) if not line.startswith("DontCare"))
        fields = lines[first].split()
        fields[0] = "Relabelled"
        lines[first] = " ".join(fields)
        label.write_text("\n".join(lines) + "\n")
        before = counts(workspace)
        report = apply_dataset(workspace, read_source("kitti", tmp_path / "k"))
        assert counts(workspace) == before and report.objects_updated == 1
        changed = [a for a in workspace.project.annotations.values() if a.class_name == fields[0]]
        assert len(changed) == 1 and changed[0].review == Review.ACCEPTED
        workspace.stack.undo()
        assert not [a for a in workspace.project.annotations.values() if a.class_name == fields[0]]


def test_objects_imported_before_source_ids_match_by_geometry(synth_project, tmp_path):
    """Projects made before source ids were kept: the same class and box is the same object."""
    export_project(Workspace.open(synth_project / "project").project, "kitti", tmp_path / "k")
    with Workspace.create(tmp_path / "p") as workspace:
        apply_dataset(workspace, read_source("kitti", tmp_path / "k"))
        project = workspace.project

        def forget_source_ids(project: Project) -> None:  # as an older version stored them
            for a in list(project.annotations.values()):
                attributes = {k: v for k, v in a.attributes.items() if k != SOURCE_ID}
                project.put("annotation", a.id, dataclasses.replace(a, attributes=attributes))

        workspace.push(FunctionCommand("Forget source ids", forget_source_ids))
        before = counts(workspace)
        report = apply_dataset(workspace, read_source("kitti", tmp_path / "k"))
        assert counts(workspace) == before and report.objects_unchanged == report.objects
        assert all(SOURCE_ID in a.attributes for a in project.annotations.values())


def test_objects_without_ids_match_by_their_order_in_the_frame(tmp_path):
    from annotator.core.cuboids.cuboid import Cuboid

    def dataset() -> Dataset:
        data = Dataset("Plain", tmp_path)
        data.frame("f1").objects = [
            SourceObject("Car", cuboid=Cuboid((x, 0.0, 0.0), (4.0, 2.0, 1.5), 0.0)) for x in (5.0, 10.0)
        ]
        return data

    with Workspace.create(tmp_path / "p") as workspace:
        apply_dataset(workspace, dataset())
        changed = dataset()
        changed.frames[0].objects[1].cuboid = Cuboid((12.0, 0.0, 0.0), (4.0, 2.0, 1.5), 0.0)
        report = apply_dataset(workspace, changed)
        assert (report.objects_unchanged, report.objects_updated, report.objects_added) == (1, 1, 0)
        centres = sorted(a.cuboid.center[0] for a in workspace.project.annotations.values())
        assert centres == [5.0, 12.0]
