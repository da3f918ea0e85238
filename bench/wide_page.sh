#!/usr/bin/env bash
# Issue 27 item 5: one page with 10,000 distinct links to other sites on 5,000 hosts (5,000 ports of one
# local nginx: each port is an origin of its own), after links to 400 pages of the site itself (the
# page's 10,000-link cap keeps 9,600 of the external ones). Does the site's
# crawl stall behind the checks? Prints, for --external off and on, when the last in-scope page was
# recorded (seconds after the first result), the whole run's wall time, CPU and peak RSS.
# Usage: bench/wide_page.sh   (GREENCRAWL=path, default build/greencrawl). Loopback only; bounded.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
shared=${SHARED_BENCH:-$(cd "$root/../shared/bench" 2>/dev/null && pwd || (cd "$root/../../shared/bench" && pwd))}
gc=${GREENCRAWL:-$root/build/greencrawl}
port=${BENCH_PORT:-18292}
first_ext=${BENCH_EXT_PORT:-20000}
hosts=5000
work=${BENCH_WORK:-${TMPDIR:-/tmp}/greencrawl-wide}
rm -rf "$work" && mkdir -p "$work/site" "$work/ext/e" "$work/nginx/tmp"
/usr/bin/python3 - "$work" "$port" "$first_ext" "$hosts" <<'EOF'
import sys
work, port, first, hosts = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
links = "".join(f'<a href="http://127.0.0.1:{first + n % hosts}/e/{n}.html">x</a>' for n in range(2 * hosts))
pages = "".join(f'<a href="/p{i}.html">p</a>' for i in range(400))
# The site's links first: a page keeps at most 10,000 links (README, bounds), so 9,600 external ones count.
open(f"{work}/site/index.html", "w").write(f"<title>wide</title>{pages}{links}")
for i in range(400):
    open(f"{work}/site/p{i}.html", "w").write(f"<title>p{i}</title>" + " " * 10000)
for n in range(2 * hosts):
    open(f"{work}/ext/e/{n}.html", "w").write("<title>e</title>")
listens = "".join(f"listen 127.0.0.1:{first + k};\n" for k in range(hosts))
user = "user root;" if __import__("os").getuid() == 0 else ""
open(f"{work}/nginx/nginx.conf", "w").write(f"""{user}
daemon on; worker_processes 1; worker_rlimit_nofile 40000; pid {work}/nginx/nginx.pid;
error_log {work}/nginx/error.log warn;
events {{ worker_connections 30000; }}
http {{ access_log off; default_type text/html; keepalive_timeout 60s;
  client_body_temp_path {work}/nginx/tmp; proxy_temp_path {work}/nginx/tmp; fastcgi_temp_path {work}/nginx/tmp;
  uwsgi_temp_path {work}/nginx/tmp; scgi_temp_path {work}/nginx/tmp;
  server {{ {listens} root {work}/ext; }} }}
""")
EOF
cleanup() {
  "$shared/serve.sh" stop "$port" >/dev/null 2>&1 || true
  [ -f "$work/nginx/nginx.pid" ] && kill -QUIT "$(cat "$work/nginx/nginx.pid")" 2>/dev/null || true
}
trap cleanup EXIT
"$shared/serve.sh" start "$port" "$work/site" >/dev/null
nginx -e "$work/nginx/error.log" -p "$work/nginx" -c "$work/nginx/nginx.conf"
for _ in $(seq 100); do curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$((first_ext + hosts - 1))/e/0.html" && break; sleep 0.1; done
echo "http://127.0.0.1:$port/index.html" > "$work/seed.txt"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| run | URLs | last in-scope page at s | wall s | CPU s | peak RSS MB |"
echo "|---|---|---|---|---|---|"
for external in off on; do
  db="$work/$external.db"
  /usr/bin/time -f "%e %U %S %M" -o "$work/$external.time" timeout -k 5 600 "$gc" crawl --db "$db" --quiet -r \
    --concurrency 100 --ignore-robots --allow-private --external "$external" "$work/seed.txt" >/dev/null 2>&1 || true
  read -r wall user sys rss < "$work/$external.time"
  n=$(sqlite3 "$db" "SELECT count(*) FROM results")
  last=$(sqlite3 "$db" "SELECT (julianday(max(CASE WHEN source_kind = 'link' THEN fetched_at END)) - julianday(min(fetched_at))) * 86400 FROM results")
  awk -v t="--external $external" -v n="$n" -v l="$last" -v w="$wall" -v u="$user" -v s="$sys" -v m="$rss" \
    'BEGIN {printf "| %s | %d | %.2f | %.2f | %.1f | %.0f |\n", t, n, l, w, u + s, m / 1024}'
done
