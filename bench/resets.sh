#!/usr/bin/env bash
# Issue 12.3: 3,000 URLs on one host answered after 100 ms, --concurrency 50, with and without 2 % of
# first requests reset by the server. Prints both walls and their ratio (target: <= 1.3) and checks one
# row per URL. Loopback only; bounded by timeout. Usage: bench/resets.sh [URLS] [RESET_PERCENT]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
n=${1:-3000}
percent=${2:-2}
gc=${GREENCRAWL:-$root/build-release/greencrawl}
work=$(mktemp -d)
/usr/bin/python3 "$here/reset_server.py" 18094 100 0 >/dev/null 2>&1 &
clean_server=$!
/usr/bin/python3 "$here/reset_server.py" 18095 100 "$percent" >/dev/null 2>&1 &
reset_server=$!
trap 'kill $clean_server $reset_server 2>/dev/null; rm -rf "$work"' EXIT
sleep 1
run() {  # run PORT -> wall seconds
  local port=$1
  seq "$n" | sed "s|.*|http://127.0.0.1:$port/p&|" > "$work/list-$port.txt"
  local t0 t1
  t0=$(date +%s.%N)
  timeout 600 "$gc" crawl --db "$work/r-$port.db" --quiet --concurrency 50 "$work/list-$port.txt"
  t1=$(date +%s.%N)
  echo "$t0 $t1" | awk '{printf "%.2f", $2 - $1}'
}
clean=$(run 18094)
reset=$(run 18095)
rows=$(sqlite3 "$work/r-18095.db" "SELECT count(*) || ' rows, ' || count(DISTINCT url) || ' URLs, ' || sum(attempts > 1) || ' retried, ' || sum(status = 200) || ' ok' FROM results")
echo "no resets: ${clean} s; ${percent} % reset: ${reset} s ($rows); ratio $(echo "$reset $clean" | awk '{printf "%.2f", $1 / $2}')"
