#!/usr/bin/env bash
# Check a built bundle without the virtual environment (bare PATH): every CLI command on a demo project,
# the first-party plugins, a plugin installed beside the bundle (pip --target <bundle>/site-packages),
# fine-tuning in a child process, and the window staying up. Run by build.sh; also on its own:
# Usage: bash packaging/check_bundle.sh [PYTHON with pip, to install the beside-plugin; default .venv/bin/python]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:-.venv/bin/python}
BUNDLE=$PWD/dist/annotator
WORK=$(mktemp -d)
trap 'rm -rf "$WORK" "$BUNDLE/site-packages/beside" "$BUNDLE"/site-packages/annotator_beside-*' EXIT
bare() { env -i PATH=/usr/bin:/bin HOME="$WORK/home" LANG=C.UTF-8 "$BUNDLE/annotator" "$@"; }
# each command must exit 0 (3, "done with some items skipped", is accepted where ALLOW_PARTIAL=1)
step() {
  echo "check: annotator $*"
  local status=0
  bare "$@" > "$WORK/out.txt" 2>&1 || status=$?
  if [ "$status" -ne 0 ] && ! { [ "$status" -eq 3 ] && [ "${ALLOW_PARTIAL:-0}" = 1 ]; }; then
    cat "$WORK/out.txt"; echo "check: exit $status"; exit 1
  fi
}
expect() { grep -q -- "$1" "$WORK/out.txt" || { echo "check: expected '$1' in:"; cat "$WORK/out.txt"; exit 1; }; }
mkdir -p "$WORK/home"
D=$WORK/demo

step --version;                                    expect "annotator "
step plugins;                                      expect "geometric .* available"
step formats;                                      expect "kitti"
step demo "$D" --frames 2 --no-gui;                expect "created project"
step info "$D";                                    expect "frames       2"
step snapshot "$D" --out "$WORK/window.png" --view window
test -s "$WORK/window.png"
step preannotate "$D" --plugin geometric --no-progress; expect "pre-annotated 2 of 2 frames"
step track "$D";                                   expect "tracked "
step score "$D" --plugin geometric --mode tta --passes 2 --frames 0 --no-progress
step queue "$D" --limit 3
ALLOW_PARTIAL=1 step fit "$D" --frames 0;        expect "fitted"
ALLOW_PARTIAL=1 step propagate "$D" --from 0 --to 1; expect "propagated"
step derive-2d "$D" --frames 0;                    expect "derived"
step export "$D" --format kitti --out "$WORK/kitti"; expect "exported"
step assign "$D" --frames all --to ann bob;        expect "assigned 2 frames to ann, bob"
step agreement "$D";                               expect "annotated by two people"
step signoff "$D" --frames 0 --reviewer rita;      expect "signed off 1 frames as rita"
step signoff "$D";                                 expect "signed off   1 of 2 frames"
step mark "$D" verified --frames 1;                expect "marked 1 frames verified"
step import "$WORK/imported" "$WORK/kitti" --format kitti; expect "created project"
step import "$WORK/imported" "$WORK/kitti" --format kitti; expect "0 added, 0 updated"
step reference "$WORK/imported" "$WORK/kitti" --format kitti --no-progress; expect "reference objects in 2 of"
step new "$WORK/empty"
echo "check: annotator lease (a local project has no leases: the planned refusal)"
if bare lease list "$WORK/empty" > "$WORK/out.txt" 2>&1; then echo "check: lease should refuse"; exit 1; fi
expect "leases need a shared project"
step add-frames "$WORK/empty" "$D"/data/velodyne/000000.bin; expect "added 1 frames"
step plugin new beside --out "$WORK/beside";       expect "wrote plugin beside"
"$PY" -m pip install -q --no-deps --no-build-isolation --target "$BUNDLE/site-packages" "$WORK/beside"
step plugins;                                      expect "beside .* available"
step preannotate "$D" --plugin beside --no-progress
step train "$D" --plugin beside --labels ground-truth --epochs 5 --no-progress; expect "weights"
step simulate "$D" --plugin beside --strategy online --every 1; expect "online:"
step versions "$D" --plugin beside
step plugins;                                      expect "pointpillars ships base weights"
step train-base "$WORK/base" --frames 2 --epochs 1 --sensors vlp16 --batch-size 2; expect "done: 1 epochs"
step train-ensemble --weights "$WORK/base/weights/epoch_001.pt" --heads 1 --frames 2 --calibration-frames 2 --epochs 1 --cache "$WORK/ensemble"; expect "wrote epoch_001.ensemble.pt"
step distill "$D" --plugin pointpillars --teacher "$WORK/base/weights/epoch_001.pt" --frames 2 --epochs 1 --quality-frames 1 --cache "$WORK/distill"; expect "student v"
echo "check: annotator finetune (a demo project has no verified frame: the planned refusal)"
if bare finetune "$D" --plugin beside > "$WORK/out.txt" 2>&1; then echo "check: finetune should refuse"; exit 1; fi
expect "no verified frame to train beside on"
set +e
timeout 10 env -i PATH=/usr/bin:/bin HOME="$WORK/home" LANG=C.UTF-8 QT_QPA_PLATFORM=offscreen \
  "$BUNDLE/annotator" open "$D" > "$WORK/open.txt" 2>&1
status=$?
set -e
if [ "$status" -ne 124 ]; then echo "check: the window exited ($status):"; cat "$WORK/open.txt"; exit 1; fi
echo "check: the window stayed up for 10 s"
echo "check: all passed"
