#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests, sourced by scripts/test.sh (or by hand:
# `source scripts/pg_server.sh && pg_server_start`). Installs Debian's postgresql when no server is found
# (apt-get, idempotent), runs initdb in a temp dir as an unprivileged user (PostgreSQL refuses root),
# listens on a free port and on a unix socket inside the temp dir only, exports its DSN as
# ANNOTATOR_TEST_PG and stops the cluster when the shell exits.

pg_server_bindir() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
  return 1
}

pg_server_install() {
  pg_server_bindir >/dev/null && return 0
  echo "pg_server: installing Debian's postgresql"
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if ! apt-cache show postgresql >/dev/null 2>&1; then $sudo apt-get update -qq; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql >/dev/null
}

pg_server_start() {
  pg_server_install
  local bin; bin=$(pg_server_bindir) || { echo "pg_server: no PostgreSQL found" >&2; return 1; }
  PG_SERVER_DIR=$(mktemp -d /tmp/annotator-pg.XXXXXX)
  local port; port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  local run=()
  if [ "$(id -u)" -eq 0 ]; then
    id annotator-pg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin annotator-pg
    chown annotator-pg "$PG_SERVER_DIR"
    run=(runuser -u annotator-pg --)
  fi
  "${run[@]}" "$bin/initdb" -D "$PG_SERVER_DIR/data" -U annotator -A trust -E UTF8 --no-sync >/dev/null || return 1
  "${run[@]}" "$bin/pg_ctl" -D "$PG_SERVER_DIR/data" -l "$PG_SERVER_DIR/log" -w -s start \
    -o "-p $port -k $PG_SERVER_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60" || {
    cat "$PG_SERVER_DIR/log" >&2; return 1; }
  PG_SERVER_RUN=("${run[@]}")
  PG_SERVER_BIN=$bin
  trap pg_server_stop EXIT
  trap 'exit 143' TERM
  trap 'exit 130' INT
  "$bin/createdb" -h "$PG_SERVER_DIR" -p "$port" -U annotator annotator_test
  export ANNOTATOR_TEST_PG="postgresql://annotator@127.0.0.1:$port/annotator_test"
  echo "pg_server: PostgreSQL $("$bin/postgres" -V | awk '{print $3}') on port $port ($PG_SERVER_DIR)"
}

pg_server_stop() {
  [ -n "${PG_SERVER_DIR:-}" ] || return 0
  "${PG_SERVER_RUN[@]}" "$PG_SERVER_BIN/pg_ctl" -D "$PG_SERVER_DIR/data" -m fast -s stop >/dev/null 2>&1 || true
  rm -rf "$PG_SERVER_DIR"
  PG_SERVER_DIR=""
}
