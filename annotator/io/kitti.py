"""KITTI object-detection files: calibration (``calib/*.txt``) and labels (``label_2/*.txt``).

KITTI labels live in the rectified camera frame (x right, y down, z forward): ``location`` is the bottom
centre of the box, ``dimensions`` are height, width, length, and ``rotation_y`` turns the box about the
camera's y axis (0: the box's length points along camera x). The conversions to and from the LiDAR-frame
`Cuboid` go through the calibration's own rotation, so non-standard mountings convert correctly too.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from annotator.core.camera import CameraCalibration
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.rotation import wrap_angle
from annotator.io.errors import FormatError

logger = logging.getLogger(__name__)

PROJECTION_KEYS = ("P0", "P1", "P2", "P3")
_SHAPES = {"R0_rect": (3, 3), "Tr_velo_to_cam": (3, 4), "Tr_imu_to_velo": (3, 4)}


@dataclass
class KittiCalibration:
    """The matrices of one KITTI calibration file (missing optional ones are None)."""

    projections: dict[str, np.ndarray] = field(default_factory=dict)  # "P0".."P3": 3x4
    r0_rect: np.ndarray = field(default_factory=lambda: np.eye(3))
    velo_to_cam: np.ndarray = field(default_factory=lambda: np.eye(4)[:3])
    imu_to_velo: np.ndarray | None = None

    def lidar_to_rect(self) -> np.ndarray:
        """4x4 transform from the LiDAR frame to the rectified camera frame (``R0_rect @ Tr_velo_to_cam``)."""
        r0 = np.eye(4)
        r0[:3, :3] = self.r0_rect
        tr = np.eye(4)
        tr[:3] = self.velo_to_cam
        return r0 @ tr

    def camera(self, name: str = "P2", width: int = 0, height: int = 0) -> CameraCalibration:
        """The camera ``name`` ("P0".."P3") as a `CameraCalibration` (image size when known)."""
        if name not in self.projections:
            raise KeyError(f"calibration has no projection {name!r} (has {sorted(self.projections)})")
        return CameraCalibration(name, self.projections[name], self.lidar_to_rect(), width, height)


def parse_calib(text: str, path: str | Path = "<calib>") -> KittiCalibration:
    """Parse the text of a KITTI calibration file; raises `FormatError` naming the file and line."""
    values: dict[str, np.ndarray] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, rest = line.partition(":")
        key = key.strip()
        if not sep:
            raise FormatError(path, "expected 'KEY: numbers'", line=number)
        try:
            numbers = np.array([float(v) for v in rest.split()], dtype=np.float64)
        except ValueError:
            raise FormatError(path, "not a number", line=number, field=key) from None
        if not np.all(np.isfinite(numbers)):
            raise FormatError(path, "non-finite number", line=number, field=key)
        shape = (3, 4) if key in PROJECTION_KEYS else _SHAPES.get(key)
        if shape is None:
            logger.debug("%s:%d: ignoring unknown calibration key %r", path, number, key)
            continue
        if len(numbers) == 12:
            matrix = numbers.reshape(3, 4)
            values[key] = matrix[:, :3] if shape == (3, 3) else matrix
        elif len(numbers) == 9:
            matrix = numbers.reshape(3, 3)
            values[key] = matrix if shape == (3, 3) else np.hstack([matrix, np.zeros((3, 1))])
        else:
            raise FormatError(path, f"expected 12 or 9 numbers, got {len(numbers)}", line=number, field=key)
    if "Tr_velo_to_cam" not in values:
        raise FormatError(path, "missing Tr_velo_to_cam")
    return KittiCalibration(
        projections={k: values[k] for k in PROJECTION_KEYS if k in values},
        r0_rect=values.get("R0_rect", np.eye(3)),
        velo_to_cam=values["Tr_velo_to_cam"],
        imu_to_velo=values.get("Tr_imu_to_velo"),
    )


def read_calib(path: str | Path) -> KittiCalibration:
    """Read a KITTI calibration file."""
    try:
        text = Path(path).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        raise FormatError(path, f"cannot read: {error}") from None
    return parse_calib(text, path)


def format_calib(calib: KittiCalibration) -> str:
    """Calibration file text in KITTI's layout (``%e`` numbers, one matrix per line)."""
    rows = [(key, matrix) for key, matrix in calib.projections.items()]
    rows += [("R0_rect", calib.r0_rect), ("Tr_velo_to_cam", calib.velo_to_cam)]
    if calib.imu_to_velo is not None:
        rows.append(("Tr_imu_to_velo", calib.imu_to_velo))
    return "".join(f"{key}: {' '.join(f'{v:.12e}' for v in np.ravel(m))}\n" for key, m in rows)


def write_calib(path: str | Path, calib: KittiCalibration) -> None:
    """Write a KITTI calibration file."""
    Path(path).write_text(format_calib(calib), encoding="ascii")


# -- labels --------------------------------------------------------------------------------------------
@dataclass
class KittiObject:
    """One line of a KITTI label file (``dimensions`` h, w, l; ``location`` bottom centre, camera frame)."""

    type: str
    truncated: float
    occluded: int
    alpha: float
    bbox: tuple[float, float, float, float]
    dimensions: tuple[float, float, float]
    location: tuple[float, float, float]
    rotation_y: float
    score: float | None = None


DONT_CARE = "DontCare"


