"""Parameter names: the PyTorch plugin's state dict to this network's (Paddle3D's layout), and a user's
Paddle3D ``.pdparams`` state dict to ours.

PyTorch name (``plugins.pointpillars``)          Paddle name (this plugin, Paddle3D layout)
``encoder.linear.weight`` (C, 9)                 ``pillar_encoder.pfn_layers.0.linear.weight`` (9, C)
``encoder.norm.{weight,bias}``                   ``pillar_encoder.pfn_layers.0.norm.{weight,bias}``
``*.running_mean`` / ``*.running_var``           ``*._mean`` / ``*._variance``
``backbone.stages.{i}.{j}.0`` / ``.1``           ``backbone.blocks.{i}.{3j}`` / ``.{3j+1}``
``backbone.ups.{k}.0`` / ``.1``                  ``neck.deblocks.{k+1}.0`` / ``.1``
``head.shared.0`` / ``.1``                       ``bbox_head.shared_conv.conv`` / ``.bn``
``head.heatmap``                                 ``bbox_head.task_heads.0.heatmap.0``
``head.boxes`` rows 0-1, 2, 3-5, 6-7, 8           ``bbox_head.task_heads.0.{reg,height,dim,rot,dir}.0``

A Paddle3D checkpoint loads when it holds these names (a ``model.`` prefix, a ``{"state_dict": ...}``
wrapper and ``head.`` for ``bbox_head.`` are accepted); the network's sizes are read from the shapes.
"""

from __future__ import annotations

import logging
import pickle
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from plugins.paddle_det3d.network import BOX_HEADS
from plugins.pointpillars.config import PillarConfig

logger = logging.getLogger(__name__)

_STATS = {"running_mean": "_mean", "running_var": "_variance"}
_BLOCK = re.compile(r"backbone\.stages\.(\d+)\.(\d+)\.([01])\.(\w+)$")
_UP = re.compile(r"backbone\.ups\.(\d+)\.([01])\.(\w+)$")


def _leaf(name: str) -> str:
    return _STATS.get(name, name)


def _renamed(name: str) -> str | None:
    """The Paddle name of a PyTorch parameter other than the linear layer and the box outputs."""
    if match := _BLOCK.match(name):
        i, j, part, leaf = match.groups()
        return f"backbone.blocks.{i}.{3 * int(j) + int(part)}.{_leaf(leaf)}"
    if match := _UP.match(name):
        k, part, leaf = match.groups()
        return f"neck.deblocks.{int(k) + 1}.{part}.{_leaf(leaf)}"
    prefix, _, leaf = name.rpartition(".")
    fixed = {
        "encoder.norm": "pillar_encoder.pfn_layers.0.norm",
        "head.shared.0": "bbox_head.shared_conv.conv",
        "head.shared.1": "bbox_head.shared_conv.bn",
        "head.heatmap": "bbox_head.task_heads.0.heatmap.0",
    }
    return f"{fixed[prefix]}.{_leaf(leaf)}" if prefix in fixed else None


def from_torch(state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The PyTorch plugin's state dict (arrays) as this network's; `ValueError` names what does not map."""
    result: dict[str, np.ndarray] = {}
    for name, value in state.items():
        value = np.asarray(value)
        if name.endswith("num_batches_tracked"):
            continue
        if name == "encoder.linear.weight":
            result["pillar_encoder.pfn_layers.0.linear.weight"] = np.ascontiguousarray(value.T)
        elif name.startswith("head.boxes."):
            leaf, start = name.rpartition(".")[2], 0
            for head, channels in BOX_HEADS:
                result[f"bbox_head.task_heads.0.{head}.0.{leaf}"] = np.ascontiguousarray(
                    value[start : start + channels]
                )
                start += channels
        elif (renamed := _renamed(name)) is not None:
            result[renamed] = value
        else:
            raise ValueError(f"no Paddle name for the PyTorch parameter {name}")
    return result


#: The only globals a ``.pdparams`` pickle may name: numpy arrays, their dtypes, and ordered dicts.
_ARRAY_GLOBALS = {
    ("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"), ("numpy.core.multiarray", "scalar"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("collections", "OrderedDict"),
}  # fmt: skip


class _ArraysOnly(pickle.Unpickler):
    """An unpickler that builds numpy arrays and dicts and refuses every other global (no code runs)."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ARRAY_GLOBALS:
            raise pickle.UnpicklingError(f"refused {module}.{name}: a weights file holds arrays only")
        return super().find_class(module, name)


def read_pdparams(path: Path | str) -> Any:
    """A ``.pdparams`` file (what ``paddle.save`` writes for a state dict: a pickle of arrays) read without
    ``paddle.load``: only numpy arrays and dicts are built, any other object is refused, so a crafted
    file cannot run code."""
    with open(path, "rb") as stream:
        return _ArraysOnly(stream).load()


def unwrap_paddle3d(raw: Any) -> dict[str, np.ndarray]:
    """A Paddle3D checkpoint's parameters under this network's names (arrays)."""
    if isinstance(raw, dict) and isinstance(raw.get("state_dict"), dict):
        raw = raw["state_dict"]
    if not isinstance(raw, dict):
        raise ValueError("not a state dict (name -> array)")
    state = {}
    for name, value in raw.items():
        name = str(name).removeprefix("model.")
        if name.startswith("head."):
            name = "bbox_head." + name.removeprefix("head.")
        if hasattr(value, "numpy"):
            value = value.numpy()
        if isinstance(value, np.ndarray):
            state[name] = value
    return state


def config_from_state(state: dict[str, np.ndarray], base: PillarConfig) -> PillarConfig:
    """``base`` with the channel, layer and class counts the state's shapes say (grid and input options
    stay ``base``'s); `ValueError` when the state is not this architecture."""
    try:
        pillar = state["pillar_encoder.pfn_layers.0.linear.weight"].shape[1]
        channels, layers = [], []
        stage = 0
        while f"backbone.blocks.{stage}.0.weight" in state:
            channels.append(state[f"backbone.blocks.{stage}.0.weight"].shape[0])
            count = 0
            while f"backbone.blocks.{stage}.{3 * (count + 1)}.weight" in state:
                count += 1
            layers.append(count)
            stage += 1
        head = state["bbox_head.shared_conv.conv.weight"].shape[0]
        classes = state["bbox_head.task_heads.0.heatmap.0.weight"].shape[0]
    except (KeyError, IndexError) as error:
        raise ValueError(f"not a PointPillars/CenterHead state of this layout (missing {error})") from None
    if not channels:
        raise ValueError("no backbone.blocks.* parameters")
    names = base.classes if classes == len(base.classes) else tuple(f"class{k}" for k in range(classes))
    return replace(
        base, pillar_channels=int(pillar), channels=tuple(channels), layers=tuple(layers),
        head_channels=int(head), classes=names,
    )  # fmt: skip
