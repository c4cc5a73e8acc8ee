"""Class colours stay apart: the default classes from each other, and classes added later (imports,
plugins) from every class already there."""

from __future__ import annotations

from annotator.core.model.schema import PALETTE, LabelClass, color_distance, default_schema

#: Apart enough to tell at a glance (redmean distance; Pedestrian red vs a dark red is ~110).
APART = 100.0


def test_default_classes_differ_from_each_other() -> None:
    colors = [c.color for c in default_schema().classes]
    assert min(color_distance(a, b) for k, a in enumerate(colors) for b in colors[k + 1 :]) >= APART


def test_classes_added_later_get_a_colour_far_from_the_others() -> None:
    schema = default_schema()
    for name in ("Misc", "Tram", "Person_sitting", "DontCare"):
        schema = schema.with_class(LabelClass(name, schema.next_color()))
    colors = [c.color for c in schema.classes]
    assert schema.get("Misc").color != schema.get("Pedestrian").color
    assert min(color_distance(a, b) for k, a in enumerate(colors) for b in colors[k + 1 :]) >= 60.0


def test_colours_for_later_classes_show_on_the_dark_views_and_on_a_light_panel() -> None:
    for red, green, blue in PALETTE:  # no white swatch on the class panel, no navy box on the dark views
        assert 60 < 0.2126 * red + 0.7152 * green + 0.0722 * blue < 235, (red, green, blue)
