"""Escalation along a sequence: the previous frame's finished labels carried in, a carried box accepted only
where the model agrees, rejected objects not proposed again, and what each frame is left with."""

from __future__ import annotations

import numpy as np
import pytest
from sequence_support import CAR, HEDGE, WALKER, frames_project, shifted  # type: ignore[import-not-found]

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.model.records import Source
from annotator.core.world import to_world
from annotator.ml.uncertainty.escalation import EscalationFrame, EscalationRule, escalate_frame
from annotator.ml.uncertainty.missed import MissedCluster
from annotator.ml.uncertainty.sequence_escalation import (
    CarrySettings,
    SequenceEscalation,
    carried_sweep,
    finished_labels,
    with_carried,
)
from annotator.testing.scans import scan_of


def judged(
    proposals: list[tuple[str, Cuboid]],
    uncertainty: list[float],
    truths: list[tuple[str, Cuboid]],
    clusters: list[MissedCluster] | None = None,
) -> EscalationFrame:
    """A scored frame; a proposal is wrong when it is on no truth."""
    wrong = [not any(t.center == box.center for _, t in truths) for _, box in proposals]
    frame = EscalationFrame(
        "f", proposals, np.array(uncertainty, dtype=float), np.array(wrong, dtype=bool), truths, [],
        score=np.full(len(proposals), 0.8), measures=[{"score": 0.8} for _ in proposals],
    )  # fmt: skip
    frame.clusters = clusters or []
    return frame


def test_a_carried_box_is_confident_only_where_the_model_boxes_it_as_well() -> None:
    agreeing = judged([("Car", shifted(CAR, 0.3))], [0.6], [("Car", CAR)])
    merged = with_carried(agreeing, [("Car", CAR, 7)])
    # the proposal on the carried object is left out; the carried box stands, confident (0.3 m off: IoU > 0.5)
    assert merged.frame.proposals == [("Car", CAR)] and merged.tracks == [7] and merged.carried == 1
    assert merged.frame.uncertainty.tolist() == [0.0]
    assert merged.frame.measures[0]["carried"] == 1.0 and merged.frame.measures[0]["agreement"] > 0.5

    barely = judged([("Car", shifted(CAR, 2.0))], [0.1], [("Car", CAR)])
    merged = with_carried(barely, [("Car", CAR, 7)])
    assert merged.frame.proposals == [("Car", CAR)]  # still the same object: not proposed beside it
    assert merged.frame.uncertainty.tolist() == [1.0]  # but 2 m apart: nobody confirms the carried box


def test_a_carried_box_on_no_object_is_wrong_and_clusters_it_explains_are_no_longer_flags() -> None:
    cluster = MissedCluster(CAR, 40, 1.5, 0.3, 10.0, 0.9, 0)
    frame = judged([], [], [("Pedestrian", WALKER)], [cluster])
    merged = with_carried(frame, [("Car", CAR, 1), ("Pedestrian", WALKER, 2)])
    assert merged.frame.wrong.tolist() == [True, False]
    assert merged.frame.clusters == []


def test_proposals_on_a_recently_rejected_object_are_left_out() -> None:
    frame = judged([("Car", HEDGE), ("Pedestrian", WALKER)], [0.9, 0.2], [("Pedestrian", WALKER)])
    merged = with_carried(frame, [], rejected=[shifted(HEDGE, 0.2)])
    assert merged.frame.proposals == [("Pedestrian", WALKER)]
    assert merged.frame.uncertainty.tolist() == [0.2] and merged.tracks == [None]


def test_a_frame_is_left_with_what_the_rule_accepted_and_what_the_person_corrected() -> None:
    missing = Cuboid((30.0, 5.0, 0.0), (4.0, 2.0, 1.5), 0.0)
    truths = [("Car", CAR), ("Pedestrian", WALKER), ("Car", missing)]
    frame = judged(
        [
            ("Car", HEDGE),
            ("Pedestrian", shifted(WALKER, 0.3)),
            ("Car", Cuboid((40.0, 0.0, 0.0), (4, 2, 1.5), 0.0)),
        ],
        [0.1, 0.9, 0.9],
        truths,
    )
    merged = with_carried(frame, [("Car", CAR, 7)], agreement_iou=0.0)  # no proposal on the car: IoU 0 >= 0
    tracks = iter([1001])
    finished = finished_labels(merged, EscalationRule(0.5), [7, 3, 4], lambda: next(tracks))
    # accepted unreviewed: the carried car (its track) and the hedge (wrong, a new track): both stay
    # reviewed: the walker's box corrected to the truth (its track); the box on nothing deleted, remembered
    # nobody was sent to the car at x = 30: it stays missing
    assert finished.labels == [("Car", CAR, 7), ("Car", HEDGE, 1001), ("Pedestrian", WALKER, 3)]
    assert finished.rejected == [Cuboid((40.0, 0.0, 0.0), (4, 2, 1.5), 0.0)]
    # as the window records them: the carried box accepted as it is stays "propagated", the proposal "model",
    # the box the person placed "manual" (a track's motion then comes from the placed ones)
    assert finished.sources == [Source.PROPAGATED, Source.MODEL, Source.MANUAL]
    assert [a.provenance.source for a in finished.annotations(5)] == finished.sources


