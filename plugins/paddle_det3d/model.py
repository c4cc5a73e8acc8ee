"""The plugin's model object: predict, MC-dropout samples, fit, save and load (also Paddle3D ``.pdparams``).

The version is ``"pd3d-"`` plus a hash of the config and all weights (batch-norm statistics included), so
it changes with every fit and every load of other weights. Paddle's CPU threads are capped inside
`predict`, `predict_samples` and `fit` (parameter ``threads``), never at import.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import paddle

from annotator.core.errors import AnnotatorError
from annotator.ml.manifest import manifest_from_dict
from annotator.ml.protocol import CancelToken, Detections, FitProgress, FrameInput, LabelledFrame, PluginError
from annotator.ml.safe_weights import load_arrays, save_arrays
from plugins.paddle_det2d.config import cap_threads
from plugins.paddle_det3d import MANIFEST
from plugins.paddle_det3d.layout import config_from_state, read_pdparams, unwrap_paddle3d
from plugins.paddle_det3d.network import PaddlePillarsNet, network_inputs
from plugins.paddle_det3d.training import samples_of, train_network
from plugins.pointpillars.class_thresholds import above_class_thresholds
from plugins.pointpillars.config import PillarConfig
from plugins.pointpillars.corrections import corrected
from plugins.pointpillars.ground import ground_shift
from plugins.pointpillars.peaks import decode_arrays, detections
from plugins.pointpillars.points import crop_points, pillar_groups
from plugins.pointpillars.refine import RefineSettings, refine_detections

logger = logging.getLogger(__name__)

CHECKPOINT_FORMAT = "annotator-paddle-det3d/1"
#: MC-dropout passes run through the head together (bounds the memory of one pass).
HEAD_CHUNK = 8


class PaddlePointPillars:
    """PointPillars-style detector in PaddlePaddle; ``config`` fixes the grid and network of fresh weights."""

    def __init__(self, config: PillarConfig | None = None, seed: int = 0) -> None:
        self.manifest = manifest_from_dict(MANIFEST, "plugins.paddle_det3d")
        self.config = config or PillarConfig()
        self.network = self._fresh(seed)
        self.trained = False
        self.version = self._fingerprint()

    def _fresh(self, seed: int) -> PaddlePillarsNet:
        paddle.seed(seed)
        network = PaddlePillarsNet(self.config)
        network.eval()
        return network

    def _fingerprint(self) -> str:
        digest = hashlib.sha1(repr(self.config.to_dict()).encode())
        for name, value in sorted(self.network.state_dict().items()):
            digest.update(name.encode())
            digest.update(np.ascontiguousarray(value.numpy()).tobytes())
        return f"pd3d-{digest.hexdigest()[:12]}"

    def _values(self, params: dict[str, Any] | None) -> dict[str, Any]:
        values = self.manifest.parameter_values(params)
        grid = self.config.with_extent(values["x_extent"], values["y_extent"])
        if grid != self.config:  # the network is convolutional: the same weights on another grid
            self.config = self.network.config = self.network.pillar_encoder.config = grid
            self.version = self._fingerprint()
        return values

    # -- prediction ------------------------------------------------------------------------------------
    def _features(self, frame: FrameInput) -> tuple[paddle.Tensor, float] | None:
        """BEV features of the frame's (ground-levelled) points and the height shift applied."""
        if frame.points is None:
            return None
        points = np.asarray(frame.points, dtype=np.float32)
        shift = ground_shift(points, self.config.ground_z)
        if shift:
            points = points.copy()
            points[:, 2] += np.float32(shift)
        cropped = crop_points(points, self.config)
        groups = pillar_groups(cropped, np.zeros(len(cropped), np.int64), self.config)
        return self.network.forward_features(network_inputs(groups), 1), shift

    def _decode(self, output: paddle.Tensor, shift: float, values: dict[str, Any]) -> list[Detections]:
        """Detections of a raw output, each class above its ``class_thresholds`` score (as pointpillars)."""
        found = decode_arrays(
            output.numpy(), self.config, values["score_threshold"], values["max_detections"]
        )
        try:
            found = above_class_thresholds(found, values["class_thresholds"], self.config.classes)
        except ValueError as error:
            raise PluginError(f"paddle-det3d: {error}") from error
        classes, nms_iou = self.config.classes, values["nms_iou"]
        return [detections(c, nms_iou, shift, classes, self.version) for c in found]

    @staticmethod
    def _refined(found: list[Detections], frame: FrameInput, values: dict[str, Any]) -> list[Detections]:
        """The corrections and ``refine`` as the pointpillars plugin does them (`plugins.pointpillars.corrections`
        and `plugins.pointpillars.refine`, shared): short cyclists relabelled, pedestrians turned to their
        stride; ``fit`` places the boxes on their points and drops the proposals the points do not support,
        ``drop`` only drops them."""
        found = corrected(found, frame.points, values)
        if values["refine"] == "off":
            return found
        settings = RefineSettings(values["refine_min_confidence"], values["refine_min_points"])
        move = values["refine"] == "fit"
        return [refine_detections(f, frame.points, settings, move=move) for f in found]

    def predict(self, frame: FrameInput, params: dict[str, Any]) -> Detections:
        """Detections (N, 7) in the LiDAR frame with per-class probabilities."""
        values = self._values(params)
        cap_threads(values["threads"])
        with paddle.no_grad():
            found = self._features(frame)
            if found is None:
                return Detections.empty(self.config.classes, self.version)
            features, shift = found
            decoded = self._decode(self.network.forward_head(features), shift, values)
        return self._refined(decoded, frame, values)[0]

    def predict_samples(
        self, frame: FrameInput, params: dict[str, Any], count: int, mode: str
    ) -> list[Detections]:
        """``count`` MC-dropout predictions: the encoder and backbone run once, the head ``count`` times with
        dropout at ``mc_dropout_rate``."""
        if mode != "mc_dropout":
            raise PluginError(f"paddle-det3d samples only in mode 'mc_dropout', not {mode!r}")
        values = self._values(params)
        cap_threads(values["threads"])
        with paddle.no_grad():
            found = self._features(frame)
            if found is None:
                return [Detections.empty(self.config.classes, self.version) for _ in range(count)]
            features, shift = found
            samples: list[Detections] = []
            for start in range(0, count, HEAD_CHUNK):
                repeat = min(HEAD_CHUNK, count - start)
                output = self.network.forward_head(
                    paddle.tile(features, [repeat, 1, 1, 1]), values["mc_dropout_rate"]
                )
                samples += self._decode(output, shift, values)
        return self._refined(samples, frame, values)

    # -- training --------------------------------------------------------------------------------------
    def fit(
        self, frames: Sequence[LabelledFrame], params: dict[str, Any], cancel: CancelToken
    ) -> Iterator[FitProgress]:
        """Train on labelled frames (boxes of other classes are "don't care"), yielding progress after every
        step; fine-tunes the current weights unless ``from_scratch`` is set or the model is untrained.
        Cancelling stops before the next step and restores the weights from before the call."""
        values = self._values(params)
        cap_threads(values["threads"])
        samples = samples_of(frames, self.config)
        if not samples:
            raise PluginError("paddle-det3d: no labelled frame with points to train on")
        previous = (self.network, {k: v.numpy().copy() for k, v in self.network.state_dict().items()})
        if values["from_scratch"] or not self.trained:
            self.network = self._fresh(values["seed"])
        paddle.seed(values["seed"])
        finished = False
        try:
            for step, total, metrics in train_network(self.network, samples, values, cancel.is_set):
                yield FitProgress(step, total, metrics)
            finished = not cancel.is_set()
        finally:
            if finished:
                self.trained = True
            else:
                self.network = previous[0]
                self.network.set_state_dict(previous[1])
                self.network.eval()
            self.version = self._fingerprint()
            logger.info("paddle-det3d: fit %s, version %s", "done" if finished else "cancelled", self.version)

    # -- files -----------------------------------------------------------------------------------------
    def save(self, path: str) -> None:
        """Write the weights (plain arrays, no pickle), config and version to a local file."""
        meta = {
            "format": CHECKPOINT_FORMAT,
            "config": self.config.to_dict(),
            "trained": self.trained,
            "version": self.version,
        }
        save_arrays(path, meta, {name: value.numpy() for name, value in self.network.state_dict().items()})

    def load(self, path: str) -> None:
        """Read a checkpoint written by `save`, or a Paddle3D ``.pdparams`` state dict of this architecture
        (see `plugins.paddle_det3d.layout`; read as arrays only, never with ``paddle.load``'s pickle)."""
        if Path(path).suffix == ".pdparams":
            self._use(*self._paddle3d(path), trained=True)
            return
        try:
            data, state = load_arrays(path)
        except AnnotatorError as error:
            raise PluginError(f"paddle-det3d: cannot read weights: {error}") from error
        if data.get("format") != CHECKPOINT_FORMAT:
            raise PluginError(f"paddle-det3d: {path} is not a paddle-det3d checkpoint ({CHECKPOINT_FORMAT})")
        try:
            config = PillarConfig.from_dict(data["config"])
        except (KeyError, TypeError, ValueError) as error:
            raise PluginError(f"paddle-det3d: {path}: damaged architecture ({error})") from error
        self._use(config, state, bool(data.get("trained", True)))

    def _paddle3d(self, path: str) -> tuple[PillarConfig, dict[str, np.ndarray]]:
        try:
            state = unwrap_paddle3d(read_pdparams(path))
            return config_from_state(state, self.config), state
        except Exception as error:  # unpickling raises many kinds for a file that is not a checkpoint
            raise PluginError(f"paddle-det3d: cannot read Paddle3D weights {path}: {error}") from error

    def _use(self, config: PillarConfig, state: dict[str, np.ndarray], trained: bool) -> None:
        """Rebuild the network for ``config`` and load ``state``, every parameter present with its shape."""
        network = PaddlePillarsNet(config)
        expected = network.state_dict()
        missing = sorted(set(expected) - set(state))
        wrong = sorted(
            k for k in expected if k in state and tuple(state[k].shape) != tuple(expected[k].shape)
        )
        if missing or wrong:
            named = ", ".join((missing + wrong)[:4])
            raise PluginError(f"paddle-det3d: weights do not fit the network ({len(missing)} missing, "
                              f"{len(wrong)} of another shape: {named})")  # fmt: skip
        network.set_state_dict({k: state[k] for k in expected})
        network.eval()
        self.config, self.network, self.trained = config, network, trained
        self.version = self._fingerprint()
