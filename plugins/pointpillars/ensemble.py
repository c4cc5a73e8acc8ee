"""Ensemble heads, calibration and the OOD index of a trained pointpillars model ("extras").

``annotator train-ensemble`` freezes a trained model's encoder and backbone, computes their features once
on generated frames (plain and augmented as in base training), and trains ``heads`` independently
initialised heads on them (seeds ``seed``, ``seed + 1``, ...): an ensemble whose members share the one
expensive backbone pass. It then scores held-apart generated frames with the ensemble, fits isotonic
calibration maps (score -> P(right), uncertainty -> P(wrong)) and measures the expected calibration error
before/after on half of them not used for fitting, and builds the OOD index from the frames' embeddings
(mean backbone feature per channel). Beside the weights ``W.pt`` it writes ``W.ensemble.pt`` (the heads),
``W.ood.npz`` (the index) and ``W.ensemble.json`` (the card: hashes of all three files, options, times,
calibration, measured cost). `attach_extras` loads them with the weights when the hashes match.
"""

from __future__ import annotations

import json
import logging
import math
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from annotator.ml.protocol import FrameInput
from annotator.ml.uncertainty.aggregate import aggregate, box_iou
from annotator.ml.uncertainty.calibration import IsotonicMap, expected_calibration_error, held_out_report
from annotator.ml.uncertainty.evaluation import ScoredBox, auroc, wrong_proposals
from annotator.ml.uncertainty.ood import OodIndex
from annotator.ml.weights import file_digest
from plugins.pointpillars.base_augment import ObjectBank, base_sample
from plugins.pointpillars.base_data import CachedFrame, build_cache, load_frame
from plugins.pointpillars.network import Head, PointPillarsNet
from plugins.pointpillars.training import Batch, TrainSample, losses, make_batch

logger = logging.getLogger(__name__)

HEADS_FORMAT = "annotator-pointpillars-heads/1"
HEADS_SUFFIX = ".ensemble.pt"
CARD_SUFFIX = ".ensemble.json"
OOD_SUFFIX = ".ood.npz"
PARTIAL_SUFFIX = ".ensemble.partial.pt"
DEFAULT_SENSORS = ("hdl64e", "vlp32c", "pandar128", "vlp16")
#: Dropout of the head's dropout sites while its heads train (as in base training).
HEAD_DROPOUT = 0.1
#: Random projection of an object's backbone feature to this many numbers (stored on proposals).
OBJECT_EMBEDDING = 16


@dataclass
class EnsembleOptions:
    """What ``train-ensemble`` does."""

    heads: int = 4
    frames: int = 32
    calibration_frames: int = 16
    epochs: int = 6
    #: Heads train on random windows of this many output rows (along x) of the frozen features.
    crop_rows: int = 80
    augmented_copies: int = 1
    seed: int = 7
    learning_rate: float = 0.004
    batch_size: int = 4
    sensors: tuple[str, ...] = DEFAULT_SENSORS
    cache: str = ""
    threads: int = 1
    score_threshold: float = 0.3

    def to_dict(self) -> dict[str, Any]:
        """Plain values."""
        return asdict(self) | {"sensors": list(self.sensors)}


def extras_paths(weights: Path) -> dict[str, Path]:
    """The files written beside ``weights``: heads, card, OOD index, and the partial (resume) file."""
    stem = weights.with_suffix("")
    return {
        "heads": Path(f"{stem}{HEADS_SUFFIX}"),
        "card": Path(f"{stem}{CARD_SUFFIX}"),
        "ood": Path(f"{stem}{OOD_SUFFIX}"),
        "partial": Path(f"{stem}{PARTIAL_SUFFIX}"),
    }


# -- features and embeddings ---------------------------------------------------------------------------
def frame_embedding(features: torch.Tensor) -> np.ndarray:
    """A frame's embedding: the mean of each backbone channel over the grid (features (1, C, H, W))."""
    return features.float().mean(dim=(2, 3))[0].cpu().numpy().astype(np.float64)


