#!/usr/bin/env bash
# Build the desktop bundle dist/annotator/ (one folder; dist/annotator/annotator is the window and the CLI)
# and check that it runs without the virtual environment. Idempotent: re-running rebuilds in place.
# Usage: bash packaging/build.sh
# Environment:
#   ANNOTATOR_VENV=DIR      build with this Python environment (must hold annotator's dependencies)
#                           instead of setting up .venv with scripts/setup.sh
#   ANNOTATOR_BUNDLE_ML=1   also bundle torch and paddle (the pointpillars and paddle-det2d plugins; ~+1.5 GB)
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${ANNOTATOR_VENV:-}
if [ -z "$VENV" ]; then
  bash scripts/setup.sh
  VENV=.venv
fi
PY="$VENV/bin/python"
# PyInstaller, and what check_bundle.sh needs to pip-install a plugin beside the bundle without network
if ! "$PY" -c "import PyInstaller, wheel, setuptools; assert int(setuptools.__version__.split('.')[0]) >= 68" \
    2>/dev/null; then
  echo "build: installing PyInstaller (and setuptools, wheel) into $VENV"
  "$PY" -m pip install -q "pyinstaller>=6.10" "setuptools>=68" wheel
fi

echo "build: PyInstaller (a few minutes)"
start=$(date +%s)
nice "$PY" -m PyInstaller --noconfirm --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/annotator.spec
echo "build: done in $(( $(date +%s) - start )) s: $(du -sh dist/annotator | cut -f1) in dist/annotator"

bash packaging/check_bundle.sh "$PY"
