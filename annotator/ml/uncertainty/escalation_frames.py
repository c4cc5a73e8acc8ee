"""Turning a model's K-pass predictions of a frame with known ground truth into an `EscalationFrame`.

Shared by ``annotator simulate --strategy escalate`` and ``benchmarks/escalation.py``: sample the frame,
aggregate the passes, keep the objects whose mean score reaches ``min_score``, add the plugin's own
measures (OOD score, calibration), mark each proposal wrong or right against the truth, and find the
frame's point clusters no proposal explains (possible missed objects, with the prior objectness and the
object each lies on).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.ml.manifest import PluginManifest
from annotator.ml.protocol import FrameInput
from annotator.ml.uncertainty.aggregate import aggregate
from annotator.ml.uncertainty.escalation import OOD_KEY, EscalationFrame
from annotator.ml.uncertainty.evaluation import ScoredProposal, wrong_proposals, wrong_unless_dont_care
from annotator.ml.uncertainty.missed import (
    ClusterSettings,
    MissedCluster,
    scored,
    unexplained_clusters,
    with_truths,
)
from annotator.ml.uncertainty.sampling import sample_frame
from annotator.ml.uncertainty.scoring import add_model_measures

logger = logging.getLogger(__name__)


def escalation_frame(
    model: Any,
    manifest: PluginManifest,
    inputs: FrameInput,
    values: dict[str, Any],
    mode: str,
    passes: int,
    truths: Sequence[tuple[str, Cuboid]],
    ignore: Sequence[Cuboid] = (),
    min_score: float = 0.3,
    keep: Callable[[Cuboid], bool] | None = None,
    clusters: ClusterSettings | None = None,
) -> EscalationFrame:
    """Score one frame and judge its proposals (module docstring); proposals on "don't care" objects are
    never wrong; ``keep`` leaves out proposals where nothing is labelled (e.g. beyond a labelling range).
    The frame's ``score`` holds each proposal's score in the first pass (0 where it missed it): the
    detector's own score, the baseline the uncertainty is compared with. ``clusters``: how unexplained
    clusters are found (default `ClusterSettings`)."""
    samples = sample_frame(model, manifest, inputs, values, mode, passes).get(None, [])
    found = [b for b in aggregate(samples) if b.score >= min_score]
    if keep is not None:
        found = [b for b in found if keep(Cuboid.from_array(b.box))]
    add_model_measures(model, inputs, values, found, manifest.classes)
    proposals = [(b.class_name, Cuboid.from_array(b.box)) for b in found]
    wrong = wrong_unless_dont_care(proposals, truths, ignore, [b.score for b in found])
    ood = found[0].measures.get(OOD_KEY) if found else None
    if ood is None and hasattr(model, "frame_ood"):
        ood = model.frame_ood(inputs, values)
    first = [float(samples[0].scores[b.members[0]]) if 0 in b.members else 0.0 for b in found]
    embed = getattr(model, "frame_embedding", None)
    embedding = embed(inputs, values) if embed is not None else None
    unexplained = frame_clusters(inputs.points, [c for _, c in proposals], truths, keep, clusters)
    frame = EscalationFrame(
        inputs.name, proposals, np.array([b.uncertainty for b in found]), np.array(wrong, dtype=bool),
        list(truths), list(ignore), ood, np.array(first),
        [{k: v for k, v in b.measures.items() if isinstance(v, float)} | {"score": b.score} for b in found],
        None if embedding is None else np.asarray(embedding, dtype=float),
    )  # fmt: skip
    frame.clusters = unexplained
    return frame


def frame_clusters(
    points: np.ndarray | None,
    proposals: Sequence[Cuboid],
    truths: Sequence[tuple[str, Cuboid]],
    keep: Callable[[Cuboid], bool] | None = None,
    settings: ClusterSettings | None = None,
) -> list:
    """The unexplained clusters of a frame with the prior objectness and the object each lies on
    (``keep``: only clusters where something is labelled)."""
    if points is None or not len(points):
        return []
    found = unexplained_clusters(points, proposals, settings)
    if keep is not None:
        found = [c for c in found if keep(c.box)]
    return scored(with_truths(found, [c for _, c in truths]), None)


def frames_from_scored(
    scored: Mapping[str, Sequence[ScoredProposal]],
    truth_by_frame: Mapping[str, Sequence[tuple[str, Cuboid]]],
    missed: Mapping[str, Sequence[MissedCluster]] | None = None,
) -> list[EscalationFrame]:
    """Escalation frames of a project's scored cuboids (`evaluation.scored_cuboids`), its possible missed
    objects (`project_escalation.missed_snapshot`) and its reference labels (frames without reference
    labels are left out)."""
    frames = []
    for name, proposals in scored.items():
        if name not in truth_by_frame:
            continue
        truths = list(truth_by_frame[name])
        wrong = wrong_proposals(proposals, [(label, c.to_array()) for label, c in truths])
        oods = [p.frame_ood for p in proposals if p.frame_ood is not None]
        boxes = [(p.class_name, Cuboid.from_array(p.box)) for p in proposals]
        uncertainty = np.array([p.uncertainty for p in proposals])
        ood = max(oods) if oods else None
        clusters = with_truths((missed or {}).get(name, []), [c for _, c in truths])
        frames.append(EscalationFrame(name, boxes, uncertainty, np.array(wrong, dtype=bool), truths, [], ood,
                                      clusters=clusters))  # fmt: skip
    return frames