def object_embeddings(features: torch.Tensor, boxes: np.ndarray, net: PointPillarsNet) -> np.ndarray:
    """Each box's backbone feature at its centre cell, randomly projected (fixed seed) to
    `OBJECT_EMBEDDING` numbers: (N, OBJECT_EMBEDDING); boxes in the levelled frame."""
    config = net.config
    _, channels, height, width = features.shape
    cell = config.output_cell
    rows = np.clip(((boxes[:, 0] - config.x_range[0]) / cell).astype(int), 0, height - 1)
    cols = np.clip(((boxes[:, 1] - config.y_range[0]) / cell).astype(int), 0, width - 1)
    picked = features[0, :, torch.from_numpy(rows), torch.from_numpy(cols)].T.float().cpu().numpy()
    projection = np.random.default_rng(0).normal(size=(channels, OBJECT_EMBEDDING)) / math.sqrt(channels)
    return picked @ projection


# -- training the heads --------------------------------------------------------------------------------
@dataclass
class HeadSample:
    """A frame's frozen backbone features (half precision) and its head targets."""

    features: torch.Tensor
    batch: Batch


def _feature_sample(net: PointPillarsNet, sample: TrainSample) -> HeadSample:
    batch = make_batch([sample], net.config, None)
    with torch.inference_mode():
        features = net.forward_features(batch.points, batch.frame, 1)
    return HeadSample(features[0].half(), batch)


def crop(sample: HeadSample, start: int, rows: int) -> HeadSample:
    """Rows ``start .. start + rows`` (along x) of a sample's features and targets; objects whose centre
    cell lies outside are dropped (their regression targets are relative to their cell, so unchanged)."""
    width = sample.features.shape[2]
    b = sample.batch
    row = b.cells // width
    keep = (row >= start) & (row < start + rows)
    cropped = Batch(
        b.points, b.frame, 1, b.heatmap[:, :, start : start + rows], b.weight_map[:, start : start + rows],
        b.cells[keep] - start * width, b.boxes[keep], b.direction[keep], b.weights[keep],
    )  # fmt: skip
    return HeadSample(sample.features[:, start : start + rows], cropped)


def collate(samples: Sequence[HeadSample]) -> tuple[torch.Tensor, Batch]:
    """Features (B, C, H, W) and one batch of targets (cells offset per frame, as `make_batch`)."""
    features = torch.stack([s.features.float() for s in samples])
    cells_per_frame = features.shape[2] * features.shape[3]
    parts = [s.batch for s in samples]
    batch = Batch(
        torch.zeros(0, 4), torch.zeros(0, dtype=torch.int64), len(samples),
        torch.cat([b.heatmap for b in parts]), torch.cat([b.weight_map for b in parts]),
        torch.cat([b.cells + k * cells_per_frame for k, b in enumerate(parts)]),
        torch.cat([b.boxes for b in parts]), torch.cat([b.direction for b in parts]),
        torch.cat([b.weights for b in parts]),
    )  # fmt: skip
    return features, batch


