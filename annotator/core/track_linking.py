"""Link a project's model proposals across frames into tracks (`annotator.core.tracker`), as one command.

Proposals are the cuboids a model plugin added (``Source.MODEL``, not rejected). They are tracked in the
world frame when every frame involved carries an ego pose, else in the sensor frame. Each linked track gets
a new track record whose attributes hold the track-level figures ``track_score`` (mean proposal score) and
``track_length`` (proposals linked); tracks left without annotations are removed. Other annotations
(manual, imported, propagated) are never touched.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence

from annotator.core.model.commands import Command
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame, Review, Source, Track
from annotator.core.tracker import Detection, TrackerParams, link
from annotator.core.tracks import frame_times
from annotator.core.world import all_posed, to_world

logger = logging.getLogger(__name__)


def proposals_of(project: Project, frame: Frame) -> list[Annotation]:
    """The frame's model-proposed cuboids that were not rejected."""
    return [
        a
        for a in project.annotations_of(frame.id, "cuboid")
        if a.provenance.source == Source.MODEL and a.review != Review.REJECTED
    ]


class LinkTracks(Command):
    """Re-link the proposals of some frames into tracks (one undoable step)."""

    def __init__(self, frames: Sequence[Frame], params: TrackerParams | None = None) -> None:
        self.frames = sorted(frames, key=lambda f: (f.index, f.id))
        self.params = params or TrackerParams()
        self.label = f"Link proposals of {len(self.frames)} frames into tracks"
        self.tracks = 0
        self.linked = 0
        self.world = False

    def do(self, project: Project) -> None:
        self.world = all_posed(self.frames)
        times = frame_times(self.frames)
        sequence = []
        for frame in self.frames:
            detections = [
                Detection(
                    a.id,
                    to_world(a.cuboid, frame.pose) if self.world and frame.pose else a.cuboid,
                    a.class_name,
                    a.provenance.score if a.provenance.score is not None else 1.0,
                )
                for a in proposals_of(project, frame)
                if a.cuboid is not None
            ]
            sequence.append((times[frame.id], detections))
        linked = link(sequence, self.params)
        old_tracks = set()
        for found in linked:
            track_id = project.new_id("track")
            attributes = {"track_score": round(found.score, 4), "track_length": found.length}
            project.put("track", track_id, Track(track_id, found.class_name, attributes))
            for key in found.keys:
                annotation = project.annotations[key]
                old_tracks.add(annotation.track_id)
                project.put("annotation", annotation.id, dataclasses.replace(annotation, track_id=track_id))
        still_used = {a.track_id for a in project.annotations.values()}
        for track_id in old_tracks - still_used - {None}:
            project.delete("track", track_id)
        self.tracks = len(linked)
        self.linked = sum(t.length for t in linked)
        logger.info("linked %d proposals into %d tracks", self.linked, self.tracks)