def test_a_frame_reviewed_whole_ends_with_its_ground_truth() -> None:
    truths = [("Car", CAR), ("Pedestrian", WALKER)]
    frame = judged([("Car", HEDGE)], [0.1], truths)
    merged = with_carried(frame, [])
    merged.frame.ood = 2.0  # out of distribution
    finished = finished_labels(merged, EscalationRule(0.5), [7, 3], lambda: 0)
    assert finished.labels == [("Car", CAR, 7), ("Pedestrian", WALKER, 3)]
    assert finished.rejected == [HEDGE]


def test_a_frame_searched_for_missed_objects_keeps_its_accepted_boxes_and_gains_what_was_missing() -> None:
    truths = [("Car", CAR), ("Pedestrian", WALKER)]
    frame = judged([("Car", HEDGE), ("Car", CAR)], [0.1, 0.1], truths)
    merged = with_carried(frame, [])
    merged.frame.miss_rate = 0.5  # the model is known to miss: a person looks the frame over
    finished = finished_labels(merged, EscalationRule(0.5), [7, 3], lambda: 0)
    # the confident hedge stays (nobody checked it), the walker nobody proposed is drawn
    assert finished.labels == [("Car", HEDGE, 0), ("Car", CAR, 7), ("Pedestrian", WALKER, 3)]
    assert finished.sources == [Source.MODEL, Source.MODEL, Source.MANUAL]
    outcome = escalate_frame(merged.frame, EscalationRule(0.5))
    assert (outcome.frames_searched, outcome.wrong_accepted) == (1, 1)
    assert (outcome.missed, outcome.edits.added) == (0, 1)


def test_a_carried_box_propagation_put_off_its_object_is_corrected_onto_it_not_deleted_and_drawn_anew() -> (
    None
):
    off = shifted(WALKER, 1.5)  # a walker's box pulled onto a pole by the re-fit: no overlap with the walker
    merged = with_carried(
        judged([], [], [("Pedestrian", WALKER)]), [("Pedestrian", off, 3)], truth_tracks=[3]
    )
    assert merged.frame.links == {0: 0} and merged.frame.uncertainty.tolist() == [1.0]
    outcome = escalate_frame(merged.frame, EscalationRule(0.5))
    # the person reviews it and moves it onto the walker: one adjustment, nothing missed
    assert outcome.reviewed == 1 and outcome.missed == 0
    assert (outcome.edits.adjusted, outcome.edits.deleted, outcome.edits.added) == (1, 0, 0)
    finished = finished_labels(merged, EscalationRule(0.5), [3], lambda: 0)
    assert finished.labels == [("Pedestrian", WALKER, 3)] and finished.rejected == []
    # accepted where it stands (confirmed by a wrong proposal): one wrong box, not also a missed object
    accepted = escalate_frame(merged.frame, EscalationRule(1.01))
    assert (accepted.wrong_accepted, accepted.missed) == (1, 0)


def test_a_reviewed_proposal_on_an_object_is_not_remembered_as_rejected() -> None:
    # a box on the car's front end (its centre inside the car's footprint, BEV IoU 0.05: under the match)
    poor = Cuboid((11.4, 2.4, 0.0), (0.6, 0.6, 1.5), 0.3)
    frame = judged([("Car", poor), ("Car", HEDGE)], [0.9, 0.9], [("Car", CAR)])
    finished = finished_labels(with_carried(frame, []), EscalationRule(0.5), [7], lambda: 0)
    assert finished.rejected == [HEDGE]  # proposals on the car keep coming; the hedge stays dismissed


