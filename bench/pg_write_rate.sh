#!/usr/bin/env bash
# The write rate of one PostgreSQL server (docs/scale.md): WRITERS processes of `claim_bench write` join one
# run whose URLS pending URLs on HOSTS hosts were made with SQL, then claim (1,000 URLs a claim) and record
# them as fetched in batches of BATCH results, each batch a crawl worker's ResultStore::Write (one
# transaction: the host fence, the results with their done marks in one statement). No fetching: what is
# left is the database's side of a crawl, claims included. Per case: results/s over the wall from the
# writers' start to the last one's exit, and the server's own CPU (the postmaster with its reaped and live
# children, from /proc), per result; round trips per result (pg_stat_statements, top-level); WAL bytes per
# result; and the statements that took most of the server's time.
# The writers and the server share this machine's cores: the server CPU per result is the figure that
# carries to a machine of its own; results/s is what this one gave.
# Usage: bench/pg_write_rate.sh   (URLS=40000 HOSTS=1000 BATCHES="250 20" WRITERS="1 2 4" FSYNC=off|on)
# Bounded: a timeout per writer; a unix socket only.
set -euo pipefail
cd "$(dirname "$0")/.."
urls=${URLS:-40000}
hosts=${HOSTS:-1000}
batches=${BATCHES:-250 20}
writers_list=${WRITERS:-1 2 4}
fsync=${FSYNC:-off}
bench=${CLAIM_BENCH:-build/claim_bench}  # another build's, to compare
[ -n "${CLAIM_BENCH:-}" ] || cmake --build build -j2 --target claim_bench >/dev/null
dir=$(mktemp -d /tmp/gc-pgwrite-XXXXXX)
chmod 755 "$dir"
trap 'tests/pg_server.sh stop "$dir/pg"; rm -rf "$dir"' EXIT
opts="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all"
# Durable commits: each COMMIT waits for its WAL flush (tests/pg_server.sh turns these off).
[ "$fsync" = on ] && opts+=" -c fsync=on -c synchronous_commit=on -c full_page_writes=on"
admin=$(PG_SERVER_OPTS="$opts" tests/pg_server.sh start "$dir/pg")
psql=/usr/lib/postgresql/15/bin/psql
"$psql" -qAt "$admin" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
pm=$(head -1 "$dir/pg/data/postmaster.pid")
tick=$(getconf CLK_TCK)

