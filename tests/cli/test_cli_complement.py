"""`annotator preannotate --plugin pointpillars -p complement=geometric`: the hybrid reaches the plugin from the
command line, and its boxes enter the project as the pointpillars plugin's proposals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from annotator.cli import main
from annotator.core.cuboids.cuboid import Cuboid
from annotator.core.edits import AddFrames
from annotator.core.model.records import Frame
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
