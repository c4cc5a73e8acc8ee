"""`annotator preannotate`: one undoable step per frame, replacement, summary, exit codes, real data."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import pytest
from tests_support import raised_points_project  # type: ignore[import-not-found]

from annotator.cli import main
from annotator.cli.io_commands import EXIT_PARTIAL
from annotator.core.derived_links import is_derived
from annotator.core.model.records import Review, Source
from annotator.io.workspace import Workspace

EXAMPLES = Path(__file__).parents[1] / "ml" / "example_plugins"


@pytest.fixture
def plugin_path(tmp_path: Path, monkeypatch) -> Path:
    """The centroid example plugin and a broken one as drop-ins, found through $ANNOTATOR_PLUGIN_PATH."""
    folder = tmp_path / "plugins"
    shutil.copytree(EXAMPLES / "centroid", folder / "centroid")
    (folder / "broken").mkdir()
    (folder / "broken" / "manifest.json").write_text("{not json", encoding="utf-8")
    monkeypatch.setenv("ANNOTATOR_PLUGIN_PATH", str(folder))
    return folder


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Three frames, each a few raised points (the centroid plugin boxes them)."""
    return raised_points_project(tmp_path / "project", 3)


def annotations(root: Path) -> list:
    with Workspace.open(root) as workspace:
        return list(workspace.project.annotations.values())


def test_each_frame_is_one_undoable_step_and_a_rerun_replaces(project, plugin_path, capsys) -> None:
    assert (
        main(["preannotate", str(project), "--plugin", "centroid-example", "--no-progress", "--no-track"])
        == 0
    )
    out = capsys.readouterr().out
    assert "pre-annotated 3 of 3 frames with centroid-example" in out
    assert "proposals   3 (Object 3)" in out
    assert (
        main(["preannotate", str(project), "--plugin", "centroid-example", "--frames", "1-", "--no-track"])
        == 0
    )
    found = annotations(project)
    assert len(found) == 3  # replaced on frames 1 and 2, not added twice
    assert all(
        a.provenance.source is Source.MODEL and a.provenance.model_id == "centroid-example" for a in found
    )
    with Workspace.open(project) as workspace:
        labels = [entry.label for entry in workspace.stack.entries]
        assert labels[-5:] == [
            "Pre-annotate 000000 (centroid-example)",
            "Pre-annotate 000001 (centroid-example)",
            "Pre-annotate 000002 (centroid-example)",
            "Pre-annotate 000001 (centroid-example)",
            "Pre-annotate 000002 (centroid-example)",
        ]
        workspace.stack.undo()
        workspace.stack.undo()
        assert len(workspace.project.annotations) == 3  # back to the first run's proposals
        for _ in range(3):
            workspace.stack.undo()
        assert not workspace.project.annotations


def test_proposals_of_a_sequence_are_linked_into_tracks_as_one_more_step(
    project, plugin_path, capsys
) -> None:
    assert main(["preannotate", str(project), "--plugin", "centroid-example", "--no-progress"]) == 0
    assert "tracked     3 proposals into 1 tracks over 3 frames (sensor frame)" in capsys.readouterr().out
    with Workspace.open(project) as workspace:
        found = list(workspace.project.annotations.values())
        assert len({a.track_id for a in found}) == 1
        track = workspace.project.tracks[found[0].track_id]
        assert track.attributes["track_length"] == 3
        assert workspace.stack.entries[-1].label == "Link proposals of 3 frames into tracks"
        workspace.stack.undo()
        assert len({a.track_id for a in workspace.project.annotations.values()}) == 3


