"""Property: random 2D boxes -> export -> import are equal within each format's printed precision."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.core.box2d import Box2D
from annotator.core.model.records import Annotation, Frame

SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

#: Pixels each format keeps: COCO 2 decimals, YOLO 6 normalised decimals, VOC whole pixels, OpenLABEL 2.
TOLERANCE = {"coco": 0.011, "yolo": 0.002, "voc": 0.51, "openlabel": 0.011}


@st.composite
def box2ds(draw: st.DrawFn) -> Box2D:
    x1 = draw(st.floats(0, 600))
    y1 = draw(st.floats(0, 440))
    return Box2D(x1, y1, x1 + draw(st.floats(3, 640 - x1)), y1 + draw(st.floats(3, 480 - y1)))


@pytest.mark.parametrize("format_id", sorted(TOLERANCE))
@SETTINGS
@given(boxes=st.lists(box2ds(), min_size=1, max_size=6))
def test_2d_formats_keep_boxes(project_of, round_trip, image_file, format_id, boxes):
    annotations = [
        Annotation(0, 0, ["Car", "Pedestrian"][i % 2], i + 1, box2d=box, camera="image")
        for i, box in enumerate(boxes)
    ]
    project = project_of([Frame(0, image_file.stem, 0, images={"image": str(image_file)})], [annotations])
    with tempfile.TemporaryDirectory() as out:
        _, dataset = round_trip(project, format_id, Path(out))
    assert [f.name for f in dataset.frames] == [image_file.stem]
    back = dataset.frames[0].objects
    assert [o.class_name for o in back] == [a.class_name for a in annotations]
    assert all(o.camera == "image" for o in back)
    for annotation, obj in zip(annotations, back):
        assert np.allclose(
            annotation.box2d.to_array(), obj.box2d.to_array(), rtol=0, atol=TOLERANCE[format_id]
        )
