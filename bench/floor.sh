#!/usr/bin/env bash
# The floors under a list crawl, side by side on one generated site (127.0.0.1), rounds alternating:
#   wget2       the peer (../shared/bench/peers/wget2_crawl.sh)
#   raw         libcurl's multi socket interface on libuv and nothing else (bench/fetch_floor.cc)
#   fetcher     greencrawl's fetch layer alone: greenlets + gc::Fetcher, no parse, no database
#   greencrawl  the whole crawl: list load, frontier, title parse, SQLite rows, summary
# What greencrawl costs above "fetcher" is the crawler's own work; what "fetcher" costs above "raw" is
# the fetch layer's; "raw" against wget2 is libcurl 7.88 against wget2's own HTTP code.
# Usage: bench/floor.sh [a|b|e] [ROUNDS]   (a: 20,000 x 10 KB at C=100; b: 5,000, 100 ms delay, C=500;
#        e: 50,000, 100 ms delay, C=1,000). Prints each round and the median of each tool.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
shared=$(cd "$root/../shared/bench" 2>/dev/null && pwd) || { echo "bench: needs ../shared/bench beside the checkout" >&2; exit 2; }
case=${1:-a}
rounds=${2:-5}
work=${BENCH_WORK:-${TMPDIR:-/tmp}/greencrawl-floor}
port=${BENCH_PORT:-18097}
targets=fetch_floor
# shellcheck source=bench/list_case.sh
. "$here/list_case.sh"
floor="$root/build-release/fetch_floor"

run() {  # run TOOL -> "TOOL WALL_S CPU_S", checking every page came back 200
  local tool=$1 db=$work/$1.db out=$work/$1.out
  rm -f "$db" "$db-wal" "$db-shm" "$db.lock"
  local cmd
  case $tool in
    wget2) cmd=("$shared/peers/wget2_crawl.sh" --db "$db" --concurrency "$conc" "$site/urls.txt") ;;
    raw | fetcher) cmd=("$floor" "$tool" "$conc" "$site/urls.txt") ;;
    greencrawl) cmd=("$gc" crawl --quiet --db "$db" --concurrency "$conc" "$site/urls.txt") ;;
  esac
  local t0 t1
  t0=$(date +%s.%N)
  timeout -k 5 300 /usr/bin/time -f "%U %S" -o "$work/$tool.time" "${cmd[@]}" >"$out" 2>&1 || true
  t1=$(date +%s.%N)
  local ok
  case $tool in
    wget2) ok=$(sqlite3 "$db" "SELECT count(*) FROM pages WHERE status = 200") ;;
    greencrawl) ok=$(sqlite3 "$db" "SELECT count(*) FROM results WHERE status = 200") ;;
    *) ok=$(sed -n 's/.* ok=\([0-9]*\) .*/\1/p' "$out") ;;
  esac
  [ "${ok:-0}" = "$pages" ] || echo "WARNING: $tool: $ok of $pages pages were 200" >&2
  awk -v tool="$tool" -v t0="$t0" -v t1="$t1" '{ printf "%s %.3f %.2f\n", tool, t1 - t0, $1 + $2 }' "$work/$tool.time"
}

echo "case $case: $pages pages, concurrency $conc, server delay ${delay} ms, $rounds rounds; load: $(cut -d' ' -f1-3 /proc/loadavg)"
: > "$work/rounds.txt"
for r in $(seq "$rounds"); do
  for tool in wget2 raw fetcher greencrawl; do run "$tool" | tee -a "$work/rounds.txt"; done
done
echo
echo "| tool | median wall s | pages/s | median CPU s | / wget2 |"
echo "|---|---|---|---|---|"
awk -v pages="$pages" '
  { wall[$1] = wall[$1] " " $2; cpu[$1] = cpu[$1] " " $3 }
  function median(list,   a, n, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    split("wget2 raw fetcher greencrawl", order, " ")
    w = median(wall["wget2"])
    for (k = 1; k <= 4; k++) {
      t = order[k]; m = median(wall[t])
      printf "| %s | %.3f | %.0f | %.2f | %.2f |\n", t, m, pages / m, median(cpu[t]), w / m
    }
  }' "$work/rounds.txt"