def dont_care(bbox: tuple[float, float, float, float]) -> KittiObject:
    """A ``DontCare`` image region (KITTI's placeholder values for everything but the box)."""
    return KittiObject(
        DONT_CARE, -1.0, -1, -10.0, bbox, (-1.0, -1.0, -1.0), (-1000.0, -1000.0, -1000.0), -10.0
    )


def parse_label_line(line: str, path: str | Path = "<label>", number: int | None = None) -> KittiObject:
    """One `KittiObject` from a label line (15 values, or 16 with a score)."""
    parts = line.split()
    if len(parts) not in (15, 16):
        raise FormatError(path, f"expected 15 or 16 values, got {len(parts)}", line=number)
    names = (
        "truncated",
        "occluded",
        "alpha",
        *["bbox"] * 4,
        *["dimensions"] * 3,
        *["location"] * 3,
        "rotation_y",
        "score",
    )
    values: list[float] = []
    for name, text in zip(names, parts[1:]):
        try:
            value = float(text)
        except ValueError:
            raise FormatError(path, f"not a number: {text!r}", line=number, field=name) from None
        if not math.isfinite(value):
            raise FormatError(path, f"non-finite number: {text!r}", line=number, field=name)
        values.append(value)
    if values[1] != int(values[1]):
        raise FormatError(
            path, f"occlusion must be an integer, got {parts[2]!r}", line=number, field="occluded"
        )
    return KittiObject(
        parts[0], values[0], int(values[1]), values[2], tuple(values[3:7]), tuple(values[7:10]),  # type: ignore[arg-type]
        tuple(values[10:13]), values[13], values[14] if len(values) == 15 else None,  # type: ignore[arg-type]
    )  # fmt: skip


def format_label_line(obj: KittiObject) -> str:
    """A label line as in KITTI's files (``%.2f``, occlusion as an integer, score ``%.4f`` when set)."""
    numbers = [obj.alpha, *obj.bbox, *obj.dimensions, *obj.location, obj.rotation_y]
    text = f"{obj.type} {obj.truncated:.2f} {int(obj.occluded)} " + " ".join(f"{v:.2f}" for v in numbers)
    return text if obj.score is None else f"{text} {obj.score:.4f}"


def read_labels(path: str | Path) -> list[KittiObject]:
    """All objects of a KITTI label file."""
    try:
        lines = Path(path).read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise FormatError(path, f"cannot read: {error}") from None
    return [parse_label_line(line, path, n) for n, line in enumerate(lines, start=1) if line.strip()]


def write_labels(path: str | Path, objects: list[KittiObject]) -> None:
    """Write a KITTI label file (an empty file for no objects)."""
    Path(path).write_text("".join(format_label_line(o) + "\n" for o in objects), encoding="ascii")


# -- conversions -----------------------------------------------------------------------------------------
def _as_camera(calib: KittiCalibration | CameraCalibration) -> CameraCalibration:
    return calib.camera("P2") if isinstance(calib, KittiCalibration) else calib


def cuboid_from_kitti(obj: KittiObject, calib: KittiCalibration | CameraCalibration) -> Cuboid:
    """The LiDAR-frame cuboid (box centre, l w h, yaw) of a KITTI label."""
    camera = _as_camera(calib)
    height, width, length = obj.dimensions
    centre_cam = np.asarray(obj.location, dtype=np.float64) - (0.0, height / 2.0, 0.0)
    centre = camera.camera_to_lidar_points(centre_cam[None])[0]
    heading_cam = np.array([math.cos(obj.rotation_y), 0.0, -math.sin(obj.rotation_y)])
    heading = np.linalg.solve(camera.extrinsic_matrix[:3, :3], heading_cam)
    return Cuboid(tuple(centre), (length, width, height), math.atan2(heading[1], heading[0]))


def kitti_from_cuboid(
    cuboid: Cuboid,
    calib: KittiCalibration | CameraCalibration,
    label: str = "Car",
    *,
    truncated: float = 0.0,
    occluded: int = 0,
    score: float | None = None,
    width: int | None = None,
    height: int | None = None,
) -> KittiObject:
    """A KITTI label of a LiDAR-frame cuboid (pitch and roll are dropped; bbox clipped to the image).

    ``width``/``height`` give the image size when the calibration does not (default 1242 x 375); the
    bbox is all zeros when the box is not in front of the camera.
    """
    camera = _as_camera(calib)
    image_w = width or camera.width or 1242
    image_h = height or camera.height or 375
    rotation = camera.extrinsic_matrix[:3, :3]
    length, box_width, box_height = cuboid.size
    centre_cam = camera.lidar_to_camera_points(np.asarray(cuboid.center)[None])[0]
    location = centre_cam + np.array([0.0, box_height / 2.0, 0.0])
    heading = rotation @ cuboid.rotation[:, 0]
    rotation_y = wrap_angle(math.atan2(-heading[2], heading[0]))
    alpha = wrap_angle(rotation_y - math.atan2(location[0], location[2]))
    sized = CameraCalibration(camera.name, camera.projection, camera.lidar_to_camera, image_w, image_h)
    box = sized.cuboid_box2d(cuboid)
    bbox = (box.x1, box.y1, box.x2, box.y2) if box is not None else (0.0, 0.0, 0.0, 0.0)
    return KittiObject(
        label, float(truncated), int(occluded), alpha, bbox, (box_height, box_width, length),
        tuple(float(v) for v in location), rotation_y, score,  # type: ignore[arg-type]
    )  # fmt: skip
