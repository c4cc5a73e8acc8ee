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
    ACCEPTED_UNREVIEWED_KEY,
    AcceptConfident,
    ages,
    reviewed_whole,
)


def test_the_growth_of_misses_is_misses_over_age_times_objects() -> None:
    # 1 missed of 10 one frame after a whole review, 3 of 10 three frames after: 4 / (10 + 30)
    assert miss_growth([(1, 10, 1), (3, 10, 3)]) == pytest.approx(0.1)
    assert miss_growth([]) is None and miss_growth([(2, 0, 0)]) is None
    # averaged over the frames since the last whole review: 0.1 x (1 + 2 + 3) / 3 at age 3
    assert expected_miss_share(0.1, 3) == pytest.approx(0.2)
    assert expected_miss_share(None, 3) is None


def test_a_frame_verified_without_unreviewed_acceptances_resets_the_age() -> None:
    frames = [Frame(k + 1, f"f{k}", k) for k in range(5)]
    frames[1] = dataclasses.replace(frames[1], status=FrameStatus.VERIFIED)  # reviewed whole
    frames[3] = dataclasses.replace(frames[3], status=FrameStatus.VERIFIED, meta={ACCEPTED_UNREVIEWED_KEY: 4})
    assert reviewed_whole(frames[1]) and not reviewed_whole(frames[3]) and not reviewed_whole(frames[0])
    # before any whole review counted from before the first frame; frame 3 had boxes accepted unreviewed
    assert ages(frames) == {1: 1, 2: 2, 3: 1, 4: 2, 5: 3}
    assert ages([]) == {}


def test_accept_confident_counts_what_it_accepts_on_each_frame_and_undo_forgets_it() -> None:
    project = Project()
    stack = UndoStack(project)
    first, second = stack.push(AddFrames([Frame(0, "a", 0), Frame(0, "b", 1)])).ids
    proposals = [
        Annotation(0, frame_id, "Car", cuboid=Cuboid((5.0 * k, 0.0, 0.0), (4, 2, 1.5), 0.0),
                   review=Review.UNREVIEWED, provenance=Provenance(Source.MODEL, "pp", "v1", 0.9))
        for k, frame_id in enumerate((first, first, second))
    ]  # fmt: skip
    ids = stack.push(AddAnnotations(proposals)).ids
    stack.push(AcceptConfident(ids))
    assert {project.frames[f].meta.get(ACCEPTED_UNREVIEWED_KEY) for f in (first, second)} == {2, 1}
    assert all(project.annotations[i].review is Review.ACCEPTED for i in ids)
    stack.push(SetFrameStatus(first, FrameStatus.VERIFIED))
    assert not reviewed_whole(project.frames[first])  # verified, but two boxes nobody looked at
    stack.undo()
    stack.undo()
    assert ACCEPTED_UNREVIEWED_KEY not in project.frames[first].meta
