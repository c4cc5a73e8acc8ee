"""Agreement between two annotators on the same frames: boxes matched one-to-one, scored by IoU and class.

Each person's boxes of a frame are the cuboids whose `Provenance.author` is that person (unreviewed model
proposals and rejected boxes never count). The two sets are matched by the Hungarian method on the IoU
(bird's-eye view or 3D) regardless of class, pairs overlapping by at most ``min_iou`` left unmatched.
A pair's agreement is its IoU when both gave the same class, else 0; a box only one person drew has
agreement 0. A frame's score is the mean agreement over its objects (pairs plus unmatched boxes), and a
pair *agrees* when its classes match and its IoU reaches ``threshold``.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou, iou_3d
from annotator.core.matching import match_max
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame, Review

logger = logging.getLogger(__name__)

#: IoU measures by name.
MEASURES: dict[str, Callable[[Cuboid, Cuboid], float]] = {"bev": bev_iou, "3d": iou_3d}
DEFAULT_THRESHOLD = 0.5
#: Pairs overlapping by no more than this are not matched (two boxes of different objects).
DEFAULT_MIN_IOU = 0.1


@dataclass(frozen=True)
class BoxAgreement:
    """One object of a frame as the two annotators saw it: a matched pair, or a box only one of them drew."""

    first: Annotation | None
    second: Annotation | None
    iou: float = 0.0

    @property
    def matched(self) -> bool:
        """Both annotators drew this object."""
        return self.first is not None and self.second is not None

    @property
    def class_match(self) -> bool:
        """Both gave it the same class."""
        return self.matched and self.first.class_name == self.second.class_name  # type: ignore[union-attr]

    @property
    def score(self) -> float:
        """The IoU when the classes match, else 0."""
        return self.iou if self.class_match else 0.0

    def agrees(self, threshold: float = DEFAULT_THRESHOLD) -> bool:
        """Same class and IoU at least ``threshold``."""
        return self.class_match and self.iou >= threshold

    @property
    def ids(self) -> tuple[int, ...]:
        """The annotation ids of the object's boxes."""
        return tuple(a.id for a in (self.first, self.second) if a is not None)


@dataclass
class FrameAgreement:
    """The agreement of two annotators on one frame."""

    frame: Frame
    first: str
    second: str
    boxes: list[BoxAgreement] = field(default_factory=list)
    threshold: float = DEFAULT_THRESHOLD

    @property
    def objects(self) -> int:
        """Objects seen by either annotator."""
        return len(self.boxes)

    @property
    def agreed(self) -> int:
        """Objects both annotators drew alike (same class, IoU >= threshold)."""
        return sum(box.agrees(self.threshold) for box in self.boxes)

    @property
    def score(self) -> float:
        """Mean agreement over the objects (1.0 for a frame both left empty)."""
        return float(np.mean([box.score for box in self.boxes])) if self.boxes else 1.0

    @property
    def mean_iou(self) -> float:
        """Mean IoU of the matched pairs (0 without pairs)."""
        pairs = [box.iou for box in self.boxes if box.matched]
        return float(np.mean(pairs)) if pairs else 0.0

    def disagreements(self) -> list[BoxAgreement]:
        """The objects the annotators do not agree on."""
        return [box for box in self.boxes if not box.agrees(self.threshold)]

    def counts(self) -> Counter[str]:
        """Objects by outcome: agreed, class (classes differ), overlap (IoU below threshold), only_first,
        only_second."""
        outcome: Counter[str] = Counter()
        for box in self.boxes:
            if box.first is None:
                outcome["only_second"] += 1
            elif box.second is None:
                outcome["only_first"] += 1
            elif not box.class_match:
                outcome["class"] += 1
            elif box.iou < self.threshold:
                outcome["overlap"] += 1
            else:
                outcome["agreed"] += 1
        return outcome


def boxes_by_author(project: Project, frame_id: int) -> dict[str, list[Annotation]]:
    """A frame's human cuboids grouped by author (authorless, unreviewed and rejected ones left out)."""
    found: dict[str, list[Annotation]] = {}
    for annotation in project.annotations_of(frame_id, "cuboid"):
        author = annotation.provenance.author
        if author is None or annotation.is_proposal or annotation.review == Review.REJECTED:
            continue
        found.setdefault(author, []).append(annotation)
    return found


def authors_of(project: Project, frame_id: int) -> list[str]:
    """The people who drew cuboids in a frame, sorted."""
    return sorted(boxes_by_author(project, frame_id))


def match_boxes(
    first: Iterable[Annotation],
    second: Iterable[Annotation],
    measure: str = "bev",
    min_iou: float = DEFAULT_MIN_IOU,
) -> list[BoxAgreement]:
    """Match two annotators' cuboids one-to-one (maximum summed IoU); pairs first, then unmatched boxes."""
    first, second = list(first), list(second)
    iou = MEASURES[measure]
    scores = np.array([[iou(a.cuboid, b.cuboid) for b in second] for a in first]).reshape(
        len(first), len(second)
    )
    pairs = match_max(scores, min_iou)
    result = [BoxAgreement(first[i], second[j], float(scores[i, j])) for i, j in pairs]
    paired_first = {i for i, _ in pairs}
    paired_second = {j for _, j in pairs}
    result += [BoxAgreement(a, None) for i, a in enumerate(first) if i not in paired_first]
    result += [BoxAgreement(None, b) for j, b in enumerate(second) if j not in paired_second]
    return result


def frame_agreement(
    project: Project,
    frame: Frame,
    first: str | None = None,
    second: str | None = None,
    measure: str = "bev",
    threshold: float = DEFAULT_THRESHOLD,
    min_iou: float = DEFAULT_MIN_IOU,
) -> FrameAgreement | None:
    """The agreement of ``first`` and ``second`` on ``frame`` (by default the frame's two authors).

    None when the frame was not annotated by two people (or not by both of the named ones).
    """
    if measure not in MEASURES:
        raise ValueError(f"unknown IoU measure {measure!r}; choose one of {', '.join(MEASURES)}")
    groups = boxes_by_author(project, frame.id)
    if first is None or second is None:
        named = [name for name in (first, second) if name is not None]
        others = [name for name in sorted(groups) if name not in named]
        first, second = [*named, *others, None, None][:2]
    if first is None or second is None or first == second or first not in groups or second not in groups:
        return None
    boxes = match_boxes(groups[first], groups[second], measure, min_iou)
    return FrameAgreement(frame, first, second, boxes, threshold)


def project_agreement(
    project: Project,
    frames: Iterable[Frame] | None = None,
    first: str | None = None,
    second: str | None = None,
    measure: str = "bev",
    threshold: float = DEFAULT_THRESHOLD,
) -> list[FrameAgreement]:
    """`frame_agreement` of every frame (in order) that two people annotated."""
    chosen = project.frames_in_order() if frames is None else list(frames)
    results = (frame_agreement(project, f, first, second, measure, threshold) for f in chosen)
    return [result for result in results if result is not None]
