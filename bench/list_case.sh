# Sourced by bench/floor.sh and bench/phases.sh: one list-crawl case of the shared benchmark, served.
# In: $case (a|b|e), $port, $work; the caller's $root and $shared. Out: $pages, $conc, $delay, $site (its
# urls.txt is the list), $gc (a Release build of greencrawl); the site is served on 127.0.0.1:$port until
# the caller exits. Extra build targets: $targets.
case $case in
  a) pages=20000 conc=100 delay=0 ;;       # 20,000 x 10 KB, nginx
  b) pages=5000 conc=500 delay=100 ;;      # 5,000, the asyncio server answering after 100 ms
  e) pages=50000 conc=1000 delay=100 ;;    # 50,000 at 1,000 in flight
  *) echo "bench: case a, b or e" >&2; exit 2 ;;
esac
mkdir -p "$work"
cmake -S "$root" -B "$root/build-release" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$root/build-release" -j "$(nproc)" --target greencrawl ${targets:-} >/dev/null
gc="$root/build-release/greencrawl"
site=$work/site-$pages-$port
[ -f "$site/urls.txt" ] || /usr/bin/python3 "$shared/site.py" --pages "$pages" --size 10240 --port "$port" --out "$site" >/dev/null
trap '"$shared/serve.sh" stop "$port" >/dev/null 2>&1 || true' EXIT
if [ "$delay" = 0 ]; then
  "$shared/serve.sh" start "$port" "$site" >/dev/null
else
  "$shared/serve.sh" start "$port" "$site" --delay-ms "$delay" >/dev/null
fi
# Warm the page cache, so that the first tool of the first round does not pay for nginx's disk reads.
find "$site" -type f -exec cat {} + >/dev/null