def new_head(net: PointPillarsNet, seed: int) -> Head:
    """A freshly initialised head of ``net``'s shape."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return Head(net.backbone.out_channels, net.config.head_channels, len(net.config.classes))


def train_head(
    head: Head,
    samples: Sequence[HeadSample],
    options: EnsembleOptions,
    seed: int,
    cancelled: Callable[[], bool],
) -> list[float]:
    """Train one head on frozen features (AdamW, one cycle); its mean loss per epoch (recompute its
    batch-norm statistics afterwards: `recompute_head_norm`)."""
    rng = np.random.default_rng(seed)
    optimiser = torch.optim.AdamW(head.parameters(), lr=options.learning_rate, weight_decay=0.01)
    steps = options.epochs * math.ceil(len(samples) / options.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, options.learning_rate, total_steps=steps,
                                                   pct_start=0.2, div_factor=10.0)  # fmt: skip
    classes = len(head.heatmap.weight)
    history = []
    head.train()
    for _ in range(options.epochs):
        seen = []
        order = rng.permutation(len(samples))
        for start in range(0, len(order), options.batch_size):
            if cancelled():
                return history
            chosen = [samples[i] for i in order[start : start + options.batch_size]]
            height = chosen[0].features.shape[1]
            rows = min(options.crop_rows, height)
            if rows < height:  # a random window along x: the same objects and background, less arithmetic
                first = int(rng.integers(0, height - rows + 1))
                chosen = [crop(sample, first, rows) for sample in chosen]
            features, batch = collate(chosen)
            terms = losses(head(features, HEAD_DROPOUT), batch, classes)
            optimiser.zero_grad(set_to_none=True)
            terms["loss"].backward()
            optimiser.step()
            schedule.step()
            seen.append(float(terms["loss"].detach()))
        history.append(float(np.mean(seen)))
    head.eval()
    return history


def recompute_head_norm(head: Head, samples: Sequence[HeadSample], batch_size: int) -> None:
    """Batch-norm statistics of the head as the plain average over ``samples``; leaves it in eval mode."""
    norms = [m for m in head.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None
    head.train()
    with torch.no_grad():
        for start in range(0, len(samples), batch_size):
            head(collate(samples[start : start + batch_size])[0], 0.0)
    for norm in norms:
        norm.momentum = 0.01
    head.eval()


# -- attaching to a model ------------------------------------------------------------------------------
def read_card(weights: Path) -> dict[str, Any] | None:
    """The extras card beside ``weights``, or None."""
    path = extras_paths(weights)["card"]
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return card if isinstance(card, dict) else None


def attach_extras(detector: Any, weights: Path) -> None:
    """Give ``detector`` (just loaded from ``weights``) the heads, calibration and OOD index written beside
    them, when the card's hashes match these weights and files; otherwise leave it without (logged)."""
    detector.heads, detector.calibration, detector.ood_index = [], {}, None
    detector.extras_in_checkpoint = False  # extras beside the weights are not copied into saved checkpoints
    card = read_card(weights)
    if card is None:
        return
    paths = extras_paths(weights)
    hashes = card.get("sha256", {})
    if hashes.get("weights") != file_digest(weights):
        logger.warning("%s: ensemble extras were made for other weights; run train-ensemble again", weights)
        return
    if paths["heads"].is_file() and hashes.get("heads") == file_digest(paths["heads"]):
        data = torch.load(paths["heads"], map_location="cpu", weights_only=True)
        if isinstance(data, dict) and data.get("format") == HEADS_FORMAT:
            net = detector.members[0]
            heads = []
            for k, state in enumerate(data["heads"]):
                head = new_head(net, k)
                head.load_state_dict(state)
                heads.append(head.eval())
            detector.heads = heads
    else:
        logger.warning("%s: ensemble heads missing or changed (hash); ignored", paths["heads"])
    if paths["ood"].is_file() and hashes.get("ood") == file_digest(paths["ood"]):
        try:
            detector.ood_index = OodIndex.load(paths["ood"])
        except ValueError as error:
            logger.warning("%s", error)
    maps = {}
    for name, data in card.get("calibration", {}).get("maps", {}).items():
        try:
            maps[name] = IsotonicMap.from_dict(data)
        except ValueError as error:
            logger.warning("%s: calibration %s: %s", paths["card"], name, error)
    detector.calibration = maps
    detector.version = detector._fingerprint()


