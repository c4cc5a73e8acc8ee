"""`annotator train`: held-apart quality measured and saved next to new weights, cancel saves nothing."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import numpy as np
import pytest

from annotator.cli import main
from annotator.cli.train_command import EXIT_CANCELLED
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.model.records import Annotation, Frame, Review
from annotator.io.workspace import Workspace
from annotator.ml.weights import latest_weights

EXAMPLES = Path(__file__).parents[1] / "ml" / "example_plugins"
#: The labelled box is the raised points' extent grown by this much on every side.
MARGIN = 1.5

#: A plugin whose training sends itself Ctrl+C at its second step, then runs on until cancelled.
INTERRUPTING_PLUGIN = textwrap.dedent(
    """
    import os, signal
    from annotator.ml.protocol import Detections, FitProgress

    class Model:
        version = "interrupting-1"

        def predict(self, frame, params):
            return Detections.empty(["Object"], self.version)

        def fit(self, frames, params, cancel):
            for step in range(1, 1000):
                if cancel.is_set():
                    return
                if step == 2:
                    os.kill(os.getpid(), signal.SIGINT)
                yield FitProgress(step, 999, {"loss": 1.0 / step})

        def save(self, path):
            open(path, "w").write("{}")

        def load(self, path):
            pass
    """
)


@pytest.fixture
def plugin_path(tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "plugins"
    shutil.copytree(EXAMPLES / "centroid", folder / "centroid")
    (folder / "interrupting").mkdir()
    (folder / "interrupting" / "interrupting_model.py").write_text(INTERRUPTING_PLUGIN, encoding="utf-8")
    manifest = {"id": "interrupting", "name": "Interrupting", "version": "1", "task": "detect3d",
                "framework": "numpy", "entry": "interrupting_model:Model", "classes": ["Object"],
                "capabilities": ["predict", "fit", "save", "load"], "parameters": []}  # fmt: skip
    (folder / "interrupting" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    monkeypatch.setenv("ANNOTATOR_PLUGIN_PATH", str(folder))
    return folder


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Five frames of raised points, each with a confirmed label grown by MARGIN around them."""
    root = tmp_path / "project"
    with Workspace.create(root) as workspace:
        frames = []
        for i in range(5):
            points = np.array(
                [[3 * i, 0, 1, 0], [3 * i + 2, 2, 1, 0], [3 * i + 4, 4, 2, 0]], dtype=np.float32
            )
            points.tofile(root / f"{i:06d}.bin")
            frames.append(Frame(0, f"{i:06d}", i, cloud=f"{i:06d}.bin"))
        ids = workspace.push(AddFrames(frames)).ids
        size = (4 + 2 * MARGIN, 4 + 2 * MARGIN, 1 + 2 * MARGIN)
        labels = [
            Annotation(
                0, frame_id, "Object", cuboid=Cuboid((3 * i + 2, 2, 1.5), size), review=Review.ACCEPTED
            )
            for i, frame_id in enumerate(ids)
        ]
        workspace.push(AddAnnotations(labels))
    return root


def history(root: Path) -> list[str]:
    with Workspace.open(root) as workspace:
        return [entry.label for entry in workspace.stack.entries]


