"""A generated street scene: configuration, the static world, the road users, and the state at a time.

The world frame has the street along x with its centre line at y = 0 and the ground near z = 0. The ego
car drives along its lane; its LiDAR frame (x forward, y left, z up, origin at the sensor) follows the
ground's slope under the car. Objects stand on the ground, tilted with its slope (9-DoF cuboids).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.rotation import euler_from_matrix, rotation_matrix
from annotator.synth.actors import DEFAULT_CLASSES, Actor, place_actors
from annotator.synth.camera import CameraConfig
from annotator.synth.crossings import clear_crosswalks, crosswalks, place_crossers
from annotator.synth.ground import Ground
from annotator.synth.layout import StreetLayout
from annotator.synth.lidar import LidarConfig
from annotator.synth.primitives import Primitive, PrimitiveSet
from annotator.synth.shapes import SHAPES
from annotator.synth.static import boundaries, buildings, furniture, open_side_streets
from annotator.synth.street import in_gap, side_streets, street_style

logger = logging.getLogger(__name__)

STREETS = ("classic", "urban")


@dataclass(frozen=True)
class SceneConfig:
    """Everything that decides a generated sequence; the same config gives the same bytes.

    ``classes`` are the in-schema classes to place, ``ood_classes`` out-of-schema ones ("Trailer",
    "Animal") making up about ``ood_rate`` of the objects where they can go. ``density`` scales how many
    road users, ``clutter`` how much street furniture and vegetation, ``noise`` the LiDAR's range noise,
    dropout and spurious returns, ``bumpiness`` the ground's bumps. ``ego_speed`` is in m/s (0: parked).
    ``street`` chooses the content: ``"classic"`` (the original generator) or ``"urban"`` (what real streets
    hold: cars packed along the kerbs, vans, trucks and buses of realistic sizes, pedestrians in groups,
    fences and walls, more vegetation, steeper slopes).
    """

    seed: int = 0
    n_frames: int = 10
    frame_interval: float = 0.1
    classes: tuple[str, ...] = DEFAULT_CLASSES
    ood_classes: tuple[str, ...] = ()
    ood_rate: float = 0.2
    density: float = 1.0
    clutter: float = 1.0
    noise: float = 1.0
    bumpiness: float = 1.0
    ego_speed: float = 6.0
    object_range: float = 60.0
    street: str = "classic"
    lidar: LidarConfig = field(default_factory=LidarConfig)
    camera: CameraConfig = field(default_factory=CameraConfig)

    def __post_init__(self) -> None:
        if self.n_frames < 0 or self.frame_interval <= 0:
            raise ValueError("a scene needs n_frames >= 0 and a positive frame_interval")
        if min(self.density, self.clutter, self.noise, self.bumpiness, self.ego_speed) < 0:
            raise ValueError("density, clutter, noise, bumpiness and ego_speed must not be negative")
        if self.street not in STREETS:
            raise ValueError(f"street must be one of {STREETS}, got {self.street!r}")
        if not 0.0 <= self.ood_rate <= 1.0:
            raise ValueError(f"ood_rate must be between 0 and 1, got {self.ood_rate}")
        object.__setattr__(self, "classes", tuple(self.classes))
        object.__setattr__(self, "ood_classes", tuple(self.ood_classes))


@dataclass(frozen=True)
class ObjectState:
    """A road user at one instant: its world cuboid (9-DoF), world velocity and its primitives' range."""

    actor: Actor
    cuboid: Cuboid
    velocity: np.ndarray
    primitives: slice


@dataclass(frozen=True)
class SceneState:
    """The scene at one instant: all primitives (static first), the objects, the world pose of the frame
    the LiDAR's points are given in, and the ego car's world velocity (m/s)."""

    time: float
    primitives: PrimitiveSet
    objects: list[ObjectState]
    lidar_pose: np.ndarray  # 4x4 world-from-LiDAR frame (the sensor's, or the ego car's: LidarConfig.frame)
    ego_velocity: np.ndarray = field(default_factory=lambda: np.zeros(3))


def _upright_rotation(ground: Ground, x: float, y: float, yaw: float) -> np.ndarray:
    """Rotation with heading ``yaw`` whose z axis is the ground normal at (x, y)."""
    normal = rotation_matrix(-yaw) @ ground.normal(x, y)
    roll = -math.asin(float(np.clip(normal[1], -1.0, 1.0)))
    pitch = math.atan2(float(normal[0]), float(normal[2]))
    return rotation_matrix(yaw, pitch, roll)


