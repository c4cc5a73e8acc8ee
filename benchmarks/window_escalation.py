"""Escalation in the real window along a real sequence, driven as a scripted person would (offscreen).

Run (a pytest module: it waits on the window with pytest-qt):

    QT_QPA_PLATFORM=offscreen PROJECT=/tmp/argo FRAMES=30 OUT=window_escalation.json \
        .venv/bin/python -m pytest benchmarks/window_escalation.py -s -p no:randomly

``PROJECT``: a labelled sequence, e.g. the shared Argoverse log imported with ``annotator import PROJECT
../shared/data/argoverse1_sample_log --format argoverse -o max_range=50 -o min_points=10``; ``FIRST`` and
``FRAMES`` pick the sweeps. A copy of it without labels is opened in the main window; its labels are the
person's answers. Frame by frame: Tracks > Propagate all cuboids to next frame (after the first), scoring as
*Score this frame again* does (pointpillars, ensemble x5, lowest score 0.3, ``complement=geometric``), then
either every box of a frame the rule reviews whole answered, or *Accept all confident in this frame* and the
items left answered (a box on a label of its class at BEV IoU >= 0.5 accepted, one overlapping a label
corrected onto it, others rejected); the labels nobody boxed are drawn on frames reviewed whole or to search
for missed objects; Mark frame verified. Prints one line per frame and the totals (reviewed share of the
items, frames whole and searched, wrong boxes accepted, objects missed, residual), and writes them to ``OUT``.
About 8 minutes for 30 sweeps on 2 cores.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from window_support import show_window  # type: ignore[import-not-found]

from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.cuboids.overlap import bev_iou
from annotator.core.edits import AddAnnotations, RemoveAnnotations, SetFrameStatus, update_annotation
from annotator.core.model.records import Annotation, FrameStatus, Provenance, Review, Source
from annotator.core.review import AcceptProposals, RejectProposals
from annotator.io.workspace import Workspace
from annotator.ml.uncertainty.escalation import EscalationRule
from annotator.ml.uncertainty.project_escalation import escalation_plan

SOURCE = Path(os.environ.get("PROJECT", "argoverse-project"))
FIRST = int(os.environ.get("FIRST", "0"))
COUNT = int(os.environ.get("FRAMES", "30"))
OUT = Path(os.environ.get("OUT", "window_escalation.json"))


@pytest.fixture
def settings(tmp_path: Path):
    """Application settings in a private ini file (never the user's)."""
    from PySide6.QtCore import QSettings

    from annotator.qt.app.settings import AppSettings

    return AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


def best(box: Cuboid, truths: list[tuple[str, Cuboid]], taken: set[int]) -> tuple[float, int | None]:
    """The label (not yet ``taken``) ``box`` overlaps most, and that BEV IoU."""
    scored = [(bev_iou(box, t[1]), j) for j, t in enumerate(truths) if j not in taken]
    return max(scored, default=(0.0, None))


def test_window_escalation_along_the_sequence(qtbot, settings, tmp_path: Path) -> None:
    work = tmp_path / "argo"
    shutil.copytree(SOURCE, work)
    with Workspace.open(work) as ws:
        frames = ws.project.frames_in_order()[FIRST : FIRST + COUNT]
        truth = {
            f.id: [(a.class_name, a.cuboid) for a in ws.project.annotations_of(f.id, "cuboid")]
            for f in frames
        }
        ws.push(RemoveAnnotations(list(ws.project.annotations)))
    window = show_window(qtbot, settings, work)
    document = window.document
    project = document.project
    document.set_frame(frames[0].id)
    qtbot.waitUntil(lambda: document.cloud is not None, timeout=30_000)
    rows = []
    next_track = [10_000]
    for k, frame in enumerate(frames):
        if k:
            document.set_frame(frames[k - 1].id)
            window.actions["tracks.propagate_all"].trigger()
            qtbot.waitUntil(lambda f=frame: document.frame_id == f.id, timeout=60_000)
        with qtbot.waitSignal(window.scoring.finished, timeout=300_000):
            assert window.scoring.score(
                "pointpillars", [frame], "ensemble", 5, 0.3, {"complement": "geometric", "threads": 2}
            )
        truths = truth[frame.id]
        plan = escalation_plan(project, EscalationRule(), [frame.id])
        whole, searched = frame.id in plan.whole, frame.id in plan.searched
        items = [a for a in project.annotations_of(frame.id, "cuboid")]
        n_items = len(items)
        if not whole:
            window.actions["models.accept_confident"].trigger()
        to_answer = [
            a for a in project.annotations_of(frame.id, "cuboid") if whole or a.review is Review.UNREVIEWED
        ]
        taken: set[int] = set()
        accept, reject, correct = [], [], []
        # answer the items: keep those on an object (IoU >= 0.5, its class), correct those near one, delete others
        for a in sorted(to_answer, key=lambda a: -max((bev_iou(a.cuboid, t[1]) for t in truths), default=0)):
            iou, j = best(a.cuboid, truths, taken)
            if j is not None and iou >= 0.5 and truths[j][0] == a.class_name:
                taken.add(j)
                if a.review is Review.UNREVIEWED:
                    accept.append(a.id)
            elif j is not None and iou > 0.0:
                taken.add(j)
                correct.append((a.id, j))
            else:
                reject.append(a)
        if accept:
            document.push(AcceptProposals(accept))
        for annotation_id, j in correct:
            document.push(
                update_annotation(
                    project,
                    annotation_id,
                    cuboid=truths[j][1],
                    class_name=truths[j][0],
                    review=Review.CORRECTED,
                )
            )
        scored_rejects = [a.id for a in reject if a.review is Review.UNREVIEWED]
        if scored_rejects:
            document.push(RejectProposals(scored_rejects))
        others = [a.id for a in reject if a.review is not Review.UNREVIEWED]
        if others:
            document.push(RemoveAnnotations(others))
        # what the frame holds now against the truth
        finished = [a for a in project.annotations_of(frame.id, "cuboid")]
        wrong = sum(
            1
            for a in finished
            if not any(bev_iou(a.cuboid, t) >= 0.5 and n == a.class_name for n, t in truths)
        )
        covered = {j for j, (n, t) in enumerate(truths) for a in finished if bev_iou(a.cuboid, t) >= 0.1}
        missing = [j for j in range(len(truths)) if j not in covered]
        drawn = 0
        if whole or searched:
            new = []
            for j in missing:
                next_track[0] += 1
                new.append(
                    Annotation(0, frame.id, truths[j][0], cuboid=truths[j][1], track_id=next_track[0],
                               provenance=Provenance(Source.MANUAL))
                )  # fmt: skip
            if new:
                document.push(AddAnnotations(new))
            drawn, missing = len(new), []
        document.push(SetFrameStatus(frame.id, FrameStatus.VERIFIED))
        rows.append({
            "frame": frame.name, "items": n_items, "reviewed": n_items if whole else len(to_answer),
            "whole": whole, "searched": searched, "wrong": 0 if whole else wrong, "missed": len(missing),
            "truths": len(truths), "drawn": drawn, "reason": plan.whole.get(frame.id) or plan.searched.get(frame.id),
        })  # fmt: skip
        print(json.dumps(rows[-1]), flush=True)
    items = sum(r["items"] for r in rows)
    reviewed = sum(r["reviewed"] for r in rows)
    wrong = sum(r["wrong"] for r in rows)
    missed = sum(r["missed"] for r in rows)
    truths_n = sum(r["truths"] for r in rows)
    summary = {
        "items": items, "reviewed_share": reviewed / items, "whole": sum(r["whole"] for r in rows),
        "searched": sum(r["searched"] for r in rows), "wrong": wrong, "missed": missed,
        "residual": (wrong + missed) / (truths_n + wrong), "frames": rows,
    }  # fmt: skip
    OUT.write_text(json.dumps(summary, indent=1))
    print("SUMMARY", {k: v for k, v in summary.items() if k != "frames"})
    assert np.isfinite(summary["reviewed_share"])
