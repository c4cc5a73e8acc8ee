"""The plugin's model object: predict, MC-dropout and ensemble samples, fit, save and load.

A checkpoint holds one network or an ensemble of independently trained members (``ensemble_size``
networks from seeds ``seed``, ``seed + 1``, ...). `predict` and MC-dropout sampling use the first member;
ensemble sampling runs every member once, or, for a model with extra heads on its backbone
(`plugins.pointpillars.ensemble`, ``annotator train-ensemble``), the backbone once and every head. The version is ``"pp-"`` plus a hash of all weights, so it
changes with every fit and load that changes them.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.ml.manifest import manifest_from_dict
from annotator.ml.protocol import CancelToken, Detections, FitProgress, FrameInput, LabelledFrame, PluginError
from plugins.pointpillars import MANIFEST
from plugins.pointpillars.class_thresholds import above_class_thresholds
from plugins.pointpillars.complement import Complement, merge, network_first, source_measures
from plugins.pointpillars.config import PillarConfig
from plugins.pointpillars.convention import (
    ClassConvention,
    apply_convention,
    convention_from_dict,
    convention_to_dict,
    describe,
    learn_convention,
    match_boxes,
)
from plugins.pointpillars.corrections import corrected
from plugins.pointpillars.decode import Candidates, decode
from plugins.pointpillars.fast import CALIBRATION_FRAMES, GpuHalfNet, static_int8
from plugins.pointpillars.ground import ground_shift, levelled
from plugins.pointpillars.network import PointPillarsNet
from plugins.pointpillars.peaks import detections
from plugins.pointpillars.pillars import crop_points
from plugins.pointpillars.precision import autocast, quantized
from plugins.pointpillars.refine import RefineSettings, refine_detections
from plugins.pointpillars.training import Schedule, TrainSample, train_network

logger = logging.getLogger(__name__)

CHECKPOINT_FORMAT = "annotator-pointpillars/1"
#: MC-dropout passes run through the head together (bounds the memory of one pass).
HEAD_CHUNK = 8
MODES = ("mc_dropout", "ensemble")
#: A verified object with no proposal overlapping it this much was missed (the edit count's matching IoU).
MISSED_IOU = 0.1


@contextlib.contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run with ``count`` torch CPU threads (0: all cores but one), restoring the previous count."""
    previous = torch.get_num_threads()
    torch.set_num_threads(count if count > 0 else max(1, (os.cpu_count() or 2) - 1))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _copy(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {name: tensor.detach().clone() for name, tensor in state.items()}


def fit_epochs(values: dict[str, Any], frames: Sequence[LabelledFrame]) -> int:
    """The epochs of a fit: ``early_epochs`` (when set) while the host mixes generated frames in, i.e. the
    project has few verified frames (`annotator.ml.finetune.engine`), else ``epochs``."""
    early = int(values.get("early_epochs") or 0)
    return early if early and any(f.synthetic for f in frames) else int(values["epochs"])


class PointPillarsDetector:
    """PointPillars-style detector; ``config`` fixes the grid and network sizes of fresh weights."""

    def __init__(self, config: PillarConfig | None = None, seed: int = 0) -> None:
        self.manifest = manifest_from_dict(MANIFEST, "plugins.pointpillars")
        self.config = config or PillarConfig()
        self.members = [self._fresh(seed)]
        self.trained = False
        #: Extra ensemble heads on the first member's backbone, calibration maps and the OOD index
        #: (`plugins.pointpillars.ensemble.attach_extras`).
        self.heads: list[torch.nn.Module] = []
        self.calibration: dict[str, Any] = {}
        self.ood_index: Any = None
        #: The box convention learned from verified labels after fine-tuning (`plugins.pointpillars.convention`).
        self.convention: dict[str, ClassConvention] = {}
        #: Fine-tuned on verified frames (not only generated or pseudo-labelled ones): the user's box convention.
        self.adapted = False
        self.version = self._fingerprint()

    @classmethod
    def from_network(cls, net: PointPillarsNet) -> PointPillarsDetector:
        """A trained detector around ``net`` (its config and weights)."""
        detector = cls(net.config)
        detector.members = [net.eval()]
        detector.trained = True
        detector.version = detector._fingerprint()
        return detector

    # -- state -----------------------------------------------------------------------------------------
    def _fresh(self, seed: int) -> PointPillarsNet:
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            net = PointPillarsNet(self.config)
        return net.eval()

    def _fingerprint(self) -> str:
        digest = hashlib.sha1(repr(self.config.to_dict()).encode())
        if getattr(self, "convention", None):
            digest.update(repr(convention_to_dict(self.convention)).encode())
        for net in [*self.members, *getattr(self, "heads", [])]:
            for name, tensor in net.state_dict().items():
                digest.update(name.encode())
                digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
        return f"pp-{digest.hexdigest()[:12]}"

    def _values(self, params: dict[str, Any] | None) -> dict[str, Any]:
        values = self.manifest.parameter_values(params)
        self._use_grid(self.config.with_extent(values["x_extent"], values["y_extent"]))
        return values

    def _use_grid(self, config: PillarConfig) -> None:
        """Run every member on ``config``'s grid (same network shape, other ranges)."""
        if config == self.config:
            return
        logger.info("pointpillars: grid x %s, y %s", config.x_range, config.y_range)
        self.config = config
        for net in self.members:
            net.config = net.encoder.config = config
        self.version = self._fingerprint()

    @property
    def ensemble_size(self) -> int:
        """Independently trained networks in this model (or heads: the first member's and the extra ones)."""
        return 1 + len(self.heads) if self.heads else len(self.members)

    # -- prediction ------------------------------------------------------------------------------------
    def _inputs(self, frame: FrameInput) -> tuple[torch.Tensor, torch.Tensor] | None:
        """The frame's cropped points (ground-levelled when the config says so) and their batch index;
        the shift applied is kept in ``_shift`` for `_detections`."""
        if frame.points is None:
            return None
        points = np.asarray(frame.points, dtype=np.float32)
        self._shift = ground_shift(points, self.config.ground_z)
        if self._shift:
            points = points.copy()
            points[:, 2] += np.float32(self._shift)
        cropped = crop_points(points, self.config)
        # numpy's zeros, not torch's: this runs outside `torch_threads`, where a torch fill would start a
        # parallel region on every core and leave an OpenMP worker spinning beside the inference (11 % more
        # CPU time per frame on Argoverse sweeps, with 1 inference thread of 2 cores)
        return torch.from_numpy(cropped), torch.from_numpy(np.zeros(len(cropped), dtype=np.int64))

    def _detections(self, candidates: Candidates, values: dict[str, Any]) -> Detections:
        shift = getattr(self, "_shift", 0.0)
        found = detections(candidates, values["nms_iou"], shift, self.config.classes, self.version)
        if self.convention and values.get("box_convention", True):
            found.boxes = apply_convention(found.boxes, found.labels, self.config.classes, self.convention)
        return found

    def _decode(self, output: torch.Tensor, values: dict[str, Any]) -> list[Detections]:
        found = decode(output, self.config, values["score_threshold"], values["max_detections"])
        try:
            found = above_class_thresholds(found, values["class_thresholds"], self.config.classes)
        except ValueError as error:
            raise PluginError(f"pointpillars: {error}") from error
        return [self._detections(candidates, values) for candidates in found]

    def predict(self, frame: FrameInput, params: dict[str, Any]) -> Detections:
        """Detections (N, 7) in the LiDAR frame with per-class probabilities (first ensemble member)."""
        values = self._values(params)
        inputs = self._inputs(frame)
        if inputs is None:
            return Detections.empty(self.config.classes, self.version)
        net = self._inference_net(values["precision"])
        with torch_threads(values["threads"]), torch.inference_mode():
            with autocast(values["precision"]):
                output = net(*inputs, 1)
            found = self._decode(output.float(), values)[0]
        return self._checked([found], frame, values)[0]

    def _checked(
        self, found: list[Detections], frame: FrameInput, values: dict[str, Any]
    ) -> list[Detections]:
        """The network's detections of ``frame`` after ``short_cyclists`` and ``stride_heading``
        (`plugins.pointpillars.corrections`), ``refine`` and ``complement``
        (`plugins.pointpillars.complement`): where the complementing plugin's boxes win, they stand and the
        network adds the proposals none of them explains, those refined (``refine=drop`` only drops, else
        they are fitted); where the network wins, its proposals (refined as ``refine`` says) stand and the
        other plugin's boxes fill the objects none of them explains."""
        found = corrected(found, frame.points, values)
        settings = RefineSettings(values["refine_min_confidence"], values["refine_min_points"])
        complement = values["complement"] != "off"
        network_wins = complement and network_first(values["complement_priority"], self.adapted)
        if values["refine"] != "off" and (network_wins or not complement):
            move = values["refine"] == "fit"
            found = [refine_detections(f, frame.points, settings, move=move) for f in found]
        if not complement:
            return found
        other = self._complement(values["complement"]).detections(frame, self.config.classes, self.version)
        if network_wins:
            return [merge(f, other) for f in found]

        def check(added: Detections) -> Detections:
            return refine_detections(added, frame.points, settings, move=values["refine"] != "drop")

        return [merge(other, f, check) for f in found]

    def _complement(self, plugin_id: str) -> Complement:
        """The complementing plugin (loaded once per detector and id)."""
        cached = getattr(self, "_complements", None)
        if cached is None:
            cached = self._complements = {}
        if plugin_id not in cached:
            cached[plugin_id] = Complement(plugin_id)
        return cached[plugin_id]

    def _inference_net(self, precision: str) -> PointPillarsNet:
        """The first member, or its int8 (dynamic or static) or fp16 GPU copy (made once per model version)."""
        net = self.members[0].eval()
        if precision not in ("int8", "int8-static", "fp16-gpu"):
            return net
        cached = getattr(self, "_quantized", None)
        if cached is None or (cached[0], cached[2]) != (self.version, precision):
            if precision == "fp16-gpu":
                try:
                    copy = GpuHalfNet(net)
                except RuntimeError as error:
                    raise PluginError(f"pointpillars: {error}; choose another precision") from error
            else:
                copy = quantized(net) if precision == "int8" else static_int8(net, self._calibration_clouds())
            self._quantized = (self.version, copy, precision)
        return self._quantized[1]

    def _calibration_clouds(self) -> list[np.ndarray]:
        """Ground-levelled generated frames (the shipped weights' replay source) for static int8."""
        from annotator.synth.replay import generated_frames

        frames = generated_frames(self.config.classes, CALIBRATION_FRAMES, 0)
        return [levelled(f.frame.points, np.zeros((0, 7)), self.config.ground_z)[0] for f in frames]

    def predict_samples(
        self, frame: FrameInput, params: dict[str, Any], count: int, mode: str
    ) -> list[Detections]:
        """``count`` stochastic predictions: ``"mc_dropout"`` runs the encoder and backbone once and the
        head ``count`` times with dropout at rate ``mc_dropout_rate``; ``"ensemble"`` runs each member
        once (at most ``ensemble_size`` samples; a single network cannot give ensemble samples). With
        ``complement`` set, each sample is merged with the complementing plugin's boxes as `predict` does."""
        samples = self._samples_of(frame, params, count, mode)
        values = self._values(params)
        if values["complement"] == "off" or frame.points is None:
            return samples
        return self._checked(samples, frame, values)

    def finish_aggregated(self, frame: FrameInput, found: Detections, params: dict[str, Any]) -> Detections:
        """The host's aggregate of this model's samples, corrected as `predict` corrects its detections
        (`plugins.pointpillars.corrections`: short cyclists, stride heading), so that a scored box is the
        box pre-annotation would propose. The samples stay raw: their disagreement is the uncertainty. With
        ``complement`` set the samples were already merged and corrected (`predict_samples`)."""
        values = self._values(params)
        if values["complement"] != "off" or frame.points is None or len(found) == 0:
            return found
        return corrected([found], frame.points, values)[0]

    def _samples_of(
        self, frame: FrameInput, params: dict[str, Any], count: int, mode: str
    ) -> list[Detections]:
        values = self._values(params)
        if mode not in MODES:
            raise PluginError(f"pointpillars cannot sample in mode {mode!r} (modes: {', '.join(MODES)})")
        if mode == "ensemble" and self.ensemble_size < 2:
            raise PluginError(
                "pointpillars: this model is a single network, so it has no ensemble samples; give it heads "
                "with 'annotator train-ensemble', train it with ensemble_size >= 2 (fit) or sample with "
                "mode 'mc_dropout'"
            )
        if count < 1:
            return []
        inputs = self._inputs(frame)
        if inputs is None:
            return [Detections.empty(self.config.classes, self.version) for _ in range(count)]
        with torch_threads(values["threads"]), torch.inference_mode():
            if mode == "ensemble" and not self.heads:
                return self._ensemble_samples(inputs, values, count)
            net = self.members[0].eval()
            features = self._features(frame, inputs)
            if mode == "ensemble":
                heads = [net.head, *self.heads][:count]
                return [self._decode(head.eval()(features, 0.0), values)[0] for head in heads]
            samples: list[Detections] = []
            for start in range(0, count, HEAD_CHUNK):
                repeat = min(HEAD_CHUNK, count - start)
                output = net.forward_head(features.expand(repeat, -1, -1, -1), values["mc_dropout_rate"])
                samples += self._decode(output, values)
            return samples

    def _features(self, frame: FrameInput, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """The first member's backbone features of a frame, kept for the last frame (embeddings reuse them)."""
        key = (frame.name, len(inputs[0]), float(inputs[0][:64].sum()), self.version)
        cached = getattr(self, "_cached_features", None)
        if cached is not None and cached[0] == key:
            return cached[1]
        features = self.members[0].eval().forward_features(*inputs, 1)
        self._cached_features = (key, features)
        return features

    def frame_ood(self, frame: FrameInput, params: dict[str, Any]) -> float | None:
        """How far the frame's embedding lies from the training data's (`annotator.ml.uncertainty.ood`;
        None without an OOD index or points)."""
        from plugins.pointpillars.ensemble import frame_embedding

        values = self._values(params)
        inputs = self._inputs(frame)
        if self.ood_index is None or inputs is None:
            return None
        with torch_threads(values["threads"]), torch.inference_mode():
            embedding = frame_embedding(self._features(frame, inputs))
        return float(self.ood_index.score(embedding)[0])

    def frame_embedding(self, frame: FrameInput, params: dict[str, Any]) -> np.ndarray | None:
        """The frame's latent feature vector (mean backbone feature per channel; None without points)."""
        from plugins.pointpillars.ensemble import frame_embedding

        values = self._values(params)
        inputs = self._inputs(frame)
        if inputs is None:
            return None
        with torch_threads(values["threads"]), torch.inference_mode():
            return frame_embedding(self._features(frame, inputs))

    def box_embeddings(
        self, frame: FrameInput, boxes: np.ndarray, params: dict[str, Any]
    ) -> np.ndarray | None:
        """Each box's latent features (backbone at its centre cell, projected; None without points)."""
        from plugins.pointpillars.ensemble import object_embeddings

        values = self._values(params)
        inputs = self._inputs(frame)
        if inputs is None or len(boxes) == 0:
            return None
        with torch_threads(values["threads"]), torch.inference_mode():
            return object_embeddings(self._features(frame, inputs), np.asarray(boxes), self.members[0])

    def box_measures(
        self, frame: FrameInput, boxes: np.ndarray, params: dict[str, Any]
    ) -> dict[str, np.ndarray] | None:
        """Per-box measures of a hybrid frame's aggregated ``boxes`` (`plugins.pointpillars.complement.
        source_measures`: which the complementing plugin boxes too, and how many raw members found each);
        None without ``complement`` or points."""
        values = self._values(params)
        if values["complement"] == "off" or frame.points is None or not len(boxes):
            return None
        if self.ensemble_size >= 2:
            members = self._samples_of(frame, params, self.ensemble_size, "ensemble")
        else:  # one network: its plain pass (the head without dropout)
            members = self._samples_of(frame, {**params, "mc_dropout_rate": 0.0}, 1, "mc_dropout")
        other = self._complement(values["complement"]).detections(frame, self.config.classes, self.version)
        return source_measures(np.asarray(boxes), other, members)

    def _ensemble_samples(
        self, inputs: tuple[torch.Tensor, torch.Tensor], values: dict[str, Any], count: int
    ) -> list[Detections]:
        if count > self.ensemble_size:
            logger.warning(
                "pointpillars: %d ensemble samples asked, the model has %d members", count, self.ensemble_size
            )
        return [self._decode(net.eval()(*inputs, 1), values)[0] for net in self.members[:count]]

    # -- training --------------------------------------------------------------------------------------
    def _samples(self, frames: Sequence[LabelledFrame]) -> list[TrainSample]:
        index = {name: i for i, name in enumerate(self.config.classes)}
        samples = []
        for labelled in frames:
            if labelled.frame.points is None:
                continue
            targets = labelled.targets
            names = [targets.class_names[int(label)] for label in targets.labels]
            weights = np.ones(len(names)) if labelled.weights is None else np.asarray(labelled.weights)
            points, boxes = levelled(
                np.asarray(labelled.frame.points, dtype=np.float32),
                np.asarray(targets.boxes, dtype=np.float64)[:, :7],
                self.config.ground_z,
            )
            samples.append(
                TrainSample(
                    points,
                    boxes,
                    np.array([index.get(name, -1) for name in names], dtype=np.int64),
                    weights.astype(np.float32),
                    labelled.partial,
                )
            )
        return samples

    def fit(
        self, frames: Sequence[LabelledFrame], params: dict[str, Any], cancel: CancelToken
    ) -> Iterator[FitProgress]:
        """Train on labelled frames (boxes of other classes are "don't care"), yielding progress after
        every step. Fine-tunes the current weights unless ``from_scratch`` is set, the model is untrained
        or ``ensemble_size`` differs from the current number of members (then every member starts fresh).
        Cancelling stops before the next step and restores the weights from before the call."""
        values = self._values(params)
        samples = self._samples(frames)
        if not samples:
            raise PluginError("pointpillars: no labelled frame with points to train on")
        if values["missed_weight"] != 1.0 and self.trained and not values["from_scratch"]:
            self._emphasise_missed([f for f in frames if f.frame.points is not None], samples, values)
        size, seed = values["ensemble_size"], values["seed"]
        previous = (
            [_copy(net.state_dict()) for net in self.members],
            self.members,
            self.trained,
            self.convention,
        )
        if values["from_scratch"] or not self.trained or size != len(self.members):
            self.members = [self._fresh(seed + k) for k in range(size)]
        schedules = [
            Schedule(
                fit_epochs(values, frames),
                values["learning_rate"],
                values["batch_size"],
                values["train_dropout"],
                values["augment"],
                seed + k,
            )
            for k in range(size)
        ]
        total = sum(s.steps(len(samples)) for s in schedules)
        done = 0
        finished = False
        try:
            with torch_threads(values["threads"]):
                for k, (net, schedule) in enumerate(zip(self.members, schedules)):
                    for step, _, metrics in train_network(net, samples, schedule, cancel.is_set, done, total):
                        yield FitProgress(step, total, metrics, f"member {k + 1}/{size}" if size > 1 else "")
                    done += schedule.steps(len(samples))
                finished = not cancel.is_set()
                if finished:
                    self.adapted = self.adapted or any(not (f.synthetic or f.partial) for f in frames)
                    self.convention = (
                        self._learn_convention(frames, values) if values["box_convention"] else {}
                    )
        finally:
            if finished:
                self.trained = True
                from plugins.pointpillars.ensemble_online import refresh_extras

                if values["ensemble_refresh"]:
                    refresh_extras(
                        self, samples, cancel.is_set
                    )  # heads and OOD index follow the new backbone
                else:
                    self.heads, self.calibration, self.ood_index = [], {}, None
            else:
                self._restore(*previous)
            for net in self.members:
                net.eval()
            self.version = self._fingerprint()
            logger.info("pointpillars: fit %s, version %s", "done" if finished else "cancelled", self.version)

    def adaptation_card(self) -> dict[str, str]:
        """What fine-tuning learned beside the weights, for the model version's card."""
        return {"box convention": describe(self.convention)}

    def _restore(
        self, states: list[dict], members: list[PointPillarsNet], trained: bool, convention: dict
    ) -> None:
        for net, state in zip(members, states):
            net.load_state_dict(state)
        self.members, self.trained, self.convention = members, trained, convention

    def _emphasise_missed(
        self, frames: Sequence[LabelledFrame], samples: list[TrainSample], values: dict[str, Any]
    ) -> None:
        """Multiply the loss weight of the verified objects the current weights miss (no proposal at BEV
        IoU >= 0.1, as the edit count matches) by ``missed_weight``: the boxes the user had to add."""
        missed = 0
        for labelled, sample in zip(frames, samples):
            if labelled.partial or labelled.synthetic or not len(sample.boxes):
                continue
            found = self.predict(
                labelled.frame, {**values, "box_convention": False, "refine": "off", "complement": "off"}
            )
            proposals = [Cuboid.from_array(b[:7]) for b in found.boxes]
            for k, box in enumerate(np.asarray(labelled.targets.boxes)[:, :7]):
                truth = Cuboid.from_array(box)
                if sample.labels[k] >= 0 and not any(bev_iou(p, truth) >= MISSED_IOU for p in proposals):
                    sample.weights[k] *= values["missed_weight"]
                    missed += 1
        logger.info("pointpillars: %d missed objects weigh x%g", missed, values["missed_weight"])

    def _learn_convention(
        self, frames: Sequence[LabelledFrame], values: dict[str, Any]
    ) -> dict[str, ClassConvention]:
        """The box convention of the user's labels (verified frames: neither generated nor pseudo-labelled)
        against this model's uncorrected proposals on them, per class with enough matches."""
        raw = {**values, "box_convention": False, "refine": "off", "complement": "off"}
        pairs: dict[str, tuple[list, list]] = {}
        for labelled in frames:
            if labelled.partial or labelled.synthetic or labelled.frame.points is None:
                continue
            found = self.predict(labelled.frame, raw)
            targets = labelled.targets
            names = [targets.class_names[int(k)] for k in targets.labels]
            for k, name in enumerate(self.config.classes):
                truths = np.asarray(targets.boxes)[[n == name for n in names]].reshape(
                    -1, targets.boxes.shape[1]
                )
                proposals = found.boxes[found.labels == k]
                if not len(truths) or not len(proposals):
                    continue
                matched = match_boxes(
                    [Cuboid.from_array(b[:7]) for b in proposals], [Cuboid.from_array(b[:7]) for b in truths]
                )
                kept = pairs.setdefault(name, ([], []))
                kept[0].extend(proposals[i, :7] for i, _ in matched)
                kept[1].extend(truths[j, :7] for _, j in matched)
        convention = learn_convention(
            {n: (np.array(p), np.array(t)) for n, (p, t) in pairs.items()}, values["convention_min_boxes"]
        )
        logger.info("pointpillars: box convention %s", describe(convention))
        return convention

    # -- files -----------------------------------------------------------------------------------------
    def save(self, path: str) -> None:
        """Write a checkpoint (config, every member's weights, version; a fine-tuned model's ensemble heads and
        OOD index) to a local file."""
        from plugins.pointpillars.ensemble_online import extras_entry

        torch.save(
            {
                "format": CHECKPOINT_FORMAT,
                "config": self.config.to_dict(),
                "members": [net.state_dict() for net in self.members],
                "trained": self.trained,
                "version": self.version,
                "box_convention": convention_to_dict(self.convention),
                "adapted": self.adapted,
            }
            | extras_entry(self),
            path,
        )

    def load(self, path: str) -> None:
        """Read a checkpoint written by `save` (tensors and plain values only: ``weights_only``)."""
        try:
            data = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as error:  # a pickle wanting more than tensors is refused by weights_only
            raise PluginError(f"pointpillars: cannot read weights {path}: {type(error).__name__}") from error
        if not isinstance(data, dict) or data.get("format") != CHECKPOINT_FORMAT:
            raise PluginError(f"{path} is not a pointpillars checkpoint ({CHECKPOINT_FORMAT})")
        self.config = PillarConfig.from_dict(data["config"])
        members = []
        for state in data["members"]:
            net = PointPillarsNet(self.config)
            net.load_state_dict(state)
            members.append(net.eval())
        self.members, self.trained = members, bool(data.get("trained", True))
        self.convention = convention_from_dict(data.get("box_convention"))
        self.adapted = bool(data.get("adapted", False))
        from plugins.pointpillars.ensemble import attach_extras
        from plugins.pointpillars.ensemble_online import EXTRAS_KEY, restore_extras

        attach_extras(self, Path(path))
        if EXTRAS_KEY in data and not self.heads and self.ood_index is None:
            restore_extras(self, data[EXTRAS_KEY])  # a fine-tuned version's own heads and OOD index
        self.version = self._fingerprint()
