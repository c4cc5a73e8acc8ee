"""Team throughput of the shared PostgreSQL store: 2 and 4 scripted annotators on one project at once.

Each annotator is its own process (`annotator.testing.team_annotator`): for each of its frames it takes
the frame's lease, adds boxes one saved step at a time (each tagged), moves every other one, and releases
the lease. With ``--drop`` each annotator's connection is also cut once mid-way (the edits in between go
to its offline journal and are replayed). Afterwards every tag must be in the project exactly once.

Run: python benchmarks/team_store.py [--dsn postgresql://HOST/DATABASE] [--edits 40] [--frames 3] [--drop]
(default DSN: $ANNOTATOR_TEST_PG; `source scripts/pg_server.sh && pg_server_start` starts a throwaway server).
Prints per team size: edits/s over the whole run, median and p95 commit latency, lost and duplicated edits.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from annotator.core.edits import AddFrames
from annotator.core.model.records import Frame
from annotator.io.workspace import Workspace


def run_team(dsn: str, size: int, frames_each: int, edits: int, drop: bool) -> dict[str, float]:
    """One project, ``size`` annotator processes at once; the figures."""
    url = f"{dsn}/bench{uuid.uuid4().hex[:10]}"
    with Workspace.create(url) as setup:
        count = size * frames_each
        setup.push(AddFrames([Frame(i, f"{i:06d}", i, cloud=f"{i:06d}.bin") for i in range(1, count + 1)]))
    journal = Path(tempfile.mkdtemp(prefix="team-journal-"))
    started = time.perf_counter()
    processes = []
    for n in range(size):
        frames = ",".join(str(1 + n * frames_each + k) for k in range(frames_each))
        command = [sys.executable, "-m", "annotator.testing.team_annotator", url, f"annotator{n}",
                   "--frames", frames, "--edits", str(edits)]  # fmt: skip
        if drop:
            command += ["--drop-at", str(edits), "--offline-edits", "5"]
        env = {**os.environ, "ANNOTATOR_JOURNAL_DIR": str(journal / str(n))}
        processes.append(subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env))
    outcomes = []
    for process in processes:
        out, _ = process.communicate(timeout=600)
        if process.returncode != 0:
            raise SystemExit(f"annotator process failed ({process.returncode})")
        outcomes.append(json.loads(out))
    elapsed = time.perf_counter() - started
    latencies = sorted(ms for outcome in outcomes for ms in outcome["latencies_ms"])
    with Workspace.open(url) as check:
        stored = [a.attributes.get("tag") for a in check.project.annotations.values()]
    written = [tag for outcome in outcomes for tag in outcome["tags"]]
    return {
        "edits": len(latencies),
        "edits_per_s": len(latencies) / elapsed,
        "median_ms": statistics.median(latencies),
        "p95_ms": latencies[int(0.95 * (len(latencies) - 1))],
        "lost": len(set(written) - set(stored)),
        "duplicated": len(stored) - len(set(stored)),
    }


def main() -> None:
    """Print the figures for teams of 2 and 4."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--dsn", default=os.environ.get("ANNOTATOR_TEST_PG"), help="postgresql://HOST/DATABASE"
    )
    parser.add_argument("--edits", type=int, default=40, help="boxes added per frame (half are moved too)")
    parser.add_argument("--frames", type=int, default=3, help="frames per annotator")
    parser.add_argument("--drop", action="store_true", help="cut each annotator's connection once mid-way")
    parser.add_argument("--sizes", default="2,4", help="team sizes to run")
    args = parser.parse_args()
    if not args.dsn:
        raise SystemExit("no database: pass --dsn or set ANNOTATOR_TEST_PG (scripts/pg_server.sh starts one)")
    print(f"team store benchmark: {args.frames} frames x {args.edits} boxes per annotator (+ moves)"
          f"{', one dropped connection each' if args.drop else ''}")  # fmt: skip
    print(
        f"{'annotators':>10} {'edits':>6} {'edits/s':>8} {'median ms':>10} {'p95 ms':>7} {'lost':>5} {'dup':>4}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        r = run_team(args.dsn, size, args.frames, args.edits, args.drop)
        print(f"{size:>10} {r['edits']:>6} {r['edits_per_s']:>8.1f} {r['median_ms']:>10.2f} {r['p95_ms']:>7.2f}"
              f" {r['lost']:>5} {r['duplicated']:>4}")  # fmt: skip


if __name__ == "__main__":
    main()