def test_the_keyframe_is_reviewed_whole_whatever_the_miss_rate_limit(tmp_path) -> None:
    points = np.vstack([scan_of(CAR, 40), scan_of(WALKER, 30)])
    with frames_project(tmp_path / "project", 1) as workspace:
        frame = workspace.project.frames_in_order()[0]
        run = SequenceEscalation(workspace.project, EscalationRule(0.5, max_miss_rate=1.01))
        outcome = run.step(
            frame, judged([("Car", CAR)], [0.1], [("Car", CAR), ("Pedestrian", WALKER)]), [1, 2], points
        )
        assert outcome.frames_whole == 1 and outcome.missed == 0


def test_p_wrong_of_new_proposals_is_learned_from_the_new_proposals_of_the_frames_before(tmp_path) -> None:
    points = scan_of(CAR, 40)
    truths = [("Car", CAR)]
    with frames_project(tmp_path / "project", 3) as workspace:
        frames = workspace.project.frames_in_order()
        # misses never send a frame to review whole here: P(wrong) alone decides
        run = SequenceEscalation(workspace.project, EscalationRule(0.5, max_miss_rate=1.01), adapt_every=1)
        outcomes = []
        for k, frame in enumerate(frames):
            # the car, and beside it a new false alarm on every frame, both "confident" (0.1)
            alarm = Cuboid((30.0 + 8 * k, -6.0, 0.0), (4.0, 2.0, 1.5), 0.0)
            seen = judged([("Car", CAR), ("Car", alarm)], [0.1, 0.1], truths)
            outcomes.append(run.step(frame, seen, [1], points))
        assert outcomes[0].frames_whole == 1  # the keyframe
        assert outcomes[1].wrong_accepted == 1  # nothing learned yet: the first alarm is accepted
        # learned from the second frame's one new proposal (wrong): the next alarm goes to a person
        assert run.error_model is not None and (outcomes[2].wrong_accepted, outcomes[2].reviewed) == (0, 1)


def test_misses_add_up_until_a_frame_is_searched_for_them_then_the_age_starts_again(tmp_path) -> None:
    far = Cuboid((30.0, -8.0, 0.0), (4.0, 2.0, 1.5), 0.0)  # an object the model never proposes
    points = np.vstack([scan_of(CAR, 40), scan_of(far, 30)])
    with frames_project(tmp_path / "project", 5) as workspace:
        frames = workspace.project.frames_in_order()
        # a search for missed objects when the average share missed since the last one would pass 40 %
        rule = EscalationRule(0.5, max_miss_rate=0.4, miss_credibility=None)  # the growth's posterior mean
        run = SequenceEscalation(workspace.project, rule, adapt_every=1)
        truths = [("Car", CAR), ("Car", far)]
        outcomes = []
        for k, frame in enumerate(frames):
            seen = judged([("Car", CAR)], [0.1], truths if k else truths[:1])  # the far car enters on frame 1
            outcomes.append(run.step(frame, seen, [1, 2] if k else [1], points))
        # frame 0, the keyframe, reviewed whole; frame 1: nothing known yet, searched: the far car found
        # missing (1 of 2 at age 1, growth 1.5 / 2), drawn and carried on; frame 2 at age 1 would average 75 %:
        # searched, nothing missing (growth 1.5 / 4); frame 3 at age 1 stays under 40 % (37.5 %), frame 4 at
        # age 2 would not
        assert [o.frames_whole for o in outcomes] == [1, 0, 0, 0, 0]
        assert [o.frames_searched for o in outcomes] == [0, 1, 1, 0, 1]
        assert [o.missed for o in outcomes] == [0, 0, 0, 0, 0]
        assert run.growth == pytest.approx(1.5 / (2 * 1 + 2 * 1 + 2 * 2))
    # the earlier rule: those frames reviewed whole
    with frames_project(tmp_path / "before", 5) as workspace:
        frames = workspace.project.frames_in_order()
        rule = EscalationRule(0.5, max_miss_rate=0.4, search_misses=False, miss_credibility=None)
        run = SequenceEscalation(workspace.project, rule, adapt_every=1)
        whole = []
        for k, frame in enumerate(frames):
            seen = judged([("Car", CAR)], [0.1], truths if k else truths[:1])
            whole.append(run.step(frame, seen, [1, 2] if k else [1], points).frames_whole)
        assert whole == [1, 1, 1, 0, 1]


def test_a_rejection_stays_where_it_was_in_the_world_for_reject_frames(tmp_path) -> None:
    with frames_project(tmp_path / "project", 3, step=3.0) as workspace:
        frames = workspace.project.frames_in_order()
        run = SequenceEscalation(workspace.project, EscalationRule(), CarrySettings(reject_frames=1))
        run.rejections = [(0, to_world(HEDGE, frames[0].pose))]
        run.position = 1
        (seen,) = run.recently_rejected(frames[1])
        assert np.allclose(seen.center, shifted(HEDGE, -3.0).center)  # the sensor drove 3 m on
        run.position = 2
        assert run.recently_rejected(frames[2]) == []  # more than reject_frames ago


