"""`annotator simulate`, `annotator finetune` and `annotator versions` on a tiny project with the centroid
example plugin: exact edit counts per strategy, a gated version, rollback."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from annotator.cli import main
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames, SetFrameStatus, UpdateAnnotations, UpdateFrame
from annotator.core.model.records import Annotation, Frame, FrameStatus
from annotator.core.model_versions import model_versions
from annotator.core.pose import Pose
from annotator.io.workspace import Workspace
from annotator.ml.weights import file_digest, recorded_digest

EXAMPLES = Path(__file__).parents[1] / "ml" / "example_plugins"
#: Raised points: extent 4 x 4 x 1 m; each frame's label is that extent grown by 0.5 m on every side.
POINTS = np.array([[0, 0, 1, 0], [2, 2, 1, 0], [4, 4, 2, 0]], dtype=np.float32)


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    """Three frames; the last has a second labelled object without points (a model cannot see it)."""
    plugins = tmp_path / "plugins"
    shutil.copytree(EXAMPLES / "centroid", plugins / "centroid")
    monkeypatch.setenv("ANNOTATOR_PLUGIN_PATH", str(plugins))
    root = tmp_path / "project"
    with Workspace.create(root) as workspace:
        for index in range(3):
            points = POINTS.copy()
            points[:, 0] += 10 * index
            points.tofile(root / f"f{index}.bin")
            frame_id = workspace.push(AddFrames([Frame(0, f"f{index}", index, cloud=f"f{index}.bin")])).ids[0]
            labels = [Annotation(0, frame_id, "Object", cuboid=Cuboid((2 + 10 * index, 2, 1.5), (5, 5, 2)))]
            if index == 2:
                labels.append(Annotation(0, frame_id, "Object", cuboid=Cuboid((20, 30, 1), (4, 2, 1.5))))
            workspace.push(AddAnnotations(labels))
    return root


def simulate(capsys, root: Path, strategy: str) -> dict:
    code = main(["simulate", str(root), "--plugin", "centroid-example", "--strategy", strategy,
                 "--every", "1", "--held-apart", "0", "--json"])  # fmt: skip
    assert code == 0
    return json.loads(capsys.readouterr().out)


def per_frame(report: dict) -> list[tuple[int, int, int]]:
    return [(f["edits"]["added"], f["edits"]["deleted"], f["edits"]["adjusted"]) for f in report["frames"]]


def test_manual_adds_every_box(project, capsys) -> None:
    report = simulate(capsys, project, "manual")
    assert per_frame(report) == [(1, 0, 0), (1, 0, 0), (2, 0, 0)]
    assert report["totals"]["total"] == 4 and report["versions"] == []


def test_fixed_model_needs_every_box_resized(project, capsys) -> None:
    report = simulate(capsys, project, "fixed")
    # the untrained model's box is the bare extent: 4 x 4 x 1 instead of 5 x 5 x 2 (beyond 10 %)
    assert per_frame(report) == [(0, 0, 1), (0, 0, 1), (1, 0, 1)]
    assert report["totals"] == {
        "added": 1,
        "deleted": 0,
        "adjusted": 3,
        "accepted": 0,
        "total": 4,
        "effort_s": 66.0,
    }


def test_online_learns_the_padding_after_the_first_frame(project, capsys) -> None:
    report = simulate(capsys, project, "online")
    assert per_frame(report) == [(0, 0, 1), (0, 0, 0), (1, 0, 0)]
    assert report["totals"]["total"] == 2 and report["totals"]["accepted"] == 2
    assert [(v["id"], v["after_frames"], v["promoted"]) for v in report["versions"]] == [
        ("v1", 1, True),
        ("v2", 2, True),
    ]
    # probe frames f0-f2: only the box without points is left to add
    assert [p["edits"] for p in report["probe"]] == [1, 1] and report["forgetting"] == 0
    assert not (project / "models").exists()  # the project is only read


@pytest.fixture
def posed(project: Path) -> Path:
    """The project with ego poses under which its object stands still in the world (the sensor drives 10 m
    back per frame, as the points move 10 m on)."""
    with Workspace.open(project) as workspace:
        for frame in workspace.project.frames_in_order():
            pose = Pose((1.0, 0.0, 0.0, 0.0), (-10.0 * frame.index, 0.0, 0.0))
            workspace.push(UpdateFrame(frame.id, "pose", pose=pose))
    return project


@pytest.fixture
def linked(project: Path) -> Path:
    """The project with its moving object's boxes on one track (10 m a frame, no poses)."""
    with Workspace.open(project) as workspace:
        boxes = [a for a in workspace.project.annotations.values() if a.cuboid.center[1] == 2]
        track = boxes[0].track_id
        workspace.push(UpdateAnnotations([dataclasses.replace(a, track_id=track) for a in boxes[1:]]))
    return project


