#!/usr/bin/env bash
# Rebuild everything the repository derives from the shipped pointpillars base weights, after
# plugins/pointpillars/weights/base.pt was replaced (scripts/ship_base_model.py), in dependency order:
#   1. paddle-det3d's converted weights (plugins/paddle_det3d/weights/base.npz, parity-checked)
#   2. the ensemble heads, calibration and OOD index (base.ensemble.pt, base.ood.npz, base.ensemble.json)
#   3. the pruned weights (pruned.pt), then the student distilled from the ensemble (student.pt)
#   4. the student distilled further on a project's verified frames (student_real.pt): --project PROJECT,
#      else the shared Argoverse log (../shared/data/argoverse1_sample_log) imported into a temporary
#      project with -o max_range=50 -o min_points=10 and sweeps 0-29 marked verified, as the shipped one
#      (README "Distilling on verified real frames"); skipped when neither is there
# Every step writes its card and records the new hashes (manifests, cards); the commands are the ones the
# cards name. Usage: bash scripts/rebuild_derived_models.sh [--threads T] [--project PROJECT] [--from STEP]
# (STEP: paddle, ensemble, prune, student, student-real; to resume after a stopped step).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
THREADS=1
PROJECT=""
FROM=paddle
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) THREADS=$2; shift 2 ;;
    --project) PROJECT=$2; shift 2 ;;
    --from) FROM=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
STEPS=(paddle ensemble prune student student-real)
started=0
W=plugins/pointpillars/weights
for step in "${STEPS[@]}"; do
  [ "$step" = "$FROM" ] && started=1
  [ $started = 1 ] || continue
  echo "== $step ($(date -u +%H:%M:%S))"
  case $step in
    paddle) "$PY" -m plugins.paddle_det3d.convert ;;
    ensemble) "$PY" -m annotator.cli train-ensemble --threads "$THREADS" ;;
    prune) "$PY" -m plugins.pointpillars.prune --keep 0.5 --frames 24 --epochs 8 --threads "$THREADS" ;;
    student)
      "$PY" -m plugins.pointpillars.distill_run --out $W/student.pt --keep 0.5 --frames 24 --epochs 8 \
        --hard-weight 0.5 --feature-weight 1.0 --learning-rate 0.002 --seed 11 --init $W/pruned.pt \
        --threads "$THREADS" ;;
    student-real)
      if [ -z "$PROJECT" ]; then
        LOG=../shared/data/argoverse1_sample_log
        if [ ! -d "$LOG" ]; then
          echo "   skipped: student_real.pt needs --project, or $LOG to import"
          continue
        fi
        PROJECT=$(mktemp -d)/argoverse
        "$PY" -m annotator.cli import "$PROJECT" "$LOG" --format argoverse -o max_range=50 -o min_points=10
        "$PY" -m annotator.cli mark "$PROJECT" verified --frames 0-29
      fi
      "$PY" -m plugins.pointpillars.distill_run --out $W/student_real.pt --keep 0.5 --frames 24 --epochs 6 \
        --hard-weight 0.5 --feature-weight 1.0 --learning-rate 0.001 --seed 11 --init $W/student.pt \
        --project "$PROJECT" --threads "$THREADS" ;;
  esac
done
echo "== done ($(date -u +%H:%M:%S)); check: git status plugins/ && pytest tests/plugins"
