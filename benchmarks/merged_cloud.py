"""Merged sweeps against one sweep, in the application's own window (offscreen Qt, VTK through EGL).

On the shared Argoverse log (imported with poses, `-o max_range=50 -o min_points=10`), or a generated
drive with poses when the data is absent, at the middle sweep, prints medians for one sweep and for
View > Merged sweeps "5 on each side" (the current sweep and 10 more), and their ratio:
  1. a camera-move frame in the perspective view (orbiting a little each frame, level of detail on);
  2. a nudge of the selected car (Cuboid > Move forward) to the last view redrawn;
  3. the full picture once the camera rests;
and the merge itself (worker thread) with the longest event-loop stall while it runs.

Run: .venv/bin/python benchmarks/merged_cloud.py [--frames 10] [--nudges 10] [--radius 5] [--rounds 3] [--generated]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QApplication
from viewer_lod import StallMeter, open_window, report  # sibling script

from annotator.core.edits import AddAnnotations, AddFrames, UpdateFrame
from annotator.core.model.records import Annotation
from annotator.core.pose import Pose
from annotator.io.formats import get_format
from annotator.io.frames import frames_from_files
from annotator.io.importers.apply import apply_dataset
from annotator.io.pointcloud import write_kitti_bin
from annotator.io.workspace import Workspace
from annotator.qt.app.main_window import MainWindow
from annotator.render.camera import default_pose
from annotator.render.offscreen import renderer_name

ARGOVERSE = Path(__file__).resolve().parents[1].parent / "shared/data/argoverse1_sample_log"


def argoverse_project(root: Path) -> Path:
    """The shared log imported with its poses and the labels an annotator would draw."""
    source = get_format("argoverse").read(ARGOVERSE, options={"max_range": "50", "min_points": "10"})
    with Workspace.create(root) as workspace:
        apply_dataset(workspace, source)
    return root


def generated_project(root: Path, frames: int = 21) -> Path:
    """A generated drive with ego poses and tracked boxes (when the shared data is absent)."""
    from annotator.synth import SceneConfig
    from annotator.synth.sequence import generate_sequence

    sequence = generate_sequence(SceneConfig(seed=5, n_frames=frames), render_images=False)
    files = []
    for frame in sequence.frames:
        files.append(root.parent / f"{root.name}-{frame.index:06d}.bin")
        write_kitti_bin(files[-1], frame.points)
    with Workspace.create(root) as workspace:
        ids = workspace.push(AddFrames(frames_from_files(workspace.project, files))).ids
        boxes = []
        for frame_id, frame in zip(ids, sequence.frames):
            workspace.push(UpdateFrame(frame_id, pose=pose_of(frame.lidar_pose)))
            boxes += [
                Annotation(0, frame_id, o.label, cuboid=o.cuboid, track_id=o.track_id) for o in frame.objects
            ]
        workspace.push(AddAnnotations(boxes))
    return root


def pose_of(matrix: np.ndarray) -> Pose:
    """A 4x4 world-from-LiDAR matrix as a `Pose`."""
    from annotator.io.formats.rotation import quaternion_from_matrix

    return Pose(quaternion_from_matrix(matrix[:3, :3]), tuple(matrix[:3, 3]))


def settle(app: QApplication, window: MainWindow) -> None:
    """Process events until no view waits for a render."""
    while any(window.grid.scheduler.pending(view) for view in window.grid.views):
        app.processEvents()
    app.processEvents()


def nudge_times(app: QApplication, window: MainWindow, count: int) -> list[float]:
    """Milliseconds from a keyboard nudge of the selected box until every view has drawn it (the full
    picture that follows once the edits rest is left out, as after camera moves)."""
    times = []
    views = window.grid.views
    for step in range(count):
        rest(app, window)
        before = [view.render_count for view in views]
        start = time.perf_counter()
        window.actions["cuboid.move_forward" if step % 2 == 0 else "cuboid.move_back"].trigger()
        while any(view.render_count == count for view, count in zip(views, before)):
            app.processEvents()
        times.append((time.perf_counter() - start) * 1000.0)
    rest(app, window)
    return times


def rest(app: QApplication, window: MainWindow) -> None:
    """Wait until the perspective view has drawn its full picture after motion or edits."""
    settle(app, window)
    while window.grid.perspective.lod.moving:
        app.processEvents()
        time.sleep(0.001)
    settle(app, window)


def move_frames(window: MainWindow, frames: int) -> list[float]:
    """Milliseconds per camera-move frame (orbiting 2 degrees a frame, level of detail on), from the same
    camera for one sweep and merged sweeps: the default view of the current sweep."""
    view = window.grid.perspective
    view.set_camera_pose(default_pose(window.document.cloud.bounds))
    camera = view.scene.renderer.GetActiveCamera()
    times = []
    for _ in range(frames):
        view.begin_motion()
        camera.Azimuth(2.0)
        times.append(view.render_now())
    view.lod.rest()
    return times


def measure(app: QApplication, window: MainWindow, args: argparse.Namespace) -> dict[str, list[float]]:
    """Camera-move frames, nudges and full pictures of what the window shows now."""
    settle(app, window)
    window.grid.render_all_now()
    perspective = window.grid.perspective
    return {
        "move": move_frames(window, args.frames),
        "nudge": nudge_times(app, window, args.nudges),
        "full": [perspective.render_now() for _ in range(3)],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=10, help="camera-move frames per measurement")
    parser.add_argument("--nudges", type=int, default=10, help="box nudges per measurement")
    parser.add_argument("--radius", type=int, default=5, help="sweeps merged on each side")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of one sweep and merged")
    parser.add_argument(
        "--generated", action="store_true", help="a generated drive even when the log is there"
    )
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        real = ARGOVERSE.is_dir() and not args.generated
        project = argoverse_project(scratch / "p") if real else generated_project(scratch / "p")
        window = open_window(app, scratch)
        window.open_project(project)
        frames = window.document.frames()
        window.document.set_frame(frames[len(frames) // 2].id, wait=True)
        car = max(
            (a for a in window.document.cuboids() if a.class_name == "Car"),
            key=lambda a: len(window.document.cloud.inside(a.cuboid)),
        )
        window.document.select(car.id)
        print(
            f"data: {'Argoverse log ' + ARGOVERSE.name if real else 'generated drive'}, sweep {len(frames) // 2}"
        )
        print(f"OpenGL renderer: {renderer_name(window.grid.perspective.canvas.render_window)}")
        rest(app, window)  # the window's first pictures are not the merge's
        meter = StallMeter()
        meter.start()
        window.merged.set_radius(args.radius)
        while window.merged.current is None:
            app.processEvents()
            time.sleep(0.001)
        arrival = meter.longest
        rest(app, window)  # the first (coarse) pictures, then the full one once the camera rests
        stall = meter.stop()
        built = window.merged.current
        sweeps = built.sweeps.sweep_count
        print(
            f"merge of {sweeps} sweeps: {built.build_ms:.0f} ms in the worker, {len(built.sweeps):,} points kept "
            f"(this sweep {built.sweeps.current_count:,}), {len(built.sweeps.faded):,} faded; "
            f"longest event-loop stall while it ran {arrival * 1000:.0f} ms, "
            f"then until its full picture {stall * 1000:.0f} ms"
        )
        window.merged.wait()  # the next frame's merge (prefetched) is not measured with the views
        scene = window.grid.perspective.scene
        print(
            f"points drawn while the camera moves: {scene.points.coarse.count:,} merged, {len(window.document.cloud):,} one sweep"
        )
        single: dict[str, list[float]] = {}
        merged: dict[str, list[float]] = {}
        for _ in range(args.rounds):  # alternate, so that a load change on the machine hits both alike
            for radius, pooled in ((0, single), (args.radius, merged)):
                window.merged.set_radius(radius)  # the merged cloud comes from the cache
                for key, values in measure(app, window, args).items():
                    pooled.setdefault(key, []).extend(values)
        start = time.perf_counter()  # the next frame: its merge was built while this one was shown
        window.document.step_frame(1)
        while window.merged.current is None or window.merged.current.cloud is not window.grid.merged:
            app.processEvents()
        rest(app, window)
        print(
            f"next frame with its merged sweeps drawn in full (prefetched): {time.perf_counter() - start:.2f} s"
        )
        titles = {
            "move": "camera-move frame",
            "nudge": "nudge -> all views redrawn",
            "full": "full picture at rest",
        }
        for key, title in titles.items():
            print(report(f"one sweep, {title}", single[key]))
            print(report(f"{sweeps} merged sweeps, {title}", merged[key]))
            ratio = statistics.median(merged[key]) / statistics.median(single[key])
            print(f"{'':<52} ratio merged / one: {ratio:.2f}")
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
