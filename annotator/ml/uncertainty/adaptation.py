"""Escalation that learns from the frames a person has verified (online adaptation).

Going through a sequence in order, the frames done so far are verified labels. After every frame the OOD
reference grows by it (as the window's does with every verified frame, `annotator.ml.uncertainty.verified_ood`);
after every ``every`` frames the rest is learned from them before the next frames are judged:

- the **error model** (`annotator.ml.uncertainty.error_model`): P(wrong) of a proposal from the
  ensemble's measures and its class, fitted on the verified frames' proposals judged against their
  labels. A frame judged after an adaptation is escalated on that P(wrong) instead of the raw
  uncertainty (the threshold then reads as "accept when the chance of being wrong is below it");
- the **OOD reference** (after every frame): the verified frames' embeddings join the detector's index of its training data
  (`OodIndex.extended`), so frames like those a person has already checked stop being out of
  distribution while frames of another sensor stay so;
- the **objectness** of unexplained point clusters (`annotator.ml.uncertainty.missed.ObjectnessModel`):
  which of the verified frames' unexplained clusters lay on a labelled object; the next frames' clusters
  are scored with it (before the first adaptation: the fixed prior);
- the **miss rate**: the share of the verified frames' objects the model did not propose and no flagged
  cluster showed (each frame as it was judged then, at ``cluster_threshold``). The rule reviews a frame
  whole while it is above ``max_miss_rate`` (nobody looks for the rest of what the model missed in a
  frame that is not reviewed whole, so accepting there leaves those objects out).

Frames before the first adaptation keep the model's own uncertainty and OOD score. When the detector
itself is fine-tuned on the verified frames (``simulate --adapt-model``), `OnlineAdapter.rebase` takes
its rebuilt index, which already holds the frames it trained on. `adapt_frames` works on frames already
scored by an unchanged detector (the same backbone throughout), so it needs no model.
``annotator simulate --strategy escalate --adapt-every K`` uses `OnlineAdapter` frame by frame,
``benchmarks/escalation.py --adapt-every K`` calls `adapt_frames`.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from annotator.ml.uncertainty.error_model import ErrorModel, feature_row
from annotator.ml.uncertainty.escalation import EscalationFrame
from annotator.ml.uncertainty.missed import DEFAULT_CLUSTER_THRESHOLD, ObjectnessModel, scored
from annotator.ml.uncertainty.ood import OodIndex
from annotator.ml.uncertainty.poisson_bound import gamma_quantile

logger = logging.getLogger(__name__)


def fit_error_model(frames: Sequence[EscalationFrame]) -> ErrorModel | None:
    """An error model of the frames' judged proposals (None when they hold none or lack measures)."""
    names: list[str] = []
    rows: list[list[float]] = []
    wrong: list[bool] = []
    for frame in frames:
        if len(frame.measures) != len(frame.proposals):
            continue
        names += [name for name, _ in frame.proposals]
        rows += [feature_row(m) for m in frame.measures]
        wrong += [bool(w) for w in frame.wrong]
    return ErrorModel.fit(names, rows, wrong) if names else None


def miss_rate(
    frames: Sequence[EscalationFrame], cluster_threshold: float = DEFAULT_CLUSTER_THRESHOLD
) -> float | None:
    """Share of the frames' ground-truth objects that no proposal covers and no cluster at or above
    ``cluster_threshold`` shows (None without objects)."""
    truths = sum(len(f.truths) for f in frames)
    return sum(f.unflagged_missed(cluster_threshold)[0] for f in frames) / truths if truths else None


def miss_growth(samples: Iterable[tuple[int, int, int]], credibility: float | None = None) -> float | None:
    """On a sequence whose finished labels are carried along, an object nobody found stays missing until a
    frame is looked over whole, so the share missed grows with the frames since then. From ``samples`` of frames
    a person looked over whole (age: frames since the last such frame before it, 1 for the next one; objects;
    objects missed) the growth per frame of age, a Poisson rate whose posterior under the Jeffreys prior is
    Gamma(sum(missed) + `MISS_PRIOR`, sum(age x objects)): its ``credibility`` quantile (the growth is then
    at most this with that probability), or its mean with None. A few reviews that found little do not
    mean a model that misses little (None without objects: not known yet)."""
    missed = exposure = 0
    for age, objects, lost in samples:
        missed += lost
        exposure += age * objects
    if not exposure:
        return None
    if credibility is None:
        return (missed + MISS_PRIOR) / exposure
    return gamma_quantile(credibility, missed + MISS_PRIOR, exposure)


#: The Jeffreys prior's half a miss added to those seen (`miss_growth`).
MISS_PRIOR = 0.5