def test_threshold_and_parameters_reach_the_plugin(project, plugin_path, capsys) -> None:
    # min_height 1.5 keeps only the top point of each frame: a flat box of zero size
    code = main(["preannotate", str(project), "--plugin", "centroid-example", "-p", "min_height=1.5"])
    assert code == 0
    boxes = [a.cuboid for a in annotations(project)]
    assert len(boxes) == 3 and all(b.size[0] == pytest.approx(0.0) for b in boxes)
    assert main(["preannotate", str(project), "--plugin", "centroid-example", "--threshold", "1.0"]) == 0
    assert "proposals   3" in capsys.readouterr().out  # the centroid's score is exactly 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--plugin", "nope"], "no plugin 'nope' (installed:"),
        (["--plugin", "broken"], "plugin broken is unavailable: "),
        (["--plugin", "centroid-example", "--frames", "5-9"], "frame selection: '5-9' is outside 0-2"),
        (["--plugin", "centroid-example", "--frames", "zz"], "frame selection: no frame named 'zz'"),
        (["--plugin", "centroid-example", "--threshold", "1.5"], "--threshold must be between 0 and 1"),
        (["--plugin", "centroid-example", "-p", "size=2"], "unknown parameter 'size'"),
        (["--plugin", "centroid-example", "--weights", "/nonexistent/w.json"], "no such weights file"),
    ],
)
def test_bad_input_is_one_clear_error_and_changes_nothing(
    project, plugin_path, capsys, args, message
) -> None:
    assert main(["preannotate", str(project), *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith("annotator: error: ") and message in err and err.count("\n") == 1
    assert annotations(project) == []


def test_a_missing_cloud_skips_that_frame_and_names_the_file(project, plugin_path, capsys) -> None:
    (project / "000001.bin").unlink()
    assert (
        main(["preannotate", str(project), "--plugin", "centroid-example", "--no-progress"]) == EXIT_PARTIAL
    )
    captured = capsys.readouterr()
    assert "000001.bin: no such file" in captured.err
    assert "pre-annotated 2 of 3 frames" in captured.out
    assert len(annotations(project)) == 2
    for name in ("000000.bin", "000002.bin"):
        (project / name).unlink()
    assert main(["preannotate", str(project), "--plugin", "centroid-example"]) == 1


def test_not_a_project_is_an_error(tmp_path, plugin_path, capsys) -> None:
    assert main(["preannotate", str(tmp_path / "nothing"), "--plugin", "centroid-example"]) == 1
    assert "not a project" in capsys.readouterr().err


def test_geometric_plugin_on_the_real_kitti_frame(shared_data, tmp_path, capsys) -> None:
    project = tmp_path / "kitti"
    assert (
        main(["import", str(project), str(shared_data / "kitti_object" / "training"), "--format", "kitti"])
        == 0
    )
    imported = len(annotations(project))
    assert main(["preannotate", str(project), "--threshold", "0.3"]) == 0  # the default 3D plugin
    out = capsys.readouterr().out
    assert "pre-annotated 1 of 1 frames with geometric (detect3d, threshold 0.3)" in out
    proposals = [a for a in annotations(project) if a.provenance.source is Source.MODEL]
    assert proposals and all(a.provenance.score >= 0.3 for a in proposals)
    assert len(annotations(project)) == imported + len(proposals)  # the imported labels are untouched
    summary = json.loads(_info_json(project, capsys))
    assert summary["annotations"] == imported + len(proposals)


def _info_json(project: Path, capsys) -> str:
    assert main(["info", str(project), "--json"]) == 0
    return capsys.readouterr().out


@pytest.fixture(scope="module")
def preannotated_demo(tmp_path_factory) -> tuple[Path, str]:
    """A fresh one-frame demo project pre-annotated by the geometric plugin, and what the CLI printed
    (made once: tests that change it work on a copy)."""
    from annotator.cli.demo_project import create_demo_project

    root = tmp_path_factory.mktemp("demo") / "demo"
    create_demo_project(root, frames=1, seed=2)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        args = ["preannotate", str(root), "--plugin", "geometric", "--frames", "000000", "--no-progress"]
        assert main(args) == 0
    return root, printed.getvalue()


def test_geometric_plugin_on_a_demo_project(preannotated_demo) -> None:
    root, out = preannotated_demo
    assert "pre-annotated 1 of 1 frames with geometric" in out
    proposals = annotations(root)
    counted = {
        name: sum(a.class_name == name for a in proposals) for name in {a.class_name for a in proposals}
    }
    classes = ", ".join(f"{name} {count}" for name, count in sorted(counted.items()))
    assert f"proposals   {len(proposals)} ({classes})" in out and counted.get("Car", 0) > 0


def test_derive_after_preannotate_on_a_fresh_demo_frame_accepts_nothing(
    preannotated_demo, tmp_path, capsys
) -> None:
    root = tmp_path / "demo"
    shutil.copytree(preannotated_demo[0], root)
    assert main(["derive-2d", str(root)]) == 0
    printed = capsys.readouterr().out
    with Workspace.open(root) as workspace:
        everything = list(workspace.project.annotations.values())
    derived = [a for a in everything if is_derived(a)]
    assert derived and not [a for a in everything if a.review == Review.ACCEPTED]
    assert f"unreviewed  {len(derived)} of them" in printed
    out = tmp_path / "coco"
    assert main(["export", str(root), "-f", "coco", "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert f"unreviewed  {len(derived)} unreviewed proposals left out, 0 written" in printed
    assert "objects     0 (none)" in printed
    args = ["export", str(root), "-f", "coco", "--out", str(tmp_path / "all"), "--no-progress"]
    assert main([*args, "--include-unreviewed"]) == 0
    printed = capsys.readouterr().out
    assert f"unreviewed  0 unreviewed proposals left out, {len(derived)} written" in printed


@pytest.mark.parametrize(
    ("options", "stated"),
    [
        ([], "threshold 0.3, the plugin's min_score"),  # geometric drops scores below 0.3 itself
        (["--threshold", "0.5"], "threshold 0.5"),
        (["-p", "min_score=0.1", "--threshold", "0.2"], "threshold 0.2"),
    ],
)
def test_the_summary_states_the_threshold_applied(project, capsys, options, stated) -> None:
    run = [
        "preannotate",
        str(project),
        "--plugin",
        "geometric",
        "--no-progress",
        "--in-process",
        "--no-track",
    ]
    assert main([*run, *options]) == 0
    assert f"with geometric (detect3d, {stated})" in capsys.readouterr().out
