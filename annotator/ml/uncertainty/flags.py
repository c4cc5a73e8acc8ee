"""Flagging scored boxes: which are uncertain (at or above a threshold), why, and which are confident.

The reasons name the measures that drive the combined ``uncertainty = 1 - presence x stability x
(1 - entropy)`` (`annotator.ml.uncertainty.aggregate`), largest loss first, so an annotator sees at a
glance whether the passes missed the object, disagreed on the box or on the class.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from annotator.core.derived_links import is_derived
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation
from annotator.ml.uncertainty.escalation import DEFAULT_OOD_THRESHOLD, EscalationRule, frame_ood
from annotator.ml.uncertainty.project_escalation import (
    carried_text,
    escalation_plan,
    is_carried_item,
    is_missed_item,
    missed_text,
)
from annotator.ml.uncertainty.scoring import DEFAULT_FLAG_THRESHOLD, uncertainty_of

logger = logging.getLogger(__name__)

#: A measure's loss (1 - presence, 1 - stability, entropy, ...) below this is not worth naming.
NOTABLE = 0.05

__all__ = [
    "DEFAULT_FLAG_THRESHOLD",
    "confident_frames_text",
    "confident_proposals",
    "flag_reasons",
    "flag_text",
    "is_flagged",
    "unreviewed_proposals",
    "whole_review_frames",
]


def is_flagged(annotation: Annotation, threshold: float) -> bool:
    """Whether the annotation was scored with an uncertainty at or above ``threshold``."""
    record = uncertainty_of(annotation)
    return record is not None and float(record["uncertainty"]) >= threshold


def flag_reasons(record: dict[str, Any]) -> list[str]:
    """The measures that make a scored box uncertain, the largest first (empty for a sure one); for a
    possible missed object, what makes it one."""
    if is_missed_item(record):
        return [missed_text(record)]
    if is_carried_item(record):
        return [carried_text(record)]
    passes = int(record.get("passes", 0) or 0)
    presence = float(record.get("presence", 1.0))
    losses: list[tuple[float, str]] = []
    if 1.0 - presence > NOTABLE:
        found = round(presence * passes)
        text = f"found in {found} of {passes} passes" if passes else f"found in {presence:.0%} of the passes"
        losses.append((1.0 - presence, text))
    stability = float(record.get("stability", 1.0))
    if 1.0 - stability > NOTABLE:
        losses.append((1.0 - stability, f"boxes disagree (stability {stability:.2f})"))
    entropy = float(record.get("class_entropy", record.get("entropy", 0.0)))
    if entropy > NOTABLE:
        losses.append((entropy, f"class unsure (entropy {entropy:.2f})"))
    score = float(record.get("score", 1.0))
    if 1.0 - score > NOTABLE:
        losses.append((1.0 - score, f"weak detection (mean score {score:.2f} over the passes)"))
    information = float(record.get("mutual_information", 0.0))
    if information > NOTABLE:
        losses.append((information, f"passes disagree on the class (mutual information {information:.2f})"))
    heading = float(record.get("heading_variance", 0.0))
    if heading > NOTABLE:
        losses.append((heading, f"heading varies (circular variance {heading:.2f})"))
    return [text for _, text in sorted(losses, key=lambda loss: -loss[0])]


def flag_text(annotation: Annotation, threshold: float, stale: bool = False) -> str:
    """A tooltip: the uncertainty, whether it is flagged, the reasons and how it was sampled ("" when
    the annotation was not scored)."""
    record = uncertainty_of(annotation)
    if record is None:
        return ""
    value = float(record["uncertainty"])
    head = f"uncertainty {value:.2f}" + (f" (flagged: >= {threshold:.2f})" if value >= threshold else "")
    reasons = flag_reasons(record)
    lines = [head, *(f"- {reason}" for reason in reasons)] if reasons else [head, "- the passes agree"]
    sampled = (
        f"{record.get('mode', '?')}, {record.get('passes', '?')} passes, model {record.get('model_version')}"
    )
    lines.append(f"scored by {annotation.provenance.model_id} ({sampled})")
    if stale:
        lines.append("stale: the plugin's current model is another version; score the frame again")
    return "\n".join(lines)


def confident_proposals(
    project: Project,
    threshold: float,
    frame_ids: Iterable[int] | None = None,
    ood_threshold: float = DEFAULT_OOD_THRESHOLD,
) -> list[int]:
    """Ids of the unreviewed scored proposals the escalation rule accepts (in the given frames, or all):
    uncertainty (P(wrong) once learned from verified frames) below ``threshold``, in a frame whose OOD
    score is below ``ood_threshold`` (`annotator.ml.uncertainty.project_escalation.escalation_plan`)."""
    return escalation_plan(project, EscalationRule(threshold, ood_threshold), frame_ids).accepted


def whole_review_frames(project: Project, ood_threshold: float = DEFAULT_OOD_THRESHOLD) -> list[int]:
    """Ids of the frames whose scored proposals carry an OOD score at or above ``ood_threshold``: the
    escalation rule sends them to review whole."""
    records: dict[int, list[dict[str, Any]]] = {}
    for a in project.annotations.values():
        if (record := uncertainty_of(a)) is not None:
            records.setdefault(a.frame_id, []).append(record)
    rule = EscalationRule(ood_threshold=ood_threshold)
    return sorted(f for f, scored in records.items() if rule.reviews_whole(frame_ood(scored)))


def unreviewed_proposals(project: Project) -> list[Annotation]:
    """Every unreviewed proposal of the project, scored or not (2D boxes derived from a proposal are
    reviewed with it and not counted)."""
    return [a for a in project.annotations.values() if a.is_proposal and not is_derived(a)]


def confident_frames_text(project: Project, annotation_ids: Iterable[int]) -> str:
    """Where the given annotations lie, in words: ``"in frame 000003"``, ``"in 3 frames (000001: 4,
    000002: 1, ...)"`` (at most five frames named)."""
    counts: dict[int, int] = {}
    for annotation_id in annotation_ids:
        frame_id = project.annotations[annotation_id].frame_id
        counts[frame_id] = counts.get(frame_id, 0) + 1
    frames = sorted(counts, key=lambda f: project.frames[f].index)
    names = [project.frames[f].name for f in frames]
    if len(frames) == 1:
        return f"in frame {names[0]}"
    listed = ", ".join(f"{name}: {counts[f]}" for name, f in zip(names[:5], frames[:5], strict=False))
    more = ", ..." if len(frames) > 5 else ""
    return f"in {len(frames)} frames ({listed}{more})"


def frames_reason_text(project: Project, reasons: Mapping[int, str]) -> str:
    """Frames (by id) with the reason the escalation rule gives for each, in words: the first five named in
    sequence order, and the first one's reason: ``"000004, 000009 (out of distribution 1.35)"``."""
    frames = sorted(reasons, key=lambda f: project.frames[f].index)
    names = ", ".join(project.frames[f].name for f in frames[:5]) + (", ..." if len(frames) > 5 else "")
    return f"{names} ({reasons[frames[0]]})" if frames else ""
