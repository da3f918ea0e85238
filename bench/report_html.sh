#!/usr/bin/env bash
# The HTML report of a run of ROWS results (default 1,000,000): its page size and the CPU time it takes to
# build, three times (report_html_bench). A benchmark, not a test: report_html_test checks the same page at a
# small size, and speed is never asserted in the test suite.
# Usage: bench/report_html.sh [ROWS]
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --build build -j2 --target report_html_bench >/dev/null
build/tests/report_html_bench "${1:-1000000}"
