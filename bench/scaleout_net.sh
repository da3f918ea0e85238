#!/usr/bin/env bash
# Many workers on one PostgreSQL run across a (simulated) network: tests/delay_proxy.py between the
# workers and a throwaway PostgreSQL 15 (tests/pg_server.sh, pg_stat_statements on), adding DELAY_MS each
# way (this kernel has no netem). The site: PAGES generated pages on HOSTS ports of 127.0.0.1, each answer
# after 200 ms (../shared/bench/serve.sh --delay-ms 200). Cases, one run each, rate = URLs / seconds from
# the first worker's start to the last one's exit (the list load included):
#   c20 direct, c20 delayed, c100 direct, c100 delayed: one worker; 3 and 6 workers delayed (c20 each);
#   3 workers delayed with --lease 3, one SIGKILLed and one SIGSTOPped for 3 leases: one row per URL.
# A second table says where each case's CPU went: workers, site servers, proxy, PostgreSQL, the machine.
# Usage: bench/scaleout_net.sh   (PAGES=4500 HOSTS=12 DELAY_MS=1 CASES="one-c20 one-c100 three six chaos"
#        GREENCRAWL=path/to/binary SHARED_BENCH=path/to/shared/bench). Bounded: a timeout per run; 127.0.0.1.
#        EXTRA="..." adds crawl options to the first worker (joiners take the run's): HOSTS=1 EXTRA="--per-host
#        60" CASES="one-c20 three six" is one large site shared in lanes (issue 28.4).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
shared=$(cd "${SHARED_BENCH:-$root/../shared/bench}" 2>/dev/null && pwd) || { echo "bench: needs ../shared/bench (or SHARED_BENCH)" >&2; exit 2; }
work=${BENCH_WORK:-${TMPDIR:-/tmp}/greencrawl-scaleout-net}
pages=${PAGES:-4500}
hosts=${HOSTS:-12}
delay_ms=${DELAY_MS:-1}
base=${BENCH_PORT:-18400}
mkdir -p "$work"

gc=${GREENCRAWL:-}
if [ -z "$gc" ]; then
  cmake -S "$root" -B "$root/build-release" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
  cmake --build "$root/build-release" -j 2 --target greencrawl >/dev/null
  gc="$root/build-release/greencrawl"
fi