class Scene:
    """The world of one sequence: ground, buildings, furniture and road users (built from the config)."""

    def __init__(self, config: SceneConfig) -> None:
        self.config = config
        rng = np.random.default_rng(config.seed)
        style = street_style(config.street)
        self.layout = StreetLayout.sample_urban(rng) if style.narrow else StreetLayout.sample(rng)
        self.ground = Ground.sample(self.layout, rng, config.bumpiness, style.max_slope)
        self.ego_y = -self.layout.lane_width / 2
        travel = config.ego_speed * config.frame_interval * max(config.n_frames - 1, 0)
        reach = config.object_range
        world = (-reach - 60.0, travel + reach + 60.0)
        self.static = buildings(self.ground, rng, world) + furniture(
            self.ground, rng, world, config.clutter, style
        )
        if style.boundaries and config.clutter > 0:
            self.static += boundaries(self.ground, rng, world)
        self.actors = place_actors(
            self.layout,
            rng,
            config.classes,
            config.ood_classes,
            config.ood_rate,
            config.density,
            (-reach, travel + reach),
            (0.0, self.ego_y, config.ego_speed),
            style,
        )
        #: x intervals per side (-1, 1) where side streets open (urban streets).
        self.side_streets = side_streets(style, rng, world)
        if self.side_streets[-1] or self.side_streets[1]:
            self.static = open_side_streets(self.static, self.side_streets, self.layout.road_half_width)
            self.actors = [a for a in self.actors if not self._blocks_side_street(a, self.side_streets)]
        if "Pedestrian" in config.classes:
            walks = crosswalks(style, rng, (-reach, travel + reach), (0.0, travel))
            self.actors = clear_crosswalks(self.actors, walks, self.layout)
            next_id = max((a.track_id for a in self.actors), default=-1) + 1
            self.actors += place_crossers(self.layout, style, rng, walks, next_id)
        self._shapes = [
            [
                p.posed(np.eye(3), np.zeros(3), owner=i)
                for p in SHAPES[a.label](a.size, tuple(map(float, a.color)))
            ]
            for i, a in enumerate(self.actors)
        ]
        logger.info(
            "scene seed %d: %d static primitives, %d road users",
            config.seed,
            len(self.static),
            len(self.actors),
        )

    def _blocks_side_street(self, actor: Actor, gaps: dict[int, list[tuple[float, float]]]) -> bool:
        """Whether a parked vehicle stands across a side street's mouth."""
        kerb_side = self.layout.carriageway_half_width
        y = actor.start[1]
        if actor.velocity != 0 or abs(y) <= kerb_side or abs(y) > self.layout.road_half_width:
            return False
        half = actor.size[0] / 2
        return in_gap(actor.start[0] - half, actor.start[0] + half, gaps[1 if y > 0 else -1])

    def lidar_pose(self, time: float) -> np.ndarray:
        """4x4 world-from-LiDAR-frame pose at ``time``: the ego's sensor, or its ego frame (``lidar.frame``)."""
        lidar = self.config.lidar
        x = self.config.ego_speed * time
        rotation = _upright_rotation(self.ground, x, self.ego_y, 0.0)
        pose = np.eye(4)
        pose[:3, :3] = rotation
        pose[:3, 3] = (x, self.ego_y, float(self.ground.height(x, self.ego_y))) + rotation[
            :, 2
        ] * lidar.height
        if lidar.frame != "sensor":
            pose[:3, 3] -= rotation @ lidar.mount()
        return pose

    def ego_velocity(self, time: float, step: float = 0.01) -> np.ndarray:
        """World velocity (3,) of the ego car at ``time`` (m/s; it follows the ground's slope)."""
        return (self.lidar_pose(time + step)[:3, 3] - self.lidar_pose(time - step)[:3, 3]) / (2.0 * step)

    def state(self, frame: int) -> SceneState:
        """Everything placed for frame number ``frame``."""
        time = frame * self.config.frame_interval
        primitives: list[Primitive] = list(self.static)
        objects: list[ObjectState] = []
        for actor, shape in zip(self.actors, self._shapes):
            x, y = actor.position(time)
            rotation = _upright_rotation(self.ground, x, y, actor.yaw)
            bottom = np.array([x, y, float(self.ground.height(x, y))])
            centre = bottom + rotation[:, 2] * actor.size[2] / 2
            first = len(primitives)
            primitives += [p.posed(rotation, centre) for p in shape]
            yaw, pitch, roll = euler_from_matrix(rotation)
            cuboid = Cuboid(tuple(centre), actor.size, yaw, pitch, roll)
            velocity = np.array([*actor.world_velocity(), 0.0])
            objects.append(ObjectState(actor, cuboid, velocity, slice(first, len(primitives))))
        return SceneState(
            time, PrimitiveSet.pack(primitives), objects, self.lidar_pose(time), self.ego_velocity(time)
        )
