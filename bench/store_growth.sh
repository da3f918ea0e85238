#!/usr/bin/env bash
# How the database grows over nightly runs (issue 29): RUNS recursive crawls of the generated PAGES-page
# site (../shared/bench/site.py, served by nginx; each page answers If-None-Match with 304, so every run
# after the first is a conditional one whose 304 pages carry their links), one after the other into one
# SQLite file. Prints the file's size after each run, then the bytes each table and index takes (dbstat)
# and the bytes per link and per result row.
# Usage: bench/store_growth.sh [RUNS] [PAGES]    (default 30 4000). Loopback only, bounded.
#   GREENCRAWL=path (default build-release/greencrawl): run it with an earlier build for the "before".
#   LIST=1: crawl the site's list of every page (urls.txt) instead, without following links: the
#   nightly list job (no links stored). SIZE=bytes a page (default 10240). FRAGMENTS=1: crawl with
#   --check-fragments (each page's anchors and its links to fragments are stored too).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
shared=$(cd "${SHARED_BENCH:-$root/../shared/bench}" && pwd)
runs=${1:-30}
pages=${2:-4000}
port=${BENCH_PORT:-18093}
work=${BENCH_WORK:-${TMPDIR:-/tmp}/greencrawl-store-growth}
gc=${GREENCRAWL:-$root/build-release/greencrawl}
mkdir -p "$work"
site="$work/site-$pages-${SIZE:-10240}-$port"
[ -f "$site/urls.txt" ] || /usr/bin/python3 "$shared/site.py" --pages "$pages" --size "${SIZE:-10240}" --port "$port" --out "$site" >/dev/null
trap '"$shared/serve.sh" stop "$port" >/dev/null 2>&1 || true' EXIT
"$shared/serve.sh" start "$port" "$site" >/dev/null
db="$work/gc.db"
rm -f "$db" "$db-wal" "$db-shm"
echo "http://127.0.0.1:$port/index.html" > "$work/seed.txt"
args=(--depth 100 --concurrency 50 --ignore-robots "$work/seed.txt")
if [ -n "${LIST:-}" ]; then args=(--concurrency 100 "$site/urls.txt"); fi
if [ -n "${FRAGMENTS:-}" ]; then args=(--check-fragments "${args[@]}"); fi
echo "greencrawl: $gc ($("$gc" --version 2>&1 | head -1))"
echo "| run | results | 304 | links | file MB |"
echo "|---|---|---|---|---|"
for i in $(seq "$runs"); do
  timeout -k 5 600 "$gc" crawl --db "$db" --quiet "${args[@]}" >/dev/null 2>&1 || true
  sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
  read -r results not_modified links < <(sqlite3 -separator ' ' "$db" \
    "SELECT (SELECT count(*) FROM results WHERE run_id = $i), (SELECT count(*) FROM results WHERE run_id = $i AND status = 304), (SELECT count(*) FROM links WHERE run_id = $i)")
  awk -v i="$i" -v r="$results" -v n="$not_modified" -v l="$links" -v b="$(stat -c %s "$db")" \
    'BEGIN {printf "| %d | %d | %d | %d | %.1f |\n", i, r, n, l, b / 1e6}'
done
echo
echo "dbstat (bytes, all runs):"
sqlite3 "$db" "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"
# Results: result_rows and its indexes (schema 11), or the results table's (before). URL texts apart.
# Links: their tables and indexes, whichever schema wrote the file (schema 10: the link sets and which
# page had which in each run); URL texts (schema 10's urls) apart. Per link as the links view counts them:
# every run's links, a 304 page's carried ones too.
sqlite3 "$db" "SELECT CASE WHEN (SELECT count(*) FROM links) = 0 THEN 'no links' ELSE 'bytes per link: ' || round(1.0 * (SELECT sum(pgsize) FROM dbstat WHERE name IN ('links', 'links_by_target', 'page_link_sets', 'page_link_sets_by_set', 'link_sets', 'sqlite_autoindex_link_sets_1', 'link_set_members', 'link_set_members_by_target')) / (SELECT count(*) FROM links), 1) END;
SELECT 'bytes per result row (table and its indexes): ' || round(1.0 * (SELECT sum(pgsize) FROM dbstat WHERE name IN ('results', 'sqlite_autoindex_results_1', 'results_by_run_status', 'results_by_run_error', 'results_by_url', 'result_rows', 'result_rows_by_url', 'result_rows_by_run_status', 'result_rows_by_run_error')) / (SELECT count(*) FROM results), 1);
SELECT 'URL texts (urls and its index), counted once: ' || coalesce((SELECT sum(pgsize) FROM dbstat WHERE name IN ('urls', 'sqlite_autoindex_urls_1')), 0) || ' bytes for ' || (SELECT count(*) FROM (SELECT url FROM results UNION SELECT final_url FROM results UNION SELECT source FROM results UNION SELECT from_url FROM links UNION SELECT to_url FROM links)) || ' URLs named';"
# --check-fragments' rows (FRAGMENTS=1): the anchors and links to fragments of every run, as the views
# count them; their tables and indexes, whichever schema wrote the file (schema 12: sets).
sqlite3 "$db" "SELECT CASE WHEN (SELECT count(*) FROM anchor_pages) = 0 THEN 'no anchors' ELSE 'anchors and fragment links: ' || (SELECT count(*) FROM anchors) || ' anchors and ' || (SELECT count(*) FROM fragment_links) || ' fragment links in all runs, ' || (SELECT sum(pgsize) FROM dbstat WHERE name IN ('anchor_pages', 'sqlite_autoindex_anchor_pages_1', 'anchors', 'sqlite_autoindex_anchors_1', 'fragment_links', 'sqlite_autoindex_fragment_links_1', 'fragment_links_by_source', 'anchor_sets', 'sqlite_autoindex_anchor_sets_1', 'anchor_set_members', 'page_anchor_sets', 'fragment_sets', 'sqlite_autoindex_fragment_sets_1', 'fragment_set_members', 'fragment_set_members_by_target', 'page_fragment_sets', 'page_fragment_sets_by_set')) || ' bytes' END;"