def carrying(capsys, root: Path, strategy: str, *extra: str) -> dict:
    code = main(["simulate", str(root), "--plugin", "centroid-example", "--strategy", strategy,
                 "--min-points", "1", "--json", *extra])  # fmt: skip
    assert code == 0
    return json.loads(capsys.readouterr().out)


def test_propagate_carries_the_verified_box_by_the_ego_motion(posed, capsys) -> None:
    report = carrying(capsys, posed, "propagate")
    # f1 and f2: the box verified on the frame before, carried, is accepted; the pointless object is added
    assert per_frame(report) == [(1, 0, 0), (0, 0, 0), (1, 0, 0)]
    assert report["totals"]["accepted"] == 2 and report["totals"]["effort_s"] == 2 * 30 + 2 * 1


def test_propagate_without_poses_carries_nothing_onto_a_moved_object(project, capsys) -> None:
    assert per_frame(carrying(capsys, project, "propagate")) == [(1, 0, 0), (1, 0, 0), (2, 0, 0)]


def test_propagate_carries_a_track_at_its_velocity_once_it_has_two_boxes(linked, capsys) -> None:
    report = carrying(capsys, linked, "propagate")
    # f1: one box, no velocity yet (carried where it was: off its points); f2: 10 m a frame, found again
    assert per_frame(report) == [(1, 0, 0), (1, 0, 0), (1, 0, 0)]
    assert report["totals"]["accepted"] == 1


def test_carry_adds_the_models_proposals_only_where_no_carried_box_stands(posed, capsys) -> None:
    plain = carrying(capsys, posed, "fixed")
    carried = carrying(capsys, posed, "fixed", "--carry")
    assert per_frame(plain) == [(0, 0, 1), (0, 0, 1), (1, 0, 1)]
    assert per_frame(carried) == [(0, 0, 1), (0, 0, 0), (1, 0, 0)]
    assert carried["totals"]["accepted"] == 2
    assert carried["carry"] and not plain["carry"]


def test_escalate_with_carry_accepts_a_carried_box_the_model_agrees_with(posed, capsys) -> None:
    # the default rule reviews the keyframe whole and searches the frames with boxes carried in for missed
    # objects until they have shown how fast misses add up (half a miss of prior on so few objects keeps it high)
    default_rule = carrying(
        capsys, posed, "escalate", "--carry", "--mode", "tta", "--passes", "3", "--min-score", "0"
    )
    at_default = {row["threshold"]: row for row in default_rule["escalation"]}[0.5]
    assert (at_default["frames_whole"], at_default["frames_searched"], at_default["missed"]) == (1, 2, 0)
    # --whole-for-misses: those frames reviewed whole, the rule before
    before = carrying(capsys, posed, "escalate", "--carry", "--mode", "tta", "--passes", "3", "--min-score", "0",
                      "--whole-for-misses", "--miss-credibility", "0")  # fmt: skip
    assert {row["threshold"]: row for row in before["escalation"]}[0.5]["frames_whole"] == 3
    # without searches for misses (--max-miss-rate 1.01; the keyframe still reviewed whole)
    report = carrying(
        capsys, posed, "escalate", "--carry", "--mode", "tta", "--passes", "3", "--min-score", "0",
        "--max-miss-rate", "1.01",
    )  # fmt: skip
    assert report["carry"]
    # f0, the keyframe, is reviewed whole (its proposal adjusted); on f1 and f2 the box verified before,
    # carried by the ego motion, is accepted unreviewed: the model's own box on it agrees (BEV IoU 0.64)
    assert per_frame(report) == [(0, 0, 1), (0, 0, 0), (0, 0, 0)]
    sweep = {row["threshold"]: row for row in report["escalation"]}
    default = sweep[0.5]
    assert (default["frames_whole"], default["reviewed"], default["wrong_accepted"]) == (1, 1, 0)
    assert default["missed"] == 1  # the object without points on f2: neither carried, proposed nor flagged
    assert sweep[0.0]["reviewed"] == 3  # threshold 0 accepts nothing: the carried boxes are reviewed too
    args = ["simulate", str(posed), "--plugin", "centroid-example", "--strategy", "escalate", "--carry",
            "--mode", "tta", "--passes", "3", "--min-score", "0", "--min-points", "1"]  # fmt: skip
    assert main(args) == 0
    assert "finished labels carried into the next" in capsys.readouterr().out
    # the model's box on the car (BEV IoU 0.64) no longer confirms it at 0.7: the carried boxes are reviewed ...
    strict = carrying(capsys, posed, "escalate", "--carry", "--mode", "tta", "--passes", "3", "--min-score", "0",
                      "--agreement-iou", "0.7", "--reject-frames", "0", "--max-miss-rate", "1.01",
                      "--still-frames", "0")  # fmt: skip
    assert {row["threshold"]: row for row in strict["escalation"]}[0.5]["reviewed"] == 3
    # ... unless it stands where the box confirmed on the frame before stood: f1's (f0 was reviewed whole), not
    # f2's (f1's was accepted for standing still alone)
    standing = carrying(capsys, posed, "escalate", "--carry", "--mode", "tta", "--passes", "3", "--min-score", "0",
                        "--agreement-iou", "0.7", "--reject-frames", "0", "--max-miss-rate", "1.01")  # fmt: skip
    assert per_frame(standing) == [(0, 0, 1), (0, 0, 0), (0, 0, 0)]
    assert {row["threshold"]: row for row in standing["escalation"]}[0.5]["reviewed"] == 2
    assert main([*args, "--reject-frames", "-1"]) == 1
    assert "--reject-frames must be 0 (off) or more" in capsys.readouterr().err
    assert main([*args, "--lost-frames", "-1"]) == 1
    assert "--lost-frames must be 0 (off) or more" in capsys.readouterr().err
    assert main([*args, "--still-frames", "-1"]) == 1
    assert "--still-frames must be 0 (off) or more" in capsys.readouterr().err
    assert main([*args, "--miss-credibility", "1"]) == 1
    assert "--miss-credibility must be at least 0 and below 1" in capsys.readouterr().err
    assert main([*args, "--spill-growth", "1"]) == 1
    assert "--spill-growth must be at least 0 (off) and below 1" in capsys.readouterr().err


