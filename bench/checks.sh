#!/usr/bin/env bash
# Issue 27 item 5: a recursive crawl whose pages each link 5 URLs on other sites and use 3 images, by
# greencrawl without checks (--external off), with them (-r's default --external on, plus
# --check-resources), and by linkinator and LinkChecker (../shared/bench/peers, the same site).
# The site: ../shared/bench/site.py's PAGES pages (10-20 links each), plus on every page 5 links to
# 3 other local nginx servers (ports PORT+1..PORT+3; distinct URLs, 1 in 10 missing) and 3 images
# (/img/logo.png on every page, /img/pI.png of its own, /img/mK.png missing, K = I mod 10).
# Prints URLs recorded, wall s, CPU s and peak RSS per tool. Loopback only; each run bounded (600 s).
# Usage: bench/checks.sh [PAGES] [CONCURRENCY]   (default 4000 100)
#   GREENCRAWL=path (default build/greencrawl), PEERS=dir holding the peers' scripts (default
#   ../shared/bench/peers; linkinator needs `npm ci` in its node/ folder, LinkChecker the Debian package).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# ../shared beside the main checkout; a worktree in wt/NAME has it one level further up.
shared=${SHARED_BENCH:-$(cd "$root/../shared/bench" 2>/dev/null && pwd || (cd "$root/../../shared/bench" && pwd))}
peers=${PEERS:-$shared/peers}
pages=${1:-4000}
C=${2:-100}
port=${BENCH_PORT:-18192}
work=${BENCH_WORK:-${TMPDIR:-/tmp}/greencrawl-checks}
gc=${GREENCRAWL:-$root/build/greencrawl}
mkdir -p "$work"
site="$work/site-$pages-$port"
ext="$work/ext-$pages-$port"
if [ ! -f "$site/.checks" ]; then
  rm -rf "$site" "$ext"
  /usr/bin/python3 "$shared/site.py" --pages "$pages" --size 10240 --port "$port" --out "$site" >/dev/null
  /usr/bin/python3 - "$site" "$ext" "$pages" "$port" <<'EOF'
import os, sys
site, ext, pages, port = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
os.makedirs(f"{site}/img", exist_ok=True)
os.makedirs(f"{ext}/e", exist_ok=True)
png = b"\x89PNG\r\n\x1a\n" + b"\0" * 2000
for name in ["logo"] + [f"p{i}" for i in range(pages)]:
    open(f"{site}/img/{name}.png", "wb").write(png)
def add(path, i):
    extra = "".join(f'<a href="http://127.0.0.1:{port + 1 + (5 * i + k) % 3}/e/{5 * i + k}.html">elsewhere</a>'
                    for k in range(5))
    extra += f'<img src="/img/logo.png"><img src="/img/p{i}.png"><img src="/img/m{i % 10}.png">'
    text = open(path).read()
    at = text.rfind("</body>")
    open(path, "w").write(text[:at] + extra + text[at:] if at >= 0 else text + extra)
for i in range(pages):
    add(f"{site}/d{i // 200}/page{i}.html", i)
add(f"{site}/index.html", pages)
for n in range(5 * (pages + 1)):
    if n % 10 != 9:  # 1 in 10 missing
        open(f"{ext}/e/{n}.html", "w").write(f"<title>e{n}</title>")
open(f"{site}/.checks", "w").write("ok\n")
EOF
fi
cleanup() { for p in $port $((port + 1)) $((port + 2)) $((port + 3)); do "$shared/serve.sh" stop "$p" >/dev/null 2>&1 || true; done; }
trap cleanup EXIT
"$shared/serve.sh" start "$port" "$site" >/dev/null
for p in $((port + 1)) $((port + 2)) $((port + 3)); do "$shared/serve.sh" start "$p" "$ext" >/dev/null; done
find "$site" "$ext" -type f -exec cat {} + >/dev/null  # warm the page cache
start="http://127.0.0.1:$port/index.html"
echo "$start" > "$work/seed.txt"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| run | URLs recorded | wall s | CPU s | peak RSS MB |"
echo "|---|---|---|---|---|"
run() {  # run NAME COMMAND...
  local name=$1
  shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/$name.time" timeout -k 5 600 "$@" >"$work/$name.out" 2>&1 || true
  cat "$work/$name.time" | tail -1
}
crawl() {  # crawl NAME OPTIONS...
  local name=$1
  shift
  rm -f "$work/$name.db" "$work/$name.db-wal" "$work/$name.db-shm"
  read -r wall user sys rss < <(run "$name" "$gc" crawl --db "$work/$name.db" --quiet --depth 100 --concurrency "$C" \
    --ignore-robots --allow-private "$@" "$work/seed.txt")
  n=$(sqlite3 "$work/$name.db" "SELECT count(*) FROM results")
  detail=$(sqlite3 "$work/$name.db" "SELECT group_concat(k || '=' || c, ' ') FROM (SELECT coalesce(source_kind, 'list') AS k, count(*) AS c FROM results GROUP BY 1)")
  awk -v t="$name" -v n="$n" -v d="$detail" -v w="$wall" -v u="$user" -v s="$sys" -v m="$rss" \
    'BEGIN {printf "| %s | %d (%s) | %.2f | %.1f | %.0f |\n", t, n, d, w, u + s, m / 1024}'
}
crawl "greencrawl --external off" --external off
crawl "greencrawl -r (external on)"
crawl "greencrawl -r --check-resources" --check-resources
for peer in linkinator_recursive.sh linkchecker_recursive.sh; do
  read -r wall user sys rss < <(run "$peer" "$peers/$peer" "$start" "$C")
  line=$(grep -E 'pages=' "$work/$peer.out" | tail -1 || true)
  awk -v t="$peer" -v l="${line:-failed: see $work/$peer.out}" -v w="$wall" -v u="$user" -v s="$sys" -v m="$rss" \
    'BEGIN {printf "| %s | %s | %.2f | %.1f | %.0f |\n", t, l, w, u + s, m / 1024}'
done