def expected_miss_share(growth: float | None, age: int) -> float | None:
    """The share of objects missed on average over the frames since the last whole review, up to one of
    ``age``: growth x (age + 1) / 2, at most 1; 1 while the growth is unknown (no frame with boxes carried in
    was reviewed whole yet: any object could be missing, so the next one is, and teaches it). The rule reviews
    a frame whole when this passes ``max_miss_rate`` (1 or more: never): the residual it bounds is the share
    over all frames, not the worst frame's."""
    return 1.0 if growth is None else min(1.0, growth * (age + 1) / 2)


def judged_uncertainty(
    model: ErrorModel | None,
    names: Sequence[str],
    measures: Sequence[Mapping[str, Any]],
    fallback: Sequence[float],
) -> np.ndarray:
    """What the escalation rule thresholds for each proposal: ``model``'s P(wrong) from its class and
    measures, or the ``fallback`` (the stored uncertainty) without a model. Shared by the simulation and
    the window (`annotator.ml.uncertainty.project_escalation`)."""
    if model is None:
        return np.asarray(fallback, dtype=float)
    return model.p_wrong(names, [feature_row(m) for m in measures])


def judged_with(
    frame: EscalationFrame,
    model: ErrorModel | None,
    index: OodIndex | None,
    objectness: ObjectnessModel | None = None,
) -> EscalationFrame:
    """``frame`` with its uncertainty replaced by ``model``'s P(wrong), its OOD score by ``index``'s and its
    clusters' objectness by ``objectness``'s (each only where the model/index and the frame's
    measures/embedding are there; the clusters get the prior without a model)."""
    changes: dict = {"clusters": scored(frame.clusters, objectness)} if frame.clusters else {}
    if model is not None and len(frame.measures) == len(frame.proposals):
        names = [name for name, _ in frame.proposals]
        changes["uncertainty"] = judged_uncertainty(model, names, frame.measures, frame.uncertainty)
    if index is not None and frame.embedding is not None:
        changes["ood"] = float(index.score(frame.embedding)[0])
    return dataclasses.replace(frame, **changes) if changes else frame


class OnlineAdapter:
    """Judges frames handed over in annotation order, refitting after every ``every`` of them
    (module docstring); ``index``: the detector's OOD index of its training data (None: OOD unchanged)."""

    def __init__(
        self, every: int, index: OodIndex | None = None, cluster_threshold: float = DEFAULT_CLUSTER_THRESHOLD
    ) -> None:
        if every < 1:
            raise ValueError(f"adaptation needs every >= 1, got {every}")
        self.every, self.index, self.cluster_threshold = every, index, cluster_threshold
        self.done: list[EscalationFrame] = []
        #: The frames as they were judged (their objectness then), for the miss rate.
        self.judged: list[EscalationFrame] = []
        self.model: ErrorModel | None = None
        self.objectness: ObjectnessModel | None = None
        self.reference: OodIndex | None = None
        self.miss_rate: float | None = None
        #: Frames before this position were embedded by an older model version (see `rebase`).
        self.since = 0

    def judge(self, frame: EscalationFrame) -> EscalationFrame:
        """``frame`` judged with what the frames before it taught; it then counts as verified."""
        if self.done and self.index is not None:  # a verified frame is known data at once, as in the window
            seen = [f.embedding for f in self.done[self.since :] if f.embedding is not None]
            self.reference = self.index.extended(np.vstack(seen)) if seen else self.index
        if self.done and len(self.done) % self.every == 0:
            self.model = fit_error_model(self.done) or self.model
            clusters = [c for f in self.done for c in f.clusters]
            self.objectness = ObjectnessModel.fit(clusters) or self.objectness
            self.miss_rate = miss_rate(self.judged, self.cluster_threshold)
            logger.debug("adapted on %d frames", len(self.done))
        self.done.append(frame)
        judged = judged_with(frame, self.model, self.reference, self.objectness)
        self.judged.append(judged)
        return judged if self.miss_rate is None else dataclasses.replace(judged, miss_rate=self.miss_rate)

    def rebase(self, index: OodIndex | None) -> None:
        """The model was fine-tuned on the frames so far: its own new index (which holds them) replaces
        the reference, and only later frames' embeddings (made by the new backbone) will join it."""
        self.index, self.reference, self.since = index, index, len(self.done)


def adapt_frames(
    frames: Sequence[EscalationFrame],
    every: int,
    index: OodIndex | None = None,
    cluster_threshold: float = DEFAULT_CLUSTER_THRESHOLD,
) -> list[EscalationFrame]:
    """The frames (in annotation order) as judged with online adaptation every ``every`` frames."""
    adapter = OnlineAdapter(every, index, cluster_threshold)
    return [adapter.judge(frame) for frame in frames]