def test_along_a_sequence_the_first_frame_is_the_keyframe_and_its_labels_are_carried_on(tmp_path) -> None:
    points = np.vstack([scan_of(CAR, 40), scan_of(WALKER, 30)])
    truths = [("Car", CAR), ("Pedestrian", WALKER)]
    with frames_project(tmp_path / "project", 3) as workspace:
        frames = workspace.project.frames_in_order()
        run = SequenceEscalation(workspace.project, EscalationRule(0.5, max_miss_rate=1.01))
        first = run.step(frames[0], judged([("Car", CAR)], [0.1], truths), [1, 2], points)
        assert first.frames_whole == 1 and first.missed == 0  # nothing carried in: reviewed whole
        # the model sees only the car (agreeing with the carried one) and a hedge; the walker is carried in
        second = run.step(
            frames[1],
            judged([("Car", shifted(CAR, 0.1)), ("Car", HEDGE)], [0.1, 0.9], truths),
            [1, 2],
            points,
        )
        assert second.frames_whole == 0 and second.boxes == 3
        assert second.reviewed == 2  # the walker nobody confirms, and the hedge
        assert second.missed == 0 and second.wrong_accepted == 0
        # the hedge, rejected on the second frame, is not proposed again on the third
        third = run.step(frames[2], judged([("Car", HEDGE)], [0.9], truths), [1, 2], points)
        assert third.boxes == 2 and third.reviewed == 2
        assert run.total.frames == 3 and run.total.truths == 6
        labels = workspace.project.annotations_of(frames[2].id, "cuboid")
        assert sorted((a.class_name, a.track_id) for a in labels) == [("Car", 1), ("Pedestrian", 2)]


def test_a_sweep_runs_the_sequence_once_per_threshold(tmp_path) -> None:
    points = np.vstack([scan_of(CAR, 40), scan_of(WALKER, 30)])
    truths = [("Car", CAR), ("Pedestrian", WALKER)]
    with frames_project(tmp_path / "a", 2) as first, frames_project(tmp_path / "b", 2) as second:
        frames = first.project.frames_in_order()
        proposed = [judged([], [], truths), judged([("Car", HEDGE)], [0.4], truths)]
        seen = [(f, p, [1, 2]) for f, p in zip(frames, proposed, strict=True)]
        blank = [first.project, second.project]
        rule = EscalationRule(max_miss_rate=1.01)
        outcomes = carried_sweep(seen, lambda: blank.pop(0), lambda _: points, [0.3, 0.5], rule)
        assert [o.threshold for o in outcomes] == [0.3, 0.5]
        # at 0.5 the hedge is accepted on the second frame: a wrong box left in the labels; at 0.3 reviewed
        assert [o.wrong_accepted for o in outcomes] == [0, 1]


def test_an_object_hidden_for_a_frame_comes_back_carried_when_it_shows_again(tmp_path) -> None:
    car, walker = scan_of(CAR, 40), scan_of(WALKER, 30)
    truths = [("Car", CAR), ("Pedestrian", WALKER)]
    with frames_project(tmp_path / "project", 3) as workspace:
        frames = workspace.project.frames_in_order()
        run = SequenceEscalation(workspace.project, EscalationRule(0.5, max_miss_rate=1.01))
        run.step(frames[0], judged([("Car", CAR)], [0.1], truths), [1, 2], np.vstack([car, walker]))
        # the walker is behind the car on the second frame: too few points to be labelled or carried
        hidden = run.step(frames[1], judged([("Car", CAR)], [0.1], truths[:1]), [1], car)
        assert hidden.boxes == 1
        # it shows again, and the model still does not see it: its box comes back with its track, not missed
        back = run.step(frames[2], judged([("Car", CAR)], [0.1], truths), [1, 2], np.vstack([car, walker]))
        assert back.boxes == 2 and back.missed == 0 and back.reviewed == 1  # nobody confirms the walker's box
        labels = workspace.project.annotations_of(frames[2].id, "cuboid")
        assert sorted((a.class_name, a.track_id) for a in labels) == [("Car", 1), ("Pedestrian", 2)]
        # without the memory it stays missing
        with frames_project(tmp_path / "again", 3) as other:
            again = other.project.frames_in_order()
            forgetful = SequenceEscalation(
                other.project, EscalationRule(0.5, max_miss_rate=1.01), CarrySettings(lost_frames=0)
            )
            forgetful.step(again[0], judged([("Car", CAR)], [0.1], truths), [1, 2], np.vstack([car, walker]))
            forgetful.step(again[1], judged([("Car", CAR)], [0.1], truths[:1]), [1], car)
            lost = forgetful.step(
                again[2], judged([("Car", CAR)], [0.1], truths), [1, 2], np.vstack([car, walker])
            )
            assert lost.boxes == 1 and lost.missed == 1