def test_training_saves_new_weights_marked_latest_with_measured_quality(project, plugin_path, capsys) -> None:
    before = history(project)
    args = [
        "train",
        str(project),
        "--plugin",
        "centroid-example",
        "--validation-share",
        "0.4",
        "--no-progress",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "reading verified labels of 3 training and 2 held-apart frames" in out
    assert "quality on 2 held-apart frames (recall/precision at BEV IoU 0.5" in out
    weights = latest_weights(_project(project), "centroid-example")
    assert weights is not None and f"weights     {weights}" in out
    assert json.loads(weights.read_text())["padding"] == pytest.approx(MARGIN)
    quality = json.loads(weights.with_suffix(".quality.json").read_text())
    assert quality["weights"] == weights.name and quality["held_apart_frames"] == 2
    assert quality["classes"]["Object"] == {"truths": 2, "detections": 2, "recall": 1.0, "precision": 1.0}
    assert history(project) == before  # training only reads the project
    assert main(args) == 0  # the same version again: a new file, the older one kept
    second = latest_weights(_project(project), "centroid-example")
    assert second != weights and weights.is_file() and second.is_file()


def test_an_untrained_extent_is_measured_as_wrong(project, plugin_path, capsys) -> None:
    """The measurement is real: without the learned padding the boxes miss at BEV IoU 0.5."""
    from annotator.ml.datasets import load_labels, split_frames
    from annotator.ml.quality import measure_quality
    from annotator.ml.registry import PluginRegistry

    registry = PluginRegistry.discover()
    model = registry.load("centroid-example")
    loaded = _project(project)
    _, held = split_frames(loaded.frames_in_order(), 0.4)
    frames = load_labels(loaded, held, ["Object"], "detect3d", "verified", measuring=True)
    report = measure_quality(model, "detect3d", ["Object"], frames, {"min_height": 0.3})
    assert report is not None and report.classes["Object"]["recall"] == 0.0
    assert report.overall["precision"] == 0.0


def test_ctrl_c_cancels_and_saves_nothing(project, plugin_path, capsys) -> None:
    assert main(["train", str(project), "--plugin", "interrupting", "--no-progress"]) == EXIT_CANCELLED
    assert "nothing saved" in capsys.readouterr().err
    assert not (project / "models").exists()
    assert len(history(project)) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--plugin", "geometric"], "cannot be trained"),
        (["--plugin", "centroid-example", "--epochs", "3"], "has no 'epochs' parameter"),
        (["--plugin", "centroid-example", "--validation-share", "1"], "validation share must be in [0, 1)"),
        (
            ["--plugin", "centroid-example", "--frames", "0"],
            "holding frames apart for the quality needs at least 2",
        ),
        (["--plugin", "centroid-example", "--labels", "ground-truth"], "no reference labels"),
    ],
)
def test_bad_input_is_one_clear_error(project, plugin_path, capsys, args, message) -> None:
    assert main(["train", str(project), *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith("annotator: error: ") and message in err
    assert not (project / "models").exists()


def test_without_labels_there_is_nothing_to_train(tmp_path, plugin_path, capsys) -> None:
    root = tmp_path / "empty"
    with Workspace.create(root) as workspace:
        np.zeros((3, 4), dtype=np.float32).tofile(root / "a.bin")
        workspace.push(AddFrames([Frame(0, "a", 0, cloud="a.bin"), Frame(0, "b", 1, cloud="a.bin")]))
    assert main(["train", str(root), "--plugin", "centroid-example"]) == 1
    assert "no frame in the selection has verified labels to train on" in capsys.readouterr().err


def test_pointpillars_on_a_demo_projects_ground_truth(tmp_path, capsys) -> None:
    """A tiny run end to end: generated ground truth in, a measured quality per class out."""
    pytest.importorskip("torch")
    from annotator.cli.demo_project import create_demo_project

    root = tmp_path / "demo"
    create_demo_project(root, frames=2, seed=3)
    args = ["train", str(root), "--plugin", "pointpillars", "--labels", "ground-truth", "--epochs", "1",
            "--seed", "1", "--validation-share", "0.5", "-p", "threads=1", "--no-progress"]  # fmt: skip
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "reading ground-truth labels of 1 training and 1 held-apart frames" in out
    weights = latest_weights(_project(root), "pointpillars")
    quality = json.loads(weights.with_suffix(".quality.json").read_text())
    assert set(quality["classes"]) == {"Car", "Van", "Truck", "Pedestrian", "Cyclist"}
    assert sum(row["truths"] for row in quality["classes"].values()) > 0
    assert quality["params"]["epochs"] == 1 and quality["params"]["seed"] == 1


def _project(root: Path):
    with Workspace.open(root) as workspace:
        return workspace.project
