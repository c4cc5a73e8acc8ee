"""`annotator preannotate --plugin pointpillars -p complement=geometric`: the hybrid reaches the plugin from the
command line, and its boxes enter the project as the pointpillars plugin's proposals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from annotator.cli import main
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddAnnotations, AddFrames
from annotator.core.model.records import Annotation, Frame
from annotator.io.workspace import Workspace

pytest.importorskip("torch")

GROUND = -1.7
CARS = (
    Cuboid((10.0, -3.0, GROUND + 0.75), (4.2, 1.8, 1.5), 0.0),
    Cuboid((18.0, 4.0, GROUND + 0.75), (4.4, 1.9, 1.5), 0.1),
)


def street_project(root: Path) -> Path:
    """One frame: flat ground and two cars seen from the origin (their rear and left faces)."""
    rng = np.random.default_rng(3)
    parts = [
        np.column_stack(
            [rng.uniform(-5, 40, 20000), rng.uniform(-15, 15, 20000), rng.normal(GROUND, 0.02, 20000)]
        )
    ]
    for car in CARS:
        local = rng.uniform(-0.5, 0.5, (600, 3)) * np.array(car.size)
        rear = rng.random(600) < 0.4
        local[rear, 0], local[~rear, 1] = -car.size[0] / 2, car.size[1] / 2
        parts.append(car.box_to_world(local))
    points = np.vstack(parts)
    root.mkdir(parents=True)
    np.column_stack([points, np.zeros(len(points))]).astype(np.float32).tofile(root / "000000.bin")
    with Workspace.create(root) as workspace:
        workspace.push(AddFrames([Frame(0, "000000", 0, cloud="000000.bin")]))
    return root


def proposals(root: Path) -> list:
    with Workspace.open(root) as workspace:
        return list(workspace.project.annotations.values())


def test_preannotate_with_the_geometric_complement(tmp_path: Path, capsys) -> None:
    root = street_project(tmp_path / "street")
    run = ["preannotate", str(root), "--plugin", "pointpillars", "--threshold", "0.3", "--in-process",
           "--no-track", "--no-progress", "-p", "threads=1", "-p", "score_threshold=1.0"]  # fmt: skip
    assert main(run) == 0
    assert proposals(root) == []  # the network alone proposes nothing at score 1.0
    assert main([*run, "-p", "complement=geometric"]) == 0
    found = proposals(root)
    assert len(found) == 2 and {a.provenance.model_id for a in found} == {"pointpillars"}
    for car in CARS:
        assert any(np.hypot(*np.subtract(a.cuboid.center, car.center)[:2]) < 0.6 for a in found)
    capsys.readouterr()
    assert main([*run, "-p", "complement=pointpillars"]) != 0
    assert "complement" in capsys.readouterr().err


def test_escalation_simulates_the_hybrid_and_scores_its_boxes_sources(tmp_path: Path, capsys) -> None:
    root = street_project(tmp_path / "street")
    with Workspace.open(root) as workspace:  # the two cars labelled: the simulation's ground truth
        workspace.push(AddAnnotations([Annotation(0, 1, "Car", cuboid=car) for car in CARS]))
    run = ["simulate", str(root), "--plugin", "pointpillars", "--strategy", "escalate", "--mode", "mc",
           "--passes", "2", "--min-score", "0", "--ood-threshold", "1e9", "--cluster-threshold", "1.01", "--json",
           "-p", "threads=1", "-p", "score_threshold=1.0"]  # fmt: skip
    assert main(run) == 0
    plain = {row["threshold"]: row for row in json.loads(capsys.readouterr().out)["escalation"]}
    assert (plain[0.0]["truths"], plain[0.0]["boxes"], plain[0.0]["missed"]) == (2, 0, 2)  # the network: none
    assert main([*run, "-p", "complement=geometric"]) == 0
    hybrid = {row["threshold"]: row for row in json.loads(capsys.readouterr().out)["escalation"]}
    # the geometric boxes of both cars are the proposals: nothing missed, both reviewed at threshold 0
    assert (hybrid[0.0]["boxes"], hybrid[0.0]["reviewed"], hybrid[0.0]["missed"]) == (2, 2, 0)
    fresh = street_project(tmp_path / "fresh")  # no labels there to keep proposals off the cars
    score = ["score", str(fresh), "--plugin", "pointpillars", "--mode", "mc", "--passes", "2", "--min-score", "0",
             "--no-progress", "-p", "threads=1", "-p", "score_threshold=1.0", "-p", "complement=geometric"]  # fmt: skip
    assert main(score) == 0
    records = [a.attributes["uncertainty"] for a in proposals(fresh) if "uncertainty" in a.attributes]
    assert len(records) == 2  # each knows that the geometric plugin boxed it and no network pass did
    assert all(r["complement"] == 1.0 and r["network_support"] == 0.0 for r in records)
