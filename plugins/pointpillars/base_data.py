"""The base detector's training frames: generated street scenes from several simulated sensors, cached.

Frame ``k`` comes from scene ``k // FRAMES_PER_SCENE`` (seed, sensor and scene settings drawn from the run's
seed and ``k``), so the same options give the same frames. Each frame is stored once as
``frame_NNNNN.npz`` in the cache folder with a signature (generator, sensor, seed); a later run (a resume)
reuses every frame whose signature still matches and generates the rest.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from annotator.synth import SceneConfig, iter_frames
from plugins.pointpillars.config import CLASSES
from plugins.pointpillars.ground import ground_shift
from plugins.pointpillars.sensors import GENERATOR, beam_index, sensor_config

logger = logging.getLogger(__name__)

#: Frames taken from one generated scene, and the time between them (s).
FRAMES_PER_SCENE = 2
FRAME_GAP = 1.5
#: Objects with at least this many points are labels; fewer (but some) are "don't care".
MIN_LABEL_POINTS = 5
#: Share of scenes with the generator's "urban" streets (kerb-packed parking, groups, walls) when it has them.
URBAN_SHARE = 0.75
#: Where the base detector puts the ground (the height KITTI's sensor sees it at).
BASE_GROUND_Z = -1.73
INDEX_FILE = "frames.json"
VERSION = "base-data/1"


@dataclass
class CachedFrame:
    """A training frame, ground-levelled: points (N, 4), beam of each point (N,), owning object (N,; -1:
    none), boxes (M, 7), labels (M,) indexing `CLASSES` (-1: don't care)."""

    points: np.ndarray
    ring: np.ndarray
    owner: np.ndarray
    boxes: np.ndarray
    labels: np.ndarray
    beams: int


def scene_for(index: int, sensors: Sequence[str], seed: int) -> tuple[str, SceneConfig]:
    """The sensor name and scene config of frame ``index``'s scene."""
    scene = index // FRAMES_PER_SCENE
    rng = np.random.default_rng([seed, 17, scene])
    name = sensors[scene % len(sensors)]
    lidar = sensor_config(name)
    lidar = dataclasses.replace(lidar, height=float(lidar.height * rng.uniform(0.9, 1.1)))
    moving = rng.random() < 0.8
    urban = (
        {"street": "urban"}
        if "street" in SceneConfig.__dataclass_fields__ and rng.random() < URBAN_SHARE
        else {}
    )
    config = SceneConfig(
        **urban,
        seed=int(seed * 1_000_003 + scene) % (2**31),
        n_frames=FRAMES_PER_SCENE,
        frame_interval=FRAME_GAP,
        density=float(rng.uniform(0.6, 1.6)),
        clutter=float(rng.uniform(0.4, 1.6)),
        noise=float(rng.uniform(0.5, 1.5)),
        bumpiness=float(rng.uniform(0.3, 1.5)),
        ego_speed=float(rng.uniform(2.0, 12.0)) if moving else 0.0,
        lidar=lidar,
    )
    return name, config


def signature(index: int, sensors: Sequence[str], seed: int) -> str:
    """What decides frame ``index``: the data version, the generator's sensors, the sensor and seed."""
    name, _ = scene_for(index, sensors, seed)
    return f"{VERSION}/{GENERATOR}/{name}/seed{seed}/scene{index // FRAMES_PER_SCENE}"


def _objects(frame, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boxes (M, 7), labels (M,) and each point's owner of a generated frame's visible objects."""
    index = {name: i for i, name in enumerate(CLASSES)}
    owner = np.full(len(points), -1, dtype=np.int16)
    boxes, labels = [], []
    for obj in frame.objects:
        if obj.num_points <= 0:
            continue
        inside = obj.cuboid.points_inside(points[:, :3], margin=0.05)
        owner[inside & (owner < 0)] = len(boxes)
        boxes.append(obj.cuboid.to_array()[:7])
        labels.append(index.get(obj.label, -1) if obj.num_points >= MIN_LABEL_POINTS else -1)
    return np.asarray(boxes, dtype=np.float64).reshape(-1, 7), np.asarray(labels, dtype=np.int64), owner


def _write(path: Path, frame, lidar) -> None:
    points = np.asarray(frame.points, dtype=np.float32)
    boxes, labels, owner = _objects(frame, points)
    ring = beam_index(points, lidar)
    shift = ground_shift(points, BASE_GROUND_Z)
    points = points.copy()
    points[:, 2] += np.float32(shift)
    boxes[:, 2] += shift
    temporary = path.with_suffix(".tmp.npz")
    np.savez(temporary, points=points, ring=ring, owner=owner, boxes=boxes, labels=labels,
             beams=np.int64(len(lidar.elevations())))  # fmt: skip
    temporary.replace(path)


def _generate_scene(
    folder: Path, start: int, stale: Sequence[int], sensors: Sequence[str], seed: int
) -> list[str]:
    """Write the frames ``stale`` of the scene that begins at frame ``start`` into ``folder``; their file
    names. A worker process's task (module level, so that it pickles)."""
    _, config = scene_for(start, sensors, seed)
    written = []
    for offset, frame in enumerate(iter_frames(config, render_images=False)):
        if start + offset in stale:
            name = f"frame_{start + offset:05d}.npz"
            _write(folder / name, frame, config.lidar)
            written.append(name)
    return written


def build_cache(
    folder: Path,
    frames: int,
    sensors: Sequence[str],
    seed: int,
    progress: Callable[[int, int, int], None] | None = None,
    workers: int = 0,
) -> list[Path]:
    """Generate (or reuse) ``frames`` training frames in ``folder``; their files in order. ``progress``
    gets (done, total, generated so far). ``workers`` > 0: scenes are generated by that many processes
    (the same frames: each scene depends on the seed and its number only)."""
    folder.mkdir(parents=True, exist_ok=True)
    index_path = folder / INDEX_FILE
    try:
        known = json.loads(index_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    paths = [folder / f"frame_{k:05d}.npz" for k in range(frames)]
    tasks = []
    for start in range(0, frames, FRAMES_PER_SCENE):
        wanted = range(start, min(start + FRAMES_PER_SCENE, frames))
        stale = [
            k
            for k in wanted
            if known.get(paths[k].name) != signature(k, sensors, seed) or not paths[k].is_file()
        ]
        if stale:
            tasks.append((start, stale))
    done, generated = frames - sum(len(stale) for _, stale in tasks), 0
    number = {path.name: k for k, path in enumerate(paths)}

    def finished(written: list[str]) -> None:
        nonlocal done, generated
        for name in written:
            known[name] = signature(number[name], sensors, seed)
        index_path.write_text(json.dumps(known, indent=0, sort_keys=True), encoding="utf-8")
        done += len(written)
        generated += len(written)
        if progress is not None:
            progress(done, frames, generated)

    if workers > 0 and len(tasks) > 1:
        context = multiprocessing.get_context("spawn")  # numpy only: no torch threads forked along
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = [
                pool.submit(_generate_scene, folder, start, stale, sensors, seed) for start, stale in tasks
            ]
            try:
                for future in as_completed(futures):
                    finished(future.result())
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
    else:
        for start, stale in tasks:
            finished(_generate_scene(folder, start, stale, sensors, seed))
    if progress is not None and not tasks:
        progress(frames, frames, 0)
    return paths


def load_frame(path: Path) -> CachedFrame:
    """A cached frame."""
    with np.load(path, allow_pickle=False) as data:
        return CachedFrame(
            data["points"],
            data["ring"],
            data["owner"].astype(np.int64),
            data["boxes"],
            data["labels"],
            int(data["beams"]),
        )
