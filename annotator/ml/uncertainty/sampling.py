"""K stochastic predictions of a frame from a plugin: ensemble members, MC dropout or test-time augmentation.

Ensembles and MC dropout are the plugin's own (capabilities ``samples:ensemble`` / ``samples:mc_dropout``:
the plugin re-runs only what follows its first dropout site); test-time augmentation is done here, around
``predict``, so every plugin has it.
"""

from __future__ import annotations

import logging
import zlib
from collections import defaultdict
from typing import Any

from annotator.ml.manifest import PluginManifest
from annotator.ml.protocol import Detections, FrameInput
from annotator.ml.registry import PluginError
from annotator.ml.uncertainty.augment import (
    cloud_transforms,
    image_transforms,
    map_back,
    transformed_cloud_input,
    transformed_image_input,
)

logger = logging.getLogger(__name__)

#: Command-line names of the modes and the plugin's own mode names.
MODES = {"ensemble": "ensemble", "mc": "mc_dropout", "tta": "tta"}


def supported_modes(manifest: PluginManifest) -> list[str]:
    """The sampling modes a plugin can be scored with (test-time augmentation always)."""
    modes = [name for name, own in MODES.items() if f"samples:{own}" in manifest.capabilities]
    return modes if "tta" in modes else [*modes, "tta"]


def _as_list(result: Detections | list[Detections]) -> list[Detections]:
    return list(result) if isinstance(result, (list, tuple)) else [result]


def sample_frame(
    model: Any, manifest: PluginManifest, frame: FrameInput, params: dict[str, Any], mode: str, passes: int
) -> dict[str | None, list[Detections]]:
    """``passes`` predictions of ``frame`` in ``mode`` (``ensemble``, ``mc`` or ``tta``), by camera.

    3D plugins give one group (key None); 2D plugins one group per camera. Raises `PluginError` when the
    plugin cannot sample in ``mode`` or fails.
    """
    if mode not in MODES:
        raise PluginError(f"unknown sampling mode {mode!r} (modes: {', '.join(MODES)})")
    if mode not in supported_modes(manifest):
        raise PluginError(
            f"plugin {manifest.id} cannot sample in mode {mode!r} (it supports: {', '.join(supported_modes(manifest))})"
        )
    if passes < 1:
        raise PluginError(f"passes must be at least 1, got {passes}")
    try:
        if mode == "tta":
            samples = _tta_samples(model, manifest, frame, params, passes)
        else:
            samples = list(model.predict_samples(frame, params, passes, MODES[mode]))
    except PluginError:
        raise
    except Exception as error:  # a failing plugin must not take the host down
        raise PluginError(
            f"plugin {manifest.id} failed sampling frame {frame.name} ({mode}): {type(error).__name__}: {error}"
        ) from error
    groups: dict[str | None, list[Detections]] = defaultdict(list)
    for result in samples:
        groups[result.camera if not result.is_3d else None].append(result)
    return dict(groups)


def _tta_samples(
    model: Any, manifest: PluginManifest, frame: FrameInput, params: dict[str, Any], passes: int
) -> list[Detections]:
    seed = zlib.crc32(frame.name.encode("utf-8"))
    samples: list[Detections] = []
    if manifest.task == "detect3d":
        for transform in cloud_transforms(passes, seed):
            inputs = (
                frame if transform == cloud_transforms(1)[0] else transformed_cloud_input(frame, transform)
            )
            for result in _as_list(model.predict(inputs, params)):
                samples.append(map_back(result, transform.invert_boxes(result.boxes)))
        return samples
    widths = {name: image.shape[1] for name, image in frame.images.items()}
    for transform in image_transforms(passes):
        for result in _as_list(model.predict(transformed_image_input(frame, transform), params)):
            width = widths.get(result.camera or "", next(iter(widths.values()), 0))
            samples.append(map_back(result, transform.invert_boxes(result.boxes, width)))
    return samples
