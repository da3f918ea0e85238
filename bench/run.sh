#!/usr/bin/env bash
# greencrawl's own benchmark: builds in Release, serves a generated site on 127.0.0.1 (nginx, or for the
# delayed case the shared slow server), runs greencrawl on it, and prints pages/s, wall time, peak RSS
# and CPU seconds per 1,000 pages for each case:
#   a  20,000 pages of ~10 KB, concurrency 100, no delay
#   b  5,000 pages with a 100 ms server delay, concurrency 500 (ideal wall: 1 s)
#   c  a 1,000,000-line list (20,000 pages + 980,000 fast 404s), concurrency 100: memory and rate at scale
#   d  a recursive crawl (--depth 100) of the 20,000-page site from its index, links extracted from every page
#   e  case b's site at concurrency 1,000: peak RSS with 1,000 transfers in flight
# Usage: bench/run.sh [a b c d e]   (default: all). Uses ../shared/bench (site.py, serve.sh) beside the checkout.
# Everything is on 127.0.0.1 and bounded (a per-case timeout). Results also go to $BENCH_WORK/results.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
shared=$(cd "$root/../shared/bench" 2>/dev/null && pwd) || { echo "bench: needs ../shared/bench beside the checkout" >&2; exit 2; }
cases=${*:-a b c d e}
work=${BENCH_WORK:-${TMPDIR:-/tmp}/greencrawl-own-bench}
port=${BENCH_PORT:-18090}
mkdir -p "$work"

"$root/scripts/bootstrap" --bench
cmake -S "$root" -B "$root/build-release" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$root/build-release" -j "$(nproc)" --target greencrawl >/dev/null
gc="$root/build-release/greencrawl"

site() {  # site PAGES -> directory with urls.txt (reused when present)
  local dir="$work/site-$1-$port"
  [ -f "$dir/urls.txt" ] || /usr/bin/python3 "$shared/site.py" --pages "$1" --size 10240 --port "$port" --out "$dir" >/dev/null
  echo "$dir"
}

rows=""
measure() {  # measure NAME PAGES_EXPECTED ARGS...  (the crawl's own command line after "crawl")
  local name=$1 expected=$2
  shift 2
  local db="$work/$name.db"
  rm -f "$db" "$db-wal" "$db-shm" "$db.lock"
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -v -o "$work/$name.time" timeout -k 5 600 "$gc" crawl --db "$db" --quiet "$@" || true
  t1=$(date +%s.%N)
  local ok rows_all wall rss cpu pps cpu_k
  ok=$(sqlite3 "$db" "SELECT count(*) FROM results WHERE status = 200")
  rows_all=$(sqlite3 "$db" "SELECT count(*) FROM results")
  wall=$(echo "$t0 $t1" | awk '{printf "%.2f", $2 - $1}')
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$work/$name.time")
  cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$work/$name.time")
  pps=$(echo "$rows_all $wall" | awk '{printf "%.0f", $1 / $2}')
  cpu_k=$(echo "$cpu $rows_all" | awk '{printf "%.3f", $1 * 1000 / ($2 > 0 ? $2 : 1)}')
  local row="| $name | $ok/$rows_all (expected $expected) | $wall | $pps | $rss | $cpu | $cpu_k |"
  echo "$row" >&2
  rows+="$row"$'\n'
}

trap '"$shared/serve.sh" stop "$port" >/dev/null 2>&1 || true' EXIT
for c in $cases; do
  case $c in
  a | c | d)
    dir=$(site 20000)
    "$shared/serve.sh" start "$port" "$dir" >/dev/null
    case $c in
    a) measure "a-20k-c100" 20000 --concurrency 100 "$dir/urls.txt" ;;
    c)
      list="$work/list-1m-$port.txt"
      [ -f "$list" ] || { cat "$dir/urls.txt"; seq 980000 | sed "s|.*|http://127.0.0.1:$port/missing/&.html|"; } > "$list"
      measure "c-1m-lines-c100" "20000 ok + 980000 404" --concurrency 100 "$list"
      ;;
    d)
      echo "http://127.0.0.1:$port/index.html" > "$work/seed.txt"
      measure "d-recursive-c100" "20001 (site + index)" --concurrency 100 --depth 100 --ignore-robots "$work/seed.txt"
      ;;
    esac
    "$shared/serve.sh" stop "$port" >/dev/null
    ;;
  b | e)
    dir=$(site 5000)
    "$shared/serve.sh" start "$port" "$dir" --delay-ms 100 >/dev/null
    if [ "$c" = b ]; then
      measure "b-5k-delay100-c500" 5000 --concurrency 500 "$dir/urls.txt"
    else
      measure "e-5k-delay100-c1000" 5000 --concurrency 1000 "$dir/urls.txt"
    fi
    "$shared/serve.sh" stop "$port" >/dev/null
    ;;
  *) echo "bench: unknown case $c" >&2; exit 2 ;;
  esac
done
{
  echo "greencrawl $("$gc" --version) on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$root" rev-parse --short HEAD)"
  echo
  echo "| case | ok/rows | wall s | rows/s | peak RSS MB | CPU s | CPU s / 1000 rows |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s' "$rows"
} | tee "$work/results.md"
