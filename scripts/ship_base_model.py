"""Copy a base-training run's chosen epoch into the pointpillars package as its shipped weights.

    python scripts/ship_base_model.py RUN_DIR EPOCH [--quality FILE.json] [--notes TEXT] [--command TEXT]
                                      [--code COMMIT]

Writes ``plugins/pointpillars/weights/base.pt`` (the plugin checkpoint of that epoch), the model card
``base.card.json`` (run options, generator, hardware, time, the quality figures of ``--quality``) and puts
the weights' SHA-256 into the plugin manifest (``plugins/pointpillars/__init__.py``), which loading checks.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import shutil
import subprocess
from pathlib import Path

from annotator.ml.shipped import record_sha256

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "plugins" / "pointpillars"
LIMIT = 25 << 20


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("run", type=Path, help="the OUT folder of `annotator train-base`")
    parser.add_argument("epoch", type=int, help="the epoch whose weights to ship")
    parser.add_argument("--quality", type=Path, help="JSON of measured quality to put on the card")
    parser.add_argument("--notes", default="", help="a line for the card")
    parser.add_argument("--command", help="how the run was made, when not one plain train-base command")
    parser.add_argument("--code", help="the commit whose generator made the frames (default: HEAD)")
    args = parser.parse_args()
    source = args.run / "weights" / f"epoch_{args.epoch:03d}.pt"
    run = (
        json.loads((args.run / "run.json").read_text(encoding="utf-8"))
        if (args.run / "run.json").is_file()
        else {}
    )
    if not run:
        import torch

        data = torch.load(args.run / "checkpoints" / "last.pt", map_location="cpu", weights_only=True)
        run = {"options": data["options"], "run": data["run"], "device": "cpu", "generator": "see train.log"}
    if source.stat().st_size > LIMIT:
        raise SystemExit(f"{source}: {source.stat().st_size} bytes, over the 25 MB limit")
    target = PACKAGE / "weights" / "base.pt"
    target.parent.mkdir(exist_ok=True)
    card_path = PACKAGE / "weights" / "base.card.json"
    parent = json.loads(card_path.read_text(encoding="utf-8")) if card_path.is_file() else {}
    shutil.copyfile(source, target)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    history = run["run"]["history"][: args.epoch]
    commit = args.code or subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                         capture_output=True, text=True).stdout.strip()  # fmt: skip
    options = run["options"]
    card = {
        "model": "pointpillars base detector (PointPillars-style pillars, 2D CNN, CenterPoint-style head)",
        "weights": "base.pt",
        "sha256": digest,
        "size_mb": round(target.stat().st_size / 1e6, 2),
        "classes": ["Car", "Van", "Truck", "Pedestrian", "Cyclist"],
        "input": "ground-levelled (estimated ground moved to z = -1.73 m), intensity ignored, grid x +-51.2 m, "
        "y +-25.6 m (wider with x_extent / y_extent)",
        "data": {
            "generator": f"annotator.synth ({run.get('generator', '?')} sensors), data format base-data/1",
            "code": commit,
            "frames": options["frames"],
            "sensors": options["sensors"],
            "seed": options["seed"],
        },
        "training": {
            "command": args.command
            or f"scripts/train_base_model.sh OUT --frames {options['frames']} --epochs {options['epochs']} "
            f"--sensors {','.join(options['sensors'])} --seed {options['seed']}",
            "epochs": f"{args.epoch} of {options['epochs']}",
            "batch_size": options["batch_size"],
            "learning_rate": options["learning_rate"],
            "augmentations": "ground-truth sampling (half the pasted objects turned about the sensor to a random "
            "azimuth; pedestrians and cyclists half the time in front of a wall, hedge, pole or trunk; pasted "
            "objects hide what is behind them), beam down-sampling (1/2, 1/4), "
            "point dropout, flips, rotation +-22.5 deg, scale +-5 %, height jitter 0.1 m",
            "hardware": f"{run.get('device', 'cpu')}: {platform.processor() or platform.machine()}, "
            "2 shared cores, no GPU",
            "time_min": round(sum(h["seconds"] for h in history) / 60, 1),
            "loss_by_epoch": [round(h["loss"], 3) for h in history],
            "heading_direction_right_by_epoch": [
                round(h["direction_accuracy"], 3) for h in history if "direction_accuracy" in h
            ],
        },
        "quality": json.loads(args.quality.read_text(encoding="utf-8")) if args.quality else {},
        "notes": args.notes,
    }
    if options.get("init"):
        # a run started from earlier weights (--init): what those were trained on stays on the card
        card["training"]["started_from"] = {
            "weights": Path(options["init"]).name,
            "sha256": parent.get("sha256") if Path(options["init"]).resolve() == target.resolve() else None,
            "data": parent.get("data"),
            "training": parent.get("training"),
        }
    card_path.write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    try:
        record_sha256(PACKAGE / "__init__.py", digest)
    except ValueError as error:
        raise SystemExit(str(error)) from None
    print(f"shipped {source} as {target} ({target.stat().st_size / 1e6:.1f} MB, sha256 {digest[:16]}...)")


if __name__ == "__main__":
    main()
