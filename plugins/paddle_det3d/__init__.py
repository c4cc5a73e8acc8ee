"""The PointPillars-style 3D detector of `plugins.pointpillars` in PaddlePaddle, its parameters named in
Paddle3D's layout (a Paddle3D ``.pdparams`` of this architecture loads; see `plugins.paddle_det3d.layout`).

Only the manifest lives here so discovery stays cheap and paddle-free; the code
(`plugins.paddle_det3d.model`) is imported on first use. Its shipped weights are the PyTorch plugin's base
weights converted by ``python -m plugins.paddle_det3d.convert`` (re-run it when those change).
"""

from __future__ import annotations

from plugins.pointpillars import MANIFEST as _TORCH

#: The PyTorch plugin's parameters this one has no use for: ensembles, precisions, the complementing plugin,
#: the learned box convention and its fine-tuning's extras (``threads`` is redeclared below).
_TORCH_ONLY = {"ensemble_size", "precision", "threads", "complement", "complement_priority", "box_convention",
               "convention_min_boxes", "missed_weight", "early_epochs", "ensemble_refresh"}  # fmt: skip

MANIFEST = {
    "id": "paddle-det3d",
    "name": "PointPillars detector (PaddlePaddle, Paddle3D layout, trainable)",
    "version": "1.0",
    "task": "detect3d",
    "framework": "paddle",
    "entry": "plugins.paddle_det3d.model:PaddlePointPillars",
    "classes": ["Car", "Van", "Truck", "Pedestrian", "Cyclist"],
    "capabilities": ["predict", "fit", "save", "load", "samples:mc_dropout"],
    # the PyTorch plugin's parameters that mean the same here (score and class thresholds, refine, NMS, ...)
    "parameters": [spec for spec in _TORCH["parameters"] if spec["name"] not in _TORCH_ONLY] + [
        {"name": "threads", "type": "int", "default": 0, "minimum": 0, "maximum": 256,
         "help": "paddle CPU threads for predict and fit; 0: all cores but one"},
    ],
    "finetune_defaults": {"epochs": 20, "augment": False, "train_dropout": 0.0},
    # The PyTorch plugin's base weights converted (python -m plugins.paddle_det3d.convert writes the file,
    # its card and this hash).
    "base_weights": {"file": "weights/base.npz", "sha256": "7f191d5155cc86aec44da9b665c9339599d5f0c1f5f78f72d0c147de0867d994", "card": "weights/base.card.json",
                     "replay": "annotator.synth.replay:generated_frames"},
    "description": "The PointPillars-style detector of the PyTorch plugin, in PaddlePaddle: pillars on a "
    "0.32 m bird's-eye-view grid, a small PointNet, a SECOND-style 2D CNN and a CenterPoint-style heatmap "
    "head, parameters named as Paddle3D names them so a Paddle3D .pdparams of this architecture loads. "
    "Ships the PyTorch base weights converted (same boxes); fine-tune them in the app or train your own.",
}  # fmt: skip
