"""Fuzzing every importer: an export of each format, mutated (bytes set, bits flipped, cut short, text
nested or numbers blown up), imports correctly or fails with a named error, never a traceback, a hang or
runaway memory."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hostile_files import capped, mutate, mutations  # type: ignore[import-not-found]
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.core.box2d import Box2D
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.errors import AnnotatorError
from annotator.core.model.records import Annotation, Frame
from annotator.io.formats.export import export_project
from annotator.io.importers import read_source

CUBOID_FORMATS = ("kitti", "openlabel", "labelcloud", "sustech", "nuscenes")
BOX_FORMATS = ("coco", "yolo", "voc")
TEXT_SUFFIXES = (".json", ".txt", ".xml", ".yaml")


@pytest.fixture(scope="module")
def exports(tmp_path_factory, image_file, project_of, kitti_camera) -> dict[str, Path]:
    """One small export per format (cuboids or 2D boxes with a camera image)."""
    folder = tmp_path_factory.mktemp("exports")
    camera = kitti_camera
    cuboids = [Annotation(0, 0, name, i + 1, cuboid=Cuboid((8 + 3 * i, 1 - i, -1), (4, 1.8, 1.5), 0.3 * i))
               for i, name in enumerate(["Car", "Pedestrian", "Car"])]  # fmt: skip
    boxes = [Annotation(0, 0, name, i + 1, box2d=Box2D(10 + 50 * i, 20, 60 + 50 * i, 90), camera="image")
             for i, name in enumerate(["Car", "Pedestrian"])]  # fmt: skip
    cuboid_project = project_of([Frame(0, "000000", 0, cameras={camera.name: camera})], [cuboids])
    box_project = project_of([Frame(0, image_file.stem, 0, images={"image": str(image_file)})], [boxes])
    found = {}
    for format_id in (*CUBOID_FORMATS, *BOX_FORMATS):
        out = folder / format_id
        export_project(cuboid_project if format_id in CUBOID_FORMATS else box_project, format_id, out)
        found[format_id] = out
    return found


def label_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES)


blowups = st.sampled_from(["", "[" * 5000, "9" * 400, "1e400", "\x00", "\udcff", '"\\ud800"', "-", "{}"])


@pytest.mark.parametrize("format_id", [*CUBOID_FORMATS, *BOX_FORMATS])
def test_mutated_label_files_import_or_fail_with_a_named_error(exports, tmp_path_factory, format_id) -> None:
    source = exports[format_id]
    files = label_files(source)
    assert files, f"the {format_id} export wrote no label files"

    @settings(max_examples=30, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
    @given(st.integers(0, len(files) - 1), mutations, blowups, st.integers(0, 1 << 16))
    def check(which: int, edits, blowup: str, where: int) -> None:
        work = tmp_path_factory.mktemp(format_id)
        shutil.copytree(source, work, dirs_exist_ok=True)
        target = work / files[which].relative_to(source)
        data = mutate(target.read_bytes(), edits, 2000)
        if blowup:
            cut = where % (len(data) + 1)
            data = data[:cut] + blowup.encode("utf-8", "surrogatepass") + data[cut:]
        target.write_bytes(data)
        with capped():
            try:
                dataset = read_source(format_id, work)
            except AnnotatorError:
                return
        for problem in dataset.problems:
            assert str(problem).startswith(str(work))
        for frame in dataset.frames:
            for obj in frame.objects:
                assert (obj.cuboid is None) != (obj.box2d is None)

    check()
