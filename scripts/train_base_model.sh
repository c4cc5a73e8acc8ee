#!/usr/bin/env bash
# Train the pointpillars base detector on generated street scenes (see README, "Shipped base detector").
# Usage: bash scripts/train_base_model.sh OUT [annotator train-base options]
#   e.g. bash scripts/train_base_model.sh /tmp/base --frames 360 --epochs 12
#        bash scripts/train_base_model.sh /tmp/base --resume /tmp/base/checkpoints/last.pt   # continue
# Uses a CUDA GPU when one is present, else the CPU; the frame cache (OUT/cache) is reused by later runs.
# Then ship an epoch: python scripts/ship_base_model.py OUT EPOCH --quality quality.json
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
if [ $# -lt 1 ]; then echo "usage: $0 OUT [annotator train-base options]" >&2; exit 2; fi
OUT=$1; shift
mkdir -p "$OUT"
exec env PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" "$PY" -m annotator.cli train-base "$OUT" "$@"