server_ticks() {  # CPU of the server: the postmaster, its reaped children (cutime, cstime), its live ones
  local t
  t=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat")
  for c in $(pgrep -P "$pm"); do
    t=$((t + $(awk '{print $14 + $15}' "/proc/$c/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}

rows=""
n=0
for batch in $batches; do
  for writers in $writers_list; do
    db="w_$((++n))"
    "$psql" -qAt "$admin" -c "CREATE DATABASE $db" >/dev/null
    uri=${admin/\/postgres\?/\/$db?}
    run=$("$bench" "$uri" setup)
    "$psql" -q -v ON_ERROR_STOP=1 "$uri" <<SQL
INSERT INTO hosts (run_id, host) SELECT $run, 'http://h' || i || '.test' FROM generate_series(0, $hosts - 1) i;
INSERT INTO frontier (run_id, url, seq, depth, list_line, source_kind, host)
  SELECT $run, 'http://h' || (g % $hosts) || '.test/d' || (g % 97) || '/page' || g || '.html', g, 0, g, 'list',
         'http://h' || (g % $hosts) || '.test'
  FROM generate_series(1, $urls) g;
UPDATE runs SET urls_total = $urls, lines_invalid = 0, lines_duplicate = 0 WHERE id = $run;
VACUUM ANALYZE;
SQL
    "$psql" -qAt "$admin" -c "SELECT pg_stat_statements_reset()" >/dev/null
    lsn0=$("$psql" -qAt "$admin" -c "SELECT pg_current_wal_lsn()")
    go="$dir/go-$n"
    pids=()
    outs=()
    for ((w = 0; w < writers; w++)); do
      outs+=("$dir/out-$n-$w")
      timeout -k 5 600 "$bench" "$uri" write "$run" "$batch" "$go" >"$dir/out-$n-$w" & pids+=($!)
    done
    for _ in $(seq 600); do  # bounded: every writer has joined
      [ "$("$psql" -qAt "$uri" -c "SELECT count(*) FROM workers")" = "$writers" ] && break
      sleep 0.1
    done
    load0=$(cut -d' ' -f1 /proc/loadavg)
    ticks0=$(server_ticks)
    t0=$(date +%s.%N)
    touch "$go"
    for p in "${pids[@]}"; do wait "$p"; done
    t1=$(date +%s.%N)
    for _ in $(seq 100); do  # bounded: the writers' backends have exited (their CPU is the postmaster's now)
      [ "$("$psql" -qAt "$admin" -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$db'")" = 0 ] && break
      sleep 0.1
    done
    ticks1=$(server_ticks)
    load1=$(cut -d' ' -f1 /proc/loadavg)
    done_n=$("$psql" -qAt "$uri" -c "SELECT count(*) FROM results")
    distinct=$("$psql" -qAt "$uri" -c "SELECT count(DISTINCT url) FROM results")
    calls=$("$psql" -qAt "$admin" -c "SELECT coalesce(sum(s.calls) FILTER (WHERE s.toplevel), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '$db'")
    # Round trips a claim: its statements (pg_stat_statements, by their text: the claim's reads, its take of
    # hosts, its choice of URLs, its release of drained hosts) and its BEGIN and COMMIT.
    claims=$(cat "${outs[@]}" | awk '{c += $3} END {print c}')
    claim_calls=$("$psql" -qAt "$admin" -c "SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s JOIN pg_database d
        ON d.oid = s.dbid WHERE d.datname = '$db' AND s.toplevel AND s.query ~ ('^(WITH c AS MATERIALIZED|UPDATE hosts SET '
        || 'worker = (\\\$4|NULL WHERE run_id)|SELECT s\\.live|SELECT \\(SELECT count\\(\\*\\) FROM (workers|hosts h JOIN)|SELECT CASE WHEN EXISTS)')")
    wal=$("$psql" -qAt "$admin" -c "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '$lsn0')")
    # Where the server's time went: the statements that took most of it (execution only), per result.
    "$psql" -qAt -F ' ' "$admin" -c "SELECT round((s.total_exec_time * 1000 / $done_n)::numeric, 1) || ' µs/result, ' ||
        s.calls || ' calls: ' || left(regexp_replace(s.query, '\s+', ' ', 'g'), 90) FROM pg_stat_statements s
        JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '$db' AND s.toplevel ORDER BY s.total_exec_time DESC LIMIT 5" |
      sed "s/^/  case $n ($writers writers, batch $batch): /" >>"$dir/breakdown"
    row=$(echo "$writers $batch $done_n $distinct $t0 $t1 $ticks0 $ticks1 $tick $calls $load0 $load1 $wal $claims $claim_calls" |
      awk '{w = $6 - $5; cpu = ($8 - $7) / $9;
            printf "| %d | %d | %d (%d URLs) | %.2f | %.0f | %.2f | %.0f | %.0f | %.3f | %d | %.2f | %.0f | %s-%s |",
                   $1, $2, $3, $4, w, $3 / w, cpu, cpu * 1e6 / $3, $3 / cpu, $10 / $3, $14, 2 + $15 / $14, $13 / $3, $11, $12}')
    echo "$row" >&2
    rows+="$row"$'\n'
    "$psql" -qAt "$admin" -c "DROP DATABASE $db" >/dev/null
  done
done
echo
echo "| writers | results a batch | results | wall s | results/s | server CPU s | server CPU µs/result | results per server CPU s | round trips/result | claims | round trips/claim | WAL bytes/result | load average (start-end) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
printf "%s" "$rows"
echo "($urls URLs on $hosts hosts; fsync $fsync; $(nproc) cores)"
echo "The server's execution time by statement (pg_stat_statements, top 5 a case):"
cat "$dir/breakdown"
