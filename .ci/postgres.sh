#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the tests: `source .ci/postgres.sh` starts one in a temp
# dir owned by the postgres user (the server refuses root), exports TEST_DATABASE_URL and stops
# it when the sourcing shell exits. `.ci/postgres.sh start|stop DIR` does the same by hand.
set -euo pipefail
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

pg_as() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() {
  local dir="$1"
  if ! [ -x "$PG_BIN/initdb" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null
  fi
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
  pg_as "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 >"$dir/initdb.log"
  local port
  port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
  pg_as "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
  echo "$port" >"$dir/port"
  export TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$port/postgres"
}

pg_stop() {
  local dir="$1"
  [ -d "$dir/data" ] && pg_as "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  PG_TEST_DIR="$(mktemp -d /tmp/mem-pg-XXXXXX)"
  pg_start "$PG_TEST_DIR"
  trap 'pg_stop "$PG_TEST_DIR"' EXIT
  echo "PostgreSQL 15 for the tests: $TEST_DATABASE_URL (stopped when this shell exits)"
else
  case "${1:-}" in
    start) pg_start "$2"; echo "$TEST_DATABASE_URL" ;;
    stop) pg_stop "$2" ;;
    *) echo "usage: .ci/postgres.sh start|stop DIR (or: source it to start one for this shell)" >&2; exit 2 ;;
  esac
fi
