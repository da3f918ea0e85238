#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests and benchmarks: initdb into DIR, listening only on a unix socket
# in DIR (no TCP), fsync off. Run as root, the server runs as the `postgres` user (PostgreSQL refuses root).
# Usage: tests/pg_server.sh start DIR   prints the libpq URI to use; exit 77 when PostgreSQL is not installed
#        tests/pg_server.sh stop DIR    stops it for good (immediate)
#        tests/pg_server.sh down DIR    stops it as an administrator would (pg_ctl stop -m fast), data kept
#        tests/pg_server.sh up DIR      starts it again after `down`, with the same options
# PG_SERVER_OPTS adds server options (bench/scaleout.sh: "-c shared_preload_libraries=pg_stat_statements").
set -euo pipefail
bin=/usr/lib/postgresql/15/bin
cmd="${1:?start|stop|down|up}"
dir="${2:?DIR}"
as_server() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
launch() {
  as_server "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-k $dir -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=60 ${PG_SERVER_OPTS:-}" \
    start >/dev/null
}
case "$cmd" in
  start)
    if [[ ! -x $bin/initdb ]] || { [[ $(id -u) == 0 ]] && ! id postgres >/dev/null 2>&1; }; then
      echo "pg_server: PostgreSQL 15 is not installed (scripts/bootstrap --test installs it)" >&2
      exit 77
    fi
    mkdir -p "$dir"
    [[ $(id -u) == 0 ]] && chown postgres "$dir"
    as_server "$bin/initdb" -D "$dir/data" -A trust -U greencrawl -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1
    launch
    echo "postgresql:///postgres?host=$dir&user=greencrawl"
    ;;
  stop)
    as_server "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    ;;
  down)
    as_server "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
    ;;
  up)
    launch
    ;;
  *) echo "usage: pg_server.sh start|stop|down|up DIR" >&2; exit 2 ;;
esac
