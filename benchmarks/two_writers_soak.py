"""Soak: several writer processes on one project, killed with SIGKILL at random moments.

Each writer adds boxes (one saved step each, tagged with the writer and a sequence number) and replaces
its own proposals on a frame now and then; it prints a step's tag only after the step returned (was
committed). The soak kills a random writer every 0.1-0.6 s and starts a new one. At the end
every committed step must be in the project, ids must be unique and SQLite's integrity check must pass.

Run: .venv/bin/python benchmarks/two_writers_soak.py [--seconds 30] [--writers 3]
Prints the counts (commits, kills, lost, duplicates), the integrity check, the commit rate and reopen time.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.model.records import Annotation, Frame, Provenance, Review, Source
from annotator.io.store import DATABASE_NAME
from annotator.io.workspace import Workspace
from annotator.ml.preannotate import ReplaceProposals

FRAMES = 5


def writer(root: Path, name: str) -> None:
    """One writer: add tagged boxes forever, print each tag once its step is committed."""
    rng = random.Random(name)
    with Workspace.open(root) as workspace:
        frames = workspace.project.frames_in_order()
        for seq in range(1_000_000):
            frame = rng.choice(frames)
            cuboid = Cuboid((rng.uniform(-30, 30), rng.uniform(-30, 30), 0), (4, 2, 1.5), 0)
            box = Annotation(0, frame.id, "Car", cuboid=cuboid, attributes={"tag": f"{name}:{seq}"})
            workspace.push(AddAnnotations([box]))
            print(f"{name}:{seq}", flush=True)
            if seq % 7 == 3:
                provenance = Provenance(Source.MODEL, f"soak-{name}", "v1", 0.5)
                proposal = Annotation(0, frame.id, "Car", cuboid=cuboid, provenance=provenance,
                                      review=Review.UNREVIEWED)  # fmt: skip
                workspace.push(ReplaceProposals(frame.id, f"soak-{name}", [proposal]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--writers", type=int, default=3)
    parser.add_argument("--writer", help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.writer:
        writer(args.root, args.writer)
        return
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "p"
        with Workspace.create(root) as workspace:
            workspace.push(AddFrames([Frame(0, f"{i:06d}", i) for i in range(FRAMES)]))
        soak(root, args.seconds, args.writers)


def soak(root: Path, seconds: float, count: int) -> None:
    rng = random.Random(0)
    started: dict[str, subprocess.Popen] = {}
    committed: set[str] = set()
    spawned = 0

    def start() -> None:
        nonlocal spawned
        name = f"w{spawned}"
        spawned += 1
        command = [sys.executable, __file__, "--writer", name, "--root", str(root)]
        started[name] = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=dict(os.environ))

    for _ in range(count):
        start()
    kills = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(rng.uniform(0.1, 0.6))
        name = rng.choice(sorted(started))
        process = started.pop(name)
        process.send_signal(signal.SIGKILL)
        out, _ = process.communicate()
        committed.update(out.split())
        kills += 1
        start()
    for process in started.values():
        process.send_signal(signal.SIGKILL)
        out, _ = process.communicate()
        committed.update(out.split())
    check(root, committed, kills, seconds)


def check(root: Path, committed: set[str], kills: int, seconds: float) -> None:
    with sqlite3.connect(root / DATABASE_NAME) as db:
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    started = time.perf_counter()
    with Workspace.open(root) as workspace:
        reload_s = time.perf_counter() - started
        tags = [a.attributes["tag"] for a in workspace.project.annotations.values() if "tag" in a.attributes]
        history = len(workspace.stack.entries)
    present = set(tags)
    lost = committed - present
    print(f"seconds {seconds:g}, kills {kills}, committed boxes {len(committed)}, in project {len(present)}")
    print(f"committed but missing {len(lost)}, duplicate tags {len(tags) - len(set(tags))}")
    print(f"integrity {integrity}, history steps {history}")
    print(
        f"commit rate {len(committed) / seconds:.0f} boxes/s over all writers; reopen {reload_s * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
