#!/usr/bin/env bash
# Issue 7's acceptance check: `greencrawl crawl --depth 100` on a real documentation site served locally
# (valgrind's HTML manual by default, any static HTML tree with DOCROOT=...) must find exactly the pages a
# browser-conformant link walk from the seed reaches (bench/docsite_check.py), each with the right status
# and byte size (sizes of 200s; an error page's size is the server's), and nothing outside the scope. Uses nginx through ../shared/bench/serve.sh; loopback only.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
shared=$(cd "$root/../shared/bench" && pwd)
docroot=${DOCROOT:-/usr/share/doc/valgrind/html}
seed=${SEED:-/index.html}
port=${BENCH_PORT:-18091}
[ -d "$docroot" ] || apt-get install -y -q valgrind >/dev/null
work=$(mktemp -d)
trap '"$shared/serve.sh" stop "$port" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
gc=${GREENCRAWL:-$root/build/greencrawl}
[ -x "$gc" ] || { cmake -S "$root" -B "$root/build" -G Ninja >/dev/null && cmake --build "$root/build" --target greencrawl >/dev/null; }
"$shared/serve.sh" start "$port" "$docroot" >/dev/null
origin="http://127.0.0.1:$port"
echo "$origin$seed" > "$work/seed.txt"
"$gc" crawl --db "$work/r.db" --quiet --depth 100 --concurrency 8 "$work/seed.txt"
sqlite3 -separator $'\t' "$work/r.db" "SELECT url, status, CASE WHEN status = 200 THEN size ELSE '' END FROM results ORDER BY url" > "$work/greencrawl.tsv"
/usr/bin/python3 "$here/docsite_check.py" "$docroot" "$origin" "$seed" | sort > "$work/reference.tsv"
echo "reference walk: $(wc -l < "$work/reference.tsv") URLs; greencrawl: $(wc -l < "$work/greencrawl.tsv") URLs"
if diff -u "$work/reference.tsv" "$work/greencrawl.tsv"; then
  echo "docsite check: identical (URL, status, size) sets"
else
  echo "docsite check: DIFFERENT (lines above: - reference only, + greencrawl only)"
  exit 1
fi
