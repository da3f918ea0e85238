#!/usr/bin/env bash
# Issue 15.3's memory check: a recursive crawl of an endless generated site (bench/endless_site.py) for
# MINUTES minutes (default 10), no --max-pages: prints pages recorded, peak RSS and the database size.
# Loopback only; bounded by `timeout`. Usage: bench/trap.sh [MINUTES]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
minutes=${1:-10}
port=${BENCH_PORT:-18093}
work=$(mktemp -d)
gc=${GREENCRAWL:-$root/build-release/greencrawl}
/usr/bin/python3 "$here/endless_site.py" "$port" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
sleep 1
echo "http://127.0.0.1:$port/" > "$work/seed.txt"
/usr/bin/time -f "%M" -o "$work/rss" timeout -s INT "$((minutes * 60))" \
  "$gc" crawl --db "$work/trap.db" --quiet --depth 1000 --ignore-robots --concurrency 32 "$work/seed.txt" || true
pages=$(sqlite3 "$work/trap.db" "SELECT count(*) FROM results")
frontier=$(sqlite3 "$work/trap.db" "SELECT count(*) FROM frontier")
echo "trap crawl, $minutes min: $pages pages recorded, $frontier frontier rows, peak RSS $(( $(tail -n 1 "$work/rss") / 1024 )) MB," \
     "database $(du -m "$work/trap.db" | cut -f1) MB"
