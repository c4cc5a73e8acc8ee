"""Two annotator processes on one shared project at once: leases hold, one contested box gives exactly
one winner and one clear conflict, a dropped connection's edits are replayed, and nothing is lost or
duplicated."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.model.records import Frame
from annotator.io.workspace import Workspace
from annotator.testing.team_annotator import tagged_box

pytestmark = pytest.mark.postgres


def annotator_process(
    url: str, user: str, frames: str, poke: int, contested: int, barrier: Path, journal: Path
):
    """Start one scripted annotator (its edits: 2 frames x 6 boxes, half of them moved; a drop after 4)."""
    env = {**os.environ, "ANNOTATOR_JOURNAL_DIR": str(journal)}
    command = [sys.executable, "-m", "annotator.testing.team_annotator", url, user, "--frames", frames,
               "--edits", "6", "--barrier", str(barrier), "--team", "2", "--poke", str(poke),
               "--contested", str(contested), "--drop-at", "4", "--offline-edits", "3"]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_two_annotator_processes_lose_nothing_and_duplicate_nothing(pg_url: str, tmp_path: Path) -> None:
    with Workspace.create(pg_url) as setup:
        setup.push(AddFrames([Frame(i, f"{i:06d}", i, cloud=f"{i:06d}.bin") for i in range(1, 6)]))
        contested = setup.push(AddAnnotations([tagged_box(5, "setup-0", 0.0)])).ids[0]
    processes = [
        annotator_process(pg_url, "alice", "1,2", 3, contested, tmp_path / "barrier", tmp_path / "alice"),
        annotator_process(pg_url, "bob", "3,4", 1, contested, tmp_path / "barrier", tmp_path / "bob"),
    ]
    outcomes = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        outcomes.append(json.loads(out))
    alice, bob = outcomes
    assert (
        "frame 3 is leased by bob" in alice["refused"][0]
        and "frame 1 is leased by alice" in bob["refused"][0]
    )
    (conflict,) = alice["conflicts"] + bob["conflicts"]  # exactly one loser ...
    assert "changed by another process meanwhile" in conflict
    winner = alice if "contested_x" in alice else bob  # ... and one winner, whose move is stored
    for outcome in outcomes:
        assert any("back online; replayed" in report for report in outcome["reports"]), outcome["reports"]
    with Workspace.open(pg_url) as check:
        tags = [a.attributes.get("tag") for a in check.project.annotations.values()]
        assert sorted(tags) == sorted(["setup-0", *alice["tags"], *bob["tags"]])  # none lost, none twice
        assert len(alice["tags"]) == len(bob["tags"]) == 12
        assert check.project.annotations[contested].cuboid.center[0] == winner["contested_x"]
        moved = [a for a in check.project.annotations.values() if a.cuboid.center[1] == 3.0]
        assert len(moved) == 12  # every other box of each annotator was moved, offline ones too
        assert check.store.leases() == []  # released as each annotator moved on
