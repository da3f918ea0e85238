#!/usr/bin/env bash
# A scale-out worker's claim (ResultStore::ClaimWork) on a run of URLS pending URLs spread over HOSTS
# hosts, the rows made with SQL (generate_series), not crawled: its time with one worker (the first claim
# also takes the hosts), and the three statements of the claim before issue 28.3 that read every pending
# row (or every one of the worker's), timed on the same data by psql.
# Usage: bench/claim_cost.sh [URLS [HOSTS]]   (default 10000000 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
urls=${1:-10000000}
hosts=${2:-100000}
cmake --build build -j2 --target claim_bench >/dev/null
dir=$(mktemp -d /tmp/gc-claim-XXXXXX)
chmod 755 "$dir"
trap 'tests/pg_server.sh stop "$dir/pg"; rm -rf "$dir"' EXIT
uri=$(tests/pg_server.sh start "$dir/pg")
psql=/usr/lib/postgresql/15/bin/psql
run=$(build/claim_bench "$uri" setup)
start=$(date +%s)
"$psql" -q -v ON_ERROR_STOP=1 "$uri" <<SQL
INSERT INTO hosts (run_id, host) SELECT $run, 'http://h' || i || '.test' FROM generate_series(0, $hosts - 1) i;
INSERT INTO frontier (run_id, url, seq, depth, list_line, source_kind, host)
  SELECT $run, 'http://h' || (g % $hosts) || '.test/p' || g, g, 0, g, 'list', 'http://h' || (g % $hosts) || '.test'
  FROM generate_series(1, $urls) g;
UPDATE runs SET urls_total = $urls, lines_invalid = 0, lines_duplicate = 0 WHERE id = $run;
VACUUM ANALYZE;
SQL
echo "made $urls pending URLs on $hosts hosts in $(( $(date +%s) - start )) s"
echo "-- before issue 28.3, per claim (psql, same data):"
"$psql" -q "$uri" <<SQL | grep -E '^Time'
\\timing on
SELECT count(DISTINCT host) FROM frontier WHERE run_id = $run AND done = 0;
SELECT count(*) FILTER (WHERE done = 0), count(*) FROM frontier WHERE run_id = $run;
SQL
echo "-- the claim now (claim_bench, one worker, 1,000 URLs a claim):"
# Claims of 1,000 URLs, each recorded as fetched before the next (as a crawl would), while any are left.
claims=$(( urls / 1000 - 1 ))
(( claims > 30 )) && claims=30
build/claim_bench "$uri" claim "$run" "$claims"
echo "-- before issue 28.3, the choice of URLs for the worker holding every host (psql, same data):"
"$psql" -q "$uri" <<SQL | grep -E '^Time'
\\timing on
SELECT ctid FROM frontier WHERE run_id = $run AND done = 0 AND lease IS DISTINCT FROM 1
  AND host IN (SELECT host FROM hosts WHERE run_id = $run AND worker = 1) ORDER BY seq LIMIT 1000;
SQL
