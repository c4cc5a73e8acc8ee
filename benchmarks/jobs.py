"""The job runner's costs on the UI thread: taking a project snapshot, delivering an answer, cancelling.

- snapshot: `Project.copy` (what `Document.snapshot` does on the UI thread before a job starts) for
  projects of 100 to 5,000 frames with 20 cuboids each;
- round trip: submit a trivial job, get its outcome back on the owner's thread (headless runner);
- cancel: a generator job stepping every 10 ms is cancelled; time until its ``cancelled`` outcome.

Prints medians (ms). Run: .venv/bin/python benchmarks/jobs.py [--repeats 15]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.model.project import Project
from annotator.core.model.records import Annotation, Frame
from annotator.jobs import JobContext, JobRunner


def project_of(frames: int, boxes: int) -> Project:
    """A project of ``frames`` frames with ``boxes`` cuboids each (loaded as records, no history)."""
    records: list = []
    number = 0
    for frame_id in range(1, frames + 1):
        records.append(("frame", frame_id, Frame(frame_id, f"{frame_id:06d}", frame_id)))
        for k in range(boxes):
            number += 1
            cuboid = Cuboid((float(k), 0.0, 0.0), (4.0, 1.8, 1.5), 0.0)
            records.append(("annotation", number, Annotation(number, frame_id, "Car", cuboid=cuboid)))
    project = Project()
    project.load_records(records)
    return project


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000.0


def snapshot_costs(repeats: int) -> None:
    for frames in (100, 1000, 5000):
        project = project_of(frames, 20)
        samples = []
        for _ in range(repeats):
            start = time.perf_counter()
            project.copy()
            samples.append(time.perf_counter() - start)
        print(f"snapshot of {frames:5d} frames x 20 boxes: {median_ms(samples):7.2f} ms (median)")


def round_trip(repeats: int) -> None:
    runner = JobRunner()
    samples = []
    for _ in range(repeats):
        done = threading.Event()
        start = time.perf_counter()
        runner.submit(lambda context: 1, on_done=lambda outcome, done=done: done.set())
        while not done.is_set():
            runner.process(timeout=0.001)
        samples.append(time.perf_counter() - start)
    runner.shutdown()
    print(f"submit -> outcome on the owner's thread: {median_ms(samples):7.2f} ms (median)")


def cancel_latency(repeats: int) -> None:
    runner = JobRunner()
    samples = []

    def steps(context: JobContext):
        while True:
            time.sleep(0.01)
            yield None

    for _ in range(repeats):
        done, started = threading.Event(), threading.Event()
        handle = runner.submit(
            steps,
            on_progress=lambda _item, started=started: started.set(),
            on_done=lambda _outcome, done=done: done.set(),
        )
        while not started.is_set():
            runner.process(timeout=0.001)
        start = time.perf_counter()
        handle.cancel()
        while not done.is_set():
            runner.process(timeout=0.001)
        samples.append(time.perf_counter() - start)
    runner.shutdown()
    print(f"cancel -> cancelled outcome (10 ms steps): {median_ms(samples):7.2f} ms (median)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    snapshot_costs(args.repeats)
    round_trip(args.repeats)
    cancel_latency(args.repeats)


if __name__ == "__main__":
    main()
