#!/usr/bin/env bash
# Many workers on one PostgreSQL run (README "Many workers on one crawl"): throughput with 1, 2 and 3
# workers, and what the database does per URL (statements from pg_stat_statements, transactions from
# pg_stat_database), on this machine. A throwaway server (tests/pg_server.sh) and a generated site served on
# HOSTS ports of 127.0.0.1 (hosts are leased whole to one worker at a time, so a scale-out needs many).
#   fast:  nginx (../shared/bench/serve.sh), 20,000 pages of 10 KB, concurrency 100 per worker
#   delay: the shared slow server, 100 ms per answer, 6,000 pages, concurrency 100 per worker
# Usage: bench/scaleout.sh [fast] [delay]   (default: both). Bounded: a timeout per run; 127.0.0.1 only.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
shared=$(cd "$root/../shared/bench" 2>/dev/null && pwd) || { echo "bench: needs ../shared/bench" >&2; exit 2; }
modes=${*:-fast delay}
work=${BENCH_WORK:-${TMPDIR:-/tmp}/greencrawl-scaleout}
hosts=${HOSTS:-6}
base=${BENCH_PORT:-18300}
mkdir -p "$work"

"$root/scripts/bootstrap" --bench
cmake -S "$root" -B "$root/build-release" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$root/build-release" -j "$(nproc)" --target greencrawl >/dev/null
gc="$root/build-release/greencrawl"

pgdir=$(mktemp -d /tmp/gc-scaleout-pg.XXXXXX)
cleanup() {
  for ((h = 0; h < hosts; h++)); do "$shared/serve.sh" stop $((base + h)) >/dev/null 2>&1 || true; done
  "$root/tests/pg_server.sh" stop "$pgdir" || true
  rm -rf "$pgdir"
}
trap cleanup EXIT
admin=$(PG_SERVER_OPTS="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all" \
  "$root/tests/pg_server.sh" start "$pgdir")
psql -qAt "$admin" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null

rows=""
run() {  # run MODE PAGES WORKERS LIST
  local mode=$1 pages=$2 workers=$3 list=$4 db="s_${1}_$3"
  psql -qAt "$admin" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
  local uri=${admin/\/postgres\?/\/$db?}
  psql -qAt "$admin" -c "SELECT pg_stat_statements_reset()" >/dev/null
  local t0 t1 pids=()
  t0=$(date +%s.%N)
  timeout -k 5 600 "$gc" crawl --db "$uri" --quiet --concurrency 100 "$list" & pids+=($!)
  for _ in $(seq 600); do  # bounded: the list is read in seconds
    [ "$(psql -qAt "$uri" -c "SELECT count(*) FROM runs WHERE urls_total IS NOT NULL" 2>/dev/null || echo 0)" = 1 ] && break
    sleep 0.1
  done
  local loaded
  loaded=$(date +%s.%N)
  for ((w = 1; w < workers; w++)); do timeout -k 5 600 "$gc" join --db "$uri" --quiet --concurrency 100 & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p" || true; done
  t1=$(date +%s.%N)
  local ok status calls xacts wall crawl_s
  ok=$(psql -qAt "$uri" -c "SELECT count(*) FROM results WHERE status = 200")
  status=$(psql -qAt "$uri" -c "SELECT status FROM runs")
  calls=$(psql -qAt "$admin" -c "SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '$db'")
  xacts=$(psql -qAt "$admin" -c "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '$db'")
  wall=$(echo "$t0 $t1" | awk '{printf "%.2f", $2 - $1}')
  crawl_s=$(echo "$loaded $t1" | awk '{printf "%.2f", $2 - $1}')
  local row
  row=$(echo "$mode $workers $ok $pages $status $wall $crawl_s $calls $xacts" |
    awk '{printf "| %s | %d | %d/%d %s | %.2f | %.0f | %.2f | %.2f |", $1, $2, $3, $4, $5, $6, $3 / $7, $8 / $4, $9 / $4}')
  echo "$row" >&2
  rows+="$row"$'\n'
}

for mode in $modes; do
  case $mode in
  fast) pages=20000; delay=() ;;
  delay) pages=6000; delay=(--delay-ms 100) ;;
  *) echo "unknown mode $mode" >&2; exit 2 ;;
  esac
  dir="$work/site-$pages"
  [ -f "$dir/urls.txt" ] || /usr/bin/python3 "$shared/site.py" --pages "$pages" --size 10240 --port "$base" --out "$dir" >/dev/null
  for ((h = 0; h < hosts; h++)); do "$shared/serve.sh" start $((base + h)) "$dir" "${delay[@]}" >/dev/null; done
  list="$work/list-$mode.txt"
  # Page i on port base + (i mod HOSTS): one site as HOSTS origins.
  awk -v base="$base" -v hosts="$hosts" '{ sub(":" base "/", ":" base + (NR % hosts) "/"); print }' "$dir/urls.txt" > "$list"
  for w in 1 2 3; do run "$mode" "$pages" "$w" "$list"; done
  for ((h = 0; h < hosts; h++)); do "$shared/serve.sh" stop $((base + h)) >/dev/null; done
done

echo
echo "| case | workers | ok | wall s (incl. list load) | pages/s (after load) | statements/URL | transactions/URL |"
echo "|---|---|---|---|---|---|---|"
printf "%s" "$rows"
echo "($(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg))"