pgdir=$(mktemp -d /tmp/gc-scaleout-net.XXXXXX)
proxy_pid=""
cleanup() {
  [ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null || true
  for ((h = 0; h < hosts; h++)); do "$shared/serve.sh" stop $((base + h)) >/dev/null 2>&1 || true; done
  "$root/tests/pg_server.sh" stop "$pgdir" || true
  rm -rf "$pgdir"
}
trap cleanup EXIT
admin=$(PG_SERVER_OPTS="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all -c max_connections=100" \
  "$root/tests/pg_server.sh" start "$pgdir")
psql -qAt "$admin" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
/usr/bin/python3 "$root/tests/delay_proxy.py" --listen 0 --to-unix "$pgdir/.s.PGSQL.5432" --delay-ms "$delay_ms" \
  --port-file "$pgdir/proxy.port" & proxy_pid=$!
for _ in $(seq 100); do [ -s "$pgdir/proxy.port" ] && break; sleep 0.1; done
proxy_port=$(cat "$pgdir/proxy.port")

dir="$work/site-$pages"
[ -f "$dir/urls.txt" ] || /usr/bin/python3 "$shared/site.py" --pages "$pages" --size 2048 --port "$base" --out "$dir" >/dev/null
for ((h = 0; h < hosts; h++)); do "$shared/serve.sh" start $((base + h)) "$dir" --delay-ms 200 >/dev/null; done
list="$work/list.txt"
awk -v base="$base" -v hosts="$hosts" '{ sub(":" base "/", ":" base + (NR % hosts) "/"); print }' "$dir/urls.txt" > "$list"

# Where the CPU went in a case (clock ticks): the workers (the shell's reaped children, so the few psql
# calls too), the site's Python servers (each serve.sh pid and its children), the Python proxy, the
# PostgreSQL server (the postmaster with its live and reaped children), and the machine's busy share.
tick=$(getconf CLK_TCK)
pm=$(head -1 "$pgdir/data/postmaster.pid")
ticks_of() {
  local t=0 p
  for p in "$@"; do t=$((t + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat" 2>/dev/null || echo 0))); done
  echo "$t"
}
site_pids() {
  local h p
  for ((h = 0; h < hosts; h++)); do
    p=$(cat "${TMPDIR:-/tmp}/greencrawl-serve-$((base + h))/slow.pid")
    echo "$p" $(pgrep -P "$p")
  done
}
cpu_snapshot() {  # sets the variable named $1 to: workers site proxy postgres busy total (ticks)
  # `times` in this shell, not in a $(...) subshell: a forked shell starts with its children's times at 0.
  times >"$pgdir/times"
  local children
  children=$(awk -v tick="$tick" 'NR == 2 {
    n = split($0, f, " "); t = 0
    for (i = 1; i <= n; i++) { split(f[i], ms, "m"); sub("s", "", ms[2]); t += ms[1] * 60 + ms[2] }
    printf "%d", t * tick }' "$pgdir/times")
  printf -v "$1" '%s' "$children $(ticks_of $(site_pids)) $(ticks_of "$proxy_pid") $(ticks_of "$pm" $(pgrep -P "$pm")) \
$(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8}' /proc/stat)"
}

rows=""
cpu_rows=""
n=0
run() {  # run NAME VIA(direct|proxy) WORKERS CONCURRENCY [chaos]
  local name=$1 via=$2 workers=$3 conc=$4 chaos=${5:-}
  local db="n_$((++n))"
  psql -qAt "$admin" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
  local uri=${admin/\/postgres\?/\/$db?}
  [ "$via" = proxy ] && uri="postgresql://greencrawl@127.0.0.1:$proxy_port/$db?sslmode=disable"
  local direct=${admin/\/postgres\?/\/$db?}
  local extra=()
  [ -n "$chaos" ] && extra=(--lease 3)
  local first=()
  read -r -a first <<<"${EXTRA:-}"
  psql -qAt "$admin" -c "SELECT pg_stat_statements_reset()" >/dev/null
  local t0 t1 pids=() cpu0 cpu1
  cpu_snapshot cpu0
  t0=$(date +%s.%N)
  timeout -k 5 900 "$gc" crawl --db "$uri" --quiet --concurrency "$conc" "${extra[@]}" "${first[@]}" "$list" & pids+=($!)
  for _ in $(seq 900); do  # bounded
    [ "$(psql -qAt "$direct" -c "SELECT count(*) FROM runs" 2>/dev/null || echo 0)" = 1 ] && break
    sleep 0.1
  done
  for ((w = 1; w < workers; w++)); do
    timeout -k 5 900 "$gc" join --db "$uri" --quiet --concurrency "$conc" "${extra[@]}" & pids+=($!)
  done
  if [ -n "$chaos" ]; then
    for _ in $(seq 900); do  # bounded: until a third is done
      [ "$(psql -qAt "$direct" -c "SELECT count(*) FROM results")" -ge $((pages / 3)) ] && break
      sleep 0.1
    done
    # The workers themselves, not their `timeout` parents (found by parent pid).
    local killed paused
    killed=$(pgrep -P "${pids[1]}" | head -1)
    paused=$(pgrep -P "${pids[2]}" | head -1)
    kill -KILL "$killed"
    kill -STOP "$paused"
    sleep 9  # three leases
    kill -CONT "$paused"
  fi
  for p in "${pids[@]}"; do wait "$p" || true; done
  t1=$(date +%s.%N)
  sleep 0.5  # the workers' backends exit and are reaped by the postmaster
  cpu_snapshot cpu1
  local ok rows_n urls status calls xacts
  ok=$(psql -qAt "$direct" -c "SELECT count(*) FROM results WHERE status = 200")
  rows_n=$(psql -qAt "$direct" -c "SELECT count(*) FROM results")
  urls=$(psql -qAt "$direct" -c "SELECT count(DISTINCT url) FROM results")
  status=$(psql -qAt "$direct" -c "SELECT status FROM runs")
  if [ -n "$chaos" ] && [ "$status" != completed ]; then  # the killed worker's run: a last worker finishes it
    timeout -k 5 300 "$gc" join --db "$uri" --quiet --concurrency "$conc" || true
    rows_n=$(psql -qAt "$direct" -c "SELECT count(*) FROM results")
    urls=$(psql -qAt "$direct" -c "SELECT count(DISTINCT url) FROM results")
    status=$(psql -qAt "$direct" -c "SELECT status FROM runs")
  fi
  # Top-level statements are the round trips (each is one; BEGIN and COMMIT included); the nested ones
  # (foreign-key checks, one per row inserted) cost the server, not the network.
  calls=$(psql -qAt "$admin" -c "SELECT coalesce(sum(s.calls) FILTER (WHERE s.toplevel), 0) || ' ' || coalesce(sum(s.calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '$db'")
  xacts=$(psql -qAt "$admin" -c "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '$db'")
  # The statements that took the server's time (execution, per URL), and how often each ran.
  psql -qAt "$admin" -c "SELECT round((s.total_exec_time * 1000 / $pages)::numeric, 1) || ' µs/URL, ' || s.calls ||
      ' calls: ' || left(regexp_replace(s.query, '\s+', ' ', 'g'), 80) FROM pg_stat_statements s JOIN pg_database d
      ON d.oid = s.dbid WHERE d.datname = '$db' AND s.toplevel ORDER BY s.total_exec_time DESC LIMIT 6" |
    sed "s/^/  $name $via: /" >>"$pgdir/breakdown"
  local row
  row=$(echo "$name $via $workers $conc $ok $rows_n $urls $pages $status $t0 $t1 $calls $xacts" |
    awk '{w = $11 - $10; printf "| %s | %s | %d | %d | %d/%d rows, %d URLs, of %d, %s | %.2f | %.1f | %.3f | %.2f | %.3f |",
          $1, $2, $3, $4, $5, $6, $7, $8, $9, w, $8 / w, $12 / $8, $13 / $8, $14 / $8}')
  echo "$row" >&2
  rows+="$row"$'\n'
  row=$(echo "$name $via $workers $cpu0 $cpu1 $t0 $t1 $tick" | awk '{
    w = $17 - $16; k = $18
    printf "| %s | %s | %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.0f %% |", $1, $2, $3, ($10 - $4) / k,
           ($11 - $5) / k, ($12 - $6) / k, ($13 - $7) / k, w, 100 * ($14 - $8) / ($15 - $9) }')
  cpu_rows+="$row"$'\n'
}

cases=${CASES:-one-c20 one-c100 three six chaos}  # a subset: e.g. CASES=one-c20 with an older GREENCRAWL
for c in $cases; do
  case $c in
  one-c20) run one-c20 direct 1 20; run one-c20 proxy 1 20 ;;
  one-c100) run one-c100 direct 1 100; run one-c100 proxy 1 100 ;;
  three) run three proxy 3 20 ;;
  six) run six proxy 6 20 ;;
  chaos) run chaos proxy 3 20 chaos ;;
  *) echo "unknown case $c" >&2; exit 2 ;;
  esac
done

echo
echo "| case | database via | workers | concurrency each | results | wall s (incl. list load) | URLs/s | round trips/URL | statements/URL (incl. nested) | transactions/URL |"
echo "|---|---|---|---|---|---|---|---|---|---|"
printf "%s" "$rows"
echo "(delay ${delay_ms} ms each way through the proxy; $hosts hosts answering after 200 ms; first worker's extra options: ${EXTRA:-none}; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo
echo "| case | database via | workers | CPU s: workers (+psql) | site servers (Python) | proxy (Python) | PostgreSQL | wall s | machine busy (all processes) |"
echo "|---|---|---|---|---|---|---|---|---|"
printf "%s" "$cpu_rows"
echo
echo "The server's execution time by statement (pg_stat_statements, top 6 a case):"
cat "$pgdir/breakdown"
