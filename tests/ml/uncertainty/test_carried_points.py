"""What a frame's points say of its carried boxes: one that slid off its walker goes to review whatever the
model's box says, measured against the box a person placed (not one the model confirmed); a box standing still
with too few points to show an object is not confirmed by standing still."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from sequence_support import WALKER, carried_in, frames_project, shifted  # type: ignore[import-not-found]

from annotator.core.edits import AddAnnotations, UpdateAnnotations, UpdateFrame
from annotator.core.model.records import Annotation, Frame, Provenance, Review, Source
from annotator.ml.uncertainty.carried_check import checked_carried
from annotator.ml.uncertainty.carried_points import CarriedPoints, carried_points, cloud_reader
from annotator.ml.uncertainty.project_escalation import CARRIED_KIND, carried_text
from annotator.ml.uncertainty.scoring import CarriedCounts, ScoreProposals
from annotator.testing.scans import scan_of

CONFIRMED = {"uncertainty": {"uncertainty": 0.0, "kind": CARRIED_KIND, "agreement": 0.6}}


def walker_proposal(frame_id: int, box) -> Annotation:
    return Annotation(0, frame_id, "Pedestrian", cuboid=box, review=Review.UNREVIEWED,
                      provenance=Provenance(Source.MODEL, "pointpillars", "m1", 0.8),
                      attributes={"uncertainty": {"uncertainty": 0.3, "score": 0.8}})  # fmt: skip


def test_a_carried_box_whose_walkers_points_spill_out_beyond_its_placed_box_goes_to_review(tmp_path) -> None:
    ahead = shifted(WALKER, 0.4)
    with frames_project(tmp_path / "project", 3, step=0.0) as workspace:
        first, second, third = workspace.project.frames_in_order()
        clouds = {first.id: scan_of(WALKER, 60), second.id: scan_of(ahead, 60), third.id: scan_of(ahead, 60)}
        workspace.push(AddAnnotations([
            Annotation(0, first.id, "Pedestrian", cuboid=WALKER, track_id=2),  # placed by a person
            replace(carried_in(second.id, "Pedestrian", WALKER), track_id=2, attributes=CONFIRMED),
            replace(carried_in(third.id, "Pedestrian", WALKER), track_id=2),
        ]))  # fmt: skip
        project = workspace.project
        reads = []

        def points_of(frame: Frame) -> np.ndarray:
            reads.append(frame.id)
            return clouds[frame.id]

        # measured against the box a person placed (nothing outside), not the one the model confirmed
        found = carried_points(project, third.id, clouds[third.id], points_of)
        (box_id,) = [a.id for a in project.annotations_of(third.id) if a.track_id == 2]
        assert list(found.slid_off) == [box_id] and reads == [first.id]
        assert found.slid_off[box_id].placed == 0.0 and found.slid_off[box_id].spill > 0.4
        assert found.held[box_id] > 10
        assert carried_points(project, third.id, clouds[third.id], points_of, growth=None).slid_off == {}
        assert carried_points(project, third.id, None, points_of) == CarriedPoints()

        # the model's box agrees with the carried one, but the box slid off its walker: it goes to review
        lagging = walker_proposal(third.id, shifted(WALKER, 0.2))
        command = workspace.push(
            ScoreProposals(third.id, "pointpillars", [lagging], "f2", "ensemble", True, found)
        )
        assert (command.confirmed, command.to_review) == (0, 1)
        record = project.annotations[box_id].attributes["uncertainty"]
        assert project.annotations[box_id].review is Review.UNREVIEWED and record["agreement"] > 0.5
        assert record["slid_off"]["placed"] == 0.0
        assert "slid off its object" in carried_text(record)

        # a person who looked at the carried box on the frame before and accepted it makes it the reference
        looked = {"uncertainty": {"uncertainty": 1.0, "kind": CARRIED_KIND, "agreement": 0.2}}
        (before,) = project.annotations_of(second.id)
        workspace.push(UpdateAnnotations([replace(before, attributes=looked, review=Review.ACCEPTED)]))
        assert carried_points(project, third.id, clouds[third.id], points_of).slid_off == {}


def test_a_box_standing_still_with_too_few_points_to_show_its_object_is_not_confirmed_by_it(tmp_path) -> None:
    with frames_project(tmp_path / "project", 2, step=0.0) as workspace:  # posed, the sensor standing
        first, second = workspace.project.frames_in_order()
        workspace.push(AddAnnotations([
            Annotation(0, first.id, "Pedestrian", cuboid=WALKER, track_id=2),
            replace(carried_in(second.id, "Pedestrian", WALKER), track_id=2),
        ]))  # fmt: skip
        project = workspace.project
        (box_id,) = [a.id for a in project.annotations_of(second.id)]
        for held, confirmed in ((40, True), (6, False)):
            evidence = CarriedPoints(held={box_id: held})
            (checked,) = checked_carried(project, second.id, [], "m1", evidence=evidence)
            record = checked.attributes["uncertainty"]
            assert (checked.review is Review.ACCEPTED) is confirmed
            assert ("sparse" in record) is not confirmed
        assert record["sparse"] == 6
        assert "holds only 6 points, too few to show its object" in carried_text(record)
        # without the points (not read) standing still confirms it, as before
        (unread,) = checked_carried(project, second.id, [], "m1")
        assert unread.review is Review.ACCEPTED and unread.attributes["uncertainty"]["still"] == 1
        # the worker counts the points each carried box holds
        walker_only = carried_points(project, second.id, scan_of(WALKER, 6), cloud_reader(project))
        assert walker_only.held == {box_id: 6}


def test_a_reference_frame_whose_cloud_cannot_be_read_is_skipped_with_a_warning(tmp_path, caplog) -> None:
    with frames_project(tmp_path / "project", 2, step=0.0) as workspace:
        first, second = workspace.project.frames_in_order()
        (tmp_path / "project" / "broken.bin").write_bytes(b"\x00\x01\x02")  # not a whole number of points
        workspace.push(UpdateFrame(first.id, cloud="broken.bin"))
        workspace.push(AddAnnotations([
            Annotation(0, first.id, "Pedestrian", cuboid=WALKER, track_id=2),
            replace(carried_in(second.id, "Pedestrian", WALKER), track_id=2),
        ]))  # fmt: skip
        project = workspace.project
        read = cloud_reader(project)
        assert read(project.frames[first.id]) is None
        assert "cannot read the points of frame f0 to check carried boxes" in caplog.text
        # the carried box is still counted; only its sliding off is unknown
        ahead = scan_of(shifted(WALKER, 0.4), 60)
        found = carried_points(project, second.id, ahead, read)
        assert found.slid_off == {} and list(found.held.values()) == [
            int(WALKER.points_inside(ahead[:, :3]).sum())
        ]


def test_a_runs_message_counts_the_carried_boxes_and_why_they_go_to_review() -> None:
    counts = CarriedCounts()
    assert counts.words() == ""  # nothing carried was checked
    counts.confirmed, counts.to_review = 3, 1
    assert counts.words() == "; carried boxes: 3 confirmed, 1 to review"
    counts.to_review, counts.slid_off, counts.sparse = 4, 2, 1
    assert counts.words() == (
        "; carried boxes: 3 confirmed, 4 to review (2 slid off their object, 1 standing with too few points)"
    )
