"""Large clouds in the application's window: opening, camera moves, box nudges, stalls and peak memory.

For each size (1M, 5M, 10M, 20M, 100M points by default) a child process opens a project holding one
LiDAR-like cloud (KITTI .bin, generated once in chunks under ``--cache``) with one car box, in a window
whose perspective view is 1600x1000 pixels (offscreen Qt, VTK through EGL), and prints:

  open      seconds from opening the project to the first picture in all four views (of a preview
            sample when the cloud is large: see ``whole``);
  whole     seconds from opening to the whole cloud read and indexed (boxes count their points);
  full      seconds from opening to the full detail in the perspective view (progressive or in one go);
  move      camera-move frame, the level-of-detail sample, milliseconds (median);
  refine    seconds from the camera coming to rest to the full detail again;
  nudge     milliseconds from a keyboard nudge of the selected box (Move forward) to all views redrawn
            (median over ``--nudges``; the edit is committed to the project store on the way);
  persp     of which the perspective view's render, milliseconds (median);
  exact     (``--phases``) from the nudge to the box's exact points drawn and counted, where a worker finds
            them (100M: a stand-in is drawn first), milliseconds (median);
  walk      the same for nudges of 0.1 m all one way (``--nudges`` of them, after the others): median and
            longest; the orthographic views hold still while the box stays within half their margin and
            fit it afresh when it leaves, one view a step, on crops made ahead of the box in a worker
            (sample points stand in for a crop not made in time: the walk's longest exact, with
            ``--phases``, is the time from such a step to the exact crops drawn), drawing every other
            point of the crop while the walk goes on (``--phases``: the time from the walk's last step to
            the whole crops drawn once it rests); also printed: the most cloud layers, the views' pictures
            of points, drawn again on one walking step, and the time to every view redrawn with the moved
            box (a view fitted afresh: in its fit's own turn), with the window thread's own CPU time
            meanwhile: what other programs' load does not change);
  stall     the longest event-loop stall (a 5 ms timer's longest gap) while opening, refining, selecting
            the box, nudging, fitting and changing frames; ``--phases`` prints each phase's own;
  select    milliseconds from selecting the box to all views redrawn (its crops and highlight);
  fit       milliseconds from Cuboid > Fit to points on a sparse car among 34 parked cars (its scene priors
            count their points; clouds of more than 2M points are fitted in a worker) to the fitted box
            drawn;
  frame     seconds from Frame > Next (a second frame holding the same cloud, prefetched as the window
            does) to the next frame's picture settled, with the longest stall meanwhile;
  rss       the child's peak resident memory (MiB), generation of the cloud excluded (done beforehand);
  labelCloud  labelCloud's peak resident memory for the same file (with ``--labelcloud PYTHON``).

``--real DIR`` measures a real sequence instead (the first ``--frames`` clouds of ``DIR``, e.g. the
Argoverse log's ``lidar`` folder): the same phases, frame changes stepping through all of them.
``--trace [MS]`` prints, for each stall over MS milliseconds (40 by default), the render and preparation steps inside it
(and, in order, those of the longest walking step),
each view's layers (``base``, ``detail``, ``overlay``) and whole render (``window``) among them (see ``stall_trace.py``).
The window is at rest (the views drawn at their final sizes) before the project is opened.

Run: .venv/bin/python benchmarks/large_clouds.py [--sizes 1,5,10,20,100] [--labelcloud PYTHON]
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.pop("DISPLAY", None)

#: Points generated per chunk when writing a cloud file (bounds the generator's memory).
GENERATE_CHUNK = 2_000_000
#: Perspective view size the figures are taken at (pixels).
VIEW_SIZE = (1600, 1000)
#: The box nudged (centre, size, yaw): a car on the ground near the sensor.
BOX = ((9.0, 3.0, -0.95), (4.5, 1.9, 1.6), 0.3)
#: Rows of parked cars on each side of the box for the keyboard fit of a sparse car (7 cars a row).
FIT_ROWS = 2
HERE = Path(__file__).resolve().parent
LABELCLOUD_PROBE = HERE / "labelcloud_rss.py"


def cloud_file(cache: Path, millions: float) -> Path:
    """A KITTI .bin of ``millions`` million LiDAR-like points, written chunk by chunk (made once)."""
    sys.path.insert(0, str(HERE))
    from viewer_lod import lidar_like  # sibling script

    count = round(millions * 1_000_000)
    path = cache / f"lidar_{count}.bin"
    if path.is_file() and path.stat().st_size == count * 16:
        return path
    cache.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    with partial.open("wb") as out:
        for seed, start in enumerate(range(0, count, GENERATE_CHUNK)):
            lidar_like(min(GENERATE_CHUNK, count - start), seed=seed).tofile(out)
    partial.replace(path)
    return path


def peak_rss_mib() -> float:
    """This process's peak resident memory in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def rss_now_mib() -> float:
    """This process's resident memory now in MiB (Linux; 0 elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return 0.0
    return pages * resource.getpagesize() / 1048576.0


def measure(
    clouds: list[Path],
    moves: int,
    nudges: int,
    wait_full: bool = True,
    trace: float = 0.0,
    memory: bool = False,
    threads: bool = False,
    wait_limit: float = 600.0,
) -> dict[str, float]:
    """Open the first of ``clouds`` (one frame each) in a main window and measure it (see the module
    docstring), then step through the others; without ``wait_full`` the full detail is not waited for
    (it keeps coming in while the camera moves and boxes are nudged); with ``trace`` (milliseconds), print
    the steps inside each stall longer than that (see ``stall_trace.py``); with ``memory``, print each
    phase's peak resident memory (see ``memory_phases.py``); with ``threads``, print each thread's CPU time
    in the three longest walking steps (see ``thread_clock.py``)."""
    from PySide6.QtCore import QEventLoop, QTimer

    sys.path.insert(0, str(HERE))
    from thread_clock import ThreadClock  # sibling script
    from viewer_lod import StallMeter, move_frames, open_window  # sibling script

    from annotator.core.cuboids.cuboid import Cuboid
    from annotator.core.edits import AddAnnotations, AddFrames
    from annotator.core.model.records import Annotation
    from annotator.io.frames import frames_from_files
    from annotator.io.workspace import Workspace
    from annotator.qt.app.launch import create_application

    sampler = None
    if memory:
        from memory_phases import RssSampler  # sibling script

        sampler = RssSampler()
        sampler.start()
    launched = time.perf_counter()
    app = create_application(sys.argv[:1])  # as the application starts (numpy's BLAS on one thread)
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        centre, size, yaw = BOX
        with Workspace.create(scratch / "project") as workspace:
            files = []
            for number, cloud in enumerate(clouds):  # a frame each, even when they are one file
                link = scratch / f"frame{number:03d}{cloud.suffix}"
                link.symlink_to(cloud.resolve())
                files.append(link)
            frame_ids = workspace.push(AddFrames(frames_from_files(workspace.project, files))).ids
            box = Cuboid(centre, size, yaw)
            workspace.push(AddAnnotations([Annotation(0, frame_ids[0], "Car", cuboid=box)]))
        window = open_window(app, scratch)
        grid = window.grid
        window.resize(VIEW_SIZE[0] + 40, VIEW_SIZE[1] * 5 // 3 + 120)
        for _ in range(5):
            app.processEvents()
        canvas = grid.perspective.canvas  # panels beside the views take width: make the view 1600 wide
        window.resize(window.width() + VIEW_SIZE[0] - canvas.width(), window.height())
        for _ in range(5):
            app.processEvents()
        title = grid.perspective.title.sizeHint().height()
        grid.setSizes([VIEW_SIZE[1] + title, grid.height() - VIEW_SIZE[1] - title])
        for _ in range(5):
            app.processEvents()
        perspective = grid.perspective
        meter = StallMeter()
        spans = None
        if trace:
            from stall_trace import trace_views  # sibling script

            spans = trace_views()
            spans.observe_layers(grid.views)
            spans.observe_gc()
            spans.start()
        marks: dict[str, tuple[float, float]] = {}

        def settled() -> bool:
            if not wait_full:  # the views drawn; the full detail may still be coming in between
                busy = any(grid.scheduler.pending(view) for view in grid.views)
                return perspective.scene.detail == "full" and not busy
            return (
                perspective.detail == "full"
                and not grid.scheduler.waiting
                and not getattr(perspective, "refining", False)
            )

        # Waiting runs the event loop as the window's own would: woken by the next event or timer (a 10 ms
        # keep-alive timer bounds the wait for a condition no event announces). A poll that slept between
        # turns added up to a millisecond per render turn to every latency measured.
        keep_alive = QTimer()
        keep_alive.setInterval(10)
        keep_alive.start()

        def wait(condition, timeout: float = wait_limit) -> None:
            end = time.perf_counter() + timeout
            while not condition():
                if time.perf_counter() > end:
                    raise TimeoutError(
                        f"still waiting after {timeout:.0f} s at {stuck_at()}: {window_state()}"
                    )
                app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)

        def stuck_at() -> str:
            caller = inspect.stack()[2]
            return f"line {caller.lineno} ({(caller.code_context or ['?'])[0].strip()})"

        def window_state() -> str:
            cloud = window.document.cloud
            views = ", ".join(
                f"{type(view.scene).__name__} {getattr(view.scene, 'detail', '')}: "
                f"{view.render_count} renders, pending {grid.scheduler.pending(view)}"
                for view in grid.views
            )
            return (
                f"cloud {'none' if cloud is None else ('partial' if cloud.partial else 'whole')}; "
                f"scheduler waiting {grid.scheduler.waiting}; refining {getattr(perspective, 'refining', None)}; "
                f"loader busy {loader.jobs.busy()}; provisional {grid.provisional}; views: {views}"
            )

        loader = window.document.loader
        # The window at rest before the project opens, as a user's would be: the renders the resizes above
        # asked for (each view's picture at its final size, the off-screen buffers made for it) are done.
        wait(lambda: not grid.scheduler.waiting)
        for _ in range(5):
            app.processEvents()
        meter.start()
        start = time.perf_counter()
        marks["start-up"] = (launched, start)
        counts: list[int] = []
        window.open_project(scratch / "project")
        wait(lambda: window.document.cloud is not None)
        counts = [view.render_count for view in grid.views]
        wait(lambda: all(view.render_count > count for view, count in zip(grid.views, counts)))
        first = time.perf_counter() - start
        wait(lambda: not getattr(window.document.cloud, "partial", False))  # the whole cloud after a preview
        whole = time.perf_counter() - start
        wait(settled)
        full = time.perf_counter() - start
        stall_open = meter.stop()
        marks["opening"] = (start, time.perf_counter())
        prefetch = time.perf_counter()
        wait(lambda: not loader.jobs.busy())  # the next frame prefetched: no reading during the rest
        marks["prefetching"] = (prefetch, time.perf_counter())

        move = move_frames(window, moves, lod=True)  # ends with the camera at rest
        meter.start()
        rest = time.perf_counter()
        wait(settled)
        refine = time.perf_counter() - rest
        stall_refine = meter.stop()

        marks["refining"] = (rest, time.perf_counter())
        focus = getattr(
            grid, "focus_jobs", None
        )  # the points around the selected box, copied out in a worker
        meter.start()
        begin = time.perf_counter()
        window.document.select(window.document.cuboids()[0].id)
        wait(settled)
        select = (time.perf_counter() - begin) * 1000.0
        wait(lambda: settled() and not (focus is not None and focus.busy()))
        stall_select = meter.stop()
        marks["selecting"] = (begin, time.perf_counter())
        nudge, redraw, walk, exact, walk_exact, walk_redrawn = [], [], [], [], [], []
        walk_spans: list[tuple[float, float]] = []  # each walking step's time (for --trace)
        walk_draws: list[int] = []  # cloud layers (views' base layers) drawn on each walking step
        redrawn_draws: list[int] = []  # of which before every view showed the moved box
        walk_redrawn_cpu: list[float] = []  # the window thread's CPU milliseconds until then
        walk_threads: list[tuple[float, list[tuple[str, float]]]] = []  # (step ms, each thread's CPU ms)
        clock = ThreadClock() if threads else None

        def base_draws() -> int:
            return sum(view.scene.picture.draws for view in grid.views)

        finder = getattr(grid, "box_points", None)  # finds a very large cloud's box points in a worker
        meter.start()
        begin_nudges = time.perf_counter()
        for step in range(2 * nudges):
            begin, renders, draws = time.perf_counter(), perspective.render_count, base_draws()
            cpu = time.thread_time()  # the window thread's own CPU time (other programs' load left out)
            shown = [view.render_count for view in grid.views]
            ran = clock.read() if clock is not None else {}
            if step < nudges:  # back and forth (the box stays put on the whole)
                window.editing.move(0.05 if step % 2 == 0 else -0.05, 0.0, 0.0)
            else:  # then one way, as pressing a key again and again
                window.editing.move(0.1, 0.0, 0.0)
            if (
                step >= nudges
            ):  # every view showed the moved box (a fresh fit may follow in a turn of its own)
                wait(lambda shown=shown: all(view.render_count > n for view, n in zip(grid.views, shown)))
                walk_redrawn.append((time.perf_counter() - begin) * 1000.0)
                walk_redrawn_cpu.append((time.thread_time() - cpu) * 1000.0)
                redrawn_draws.append(base_draws() - draws)
            wait(settled)
            (nudge if step < nudges else walk).append((time.perf_counter() - begin) * 1000.0)
            if step >= nudges:
                walk_spans.append((begin, time.perf_counter()))
                walk_draws.append(base_draws() - draws)
                if clock is not None:
                    walk_threads.append((walk[-1], clock.between(ran, clock.read())))
            if step >= nudges and grid.provisional:  # refitted on stand-ins: wait for the exact crops
                wait(lambda: settled() and not grid.provisional and not (focus is not None and focus.busy()))
                walk_exact.append((time.perf_counter() - begin) * 1000.0)
            if perspective.render_count > renders and step < nudges:
                redraw.append(perspective.last_render_ms)
            if step < nudges and finder is not None:  # the exact points and count after a stand-in
                wait(lambda: settled() and not finder.busy() and not grid.provisional)
                exact.append((time.perf_counter() - begin) * 1000.0)
            for _ in range(3):  # let the key-run end between nudges, as a user pausing would
                app.processEvents()
        rested = time.perf_counter()  # the walk rests: the views that drew sparser crops draw whole ones
        rest = getattr(grid, "walk_rest", None)
        wait(lambda: settled() and not (rest is not None and rest.isActive()) and not grid.provisional)
        walk_rest_ms = (time.perf_counter() - rested) * 1000.0
        stall_nudge = meter.stop()
        marks["nudging"] = (begin_nudges, time.perf_counter())
        fit_ms, stall_fit = fit_weak_box(window, wait, settled, meter)
        marks["fitting"] = (time.perf_counter() - fit_ms / 1000.0, time.perf_counter())
        frame_s, frame_first, frame_whole, stall_frame = [], [], [], 0.0
        for _ in clouds[1:]:  # Frame > Next, each time once the frame after it is prefetched
            wait(lambda: not loader.jobs.busy())
            meter.start()
            # known by a weak reference: the benchmark must not keep the frame shown before in memory
            begin, shown = time.perf_counter(), weakref.ref(window.document.cloud)
            counts = [view.render_count for view in grid.views]
            window.step_frame(1)
            wait(
                lambda shown=shown, counts=counts: (
                    window.document.cloud not in (None, shown())
                    and all(view.render_count > count for view, count in zip(grid.views, counts))
                )
            )
            frame_first.append(time.perf_counter() - begin)  # its first picture (a large cloud's preview)
            wait(lambda: window.document.cloud is not None and not window.document.cloud.partial)
            frame_whole.append(time.perf_counter() - begin)
            wait(lambda: settled() and not (focus is not None and focus.busy()))
            frame_s.append(time.perf_counter() - begin)
            stall_frame = max(stall_frame, meter.stop())
            marks[f"frame {len(frame_s)}"] = (begin, time.perf_counter())
        if spans is not None:
            spans.stop()
            print(spans.report(trace, marks), flush=True)
            named = ", ".join(f"{t.name} {t.native_id}" for t in threading.enumerate())
            print(f"    threads (name, id as perf shows it): {named}", flush=True)
            print("    steps of the window's thread while nudging:", flush=True)
            print(spans.steps(*marks["nudging"]), flush=True)
            longest = max(walk_spans, key=lambda span: span[1] - span[0])
            print(
                f"    the longest walking step, {(longest[1] - longest[0]) * 1000.0:.1f} ms (from "
                f"{longest[0]:.6f} to {longest[1]:.6f} s of the monotonic clock):",
                flush=True,
            )
            print(spans.sequence(*longest, depth=4), flush=True)
        if clock is not None and walk_threads:
            totals: dict[str, float] = {}
            for _, rows in walk_threads:
                for name, ran in rows:
                    totals[name] = totals.get(name, 0.0) + ran
            print(
                f"    threads' CPU per walking step ({len(walk_threads)} steps): "
                + ", ".join(
                    f"{name} {ran / len(walk_threads):.1f}"
                    for name, ran in sorted(totals.items(), key=lambda item: -item[1])
                ),
                flush=True,
            )
        for ms, rows in sorted(walk_threads, key=lambda item: -item[0])[:3]:
            print(
                f"    threads' CPU in a walking step of {ms:.1f} ms: "
                + ", ".join(f"{name} {ran:.1f}" for name, ran in rows),
                flush=True,
            )
        if sampler is not None:
            sampler.stop()
            print(sampler.report(marks), flush=True)
        canvas = perspective.canvas
        result = {
            "points": len(window.document.cloud),
            "view": f"{canvas.width()}x{canvas.height()}",
            "open_s": first,
            "full_s": full,
            "whole_s": whole,
            "move_ms": statistics.median(move),
            "refine_s": refine,
            "nudge_ms": statistics.median(nudge),
            "nudge_perspective_ms": statistics.median(redraw) if redraw else 0.0,
            "nudge_exact_ms": statistics.median(exact) if exact else 0.0,
            "walk_ms": statistics.median(walk),
            "walk_max_ms": max(walk),
            "walk_redrawn_ms": statistics.median(walk_redrawn),
            "walk_redrawn_max_ms": max(walk_redrawn),
            "walk_redrawn_draws_max": max(redrawn_draws),
            "walk_redrawn_cpu_ms": statistics.median(walk_redrawn_cpu),
            "walk_redrawn_cpu_max_ms": max(walk_redrawn_cpu),
            "chunks": perspective.refiner.chunks,
            "chunks_ahead": getattr(perspective.refiner, "gathered_ahead", 0),
            "walk_exact_ms": max(walk_exact) if walk_exact else 0.0,
            "walk_rest_ms": walk_rest_ms,
            "walk_draws_max": max(walk_draws),
            "select_ms": select,
            "frame_s": statistics.median(frame_s) if frame_s else 0.0,
            "frame_first_s": statistics.median(frame_first) if frame_first else 0.0,
            "frame_whole_s": statistics.median(frame_whole) if frame_whole else 0.0,
            "stall_ms": max(stall_open, stall_refine, stall_select, stall_nudge, stall_fit, stall_frame)
            * 1000.0,
            "stall_nudge_ms": stall_nudge * 1000.0,
            "stall_select_ms": stall_select * 1000.0,
            "stall_frame_ms": stall_frame * 1000.0,
            "stall_open_ms": stall_open * 1000.0,
            "fit_ms": fit_ms,
            "stall_fit_ms": stall_fit * 1000.0,
            "stall_refine_ms": stall_refine * 1000.0,
            "rss_mib": peak_rss_mib(),
            "rss_end_mib": rss_now_mib(),  # after the nudges (an out-of-core cloud: its pages in use)
        }
        keep_alive.stop()
        window.close()
    return result


def fit_weak_box(window, wait, settled, meter) -> tuple[float, float]:
    """Add `FIT_ROWS` rows of parked cars around a sparse car (one undoable step), select the sparse car
    once the window has taken them in, and fit it from the keyboard (Cuboid > Fit to points: its scene
    priors count the points of every parked car): milliseconds to all views redrawn, longest stall."""
    from annotator.core.cuboids.cuboid import Cuboid
    from annotator.core.edits import AddAnnotations
    from annotator.core.model.records import Annotation

    document, focus = window.document, window.grid.focus_jobs
    centre, size, yaw = BOX
    frame = document.frame_id
    parked = [
        Annotation(
            0, frame, "Car", cuboid=Cuboid((centre[0] + 6.0 * k, centre[1] + 4.0 * row, centre[2]), size, yaw)
        )
        for row in range(-FIT_ROWS, FIT_ROWS + 1)
        for k in range(-3, 4)
        if row or k
    ]
    sparse = Cuboid((centre[0] + 3.0, centre[1] + 2.0, centre[2] + 1.8), size, yaw)  # above the ground
    document.push(AddAnnotations([*parked, Annotation(0, frame, "Car", cuboid=sparse)], "Park cars"))
    wait(lambda: settled() and not focus.busy())
    document.select(max(a.id for a in document.cuboids()))
    wait(lambda: settled() and not focus.busy())
    said: list[str] = []
    window.editing.message.connect(lambda text, _ms: said.append(text))
    before = document.selected.cuboid
    meter.start()
    begin = time.perf_counter()
    window.editing.fit_to_points()
    returned = time.perf_counter()
    fitting = window.editing.fit_jobs  # a cloud of many points is fitted in a worker
    wait(lambda: settled() and not fitting.busy() and meter._last > returned)  # the fitted box drawn
    elapsed = (time.perf_counter() - begin) * 1000.0
    wait(lambda: settled() and not focus.busy())
    changed = "changed" if document.selected.cuboid != before else "unchanged"
    print(f"{'':>6} fit of the sparse car: {changed}; {' '.join(said)}", flush=True)
    return elapsed, meter.stop()


def run_child(args: list[str]) -> dict | None:
    """Run this script (or a probe) in a child process and read its ``RESULT`` line."""
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
        if line.startswith(("stall ", "    ")):  # --trace, the fit's outcome
            print(line, flush=True)
    sys.stderr.write(done.stdout[-2000:] + done.stderr[-4000:])
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,5,10,20,100", help="cloud sizes in millions of points")
    parser.add_argument("--cache", type=Path, default=Path("/work/cache/big"), help="where clouds are kept")
    parser.add_argument("--labelcloud", help="a Python with labelCloud 1.1.1 installed: measure its RSS too")
    parser.add_argument("--moves", type=int, default=9, help="camera-move frames per size")
    parser.add_argument("--nudges", type=int, default=9, help="box nudges per size")
    parser.add_argument(
        "--no-full",
        action="store_true",
        help="do not wait for the full detail (measure while it still comes in)",
    )
    parser.add_argument("--phases", action="store_true", help="also print the longest stall of each phase")
    parser.add_argument(
        "--wait-limit",
        type=float,
        default=600.0,
        help="seconds any one wait may take before the size fails, naming where it waited and the window's state",
    )
    parser.add_argument("--frames", type=int, default=2, help="frames per size (Frame > Next between them)")
    parser.add_argument("--real", type=Path, help="a folder of real clouds: measure its first --frames")
    parser.add_argument(
        "--trace",
        type=float,
        nargs="?",
        const=40.0,
        default=0.0,
        metavar="MS",
        help="print the steps inside each stall over MS milliseconds (40 when not given)",
    )
    parser.add_argument("--memory", action="store_true", help="print each phase's peak resident memory")
    parser.add_argument(
        "--threads", action="store_true", help="print each thread's CPU time in the longest walking steps"
    )
    parser.add_argument("--one", type=Path, nargs="+", help=argparse.SUPPRESS)  # child: measure these
    args = parser.parse_args()
    if args.one is not None:
        result = measure(
            args.one,
            args.moves,
            args.nudges,
            wait_full=not args.no_full,
            trace=args.trace,
            memory=args.memory,
            threads=args.threads,
            wait_limit=args.wait_limit,
        )
        print("RESULT " + json.dumps(result), flush=True)
        return 0
    print(f"perspective view {VIEW_SIZE[0]}x{VIEW_SIZE[1]}; medians; each size in its own process")
    header = f"{'points':>6} {'open s':>7} {'whole s':>7} {'full s':>7} {'move ms':>8} {'refine s':>8} {'nudge ms':>8} {'persp':>6} "
    header += f"{'walk':>6} {'max':>6} {'stall ms':>8} {'edit stall':>10} {'RSS MiB':>8}"
    print(header + (f" {'labelCloud MiB':>14}" if args.labelcloud else ""), flush=True)
    if args.real is not None:
        reals = sorted(p for p in args.real.iterdir() if p.suffix in (".ply", ".pcd", ".bin"))
        runs = [(f"{len(reals[: args.frames])}fr", reals[: args.frames])]
    else:
        runs = [
            (text + "M", [cloud_file(args.cache, float(text))] * args.frames)
            for text in args.sizes.split(",")
        ]
    for text, paths in runs:
        path = paths[0]
        child = [sys.executable, __file__, "--one", *map(str, paths), "--moves", str(args.moves)]
        child += ["--no-full"] if args.no_full else []
        child += ["--trace", str(args.trace)] if args.trace else []
        child += ["--memory"] if args.memory else []
        child += ["--threads"] if args.threads else []
        child += ["--wait-limit", str(args.wait_limit)]
        result = run_child([*child, "--nudges", str(args.nudges)])
        if result is None:
            print(f"{text:>6} failed (see stderr)", flush=True)
            continue
        line = (
            f"{text:>6} {result['open_s']:7.2f} {result.get('whole_s', 0.0):7.2f} {result['full_s']:7.2f} {result['move_ms']:8.1f} "
            f"{result['refine_s']:8.2f} {result['nudge_ms']:8.1f} {result.get('nudge_perspective_ms', 0.0):6.1f} "
            f"{result['walk_ms']:6.1f} {result['walk_max_ms']:6.0f} {result['stall_ms']:8.0f} "
            f"{result['stall_nudge_ms']:10.0f} {result['rss_mib']:8.0f}"
        )
        if args.labelcloud:
            probe = [args.labelcloud, str(LABELCLOUD_PROBE), str(path)]
            theirs = run_child(["xvfb-run", "-a", "env", "QT_QPA_PLATFORM=offscreen", *probe])
            line += f" {theirs['rss_mib']:14.0f}" if theirs else f" {'failed':>14}"
        print(line, flush=True)
        if args.phases:
            phases = (
                "stall_open_ms",
                "stall_refine_ms",
                "stall_select_ms",
                "stall_nudge_ms",
                "stall_fit_ms",
                "stall_frame_ms",
            )
            print(
                f"{'':>6} longest stall while opening / refining after a move / selecting / nudging / "
                "fitting / changing frames: " + " / ".join(f"{result[key]:.0f}" for key in phases) + " ms; "
                f"select to redrawn {result['select_ms']:.0f} ms, walk to exact crops {result['walk_exact_ms']:.0f} ms, "
                f"its rest to whole crops {result.get('walk_rest_ms', 0.0):.0f} "
                f"ms (cloud layers drawn on a walking step: at most {result.get('walk_draws_max', 0)}), fit {result['fit_ms']:.0f} ms, frame change to settled "
                f"{result['frame_s']:.2f} s (first picture {result.get('frame_first_s', 0.0):.2f} s, whole "
                f"{result.get('frame_whole_s', 0.0):.2f} s); resident at the end {result.get('rss_end_mib', 0.0):.0f} MiB; "
                f"nudge to the box's exact points {result.get('nudge_exact_ms', 0.0):.0f} ms; walking step to "
                f"every view redrawn {result.get('walk_redrawn_ms', 0.0):.1f} ms (longest "
                f"{result.get('walk_redrawn_max_ms', 0.0):.0f}; cloud layers drawn by then: at most "
                f"{result.get('walk_redrawn_draws_max', 0)}; the window thread's CPU meanwhile "
                f"{result.get('walk_redrawn_cpu_ms', 0.0):.1f} ms, longest {result.get('walk_redrawn_cpu_max_ms', 0.0):.0f}); "
                f"chunks of detail {result.get('chunks', 0)}, "
                f"gathered ahead in a worker {result.get('chunks_ahead', 0)}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
