"""The label schema: classes with colour, default size and attributes."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

ATTRIBUTE_KINDS = ("bool", "int", "float", "choice", "text")


@dataclass(frozen=True)
class AttributeSpec:
    """An attribute a class's annotations carry (e.g. ``occluded``: choice of 0..3)."""

    name: str
    kind: str = "text"
    default: Any = None
    choices: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in ATTRIBUTE_KINDS:
            raise ValueError(f"attribute {self.name!r}: kind must be one of {ATTRIBUTE_KINDS}")
        object.__setattr__(self, "choices", tuple(self.choices))


@dataclass(frozen=True)
class LabelClass:
    """One class of objects: its name, display colour (RGB 0-255) and default cuboid size (l, w, h)."""

    name: str
    color: tuple[int, int, int] = (200, 200, 200)
    default_size: tuple[float, float, float] = (1.0, 1.0, 1.0)
    attributes: tuple[AttributeSpec, ...] = ()

    def __post_init__(self) -> None:
        if not self.name or not self.name.strip():
            raise ValueError("a label class needs a name")
        object.__setattr__(self, "color", tuple(int(c) for c in self.color))
        object.__setattr__(self, "default_size", tuple(float(s) for s in self.default_size))
        object.__setattr__(self, "attributes", tuple(self.attributes))


@dataclass(frozen=True)
class LabelSchema:
    """The ordered classes of a project (the order gives the number-key shortcuts)."""

    classes: tuple[LabelClass, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        classes = tuple(self.classes)
        names = [c.name for c in classes]
        if len(set(names)) != len(names):
            raise ValueError(f"class names must be unique, got {names}")
        object.__setattr__(self, "classes", classes)

    @property
    def names(self) -> list[str]:
        """Class names in order."""
        return [c.name for c in self.classes]

    def get(self, name: str) -> LabelClass | None:
        """The class called ``name``, or None."""
        for label_class in self.classes:
            if label_class.name == name:
                return label_class
        return None

    def __contains__(self, name: object) -> bool:
        return any(c.name == name for c in self.classes)

    def with_class(self, label_class: LabelClass) -> LabelSchema:
        """A schema with ``label_class`` added, or replacing the class of the same name."""
        classes = list(self.classes)
        for i, existing in enumerate(classes):
            if existing.name == label_class.name:
                classes[i] = label_class
                return LabelSchema(tuple(classes))
        return LabelSchema((*classes, label_class))

    def next_color(self) -> tuple[int, int, int]:
        """A colour for a new class: the `PALETTE` colour farthest from every colour the schema uses."""
        used = [c.color for c in self.classes]
        if not used:
            return PALETTE[0]

        def nearest(color: tuple[int, int, int]) -> float:
            return min(color_distance(color, other) for other in used)

        return max(PALETTE, key=nearest)  # ties: the earlier palette colour

    def without_class(self, name: str) -> LabelSchema:
        """A schema without the class ``name``."""
        return LabelSchema(tuple(c for c in self.classes if c.name != name))


#: Colours for classes added later (imports, plugins), picked to stay apart from the classes already there.
#: All are bright enough for the dark views and dark enough for a swatch on a light panel (no white, no navy).
PALETTE: tuple[tuple[int, int, int], ...] = (
    (230, 126, 34), (46, 204, 113), (142, 68, 173), (241, 196, 15), (26, 188, 156), (231, 76, 60),
    (180, 110, 255), (149, 165, 166), (211, 84, 0), (39, 174, 96), (41, 128, 185), (192, 57, 43),
    (255, 215, 130), (160, 90, 20), (0, 128, 128), (255, 170, 200), (120, 120, 255), (190, 255, 120),
)  # fmt: skip


def color_distance(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """How far apart two RGB colours look (the "redmean" weighted Euclidean distance, 0..~765)."""
    mean_red = (a[0] + b[0]) / 2.0
    dr, dg, db = (float(x) - float(y) for x, y in zip(a, b, strict=True))
    return ((2 + mean_red / 256) * dr * dr + 4 * dg * dg + (2 + (255 - mean_red) / 256) * db * db) ** 0.5


def default_schema() -> LabelSchema:
    """The default classes (KITTI-like sizes in metres). Cars are magenta: the height colouring draws the
    ground blue, so blue boxes would vanish on it."""
    occlusion = AttributeSpec("occluded", "choice", "0", ("0", "1", "2", "3"))
    return LabelSchema(
        (
            LabelClass("Car", (236, 64, 200), (3.9, 1.6, 1.5), (occlusion,)),
            LabelClass("Van", (26, 188, 156), (5.0, 1.9, 2.2), (occlusion,)),
            LabelClass("Truck", (155, 89, 182), (10.0, 2.5, 3.4), (occlusion,)),
            LabelClass("Pedestrian", (231, 76, 60), (0.8, 0.6, 1.75), (occlusion,)),
            LabelClass("Cyclist", (241, 196, 15), (1.8, 0.6, 1.7), (occlusion,)),
        )
    )
