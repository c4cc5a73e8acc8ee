"""`annotator score` and `annotator queue`: K passes per frame, stored measures, the sorted queue."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from annotator.cli import main
from annotator.core.edits import AddFrames
from annotator.core.model.records import Frame, Review
from annotator.io.workspace import Workspace

CENTROID = Path(__file__).parents[1] / "ml" / "example_plugins" / "centroid"


@pytest.fixture
def centroid_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The example plugin (one axis-aligned box around the raised points) as a drop-in."""
    folder = tmp_path / "dropins"
    folder.mkdir()
    (folder / "centroid").symlink_to(CENTROID, target_is_directory=True)
    monkeypatch.setenv("ANNOTATOR_PLUGIN_PATH", str(folder))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Two frames: a compact blob (the box barely moves under augmentation) and a long diagonal wall."""
    root = tmp_path / "project"
    rng = np.random.default_rng(0)
    blob = np.column_stack([rng.normal(10, 0.2, (200, 2)), rng.uniform(0.5, 1.5, 200), np.zeros(200)])
    t = rng.uniform(0, 1, 400)
    wall = np.column_stack([5 + 12 * t, 12 * t, rng.uniform(0.5, 2.5, 400), np.zeros(400)])
    with Workspace.create(root) as workspace:
        for index, points in enumerate((blob, wall)):
            points.astype(np.float32).tofile(root / f"{index:06d}.bin")
        workspace.push(AddFrames([Frame(0, f"{i:06d}", i, cloud=f"{i:06d}.bin") for i in range(2)]))
    return root


def test_score_stores_each_frames_proposals_with_their_measures_as_one_step(
    project: Path, centroid_plugin: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["score", str(project), "--plugin", "centroid-example", "--mode", "tta", "--passes", "4"]) == 0
    )
    assert "scored 2 of 2 frames" in capsys.readouterr().out
    with Workspace.open(project) as workspace:
        proposals = sorted(workspace.project.annotations.values(), key=lambda a: a.frame_id)
        assert workspace.stack.undo_label() == "Score 000001 (centroid-example, tta)"
    assert len(proposals) == 2 and all(a.review == Review.UNREVIEWED for a in proposals)
    blob, wall = (a.attributes["uncertainty"] for a in proposals)
    assert blob["mode"] == "tta" and blob["passes"] == 4 and blob["model_version"] == "centroid-1.0+pad0.0"
    assert blob["presence"] == 1.0 and wall["presence"] == 1.0
    # an axis-aligned box is not turned with the cloud: test-time rotations make it unstable
    assert wall["stability"] < 0.99 and wall["uncertainty"] == pytest.approx(1 - wall["stability"], abs=1e-5)
    assert 0.0 <= blob["uncertainty"] <= 1.0 and blob["entropy"] == pytest.approx(0.0, abs=1e-5)


def test_queue_lists_boxes_most_uncertain_first_with_box_score_and_measures(
    project: Path, centroid_plugin: None, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["score", str(project), "--plugin", "centroid-example", "--mode", "tta", "--passes", "3"])
    capsys.readouterr()
    assert main(["queue", str(project), "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert sorted(item["frame"] for item in items) == ["000000", "000001"]
    assert items[0]["uncertainty"] >= items[1]["uncertainty"]
    for item in items:
        assert len(item["cuboid"]) == 7 and item["class"] == "Object" and item["score"] == pytest.approx(1.0)
        assert {"entropy", "mutual_information", "presence", "stability"} <= set(item["measures"])
    assert main(["queue", str(project)]) == 0
    assert items[0]["frame"] in capsys.readouterr().out.splitlines()[1]


def test_a_mode_the_plugin_lacks_or_too_few_passes_is_a_clear_error(
    project: Path, centroid_plugin: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["score", str(project), "--plugin", "centroid-example", "--mode", "mc", "--passes", "4"]) == 1
    err = capsys.readouterr().err
    assert "cannot sample in mode 'mc'" in err
    assert (
        main(["score", str(project), "--plugin", "centroid-example", "--mode", "tta", "--passes", "1"]) == 1
    )
    assert "--passes must be at least 2" in capsys.readouterr().err
    with Workspace.open(project) as workspace:
        assert not workspace.project.annotations


def test_queue_diverse_puts_a_different_box_before_a_near_copy(tmp_path: Path, capsys) -> None:
    from annotator.core.cuboids.cuboid import Cuboid
    from annotator.core.edits import AddAnnotations
    from annotator.core.model.records import Annotation, Provenance, Source

    root = tmp_path / "scored"
    with Workspace.create(root) as workspace:
        frame = workspace.push(AddFrames([Frame(0, "000000", 0)])).ids[0]
        scored = [(0.9, [0.0, 0.0]), (0.85, [0.0, 0.1]), (0.5, [4.0, 4.0])]
        workspace.push(AddAnnotations([
            Annotation(0, frame, "Car", cuboid=Cuboid((10.0 * k, 0, 0), (4, 2, 1.5)), review=Review.UNREVIEWED,
                       provenance=Provenance(Source.MODEL, "pointpillars", "m1", 0.5),
                       attributes={"uncertainty": {"uncertainty": u, "embedding": e}})
            for k, (u, e) in enumerate(scored)
        ]))  # fmt: skip
    assert main(["queue", str(root), "--json"]) == 0
    plain = [item["uncertainty"] for item in json.loads(capsys.readouterr().out)]
    assert main(["queue", str(root), "--json", "--diverse", "1"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert plain == [0.9, 0.85, 0.5] and [item["uncertainty"] for item in items] == [0.9, 0.5, 0.85]
    assert all("embedding" not in item for item in items)


def test_score_missed_adds_the_car_no_box_explains_as_a_review_item(
    tmp_path: Path, centroid_plugin: None, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "street"
    grid = np.arange(-15.0, 15.0, 0.3)
    ground = [[x + 10.0, y, 0.0, 0.0] for x in grid for y in grid]
    side = [[x, -0.9, z, 0.0] for x in np.arange(8.0, 12.01, 0.1) for z in np.arange(0.4, 1.51, 0.1)]
    end = [[8.0, y, z, 0.0] for y in np.arange(-0.9, 0.91, 0.1) for z in np.arange(0.4, 1.51, 0.1)]
    with Workspace.create(root) as workspace:
        np.array(ground + side + end, dtype=np.float32).tofile(root / "f0.bin")
        workspace.push(AddFrames([Frame(0, "f0", 0, cloud="f0.bin")]))
    # the plugin proposes nothing (min_height above every point): the car's cluster is unexplained
    args = [
        "score",
        str(root),
        "--plugin",
        "centroid-example",
        "--mode",
        "tta",
        "--passes",
        "2",
        "-p",
        "min_height=9",
    ]
    assert main([*args, "--missed"]) == 0
    assert "possible missed objects 1" in capsys.readouterr().out
    with Workspace.open(root) as workspace:
        (item,) = workspace.project.annotations.values()
    assert item.attributes["uncertainty"]["kind"] == "missed_object" and item.review == Review.UNREVIEWED
    assert item.cuboid.center[0] == pytest.approx(10.0, abs=0.1)
    assert main(args) == 0  # without --missed: nothing, and the earlier item is replaced
    with Workspace.open(root) as workspace:
        assert not workspace.project.annotations


def test_score_confirms_the_carried_box_the_model_also_finds_and_sends_the_other_to_review(
    project: Path, centroid_plugin: None, capsys: pytest.CaptureFixture[str]
) -> None:
    from sequence_support import carried_in  # type: ignore[import-not-found]

    from annotator.core.cuboids.cuboid import Cuboid
    from annotator.core.edits import AddAnnotations
    from annotator.core.model.records import Source

    with Workspace.open(project) as workspace:
        blob_frame = workspace.project.frames_in_order()[0].id
        workspace.push(AddAnnotations([
            carried_in(blob_frame, "Object", Cuboid((10.0, 10.0, 1.0), (1.2, 1.2, 1.0))),
            carried_in(blob_frame, "Object", Cuboid((-20.0, 5.0, 1.0), (4.0, 2.0, 1.5))),
        ]))  # fmt: skip
    args = ["score", str(project), "--plugin", "centroid-example", "--mode", "tta", "--passes", "3",
            "--frames", "0"]  # fmt: skip
    assert main(args) == 0
    assert "carried boxes: 1 confirmed, 1 to review" in capsys.readouterr().out
    with Workspace.open(project) as workspace:
        boxes = workspace.project.annotations_of(blob_frame)
    by_x = {round(a.cuboid.center[0]): a for a in boxes if a.provenance.source is Source.PROPAGATED}
    assert by_x[10].review == Review.ACCEPTED and by_x[-20].review == Review.UNREVIEWED
    assert len(boxes) == 2  # the model's box on the blob is not added beside the carried one
