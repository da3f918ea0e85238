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
case $case in
  a) pages=20000 conc=100 delay=0 ;;
  b) pages=5000 conc=500 delay=100 ;;
  e) pages=50000 conc=1000 delay=100 ;;
  *) echo "usage: bench/phases.sh [a|b|e] [RUNS]" >&2; exit 2 ;;
esac
work=${BENCH_WORK:-${TMPDIR:-/tmp}/greencrawl-phases}
port=${BENCH_PORT:-18098}
mkdir -p "$work"
cmake -S "$root" -B "$root/build-release" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$root/build-release" -j "$(nproc)" --target greencrawl >/dev/null
gc="$root/build-release/greencrawl"
site=$work/site-$pages-$port
[ -f "$site/urls.txt" ] || /usr/bin/python3 "$shared/site.py" --pages "$pages" --size 10240 --port "$port" --out "$site" >/dev/null
trap '"$shared/serve.sh" stop "$port" >/dev/null 2>&1 || true' EXIT
if [ "$delay" = 0 ]; then
  "$shared/serve.sh" start "$port" "$site" >/dev/null
else
  "$shared/serve.sh" start "$port" "$site" --delay-ms "$delay" >/dev/null
fi
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
