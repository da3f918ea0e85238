#!/usr/bin/env bash
# Sitemaps in bounded memory (issue 18.1): a local site whose robots.txt names a sitemap index of
# CHILDREN gzip sitemaps x PER_CHILD URLs (default 10 x 5,000 = 50,000), read with `crawl --sitemaps`.
# MODE read (default): the URLs are out of scope, so only the sitemaps are read and recorded;
# MODE crawl: every URL is fetched too; MODE list: the same URLs crawled from a list file, no sitemaps
# (the baseline for crawl). Prints URLs recorded, results, peak RSS (/usr/bin/time -v) and
# wall time. Loopback only (python3 http.server on 127.0.0.1); bounded by `timeout`.
# Usage: bench/sitemap.sh [CHILDREN] [PER_CHILD] [MODE]
#   RUNS=n: crawl n times into the one database (nightly runs), and print the bytes the sitemaps' URLs
#   take after each (their table or view's rows and indexes, and the URL texts, which runs share).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
children=${1:-10}
per_child=${2:-5000}
mode=${3:-read}
port=${BENCH_PORT:-18094}
gc=${GREENCRAWL:-$root/build/greencrawl}
work=$(mktemp -d)
server_mode=$mode
[[ $mode == list ]] && server_mode=crawl
/usr/bin/python3 "$here/sitemap_site.py" "$port" "$children" "$per_child" "$server_mode" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/robots.txt" >/dev/null 2>&1 && break; sleep 0.2; done
echo "http://127.0.0.1:$port/" > "$work/seed.txt"
sitemaps=--sitemaps
if [[ $mode == list ]]; then
  sitemaps=--quiet
  for ((c = 0; c < children; c++)); do seq 0 $((per_child - 1)) | sed "s|^|http://127.0.0.1:$port/p/$c/|; s|$|.html|"; done \
    >> "$work/seed.txt"
fi
for ((run = 1; run <= ${RUNS:-1}; run++)); do
start=$(date +%s.%N)
/usr/bin/time -v -o "$work/time" timeout -s INT 900 \
  "$gc" crawl --db "$work/s.db" --quiet "$sitemaps" --concurrency 32 "$work/seed.txt" || true
end=$(date +%s.%N)
if [[ -n ${RUNS:-} ]]; then
  sqlite3 "$work/s.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
  sqlite3 "$work/s.db" "SELECT 'run $run: sitemap rows ' || (SELECT count(*) FROM sitemap_urls) || ', their bytes ' ||
    (SELECT sum(pgsize) FROM dbstat WHERE name IN ('sitemap_urls', 'sqlite_autoindex_sitemap_urls_1', 'sitemap_url_rows')) ||
    ', URL texts ' || (SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name IN ('urls', 'sqlite_autoindex_urls_1')) ||
    ', file ' || (SELECT page_count * page_size FROM pragma_page_count, pragma_page_size)"
fi
done
rss_kb=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$work/time")
listed=$(sqlite3 "$work/s.db" "SELECT count(*) FROM sitemap_urls")
results=$(sqlite3 "$work/s.db" "SELECT count(*) FROM results")
files=$(sqlite3 "$work/s.db" "SELECT count(*) || ' files, ' || coalesce(sum(truncated), 0) || ' truncated' FROM sitemaps")
gz=$(curl -s "http://127.0.0.1:$port/sitemaps/s0.xml.gz" | wc -c)
printf 'sitemaps %s x %s (%s mode; child 0: %s bytes gzip): %s URLs listed, %s results, %s; peak RSS %d MB; %.1f s\n' \
  "$children" "$per_child" "$mode" "$gz" "$listed" "$results" "$files" $((rss_kb / 1024)) "$(echo "$end - $start" | bc)"
