"""Fit the geometric detector's calibrated score (`plugins.geometric.calibration`) on the development
part of the shared real data: Argoverse sweeps 0-29 and the KITTI frame (never sweeps 30-49 nor the
SUSTechPOINTS frames: they are the held-out check, see benchmarks/real_assist.py).

Every hypothesis of the detector (before suppression and threshold) inside the annotated region and not on
a "don't care" object is one sample: its features, its kind (vehicle or person), and whether its box
overlaps a labelled object with bird's-eye IoU >= 0.5. One L2-regularised logistic regression per kind
is fitted by Newton's method; the fitted block of plugins/geometric/calibration.py is rewritten (``--write``)
or printed.

    python benchmarks/calibrate_geometric.py [--write] [--l2 3.0]
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np
from real_assist import argoverse_samples, kitti_samples

from annotator.core.cuboids.overlap import bev_iou
from plugins.geometric.calibration import GROUPS, expand
from plugins.geometric.model import CLASS_NAMES, GeometricDetector

TARGET = Path(__file__).resolve().parents[1] / "plugins" / "geometric" / "calibration.py"
MATCH = 0.5


def collect() -> dict[str, tuple[list[np.ndarray], list[float]]]:
    """Features and labels per kind, from the development frames."""
    detector = GeometricDetector()
    data: dict[str, tuple[list[np.ndarray], list[float]]] = {"vehicle": ([], []), "person": ([], [])}
    classes = list(CLASS_NAMES)
    samples = [*argoverse_samples(classes, set(range(30))), *kitti_samples(classes)]
    for sample in samples:
        for h in detector.hypotheses(sample.points, {}):
            if sample.keep is not None and not sample.keep(h.box):
                continue
            if any(bev_iou(h.box, box) >= 0.3 for box in sample.ignore):
                continue
            best = max((bev_iou(h.box, t) for _, t in sample.truths), default=0.0)
            features, labels = data[GROUPS[CLASS_NAMES[int(np.argmax(h.probabilities))]]]
            features.append(h.features)
            labels.append(float(best >= MATCH))
    return data


def fit(x: np.ndarray, y: np.ndarray, l2: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Mean, scale, weights and bias of an L2-regularised logistic regression on expanded features."""
    mean, scale = x.mean(axis=0), np.maximum(x.std(axis=0), 1e-6)
    inputs = np.column_stack([np.ones(len(x)), expand((x - mean) / scale)])
    w = np.zeros(inputs.shape[1])
    penalty = np.full(len(w), l2)
    penalty[0] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(inputs @ w, -30, 30)))
        gradient = inputs.T @ (p - y) + penalty * w
        hessian = (inputs * (p * (1 - p))[:, None]).T @ inputs + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return mean, scale, w[1:], float(w[0])


def block(models: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, float]]) -> str:
    """The Python source of the fitted models."""

    def numbers(values: np.ndarray) -> str:
        return "(" + ", ".join(f"{v:.6g}" for v in values) + ",)"

    lines = ["MODELS: dict[str, LogisticModel] = {"]
    for group, (mean, scale, weights, bias) in models.items():
        lines += [
            f'    "{group}": LogisticModel(',
            f"        mean={numbers(mean)},",
            f"        scale={numbers(scale)},",
            f"        weights={numbers(weights)},",
            f"        bias={bias:.6g},",
            "    ),",
        ]
    return "\n".join([*lines, "}  # fmt: skip"])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--write", action="store_true", help="rewrite the fitted block of calibration.py")
    parser.add_argument("--l2", type=float, default=3.0, help="L2 penalty (default 3)")
    args = parser.parse_args()
    models = {}
    for group, (features, labels) in collect().items():
        x, y = np.array(features), np.array(labels)
        print(f"{group}: {len(y)} hypotheses, {int(y.sum())} right")
        models[group] = fit(x, y, args.l2)
    source = block(models)
    if not args.write:
        print(source)
        return
    text = TARGET.read_text()
    pattern = re.compile(r"MODELS: dict\[str, LogisticModel\] = \{.*?\n\}(  # fmt: skip)?", re.S)
    TARGET.write_text(pattern.sub(lambda _: source, text, count=1))
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
