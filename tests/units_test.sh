#!/usr/bin/env bash
# Checks contrib/'s systemd units with systemd-analyze verify (skipped, exit 77, where it is missing),
# and that the job file they use is accepted by the greencrawl that was built.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" crawl --config "$here/contrib/nightly.toml" --print-config > "$work/effective.toml"
grep -qF "fail-on = [ 'errors>5%', 'changed>0' ]" "$work/effective.toml"
if ! command -v systemd-analyze >/dev/null; then
  echo "systemd-analyze not installed: unit check skipped"
  exit 77
fi
# Point ExecStart at the binary we built, so verify can check it exists and is executable.
sed "s|/usr/local/bin/greencrawl|$bin|" "$here/contrib/greencrawl-nightly.service" > "$work/greencrawl-nightly.service"
cp "$here/contrib/greencrawl-nightly.timer" "$work/"
out=$(cd "$work" && systemd-analyze verify --man=no ./greencrawl-nightly.service ./greencrawl-nightly.timer 2>&1) || {
  echo "$out"
  exit 1
}
# verify also reports problems without failing; any line about our units is one.
if echo "$out" | grep -i 'greencrawl-nightly'; then exit 1; fi
echo "units ok"
