"""Frames reviewed whole and the frames since: what the growth of misses along a sequence is measured by."""

from __future__ import annotations

import dataclasses

import pytest

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames, SetFrameStatus
from annotator.core.model.commands import UndoStack
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame, FrameStatus, Provenance, Review, Source
from annotator.ml.uncertainty.adaptation import expected_miss_share, miss_growth
from annotator.ml.uncertainty.whole_reviews import (
    ACCEPTED_BY_RULE,
    ESCALATED_KEY,
    SEARCH_KEY,
    AcceptConfident,
    ages,
    reviewed_whole,
    to_search,
)


def test_the_growth_of_misses_is_misses_over_age_times_objects() -> None:
    # 1 missed of 10 one frame after a whole review, 3 of 10 three frames after, and half a miss of prior:
    # 4.5 / (10 + 30)
    assert miss_growth([(1, 10, 1), (3, 10, 3)]) == pytest.approx(0.1125)
    assert miss_growth([(1, 20, 0)]) == pytest.approx(0.025)  # nothing found yet is not "never misses"
    assert miss_growth([]) is None and miss_growth([(2, 0, 0)]) is None
    # averaged over the frames since the last whole review: 0.1 x (1 + 2 + 3) / 3 at age 3; a share <= 1
    assert expected_miss_share(0.1, 3) == pytest.approx(0.2)
    assert expected_miss_share(0.5, 9) == 1.0
    assert expected_miss_share(None, 3) == 1.0  # not known yet: as if anything could be missing


def test_a_frame_verified_without_unreviewed_acceptances_resets_the_age() -> None:
    frames = [Frame(k + 1, f"f{k}", k) for k in range(5)]
    frames[1] = dataclasses.replace(frames[1], status=FrameStatus.VERIFIED)  # reviewed whole
    frames[3] = dataclasses.replace(
        frames[3], status=FrameStatus.VERIFIED, meta={ESCALATED_KEY: {"accepted": 0}}
    )
    assert reviewed_whole(frames[1]) and not reviewed_whole(frames[3]) and not reviewed_whole(frames[0])
    # before any whole review counted from before the first frame; frame 3 was judged box by box
    assert ages(frames) == {1: 1, 2: 2, 3: 1, 4: 2, 5: 3}
    # judged box by box and searched for missed objects: looked over whole all the same
    frames[3] = dataclasses.replace(frames[3], meta={ESCALATED_KEY: {"accepted": 4, SEARCH_KEY: True}})
    assert reviewed_whole(frames[3]) and ages(frames) == {1: 1, 2: 2, 3: 1, 4: 2, 5: 1}
    # still to search while it is not verified
    assert not to_search(frames[3]) and not to_search(frames[4])
    assert to_search(dataclasses.replace(frames[3], status=FrameStatus.NEW))
    assert ages([]) == {}


def test_accept_confident_marks_the_frames_it_judged_box_by_box_and_undo_forgets_it() -> None:
    project = Project()
    stack = UndoStack(project)
    first, second, third = stack.push(AddFrames([Frame(0, "a", 0), Frame(0, "b", 1), Frame(0, "c", 2)])).ids
    proposals = [
        Annotation(0, frame_id, "Car", cuboid=Cuboid((5.0 * k, 0.0, 0.0), (4, 2, 1.5), 0.0),
                   review=Review.UNREVIEWED, provenance=Provenance(Source.MODEL, "pp", "v1", 0.9),
                   attributes={"uncertainty": {"uncertainty": 0.1}})
        for k, frame_id in enumerate((first, first, second))
    ]  # fmt: skip
    ids = stack.push(AddAnnotations(proposals)).ids
    # nothing confident on the third frame; the second one to search for missed objects
    stack.push(AcceptConfident(ids, judged_frames=[third], searched_frames=[second]))
    marks = [project.frames[f].meta.get(ESCALATED_KEY) for f in (first, second, third)]
    assert marks == [{"accepted": 2}, {"accepted": 1, SEARCH_KEY: True}, {"accepted": 0}]
    assert all(project.annotations[i].review is Review.ACCEPTED for i in ids)
    # nobody looked at them: escalation will not learn from them as verified right boxes
    assert all(project.annotations[i].attributes["uncertainty"][ACCEPTED_BY_RULE] for i in ids)
    stack.push(SetFrameStatus(first, FrameStatus.VERIFIED))
    assert not reviewed_whole(project.frames[first])  # verified, but two boxes nobody looked at
    stack.undo()
    stack.undo()
    assert ESCALATED_KEY not in project.frames[first].meta
