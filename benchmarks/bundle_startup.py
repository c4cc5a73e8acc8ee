"""Start-up time of the desktop bundle (``dist/annotator/annotator``) against the virtual environment.

Runs each command ``--runs`` times in a bare environment (``PATH=/usr/bin:/bin``, no virtual environment)
and prints the median wall time: ``--version``, ``plugins``, and ``snapshot`` of a demo project (Qt, VTK
and one frame rendered off-screen: the closest headless measure of the window starting). With ``--venv``
the same commands run as ``PYTHON -m annotator.cli`` for comparison. Also prints the bundle's size.

    bash packaging/build.sh
    python benchmarks/bundle_startup.py [--bundle dist/annotator/annotator] [--venv .venv/bin/python] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(command: list[str], env: dict[str, str], runs: int) -> float:
    """Median seconds of ``command`` over ``runs`` runs (each must succeed)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True, timeout=600)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def folder_size(folder: Path) -> int:
    """Bytes of all files under ``folder``."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "annotator" / "annotator")
    parser.add_argument("--venv", help="a Python with annotator installed, to compare with")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    bare = {"PATH": "/usr/bin:/bin", "HOME": tempfile.mkdtemp(), "LANG": "C.UTF-8"}
    launchers = {"bundle": [str(args.bundle)]}
    if args.venv:
        launchers["venv"] = [args.venv, "-m", "annotator.cli"]
    with tempfile.TemporaryDirectory() as scratch:
        demo = Path(scratch) / "demo"
        subprocess.run([*launchers["bundle"], "demo", str(demo), "--frames", "1", "--no-gui"],
                       env=bare, check=True, capture_output=True)  # fmt: skip
        commands = {
            "--version": ["--version"],
            "plugins": ["plugins"],
            "snapshot (window)": [
                "snapshot",
                str(demo),
                "--out",
                str(Path(scratch) / "s.png"),
                "--view",
                "window",
            ],
        }
        print(f"bundle size {folder_size(args.bundle.parent) / 2**20:.0f} MiB ({args.bundle.parent})")
        for name, command in commands.items():
            row = [f"{name:<18}"]
            for launcher, prefix in launchers.items():
                env = bare if launcher == "bundle" else {**os.environ, "PYTHONPATH": str(ROOT)}
                row.append(f"{launcher} {timed([*prefix, *command], env, args.runs):5.2f} s")
            print("  ".join(row) + f"   (median of {args.runs})")


if __name__ == "__main__":
    main()
