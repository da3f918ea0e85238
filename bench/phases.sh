#!/usr/bin/env bash
# Where a list crawl's wall time goes, from the database it wrote: start-up (exec to the run's row, then to
# the first transfer's start), the crawl (first transfer's start to last result), and the end (last
# result to finished_at, then to exit). Transfer start = fetched_at - total_ms.
# Usage: bench/phases.sh [a|b|e] [RUNS]   (the cases of bench/floor.sh; default a 3). Loopback only.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
shared=$(cd "$root/../shared/bench" 2>/dev/null && pwd) || { echo "bench: needs ../shared/bench beside the checkout" >&2; exit 2; }
case=${1:-a}
runs=${2:-3}
work=${BENCH_WORK:-${TMPDIR:-/tmp}/greencrawl-phases}
port=${BENCH_PORT:-18098}
# shellcheck source=bench/list_case.sh
. "$here/list_case.sh"
db=$work/p.db
seconds() { sqlite3 "$db" "SELECT printf('%.6f', (julianday($1) - 2440587.5) * 86400.0) $2"; }
echo "case $case: $pages pages, concurrency $conc; load: $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq "$runs"); do
  rm -f "$db" "$db-wal" "$db-shm" "$db.lock"
  t0=$(date +%s.%N)
  timeout -k 5 300 "$gc" crawl --quiet --db "$db" --concurrency "$conc" "$site/urls.txt" >/dev/null 2>&1 || true
  t1=$(date +%s.%N)
  run=$(seconds started_at "FROM runs")
  fin=$(seconds finished_at "FROM runs")
  first=$(sqlite3 "$db" "SELECT printf('%.6f', min((julianday(fetched_at) - 2440587.5) * 86400.0 - total_ms / 1000.0)) FROM results")
  last=$(seconds "max(fetched_at)" "FROM results")
  awk -v t0="$t0" -v t1="$t1" -v run="$run" -v fin="$fin" -v first="$first" -v last="$last" 'BEGIN {
    printf "exec->run %.3f  run->first request %.3f  crawl %.3f  last result->finished %.3f  finished->exit %.3f  total %.3f\n",
      run - t0, first - run, last - first, fin - last, t1 - fin, t1 - t0 }'
done
