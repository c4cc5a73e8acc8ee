"""Hybrid pre-annotation (the ``complement`` parameter): another 3D plugin's boxes where it finds objects, the
network's proposals where it does not.

Measured on the real development sweeps (README, "Shipped base detector", hybrid): where the `geometric`
plugin and the network both box an object, the geometric box (an L-shape fitted to the points, its score a
probability calibrated on real scans) is accepted as it is far more often than the network's (82 against 13
on Argoverse sweeps 0-14), and handing the object to the network when its score is high only lost accepted
boxes; but the network finds objects the geometric plugin misses (cars seen in parts, objects next to
walls). So the merge is asymmetric: every box of the complementing plugin at its own threshold stands; a
network proposal is added only where none of those boxes explains it (the same object as the host's rule,
`annotator.ml.proposal_overlap`: bird's-eye IoU >= 0.1 or one centre inside the other's footprint), and
those added proposals are checked against their points (`plugins.pointpillars.refine`: placed on them, and
dropped when the points do not back them), since unchecked they cost more deletions than they save.

The other plugin is a first-party numpy plugin (``COMPLEMENTS``), imported on first use and run exactly as it
would on its own (its manifest's defaults). It is imported directly, not through the host's registry: plugins
depend on the protocol, never on the host (`tests/ml/test_host.py`).
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Sequence

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.ml.proposal_overlap import same_object_cuboids as same_object
from annotator.ml.protocol import Detections, FrameInput, PluginError

logger = logging.getLogger(__name__)

#: The plugins a network may be complemented by (parameter ``complement``; "off": none).
COMPLEMENTS = ("off", "geometric")
#: Who wins where both box an object (parameter ``complement_priority``; see `network_first`).
PRIORITIES = ("auto", "network", "complement")


def unexplained(network: Detections, other: Detections) -> np.ndarray:
    """Mask of the ``network`` boxes that box no object any of ``other``'s boxes boxes (the host's rule of
    one object, `annotator.ml.proposal_overlap`)."""
    theirs = [Cuboid.from_array(box) for box in other.boxes]
    return np.array(
        [not any(same_object(Cuboid.from_array(box), t) for t in theirs) for box in network.boxes], dtype=bool
    )


def in_classes(found: Detections, classes: tuple[str, ...], model_version: str) -> Detections:
    """``found`` over ``classes`` (labels and probability columns mapped by name; boxes of other classes
    left out), stamped with ``model_version``."""
    index = {name: k for k, name in enumerate(classes)}
    keep = np.array([found.class_names[int(k)] in index for k in found.labels], dtype=bool)
    found = found.select(keep)
    labels = np.array([index[found.class_names[int(k)]] for k in found.labels], dtype=np.int64)
    probabilities = None
    if found.probabilities is not None:
        probabilities = np.zeros((len(found), len(classes)))
        for column, name in enumerate(found.class_names):
            if name in index:
                probabilities[:, index[name]] = found.probabilities[:, column]
    boxes = found.boxes[:, :7] if len(found) else np.zeros((0, 7))
    return Detections(boxes, labels, found.scores, classes, model_version, probabilities)


def concatenate(first: Detections, second: Detections) -> Detections:
    """The detections of both (same classes; 7-DoF boxes; probabilities kept only when both have them)."""
    both = first.probabilities is not None and second.probabilities is not None
    return Detections(
        np.vstack([first.boxes[:, :7], second.boxes[:, :7]]),
        np.concatenate([first.labels, second.labels]),
        np.concatenate([first.scores, second.scores]),
        first.class_names,
        first.model_version,
        np.vstack([first.probabilities, second.probabilities]) if both else None,
    )


def merge(
    kept: Detections, added: Detections, check: Callable[[Detections], Detections] | None = None
) -> Detections:
    """``kept``'s boxes plus those of ``added`` that none of them explains, passed through ``check`` first
    (refinement: placed on their points, unsupported ones dropped; one that moved onto an object of
    ``kept`` is left out). Classes and model version are ``kept``'s (``added`` has the same classes)."""
    added = added.select(unexplained(added, kept))
    if check is not None and len(added):
        added = check(added)
        added = added.select(unexplained(added, kept))
    logger.debug("complement: %d boxes + %d added", len(kept), len(added))
    return concatenate(kept, added)


def source_measures(
    boxes: np.ndarray, other: Detections, members: Sequence[Detections]
) -> dict[str, np.ndarray]:
    """What each of a frame's aggregated hybrid ``boxes`` (N, 7+) has behind it, for the host's uncertainty:
    ``complement`` 1 where a box of the complementing plugin (``other``) boxes the same object, with
    ``complement_score`` the best such box's score (0 where none), and ``network_support``, the share of the
    network's raw ``members`` (before the merge) with a box of that object. A complementing box is the same
    in every pass, so the passes' agreement says nothing about it; these say whether the network saw it too."""
    cuboids = [Cuboid.from_array(box) for box in boxes]
    theirs = [
        (Cuboid.from_array(box), float(score)) for box, score in zip(other.boxes, other.scores, strict=True)
    ]
    found = [[Cuboid.from_array(box) for box in member.boxes] for member in members]
    agree = [[score for t, score in theirs if same_object(c, t)] for c in cuboids]
    support = [sum(any(same_object(c, m) for m in member) for member in found) for c in cuboids]
    return {
        "complement": np.array([1.0 if a else 0.0 for a in agree]),
        "complement_score": np.array([max(a, default=0.0) for a in agree]),
        "network_support": np.array(support, dtype=float) / max(len(found), 1),
    }


def network_first(priority: str, adapted: bool) -> bool:
    """Whether the network's boxes win where both box an object: ``priority`` ``network`` or ``complement``,
    or ``auto``: once the network has been fine-tuned on the user's verified frames (``adapted``), whose box
    convention it then follows better than a fit to the points does (README: 0.32x against 0.38x on
    Argoverse sweeps 10-19 after fine-tuning on 0-9; with the base weights the other way round)."""
    if priority not in PRIORITIES:
        raise PluginError(f"pointpillars: complement_priority must be one of {', '.join(PRIORITIES)}")
    return priority == "network" or (priority == "auto" and adapted)


class Complement:
    """The complementing plugin's model, created once on first use."""

    def __init__(self, plugin_id: str) -> None:
        if plugin_id not in COMPLEMENTS or plugin_id == "off":
            raise PluginError(f"pointpillars: complement must be one of {', '.join(COMPLEMENTS)}")
        self.plugin_id = plugin_id
        self._model = None
        self._last: tuple[tuple, Detections] | None = None

    def detections(self, frame: FrameInput, classes: tuple[str, ...], model_version: str) -> Detections:
        """The other plugin's detections of ``frame`` at its default parameters, over ``classes`` (the last
        frame's are kept: scoring asks again for the same frame's `source_measures`)."""
        points = np.ascontiguousarray(
            frame.points if frame.points is not None else np.zeros((0, 4), np.float32)
        )
        # the whole cloud's checksum (~1 ms for 100k points): an augmented copy of the frame is another cloud
        key = (
            frame.name,
            points.shape,
            points.dtype.str,
            zlib.crc32(points),  # the array's own buffer, no copy
            classes,
            model_version,
        )
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        if self._model is None:
            from plugins.geometric.model import GeometricDetector  # first-party: imported on first use

            self._model = GeometricDetector()
        found = in_classes(self._model.predict(frame, {}), classes, model_version)
        self._last = (key, found)
        return found
