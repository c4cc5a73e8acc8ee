#!/usr/bin/env bash
# Idempotent set-up of a fresh machine: Debian packages for headless Qt/VTK/open3d/paddle,
# a virtual environment at .venv, and the project installed in editable mode with all extras.
# Usage: bash scripts/setup.sh   (re-running it does only what is missing)
set -euo pipefail
cd "$(dirname "$0")/.."

DEB_PACKAGES="libgomp1 libusb-1.0-0 libegl1 libgl1 libglib2.0-0 libx11-6 libdbus-1-3 libfontconfig1 \
libfreetype6 libxkbcommon0 xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 \
libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0 libxcursor1"

missing=""
for p in $DEB_PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "setup: installing Debian packages:$missing"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.annotator-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing Python packages into .venv (first time takes a few minutes)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q "torch==2.13.0"
  .venv/bin/python -m pip install -q -e ".[ml,dev]"
  touch "$stamp"
fi
# Ray with Ray Data for `--ray` batch runs and the `ray` tests (the `ray` extra in pyproject.toml, same pin)
if ! .venv/bin/python -c "import importlib.util as u, sys; sys.exit(not (u.find_spec('ray') and u.find_spec('pyarrow')))"; then
  echo "setup: installing Ray (ray[data]==2.60.0)"
  .venv/bin/python -m pip install -q "ray[data]==2.60.0"
fi
