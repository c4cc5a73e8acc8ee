"""The plugin's model object: predict, MC-dropout samples, fit, save and load.

The version is ``"det2d-"`` plus a hash of all weights (batch-norm statistics included), so it changes
with every fit and with every load of different weights. Paddle's CPU threads are capped inside
`predict`, `predict_samples` and `fit` (parameter ``threads``), never at import.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import paddle

from annotator.core.errors import AnnotatorError
from annotator.ml.manifest import manifest_from_dict
from annotator.ml.protocol import CancelToken, Detections, FitProgress, FrameInput, LabelledFrame, PluginError
from annotator.ml.safe_weights import load_arrays, save_arrays
from plugins.paddle_det2d import MANIFEST
from plugins.paddle_det2d.config import DetectorConfig, cap_threads
from plugins.paddle_det2d.decode import decode, sigmoid
from plugins.paddle_det2d.images import resize, to_network
from plugins.paddle_det2d.network import CenterDetector
from plugins.paddle_det2d.samples import prepare_samples
from plugins.paddle_det2d.training import Schedule, train_network

logger = logging.getLogger(__name__)

CHECKPOINT_FORMAT = "annotator-paddle-det2d/2"  # 2: arrays in .npz (1 was a pickle, refused)
#: MC-dropout samples run through the head together in batches of this many (bounds memory).
HEAD_CHUNK = 8


class PaddleDetector2D:
    """Compact CenterNet/TTFNet-style 2D detector; ``config`` fixes the network of fresh weights."""

    def __init__(self, config: DetectorConfig | None = None, seed: int = 0) -> None:
        self.manifest = manifest_from_dict(MANIFEST, "plugins.paddle_det2d")
        self.config = config or DetectorConfig(classes=self.manifest.classes)
        self.network = self._fresh_network(seed)
        self.version = self._digest()

    @property
    def class_names(self) -> tuple[str, ...]:
        """The classes the network predicts, in label order."""
        return self.config.classes

    def _fresh_network(self, seed: int) -> CenterDetector:
        paddle.seed(seed)
        network = CenterDetector(self.config)
        network.eval()
        return network

    def _digest(self) -> str:
        digest = hashlib.sha1()
        for name, value in sorted(self.network.state_dict().items()):
            digest.update(name.encode())
            digest.update(np.ascontiguousarray(value.numpy()).tobytes())
        return f"det2d-{digest.hexdigest()[:12]}"

    def _values(self, params: dict[str, Any] | None) -> dict[str, Any]:
        return self.manifest.parameter_values(params)

    def _features(self, image: np.ndarray, scale: float) -> paddle.Tensor:
        return self.network.forward_features(paddle.to_tensor(to_network([resize(image, scale)])))

    def _detections(
        self,
        logits: paddle.Tensor,
        distances: paddle.Tensor,
        image: np.ndarray,
        camera: str,
        values: dict[str, Any],
    ) -> Detections:
        found = decode(
            sigmoid(logits.numpy()),
            distances.numpy(),
            values["input_scale"],
            image.shape[:2],
            values["score_threshold"],
            values["nms_iou"],
            values["max_detections"],
        )
        return Detections(
            found.boxes,
            found.labels,
            found.scores,
            self.class_names,
            self.version,
            found.probabilities,
            camera,
        )

    def predict(self, frame: FrameInput, params: dict[str, Any]) -> list[Detections]:
        """One `Detections` per camera image of the frame (an empty list for a frame without images)."""
        values = self._values(params)
        cap_threads(values["threads"])
        results = []
        with paddle.no_grad():
            for camera, image in frame.images.items():
                logits, distances = self.network.forward_head(self._features(image, values["input_scale"]))
                results.append(self._detections(logits[0], distances[0], image, camera, values))
        return results

    def predict_samples(
        self, frame: FrameInput, params: dict[str, Any], count: int, mode: str
    ) -> list[Detections]:
        """``count`` MC-dropout samples per camera image, sample by sample (for one camera: ``count`` items).

        The backbone and pyramid run once per image; only the head is re-run with its dropout sites active
        at ``dropout_rate``.
        """
        if mode != "mc_dropout":
            raise PluginError(f"paddle-det2d samples only in mode 'mc_dropout', not {mode!r}")
        values = self._values(params)
        cap_threads(values["threads"])
        per_camera = []
        with paddle.no_grad():
            for camera, image in frame.images.items():
                features = self._features(image, values["input_scale"])
                samples = []
                for first in range(0, count, HEAD_CHUNK):
                    repeats = min(HEAD_CHUNK, count - first)
                    logits, distances = self.network.forward_head(
                        paddle.tile(features, [repeats, 1, 1, 1]), values["dropout_rate"]
                    )
                    samples += [
                        self._detections(logits[i], distances[i], image, camera, values)
                        for i in range(repeats)
                    ]
                per_camera.append(samples)
        return [samples[k] for k in range(count) for samples in per_camera]

    def fit(
        self, frames: Sequence[LabelledFrame], params: dict[str, Any], cancel: CancelToken
    ) -> Iterator[FitProgress]:
        """Train on labelled camera frames, yielding progress per step; stops early when cancelled."""
        values = self._values(params)
        cap_threads(values["threads"])
        samples = prepare_samples(frames, self.class_names, values["input_scale"])
        if not samples:
            raise PluginError("paddle-det2d: none of the labelled frames has an image for its targets")
        if values["from_scratch"]:
            self.network = self._fresh_network(values["seed"])
        paddle.seed(values["seed"])
        schedule = Schedule(
            values["epochs"],
            values["learning_rate"],
            values["batch_size"],
            values["crop_width"],
            values["dropout_rate"],
            values["augment"],
        )
        self.config = DetectorConfig(**{**self.config.__dict__, "train_scale": values["input_scale"]})
        try:
            yield from train_network(
                self.network, samples, schedule, cancel, np.random.default_rng(values["seed"])
            )
        finally:
            self.version = self._digest()
            logger.info("paddle-det2d trained on %d images: version %s", len(samples), self.version)

    def save(self, path: str) -> None:
        """Write weights (plain arrays, no pickle), architecture and version to a local file."""
        meta = {"format": CHECKPOINT_FORMAT, "config": self.config.to_dict(), "version": self.version}
        save_arrays(path, meta, {name: value.numpy() for name, value in self.network.state_dict().items()})

    def load(self, path: str) -> None:
        """Read a checkpoint written by `save` (arrays only: a pickled file is refused, never run); the
        network is rebuilt from its stored architecture."""
        try:
            data, state = load_arrays(path)
        except AnnotatorError as error:
            raise PluginError(f"paddle-det2d: cannot read weights: {error}") from error
        if data.get("format") != CHECKPOINT_FORMAT:
            raise PluginError(f"paddle-det2d: {path} is not a paddle-det2d checkpoint")
        try:
            self.config = DetectorConfig.from_dict(data["config"])
        except (KeyError, TypeError, ValueError) as error:
            raise PluginError(f"paddle-det2d: {path}: damaged architecture ({error})") from error
        network = CenterDetector(self.config)
        network.set_state_dict(state)
        network.eval()
        self.network = network
        self.version = self._digest()
