#!/usr/bin/env bash
# Case (d) side by side: a recursive crawl of one generated site from its index page by greencrawl
# (--depth 100), wget2 -r, Scrapy's CrawlSpider, linkinator, Crawlee (CheerioCrawler), LinkChecker and HTTrack
# (../shared/bench/peers), each against the same nginx, one after the other.
# Prints pages, wall seconds, pages/s, CPU seconds, cores used (CPU / wall) and peak RSS per tool; a peer
# that is not installed is named as such. Pages: greencrawl's rows, the peers' own count (distinct URLs
# with status 200, or files saved for HTTrack).
# Usage: bench/recursive.sh [PAGES] [CONCURRENCY]     (default 4000 100). Loopback only, bounded.
#   GREENCRAWL=path (default build-release/greencrawl), PEERS=dir of the peers (default ../shared/bench/peers;
#   the Node ones need `npm ci --prefix node` there), ONLY="wget2_recursive.sh ..." to run some peers.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
shared=$(cd "${SHARED_BENCH:-$root/../shared/bench}" && pwd)
peers=${PEERS:-$shared/peers}
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
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| tool | pages | wall s | pages/s | CPU s | cores used | peak RSS MB |"
echo "|---|---|---|---|---|---|---|"
run() {  # run NAME COMMAND... ; the command prints nothing we need: pages are counted afterwards
  local name=$1
  shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/$name.time" timeout -k 5 900 "$@" >"$work/$name.out" 2>&1 || true
  tail -1 "$work/$name.time"
}
rm -f "$work/gc.db" "$work/gc.db-wal" "$work/gc.db-shm"
echo "$start" > "$work/seed.txt"
row() {  # row NAME PAGES WALL USER SYS RSS_KB
  awk -v t="$1" -v n="$2" -v w="$3" -v u="$4" -v s="$5" -v m="$6" \
    'BEGIN {printf "| %s | %d | %.2f | %.0f | %.1f | %.2f | %.0f |\n", t, n, w, n / w, u + s, (u + s) / w, m / 1024}'
}
read -r wall user sys rss < <(run greencrawl "$gc" crawl --db "$work/gc.db" --quiet --depth 100 --concurrency "$C" --ignore-robots "$work/seed.txt")
row greencrawl "$(sqlite3 "$work/gc.db" "SELECT count(*) FROM results")" "$wall" "$user" "$sys" "$rss"
for peer in ${ONLY:-wget2_recursive.sh scrapy_recursive.py linkinator_recursive.sh crawlee_recursive.mjs linkchecker_recursive.sh httrack_recursive.sh}; do
  read -r wall user sys rss < <(run "$peer" "$peers/$peer" "$start" "$C")
  n=$(grep -Eo 'pages=[0-9]+' "$work/$peer.out" | tail -1 | cut -d= -f2 || true)
  if [ -z "$n" ] || [ "$n" = 0 ]; then
    echo "| $peer | not run: $(tail -1 "$work/$peer.out" | cut -c1-100) | | | | | |"
    continue
  fi
  row "$peer" "$n" "$wall" "$user" "$sys" "$rss"
done
