#!/usr/bin/env bash
# The history of broken links (storage/history.h) on a database of RUNS runs of one list of URLS URLs:
# how long `report` and `diff` take, and the history alone (history_bench).
# Usage: bench/history.sh [URLS [RUNS [PATTERN]]]   (default 100000 30 mixed; PATTERN all: every URL
# broken in every run, the worst case: a site down for RUNS nights)
set -euo pipefail
cd "$(dirname "$0")/.."
urls=${1:-100000}
runs=${2:-30}
pattern=${3:-mixed}
cmake --build build -j2 --target greencrawl history_bench >/dev/null
dir=$(mktemp -d /tmp/gc-history-XXXXXX)
trap 'rm -rf "$dir"' EXIT
db="$dir/h.db"
# The schema as greencrawl makes it: a one-URL crawl of a closed port, whose run is then deleted.
echo "http://127.0.0.1:1/" >"$dir/list.txt"
build/greencrawl crawl --quiet --retries 0 --db "$db" "$dir/list.txt" || true
python3 - "$db" "$urls" "$runs" "$pattern" <<'PY'
import sqlite3, sys
db, urls, runs, pattern = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
c = sqlite3.connect(db)
c.execute("DELETE FROM result_rows"); c.execute("DELETE FROM runs")
c.executemany("INSERT OR IGNORE INTO urls (url) VALUES (?)", (("https://example.com/page/%07d" % i,) for i in range(urls)))
def broken(i, r):
    if pattern == "all": return True
    k = i % 100
    return k == 0 or (k == 1 and (r + i) % 3 == 0) or (2 <= k <= 4 and r > runs - 5)
for r in range(1, runs + 1):
    c.execute("INSERT INTO runs (id, started_at, finished_at, status, list_file, version) "
              "VALUES (?, '2026-01-01T00:00:00.000Z', '2026-01-01T01:00:00.000Z', 'completed', '/srv/list.txt', 'bench')", (r,))
    # result_rows (schema 11): the URL by its id in urls
    c.executemany("INSERT INTO result_rows (run_id, url_id, status, depth, list_line) "
                  "VALUES (?, (SELECT id FROM urls WHERE url = ?), ?, 0, ?)",
                  ((r, "https://example.com/page/%07d" % i, 404 if broken(i, r) else 200, i + 1) for i in range(urls)))
    c.commit()
c.execute("ANALYZE")
c.commit()
PY
echo "database: $urls URLs x $runs runs ($pattern), $(du -m "$db" | cut -f1) MB"
build/history_bench "$db" "$runs"
for cmd in "report --json" "diff --json"; do
  start=$(date +%s.%N)
  build/greencrawl $cmd --db "$db" >/dev/null
  end=$(date +%s.%N)
  echo "greencrawl $cmd: $(echo "($end - $start) * 1000 / 1" | bc) ms"
done
