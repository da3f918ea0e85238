#!/usr/bin/env bash
# Case (d) side by side: a recursive crawl of one generated site from its index page by greencrawl
# (--depth 100), wget2 -r and Scrapy's CrawlSpider (../shared/bench/peers), each against the same nginx.
# Prints pages, wall seconds, pages/s, CPU seconds and cores used (CPU / wall) per tool.
# Usage: bench/recursive.sh [PAGES] [CONCURRENCY]     (default 4000 100). Loopback only, bounded.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
shared=$(cd "$root/../shared/bench" && pwd)
pages=${1:-4000}
C=${2:-100}
port=${BENCH_PORT:-18092}
work=${BENCH_WORK:-${TMPDIR:-/tmp}/greencrawl-recursive}
mkdir -p "$work"
gc=${GREENCRAWL:-$root/build-release/greencrawl}
if [ ! -x "$gc" ]; then
  cmake -S "$root" -B "$root/build-release" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
  cmake --build "$root/build-release" --target greencrawl >/dev/null
fi
site="$work/site-$pages-$port"
[ -f "$site/urls.txt" ] || /usr/bin/python3 "$shared/site.py" --pages "$pages" --size 10240 --port "$port" --out "$site" >/dev/null
trap '"$shared/serve.sh" stop "$port" >/dev/null 2>&1 || true' EXIT
"$shared/serve.sh" start "$port" "$site" >/dev/null
# Warm the page cache: the first crawl after a start otherwise waits on nginx reading its files from disk
# (greencrawl runs first, and took 11.9 s cold against ~5 s warm; RESULTS.md round 4, "cold page cache").
find "$site" -type f -exec cat {} + >/dev/null
start="http://127.0.0.1:$port/index.html"
echo "| tool | pages | wall s | pages/s | CPU s | cores used |"
echo "|---|---|---|---|---|---|"
run() {  # run NAME COMMAND... ; the command prints nothing we need: pages are counted afterwards
  local name=$1
  shift
  /usr/bin/time -f "%e %U %S" -o "$work/$name.time" timeout -k 5 900 "$@" >"$work/$name.out" 2>&1 || true
  read -r wall user sys < "$work/$name.time"
  echo "$wall $user $sys"
}
rm -f "$work/gc.db" "$work/gc.db-wal" "$work/gc.db-shm"
echo "$start" > "$work/seed.txt"
read -r wall user sys < <(run greencrawl "$gc" crawl --db "$work/gc.db" --quiet --depth 100 --concurrency "$C" --ignore-robots "$work/seed.txt")
n=$(sqlite3 "$work/gc.db" "SELECT count(*) FROM results")
awk -v n="$n" -v w="$wall" -v u="$user" -v s="$sys" 'BEGIN {printf "| greencrawl | %d | %.2f | %.0f | %.1f | %.2f |\n", n, w, n / w, u + s, (u + s) / w}'
for peer in wget2_recursive.sh scrapy_recursive.py; do
  read -r wall user sys < <(run "$peer" "$shared/peers/$peer" "$start" "$C")
  n=$(grep -Eo 'pages=[0-9]+' "$work/$peer.out" | tail -1 | cut -d= -f2)
  awk -v t="$peer" -v n="${n:-0}" -v w="$wall" -v u="$user" -v s="$sys" 'BEGIN {printf "| %s | %d | %.2f | %.0f | %.1f | %.2f |\n", t, n, w, n / w, u + s, (u + s) / w}'
done