# -- the command ---------------------------------------------------------------------------------------
@dataclass
class EnsembleRun:
    """What a train-ensemble run measured (becomes the card)."""

    losses: list[list[float]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def _partial(path: Path) -> dict[str, Any]:
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _eval_frame(
    frame: CachedFrame, name: str
) -> tuple[FrameInput, list[tuple[str, np.ndarray]], list[np.ndarray]]:
    from plugins.pointpillars.config import CLASSES

    truths = [(CLASSES[int(k)], b) for b, k in zip(frame.boxes, frame.labels) if k >= 0]
    ignore = [b for b, k in zip(frame.boxes, frame.labels) if k < 0]
    return FrameInput(name, frame.points), truths, ignore


def collect_outcomes(
    detector: Any, frames: Sequence[CachedFrame], params: dict[str, Any]
) -> dict[str, np.ndarray]:
    """Ensemble-score generated frames: per box, whether it is wrong, its mean score and uncertainty, and
    the first head's score (one pass); boxes on "don't care" objects are left out."""
    wrong, score, uncertainty = [], [], []
    for k, frame in enumerate(frames):
        inputs, truths, ignore = _eval_frame(frame, f"calibration {k}")
        samples = detector.predict_samples(inputs, params, detector.ensemble_size, "ensemble")
        found = [b for b in aggregate(samples) if b.score >= params["score_threshold"] / 2]
        found = [b for b in found if not any(box_iou(b.box[:7], c) >= 0.3 for c in ignore)]
        scored = [ScoredBox(b.class_name, b.box, b.score) for b in found]
        wrong += wrong_proposals(scored, truths)
        score += [b.score for b in found]
        uncertainty += [b.uncertainty for b in found]
    return {"wrong": np.array(wrong, bool), "score": np.array(score), "uncertainty": np.array(uncertainty)}


def calibrate(outcomes: dict[str, np.ndarray]) -> dict[str, Any]:
    """Isotonic maps fitted on all boxes, and ECE before/after measured on the second half fitted on the
    first (boxes in frame order)."""
    wrong = outcomes["wrong"]
    if len(wrong) < 4 or wrong.all() or not wrong.any():
        return {"boxes": len(wrong), "note": "too few boxes or no right/wrong mix to calibrate"}
    half = len(wrong) // 2
    right = ~wrong
    inputs = {"score": (outcomes["score"], right), "uncertainty": (outcomes["uncertainty"], wrong)}
    report: dict[str, Any] = {"boxes": len(wrong), "wrong": int(wrong.sum()), "maps": {}, "ece": {}}
    for name, (values, outcome) in inputs.items():
        report["ece"][name] = held_out_report(
            values[:half], outcome[:half], values[half:], outcome[half:]
        ).to_dict()
        report["maps"][name] = IsotonicMap.fit(values, outcome).to_dict()
    report["auroc"] = {
        "uncertainty": round(auroc(outcomes["uncertainty"], wrong), 4),
        "1 - score": round(auroc(1.0 - outcomes["score"], wrong), 4),
    }
    report["ece_all_raw"] = {
        "score": round(expected_calibration_error(outcomes["score"], right), 4),
        "uncertainty": round(expected_calibration_error(outcomes["uncertainty"], wrong), 4),
    }
    return report


def measure_cost(detector: Any, frames: Sequence[CachedFrame], params: dict[str, Any]) -> dict[str, float]:
    """Seconds per frame of one pass (predict) and of ensemble sampling (all members), medians."""
    one, many = [], []
    for k, frame in enumerate(frames):
        inputs = FrameInput(f"cost {k}", frame.points)
        start = time.perf_counter()
        detector.predict(inputs, params)
        one.append(time.perf_counter() - start)
        start = time.perf_counter()
        detector.predict_samples(inputs, params, detector.ensemble_size, "ensemble")
        many.append(time.perf_counter() - start)
    single, ensemble = float(np.median(one)), float(np.median(many))
    return {"one_pass_s": round(single, 4), "ensemble_s": round(ensemble, 4),
            "ratio": round(ensemble / single, 2) if single else 0.0}  # fmt: skip


def train_ensemble(
    weights: Path,
    options: EnsembleOptions,
    log: Callable[[str], None],
    cancelled: Callable[[], bool] = lambda: False,
) -> dict[str, Any] | None:
    """Train the heads, calibrate, build the OOD index and write the extras beside ``weights``; the card
    (None when cancelled: finished heads stay in the partial file for a resume)."""
    from plugins.pointpillars.model import PointPillarsDetector, torch_threads

    paths = extras_paths(weights)
    started = time.monotonic()
    detector = PointPillarsDetector()
    detector.load(str(weights))
    net = detector.members[0].eval()
    cache = (
        Path(options.cache) if options.cache else Path(tempfile.gettempdir()) / "annotator-ensemble-frames"
    )
    total = options.frames + options.calibration_frames
    log(f"{total} generated frames (seed {options.seed}, {', '.join(options.sensors)}) in {cache}")
    files = build_cache(cache, total, options.sensors, options.seed)
    frames = [load_frame(p) for p in files]
    train, held = frames[: options.frames], frames[options.frames :]
    seconds = {"frames": time.monotonic() - started}
    with torch_threads(options.threads):
        rng = np.random.default_rng([options.seed, 3])
        bank = ObjectBank(train, len(net.config.classes))
        plain = [TrainSample(f.points, f.boxes, f.labels, np.ones(len(f.boxes), np.float32)) for f in train]
        samples = [_feature_sample(net, s) for s in plain]
        plain_count = len(samples)
        for _ in range(options.augmented_copies):
            samples += [_feature_sample(net, base_sample(f, bank, rng)) for f in train]
        seconds["features"] = time.monotonic() - started - seconds["frames"]
        log(f"features of {len(samples)} samples ({plain_count} plain) in {seconds['features']:.0f} s")
        partial = _partial(paths["partial"])
        if partial.get("base") != file_digest(weights) or partial.get("options") != options.to_dict():
            partial = {}
        states: list[dict[str, torch.Tensor]] = list(partial.get("heads", []))
        history: list[list[float]] = list(partial.get("losses", []))
        if states:
            log(f"resuming: {len(states)} of {options.heads} heads already trained")
        for k in range(len(states), options.heads):
            head_start = time.monotonic()
            head = new_head(net, options.seed * 1000 + k)
            history.append(train_head(head, samples, options, options.seed * 1000 + k, cancelled))
            if cancelled():
                log(f"stopped while training head {k + 1}; {len(states)} heads kept in {paths['partial']}")
                return None
            recompute_head_norm(head, samples[:plain_count], options.batch_size)
            states.append(head.state_dict())
            torch.save({"base": file_digest(weights), "options": options.to_dict(), "heads": states,
                        "losses": history}, paths["partial"])  # fmt: skip
            log(f"head {k + 1}/{options.heads}: loss by epoch {', '.join(f'{v:.3f}' for v in history[-1])} "
                f"({time.monotonic() - head_start:.0f} s)")  # fmt: skip
        seconds["heads"] = time.monotonic() - started - seconds["frames"] - seconds["features"]
        embeddings = np.array([frame_embedding(s.features[None]) for s in samples[:plain_count]])
        with torch.inference_mode():
            embeddings = np.vstack([embeddings, *held_embeddings(net, held)])
        card = write_extras(weights, states, OodIndex.build(embeddings), {"options": options.to_dict()})
        detector.load(str(weights))
        params = detector.manifest.parameter_values(
            {"score_threshold": options.score_threshold, "threads": options.threads}
        )
        card["calibration"] = calibrate(collect_outcomes(detector, held, params))
        card["cost_per_frame"] = measure_cost(detector, held[:5], params)
    seconds["total"] = time.monotonic() - started
    card |= {
        "losses": [[round(v, 4) for v in h] for h in history],
        "ood_index": {"frames": len(embeddings), "dimensions": int(embeddings.shape[1])},
        "seconds": {k: round(v, 1) for k, v in seconds.items()},
    }
    paths["card"].write_text(json.dumps(card, indent=1), encoding="utf-8")
    paths["partial"].unlink(missing_ok=True)
    log(f"wrote {paths['heads'].name}, {paths['ood'].name}, {paths['card'].name} ({seconds['total']:.0f} s)")
    return card


def write_extras(
    weights: Path, heads: Sequence[dict[str, torch.Tensor]], ood: OodIndex | None, extra: dict[str, Any]
) -> dict[str, Any]:
    """Write the heads and the OOD index beside ``weights`` and a card holding the hashes of all three
    (and ``extra``); the card."""
    paths = extras_paths(weights)
    torch.save({"format": HEADS_FORMAT, "heads": list(heads)}, paths["heads"])
    hashes = {"weights": file_digest(weights), "heads": file_digest(paths["heads"])}
    if ood is not None:
        ood.save(paths["ood"])
        hashes["ood"] = file_digest(paths["ood"])
    card = {
        "what": "ensemble heads, calibration and OOD index of a pointpillars model (annotator train-ensemble)",
        "weights": weights.name,
        "sha256": hashes,
        "members": 1 + len(heads),
        **extra,
    }
    paths["card"].write_text(json.dumps(card, indent=1), encoding="utf-8")
    return card


def held_embeddings(net: PointPillarsNet, frames: Sequence[CachedFrame]) -> list[np.ndarray]:
    """Frame embeddings of cached frames (plain)."""
    out = []
    for frame in frames:
        sample = TrainSample(frame.points, frame.boxes, frame.labels, np.ones(len(frame.boxes), np.float32))
        out.append(frame_embedding(_feature_sample(net, sample).features[None]))
    return out
