#!/usr/bin/env bash
# Per-transfer costs of a list crawl on the shared generated site (nginx on 127.0.0.1): epoll_ctl calls
# (strace -c), calls to allocation functions (heaptrack; the difference between a 1,000- and a 5,000-URL
# crawl, so start-up and the list load's fixed costs cancel out) and CPU seconds (/usr/bin/time).
# Usage: bench/per_transfer.sh [GREENCRAWL_BINARY ...]   (default: build-release/greencrawl, built here)
# Needs strace and heaptrack (apt-get install -y strace heaptrack). Everything bounded by `timeout`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
shared=$(cd "$root/../shared/bench" 2>/dev/null && pwd) || { echo "bench: needs ../shared/bench beside the checkout" >&2; exit 2; }
work=${BENCH_WORK:-${TMPDIR:-/tmp}/greencrawl-per-transfer}
port=${BENCH_PORT:-18095}
mkdir -p "$work"
for tool in strace heaptrack heaptrack_print; do
  command -v "$tool" >/dev/null || { echo "bench: needs $tool" >&2; exit 2; }
done
if [ $# -eq 0 ]; then
  cmake -S "$root" -B "$root/build-release" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
  cmake --build "$root/build-release" -j "$(nproc)" --target greencrawl >/dev/null
  set -- "$root/build-release/greencrawl"
fi

site=$work/site-$port
[ -f "$site/urls.txt" ] || /usr/bin/python3 "$shared/site.py" --pages 5000 --size 10240 --port "$port" --out "$site" >/dev/null
head -1000 "$site/urls.txt" > "$work/u1000.txt"
head -5000 "$site/urls.txt" > "$work/u5000.txt"
trap '"$shared/serve.sh" stop "$port" >/dev/null 2>&1 || true' EXIT
"$shared/serve.sh" start "$port" "$site" >/dev/null

crawl() {  # crawl BINARY LIST [wrapper...]
  local bin=$1 list=$2
  shift 2
  rm -f "$work/c.db" "$work/c.db-wal" "$work/c.db-shm" "$work/c.db.lock"
  timeout -k 5 300 "$@" "$bin" crawl --db "$work/c.db" --quiet --concurrency 100 "$list" >/dev/null 2>&1
  local ok
  ok=$(sqlite3 "$work/c.db" "SELECT count(*) FROM results WHERE status = 200")
  [ "$ok" = "$(wc -l < "$list")" ] || echo "WARNING: $bin fetched $ok of $(wc -l < "$list")" >&2
}

allocs() {  # allocs BINARY LIST -> calls to allocation functions
  rm -f "$work"/ht.*
  crawl "$1" "$2" heaptrack -o "$work/ht"
  heaptrack_print "$work"/ht.* 2>/dev/null | awk '/^calls to allocation functions:/ {print $5}'
}

echo "| binary | epoll_ctl / transfer | allocations / transfer | CPU s / 1,000 transfers |"
echo "|---|---|---|---|"
for bin in "$@"; do
  crawl "$bin" "$work/u5000.txt" strace -f -c -o "$work/strace.txt"
  epoll=$(awk '$NF == "epoll_ctl" {print $4}' "$work/strace.txt")
  a1=$(allocs "$bin" "$work/u1000.txt")
  a5=$(allocs "$bin" "$work/u5000.txt")
  crawl "$bin" "$work/u5000.txt" /usr/bin/time -f "%U %S" -o "$work/time.txt"
  cpu=$(awk '{printf "%.3f", ($1 + $2) / 5}' "$work/time.txt")
  echo "| $bin | $(echo "$epoll" | awk '{printf "%.2f", $1 / 5000}') | $(echo "$a1 $a5" | awk '{printf "%.0f", ($2 - $1) / 4000}') | $cpu |"
done