def test_carry_needs_a_model_strategy(project, capsys) -> None:
    code = main(["simulate", str(project), "--plugin", "centroid-example", "--strategy", "manual", "--carry"])
    assert code != 0
    assert "--carry joins a model's proposals" in capsys.readouterr().err


def test_finetune_records_a_gated_version_and_versions_rolls_back(project, capsys) -> None:
    with Workspace.open(project) as workspace:
        for frame in workspace.project.frames_in_order()[:2]:
            workspace.push(SetFrameStatus(frame.id, FrameStatus.VERIFIED))
    assert main(["finetune", str(project), "--plugin", "centroid-example", "--held-apart", "0", "--if-due",
                 "--every", "3", "--no-progress"]) == 0  # fmt: skip
    assert "not due: 2 newly verified" in capsys.readouterr().out
    assert (
        main(["finetune", str(project), "--plugin", "centroid-example", "--held-apart", "0", "--no-progress"])
        == 0
    )
    out = capsys.readouterr().out
    assert "v1: model centroid-1.0+pad0.500" in out and "v1 is now current" in out
    assert (
        main(["finetune", str(project), "--plugin", "centroid-example", "--held-apart", "0", "--no-progress"])
        == 0
    )
    assert main(["versions", str(project), "--plugin", "centroid-example", "--rollback", "v1", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out.split("v2 is now current\n")[-1])
    assert [(v["id"], v["parent"], v["current"]) for v in listing["versions"]] == [
        ("v1", None, True),
        ("v2", "v1", False),
    ]
    assert listing["stale_frames"] == ""
    assert listing["versions"][0]["metrics"]["card"] == {"padding": "0.500 m"}
    assert main(["versions", str(project), "--plugin", "centroid-example"]) == 0
    assert "padding: 0.500 m" in capsys.readouterr().out  # the card of each version
    roles = {(e["frame"], e["role"]) for e in listing["versions"][1]["data"]}
    assert roles == {("f0", "replay"), ("f1", "replay")}
    with Workspace.open(project) as workspace:  # each version records its weights' SHA-256
        for version in model_versions(workspace.project, "centroid-example"):
            weights = workspace.project.resolve_path(version.weights)
            assert version.sha256 == file_digest(weights) == recorded_digest(weights)


def test_finetune_holds_frames_apart_only_from_held_apart_from_verified_frames(project, capsys) -> None:
    with Workspace.open(project) as workspace:
        for frame in workspace.project.frames_in_order():
            workspace.push(SetFrameStatus(frame.id, FrameStatus.VERIFIED))
    run = ["finetune", str(project), "--plugin", "centroid-example", "--held-apart", "0.45", "--no-progress"]
    assert main([*run, "--held-apart-from", "3"]) == 0  # 3 verified frames: the gate gets one
    assert main(run) == 0  # the default waits for 30 verified frames: all three are trained on
    capsys.readouterr()
    assert main(["versions", str(project), "--plugin", "centroid-example", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    roles = [sorted((e["frame"], e["role"]) for e in v["data"]) for v in listing["versions"]]
    assert roles[0] == [("f0", "train"), ("f1", "held_new"), ("f2", "train")]
    assert roles[1] == [("f0", "replay"), ("f1", "replay"), ("f2", "replay")]


def test_simulate_rejects_an_unknown_plugin(project, capsys) -> None:
    assert main(["simulate", str(project), "--plugin", "nope", "--strategy", "manual"]) == 1
    assert "no plugin 'nope'" in capsys.readouterr().err


def test_effort_counts_each_action_at_its_cost(project, capsys) -> None:
    fixed = simulate(capsys, project, "fixed")
    # 3 adjusted + 1 added (the object without points): 3 x 12 s + 30 s; drawing all 4 boxes: 120 s.
    assert [f["effort_s"] for f in fixed["frames"]] == [12.0, 12.0, 42.0]
    assert fixed["totals"]["effort_s"] == 66.0 and fixed["manual_effort_s"] == 120.0
    code = main(["simulate", str(project), "--plugin", "centroid-example", "--strategy", "fixed",
                 "--costs", "adjust=5,add=10", "--json"])  # fmt: skip
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["totals"]["effort_s"] == 3 * 5 + 10 and report["manual_effort_s"] == 40.0
    assert report["costs"] == {"add": 10.0, "adjust": 5.0, "delete": 2.0, "accept": 1.0, "search": 15.0}


@pytest.mark.parametrize("costs", ["add=x", "paint=3", "add=-1", "add"])
def test_bad_costs_are_one_line_errors(project, capsys, costs: str) -> None:
    code = main(
        ["simulate", str(project), "--plugin", "centroid-example", "--strategy", "manual", "--costs", costs]
    )
    assert code != 0
    assert capsys.readouterr().err.startswith("annotator: error: costs:")


def test_simulate_without_plugin_uses_the_project_default(project, capsys) -> None:
    assert main(["plugins", "--project", str(project), "--set-default", "centroid-example"]) == 0
    assert "* " in capsys.readouterr().out
    assert main(["simulate", str(project), "--strategy", "fixed", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["plugin"] == "centroid-example" and report["totals"]["adjusted"] == 3


def test_escalate_accepts_below_the_threshold_and_reports_a_sweep(project, capsys) -> None:
    code = main(["simulate", str(project), "--plugin", "centroid-example", "--strategy", "escalate",
                 "--mode", "tta", "--passes", "3", "--min-score", "0", "--threshold", "0", "--json"])  # fmt: skip
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    # threshold 0: every proposal is reviewed (3 adjusted), nobody looks for the object without points
    assert report["totals"]["adjusted"] == 3 and report["totals"]["added"] == 0
    sweep = {row["threshold"]: row for row in report["escalation"]}
    assert (sweep[0.0]["reviewed"], sweep[0.0]["missed"], sweep[0.0]["wrong_accepted"]) == (3, 1, 0)
    # above every uncertainty: nothing reviewed, no effort; the proposals are right (BEV IoU 0.64), the
    # missed object is the only residual error
    assert (sweep[1.01]["reviewed"], sweep[1.01]["effort_s"], sweep[1.01]["residual_rate"]) == (0, 0.0, 0.25)
    assert [row["reviewed"] for row in report["escalation"]] == sorted(
        (row["reviewed"] for row in report["escalation"]), reverse=True
    )


def test_escalate_prints_the_sweep_table_and_refuses_bad_thresholds(project, capsys) -> None:
    args = ["simulate", str(project), "--plugin", "centroid-example", "--strategy", "escalate", "--mode", "tta",
            "--passes", "3", "--min-score", "0"]  # fmt: skip
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "escalation sweep" in out and "0.50*" in out
    assert main([*args, "--threshold", "2"]) == 1
    assert capsys.readouterr().err.startswith("annotator: error: --threshold must be between 0 and 1")


def test_escalate_with_adaptation_learns_from_verified_frames(project, capsys) -> None:
    args = ["simulate", str(project), "--plugin", "centroid-example", "--strategy", "escalate", "--mode", "tta",
            "--passes", "3", "--min-score", "0", "--threshold", "0.02", "--json"]  # fmt: skip
    assert main([*args, "--adapt-every", "0"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert main(args) == 0  # by default it learns after every frame, as the window does
    adapted = json.loads(capsys.readouterr().out)
    # the first frame is judged as before; after it, its right proposal teaches P(wrong) ~ 0 for the class,
    # so the next two frames' proposals are accepted without review (no edits) where they were reviewed
    assert plain["frames"][1]["edits"]["adjusted"] == 1 and plain["frames"][2]["edits"]["adjusted"] == 1
    assert adapted["frames"][0] == plain["frames"][0]
    assert adapted["frames"][1]["edits"]["total"] == 0 and adapted["frames"][2]["edits"]["total"] == 0
    # the ranking of wrong proposals covers the frames judged after the first adaptation
    assert plain["ranking"] is None and adapted["ranking"]["frames"] == 2
    assert main([*args, "--adapt-every", "-1"]) == 1
    assert "--adapt-every must be 0" in capsys.readouterr().err


def test_escalate_with_model_adaptation_fine_tunes_on_the_verified_frames(project, capsys) -> None:
    args = ["simulate", str(project), "--plugin", "centroid-example", "--strategy", "escalate", "--mode", "tta",
            "--passes", "3", "--min-score", "0", "--adapt-every", "1", "--adapt-model", "--json"]  # fmt: skip
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    # fine-tuned after the first and the second frame (not after the last), each run recorded
    assert [v["after_frames"] for v in report["versions"]] == [1, 2]
    assert main([*args[:-4], "--adapt-every", "0", "--adapt-model"]) == 1
    assert "--adapt-model needs --adapt-every" in capsys.readouterr().err


@pytest.fixture
def unseen_car(tmp_path: Path, monkeypatch) -> Path:
    """One frame: flat ground and a labelled car at (10, 0), its side and rear scanned, that the plugin (its min_height set
    above everything) never proposes."""
    plugins = tmp_path / "plugins"
    shutil.copytree(EXAMPLES / "centroid", plugins / "centroid")
    monkeypatch.setenv("ANNOTATOR_PLUGIN_PATH", str(plugins))
    grid = np.arange(-15.0, 15.0, 0.3)
    ground = [[x + 10.0, y, 0.0, 0.0] for x in grid for y in grid]
    side = [[x, -0.9, z, 0.0] for x in np.arange(8.0, 12.01, 0.1) for z in np.arange(0.4, 1.51, 0.1)]
    end = [[8.0, y, z, 0.0] for y in np.arange(-0.9, 0.91, 0.1) for z in np.arange(0.4, 1.51, 0.1)]
    car = side + end  # the L the scanner sees
    root = tmp_path / "project"
    with Workspace.create(root) as workspace:
        np.array(ground + car, dtype=np.float32).tofile(root / "f0.bin")
        frame_id = workspace.push(AddFrames([Frame(0, "f0", 0, cloud="f0.bin")])).ids[0]
        workspace.push(
            AddAnnotations([Annotation(0, frame_id, "Object", cuboid=Cuboid((10, 0, 0.75), (4, 1.8, 1.5)))])
        )
    return root


def test_escalate_flags_the_cluster_of_an_object_the_model_missed(unseen_car, capsys) -> None:
    args = ["simulate", str(unseen_car), "--plugin", "centroid-example", "--strategy", "escalate", "--mode", "tta",
            "--passes", "2", "--param", "min_height=9", "--json"]  # fmt: skip
    assert main(args) == 0
    row = {r["threshold"]: r for r in json.loads(capsys.readouterr().out)["escalation"]}[0.5]
    # no proposal; the car's points form one unexplained cluster inside the prior's envelope: flagged, it
    # finds the car (an adjustment, 12 s) and nothing is left missed
    assert (row["boxes"], row["clusters_flagged"], row["clusters_found"], row["missed"]) == (0, 1, 1, 0)
    assert (row["residual_rate"], row["effort_s"], row["reviewed_share"]) == (0.0, 12.0, 1.0)
    assert main([*args, "--cluster-threshold", "1.01"]) == 0
    row = {r["threshold"]: r for r in json.loads(capsys.readouterr().out)["escalation"]}[0.5]
    assert (row["clusters_flagged"], row["missed"], row["residual_rate"]) == (0, 1, 1.0)
