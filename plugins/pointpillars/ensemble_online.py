"""Keeping a pointpillars model's ensemble heads and OOD index through fine-tuning.

Fine-tuning changes the backbone, so heads trained on the old features and an OOD index of old
embeddings no longer fit it. After a fit that changed the backbone (`refresh_extras`):

- each ensemble head is fine-tuned on the new backbone's features of the frames the model was just
  trained on, warm-started from its old weights, on its own **bootstrap sample** of those frames
  (seeded per head: the members see different data, which keeps them diverse), for `HEAD_EPOCHS`;
- the **OOD index** is rebuilt under the new backbone from the embeddings of the generated frames the
  shipped extras were built from (`reference_samples`: `annotator train-ensemble`'s default frames,
  regenerated once into its cache) and of the frames just trained on (the project's verified frames,
  their replay and any generated replay frames): the data the new version was trained on, so frames of
  a sensor whose frames a person verified stop being out of distribution, another sensor's do not;
- the calibration maps fitted on the old members are dropped (the online error model of
  `annotator.ml.uncertainty.error_model` learns P(wrong) from the verified frames instead).

`extras_state` / `restore_extras` keep heads and index inside the fine-tuned version's checkpoint, so
they travel with that model version (the shipped weights keep theirs beside them, hash-checked).
"""

from __future__ import annotations

import copy
import logging
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from annotator.ml.uncertainty.ood import OodIndex
from plugins.pointpillars.ensemble import (
    EnsembleOptions,
    HeadSample,
    _feature_sample,
    frame_embedding,
    new_head,
    recompute_head_norm,
    train_head,
)
from plugins.pointpillars.training import TrainSample

logger = logging.getLogger(__name__)

#: Epochs of each head's fine-tuning on its bootstrap sample, and the peak rate (a quarter of training's).
HEAD_EPOCHS = 2
HEAD_LEARNING_RATE = 0.001
EXTRAS_KEY = "ensemble_extras"


def reference_samples() -> list[TrainSample]:
    """The generated frames ``annotator train-ensemble`` builds the shipped OOD index from (default
    options; generated once into its default cache, ~2.5 s a frame, then read back)."""
    from plugins.pointpillars.base_data import build_cache, load_frame

    options = EnsembleOptions()
    cache = Path(tempfile.gettempdir()) / "annotator-ensemble-frames"
    files = build_cache(cache, options.frames + options.calibration_frames, options.sensors, options.seed)
    frames = [load_frame(path) for path in files]
    return [TrainSample(f.points, f.boxes, f.labels, np.ones(len(f.boxes), np.float32)) for f in frames]


def _plain(sample: TrainSample) -> TrainSample:
    """The sample with every label weighing 1 (features and embeddings do not depend on the weights)."""
    return TrainSample(sample.points, sample.boxes, sample.labels, np.ones(len(sample.boxes), np.float32))


def rebuilt_ood_index(
    net: Any, trained: Sequence[TrainSample], reference: Sequence[TrainSample]
) -> OodIndex | None:
    """An OOD index of ``reference`` and ``trained`` frames' embeddings under ``net`` (None with < 2)."""
    embeddings = []
    with torch.inference_mode():
        for sample in [*reference, *trained]:
            embeddings.append(frame_embedding(_feature_sample(net, _plain(sample)).features[None]))
    return OodIndex.build(np.array(embeddings)) if len(embeddings) >= 2 else None


def refreshed_heads(
    net: Any,
    heads: Sequence[torch.nn.Module],
    samples: Sequence[TrainSample],
    seed: int,
    cancelled: Callable[[], bool],
) -> list[torch.nn.Module]:
    """Copies of ``heads`` fine-tuned on ``net``'s features of ``samples``, each on its own bootstrap
    sample (module docstring); the old heads when cancelled."""
    features: list[HeadSample] = [_feature_sample(net, s) for s in samples]
    options = EnsembleOptions(epochs=HEAD_EPOCHS, learning_rate=HEAD_LEARNING_RATE, batch_size=2)
    fresh = []
    for k, old in enumerate(heads):
        rng = np.random.default_rng([seed, k])
        chosen = [features[i] for i in rng.integers(0, len(features), len(features))]
        head = copy.deepcopy(old)
        train_head(head, chosen, options, seed * 1000 + k, cancelled)
        if cancelled():
            return list(heads)
        recompute_head_norm(head, features, options.batch_size)
        fresh.append(head)
    return fresh


def refresh_extras(
    detector: Any,
    samples: Sequence[TrainSample],
    cancelled: Callable[[], bool],
    reference: Callable[[], Sequence[TrainSample]] | None = None,
) -> None:
    """After a fit that changed ``detector``'s backbone: its heads fine-tuned on ``samples`` (bootstrap
    per head), its OOD index rebuilt from ``reference()`` and ``samples``, its calibration dropped.
    Without heads or index before, nothing of that kind is made."""
    net = detector.members[0].eval()
    if detector.heads:
        detector.heads = refreshed_heads(net, detector.heads, samples, len(samples), cancelled)
        logger.info("pointpillars: %d ensemble heads fine-tuned on the new backbone", len(detector.heads))
    if detector.ood_index is not None and not cancelled():
        detector.ood_index = rebuilt_ood_index(net, samples, (reference or reference_samples)())
        logger.info("pointpillars: OOD index rebuilt with the %d frames trained on", len(samples))
    detector.calibration = {}
    detector.extras_in_checkpoint = True


def extras_state(detector: Any) -> dict[str, Any] | None:
    """Heads and OOD index as checkpoint entries (tensors and plain values), for a model whose extras were
    made by fine-tuning (`refresh_extras`) or read from such a checkpoint; None otherwise (the shipped
    extras stay beside their weights, hash-checked) or without either."""
    index = detector.ood_index
    if not getattr(detector, "extras_in_checkpoint", False) or (not detector.heads and index is None):
        return None
    state: dict[str, Any] = {"heads": [head.state_dict() for head in detector.heads]}
    if index is not None:
        state["ood"] = {
            "vectors": torch.from_numpy(index.vectors.astype(np.float32)),
            "mean": torch.from_numpy(index.mean.astype(np.float32)),
            "scale": torch.from_numpy(index.scale.astype(np.float32)),
            "reference": float(index.reference),
        }
    return state


def extras_entry(detector: Any) -> dict[str, Any]:
    """``{EXTRAS_KEY: extras_state}`` for a checkpoint, or nothing."""
    state = extras_state(detector)
    return {} if state is None else {EXTRAS_KEY: state}


def restore_extras(detector: Any, state: Any) -> None:
    """Give ``detector`` the heads and index of a checkpoint's `extras_state` (nothing for other data)."""
    if not isinstance(state, dict):
        return
    net = detector.members[0]
    heads = []
    try:
        for k, head_state in enumerate(state.get("heads", [])):
            head = new_head(net, k)
            head.load_state_dict(head_state)
            heads.append(head.eval())
    except (RuntimeError, KeyError, TypeError) as error:  # heads of another network shape
        logger.warning(
            "pointpillars: the checkpoint's ensemble heads do not fit its network (%s); ignored", error
        )
        return
    detector.heads = heads
    detector.extras_in_checkpoint = True
    ood = state.get("ood")
    if isinstance(ood, dict):
        detector.ood_index = OodIndex(
            ood["vectors"].double().numpy(), ood["mean"].double().numpy(), ood["scale"].double().numpy(),
            float(ood["reference"]),
        )  # fmt: skip
