#!/usr/bin/env bash
# Set everything up (idempotent), generate the demo project if needed, and open it in the application.
# Usage: bash scripts/run.sh [demo directory, default ~/annotator-demo]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
demo=${1:-$HOME/annotator-demo}
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
  echo "run: no display found; starting the application under Xvfb (xvfb-run)"
  exec xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/annotator demo "$demo"
fi
exec .venv/bin/annotator demo "$demo"