def test_a_box_standing_where_its_confirmed_box_stood_is_accepted_then_confirmed_afresh(tmp_path) -> None:
    walker = scan_of(WALKER, 30)
    truths = [("Pedestrian", WALKER)]
    with frames_project(tmp_path / "project", 4, step=0.0) as workspace:  # posed, the sensor standing
        frames = workspace.project.frames_in_order()
        run = SequenceEscalation(workspace.project, EscalationRule(0.5, max_miss_rate=1.01))
        outcomes = [run.step(frame, judged([], [], truths), [2], walker) for frame in frames]
        # keyframe (reviewed whole); the model never boxes the walker: its box, standing where the one a person
        # confirmed stood, is accepted on the second frame; on the third that acceptance is not a confirmation
        # (reviewed), on the fourth the person's review is
        assert [o.frames_whole for o in outcomes] == [1, 0, 0, 0]
        assert [o.reviewed for o in outcomes[1:]] == [0, 1, 0]
        assert run.total.wrong_accepted == 0 and run.total.missed == 0
    for still_frames, reviewed in ((0, [1, 1, 1]), (2, [0, 0, 1])):
        with frames_project(tmp_path / f"still{still_frames}", 4, step=0.0) as workspace:
            settings = CarrySettings(still_frames=still_frames)
            run = SequenceEscalation(workspace.project, EscalationRule(0.5, max_miss_rate=1.01), settings)
            frames = workspace.project.frames_in_order()
            outcomes = [run.step(frame, judged([], [], truths), [2], walker) for frame in frames]
            assert [o.reviewed for o in outcomes[1:]] == reviewed
    merged = with_carried(judged([], [], truths), [("Pedestrian", WALKER, 2)], still=[True])
    assert merged.frame.uncertainty.tolist() == [0.0] and merged.still == [True]


def test_a_box_carried_standing_behind_a_walker_is_reviewed_once_its_points_spill_out(tmp_path) -> None:
    standing, truths = scan_of(WALKER, 60), [("Pedestrian", WALKER)]
    ahead = shifted(WALKER, 0.4)  # the walker went on; its box, carried standing, stays behind
    accepted_wrong = {}
    for growth in (0.3, None):
        with frames_project(tmp_path / f"growth{growth}", 3, step=0.0) as workspace:
            frames = workspace.project.frames_in_order()
            settings = CarrySettings(still_frames=0, spill_growth=growth)
            run = SequenceEscalation(workspace.project, EscalationRule(0.5, max_miss_rate=1.01), settings)
            # placed on the keyframe and reviewed on the next frame where it stood: the track holds still
            run.step(frames[0], judged([], [], truths), [2], standing)
            assert run.step(frames[1], judged([], [], truths), [2], standing).reviewed == 1
            # the model's box lags too, and agrees with the carried one (BEV IoU 0.56)
            lagging = judged([("Pedestrian", shifted(WALKER, 0.2))], [0.0], [("Pedestrian", ahead)])
            outcome = run.step(frames[2], lagging, [2], scan_of(ahead, 60))
            accepted_wrong[growth] = (outcome.reviewed, outcome.wrong_accepted)
    # 46 % of the walker's points lie outside the carried box, none did where it was placed: reviewed
    assert accepted_wrong[0.3] == (1, 0)
    # without the check the model's agreement accepts a box 0.4 m behind its walker
    assert accepted_wrong[None] == (0, 1)


def test_a_carried_box_that_slid_off_is_not_confident_whatever_confirms_it() -> None:
    agreeing = judged([("Car", shifted(CAR, 0.3))], [0.6], [("Car", CAR)])
    merged = with_carried(agreeing, [("Car", CAR, 7)], still=[True], slid_off=[True])
    assert merged.frame.uncertainty.tolist() == [1.0]
    assert merged.frame.measures[0]["slid_off"] == 1.0
    assert with_carried(agreeing, [("Car", CAR, 7)], slid_off=[False]).frame.uncertainty.tolist() == [0.0]
