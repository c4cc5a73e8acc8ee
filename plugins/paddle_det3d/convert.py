"""Convert the PyTorch plugin's weights into this plugin's shipped weights (re-run when those change).

Run: python -m plugins.paddle_det3d.convert [--source plugins/pointpillars/weights/base.pt]
                                           [--out plugins/paddle_det3d/weights/base.npz] [--no-manifest]

Reads the PyTorch checkpoint (tensors only, ``weights_only``), renames every parameter into Paddle3D's
layout (`plugins.paddle_det3d.layout`), checks that both networks give the same raw output on a generated
frame, and writes the arrays, a model card (the source's card with its hash and the check's figure) and,
unless ``--no-manifest``, the new SHA-256 into the plugin's manifest.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
from pathlib import Path

import numpy as np

from annotator.ml.shipped import record_sha256

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent / "pointpillars" / "weights" / "base.pt"
TARGET = HERE / "weights" / "base.npz"


def convert(source: Path, target: Path) -> dict:
    """Write the converted weights of ``source`` to ``target``; returns the card's facts."""
    import paddle
    import torch

    from annotator.ml.safe_weights import save_arrays
    from plugins.paddle_det3d.layout import from_torch
    from plugins.paddle_det3d.model import CHECKPOINT_FORMAT
    from plugins.paddle_det3d.network import PaddlePillarsNet, network_inputs
    from plugins.pointpillars.model import PointPillarsDetector
    from plugins.pointpillars.points import pillar_groups

    detector = PointPillarsDetector()
    detector.load(str(source))
    if detector.ensemble_size != 1:
        logger.warning("%s has %d members: the first is converted", source, detector.ensemble_size)
    net = detector.members[0].eval()
    state = from_torch({k: v.detach().cpu().numpy() for k, v in net.state_dict().items()})
    paddle_net = PaddlePillarsNet(detector.config)
    paddle_net.set_state_dict(state)
    paddle_net.eval()
    points = check_frame(detector.config)
    with torch.inference_mode():
        expected = net(torch.from_numpy(points), torch.zeros(len(points), dtype=torch.int64), 1).numpy()
    with paddle.no_grad():
        groups = pillar_groups(points, np.zeros(len(points), np.int64), detector.config)
        got = paddle_net(network_inputs(groups), 1).numpy()
    difference = float(np.abs(expected - got).max())
    if difference > 1e-2:
        raise SystemExit(f"converted network differs from {source} by {difference:.3g}: not written")
    meta = {"format": CHECKPOINT_FORMAT, "config": detector.config.to_dict(), "trained": True,
            "version": "", "converted_from": source.name}  # fmt: skip
    save_arrays(target, meta, {k: v.numpy() for k, v in paddle_net.state_dict().items()})
    return {
        "source_sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
        "max_output_difference": difference,
    }


def check_frame(config) -> np.ndarray:
    """A generated street-like frame (ground, a few boxes of points) cropped to ``config``'s grid."""
    from plugins.pointpillars.points import crop_points

    rng = np.random.default_rng(7)
    ground = np.column_stack([rng.uniform(-40, 40, (20000, 2)), rng.normal(-1.73, 0.03, 20000)])
    cars = [np.column_stack([rng.uniform(-2, 2, 800) + cx, rng.uniform(-0.9, 0.9, 800) + cy,
                             rng.uniform(-1.7, -0.3, 800)]) for cx, cy in ((8, 3), (-15, -6), (25, 10))]  # fmt: skip
    xyz = np.concatenate([ground, *cars])
    return crop_points(np.column_stack([xyz, np.zeros(len(xyz))]).astype(np.float32), config)


def write_card(source: Path, target: Path, facts: dict) -> str:
    """The model card beside ``target`` (the source's card with the conversion's facts); returns the hash."""
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    source_card = source.with_name(source.stem + ".card.json")
    card = json.loads(source_card.read_text(encoding="utf-8")) if source_card.is_file() else {}
    card.update({
        "model": "paddle-det3d: " + str(card.get("model", "PointPillars")),
        "weights": target.name,
        "sha256": digest,
        "size_mb": round(target.stat().st_size / 1e6, 2),
        "converted": {"from": source.name, **facts, "command": "python -m plugins.paddle_det3d.convert"},
    })  # fmt: skip
    target.with_name(target.stem + ".card.json").write_text(
        json.dumps(card, indent=1) + "\n", encoding="utf-8"
    )
    return digest


def record_hash(digest: str) -> None:
    """Write ``digest`` as the shipped weights' SHA-256 into the plugin's manifest."""
    try:
        record_sha256(HERE / "__init__.py", digest)
    except ValueError as error:
        raise SystemExit(str(error)) from None


def main() -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--out", type=Path, default=TARGET)
    parser.add_argument("--no-manifest", action="store_true", help="do not record the hash in the manifest")
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    facts = convert(args.source, args.out)
    digest = write_card(args.source, args.out, facts)
    if not args.no_manifest:
        record_hash(digest)
    print(f"converted {args.source} -> {args.out} (sha256 {digest[:16]}..., "
          f"max output difference {facts['max_output_difference']:.2g})")  # fmt: skip


if __name__ == "__main__":
    main()
