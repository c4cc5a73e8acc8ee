"""The fine-tuning pipeline with a 2D plugin: per-camera targets, AP50 scores for the gate, weights kept."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from annotator.core.box2d import Box2D
from annotator.core.edits import AddAnnotations, AddFrames, SetFrameStatus
from annotator.core.model.records import Annotation, Frame, FrameStatus
from annotator.io.workspace import Workspace
from annotator.ml.finetune.engine import job_host, run_finetune
from annotator.ml.finetune.pipeline import plan_finetune, record_result
from annotator.ml.finetune.spec import FineTuneOptions
from annotator.ml.protocol import CancelToken
from annotator.ml.registry import PluginRegistry

#: A 2D plugin that boxes the bright pixels of each image, grown by a margin it learns in fit.
BRIGHT_PLUGIN = """
import json
import numpy as np
from annotator.ml.protocol import Detections, FitProgress


class Model:
    def __init__(self):
        self.margin = 0.0
        self.version = "bright-0"

    def predict(self, frame, params):
        result = []
        for camera, image in frame.images.items():
            ys, xs = np.nonzero(image[:, :, 0] > 128)
            box = [[xs.min() - self.margin, ys.min() - self.margin, xs.max() + 1 + self.margin, ys.max() + 1 + self.margin]]
            result.append(Detections(np.array(box), [0], [0.9], ("Sign",), self.version, camera=camera))
        return result

    def fit(self, frames, params, cancel):
        gaps = []
        for step, labelled in enumerate(frames, start=1):
            self.margin = 0.0
            raw = [d for d in self.predict(labelled.frame, params) if d.camera == labelled.targets.camera][0]
            gaps.append(float(raw.boxes[0, 0] - labelled.targets.boxes[0, 0]))
            yield FitProgress(step, len(frames), {"loss": abs(gaps[-1])})
        self.margin = float(np.mean(gaps))
        self.version = f"bright-{self.margin:.1f}"

    def save(self, path):
        json.dump({"margin": self.margin}, open(path, "w"))

    def load(self, path):
        self.margin = json.load(open(path))["margin"]
        self.version = f"bright-{self.margin:.1f}"
"""


def test_a_2d_plugin_fine_tunes_per_camera_and_is_gated_on_ap50(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins" / "bright"
    plugins.mkdir(parents=True)
    (plugins / "bright_model.py").write_text(BRIGHT_PLUGIN, encoding="utf-8")
    manifest = {"id": "bright", "name": "Bright", "version": "1", "task": "detect2d", "framework": "numpy",
                "entry": "bright_model:Model", "classes": ["Sign"], "capabilities": ["predict", "fit", "save", "load"],
                "parameters": []}  # fmt: skip
    (plugins / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    registry = PluginRegistry.discover([plugins.parent], entry_points_too=False)
    root = tmp_path / "project"
    with Workspace.create(root) as workspace:
        for index in range(6):
            image = np.zeros((40, 60, 3), np.uint8)
            image[10 + index : 20 + index, 20:30] = 255
            Image.fromarray(image).save(root / f"{index}.png")
            frame = Frame(0, f"f{index}", index, images={"front": f"{index}.png"})
            frame_id = workspace.push(AddFrames([frame])).ids[0]
            label = Box2D(17, 7 + index, 33, 23 + index)  # the bright square grown by 3 pixels
            workspace.push(AddAnnotations([Annotation(0, frame_id, "Sign", box2d=label, camera="front")]))
            workspace.push(SetFrameStatus(frame_id, FrameStatus.VERIFIED))
        options = FineTuneOptions(held_apart=0.5, held_apart_from=0, replay_ratio=0.0)
        spec = plan_finetune(workspace.project, registry.manifest("bright"), options,
                             plugin_folders=[plugins.parent], entry_points=False)  # fmt: skip
        held = [f for f in spec.frames if f.role == "held_new"]
        assert held and all(len(f.targets) == 1 and f.targets[0].camera == "front" for f in spec.frames)
        result = run_finetune(spec, lambda kind, payload: None, CancelToken(), job_host(spec))
        assert result.model_version == "bright-3.0"
        assert result.scores["candidate"]["new"] == 1.0 > result.scores["parent"]["new"]
        version, decision = record_result(workspace.push, workspace.project, spec, result)
        assert decision.passed and version.metrics["scores"]["candidate"] == {"new": 1.0}
