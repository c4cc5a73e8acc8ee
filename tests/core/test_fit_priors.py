"""The size a fit uses for sides it cannot see: the track's agreed size, else the class default."""

from __future__ import annotations

import pytest

from annotator.core.commands import UndoStack
from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.fit_priors import size_prior
from annotator.core.geometry import Cuboid
from annotator.core.project import Project
from annotator.core.records import Annotation, Frame


def project_with_track(sizes: list[tuple[float, float, float]]) -> tuple[Project, list[int]]:
    project = Project()
    stack = UndoStack(project)
    stack.push(AddFrames([Frame(k + 1, f"{k:06d}", k) for k in range(len(sizes) + 1)]))
    first = AddAnnotations([Annotation(0, 1, "Car", cuboid=Cuboid((10.0, 0.0, 0.8), sizes[0]))])
    stack.push(first)
    track = project.annotations[first.ids[0]].track_id
    rest = AddAnnotations(
        [
            Annotation(0, k + 1, "Car", track_id=track, cuboid=Cuboid((10.0, 0.0, 0.8), s))
            for k, s in enumerate(sizes[1:], 1)
        ]
    )
    stack.push(rest)
    return project, [first.ids[0], *rest.ids]


def test_a_track_with_other_boxes_gives_their_median_size() -> None:
    project, ids = project_with_track([(4.0, 1.7, 1.5), (4.6, 1.9, 1.6), (4.5, 1.85, 1.55), (9.0, 3.0, 3.0)])
    prior = size_prior(project, project.annotations[ids[0]])
    assert prior == pytest.approx((4.6, 1.9, 1.6))  # the odd 9 m box does not drag it


def test_a_lone_box_takes_its_class_default_and_an_unknown_class_none() -> None:
    project, ids = project_with_track([(4.0, 1.7, 1.5), (4.6, 1.9, 1.6)])
    lone = project.annotations[ids[0]]
    assert size_prior(project, lone) == project.schema.get("Car").default_size  # one other box: too few
    assert size_prior(project, Annotation(99, 1, "Giraffe", cuboid=lone.cuboid)) is None
