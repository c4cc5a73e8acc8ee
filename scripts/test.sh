#!/usr/bin/env bash
# Set everything up (idempotent) and run the whole test suite headless: lint, import contracts, pytest.
# Usage: bash scripts/test.sh [extra pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# A throwaway PostgreSQL for the tests marked postgres (stopped when this script exits).
if [ -z "${ANNOTATOR_TEST_PG:-}" ]; then
  source scripts/pg_server.sh
  if ! pg_server_start; then
    [ "${CI:-}" = "true" ] && { echo "test: PostgreSQL did not start" >&2; exit 1; }
    echo "test: PostgreSQL did not start; the postgres tests will skip" >&2
  fi
fi
export QT_QPA_PLATFORM=offscreen
unset DISPLAY
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
echo "== ruff"
.venv/bin/ruff check annotator plugins tests benchmarks
.venv/bin/ruff format --check annotator plugins tests benchmarks
echo "== import contracts"
.venv/bin/lint-imports
echo "== pytest"
set +e
.venv/bin/python -m pytest -q -p no:randomly --timeout=600 "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests" >&2
fi
exit "$status"
