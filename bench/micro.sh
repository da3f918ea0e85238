#!/usr/bin/env bash
# Builds in Release and runs the micro-benchmarks: greenlet spawn/switch, parse MB/s, URL
# canonicalisation, SQLite rows/s per batch size. Usage: bench/micro.sh [google-benchmark flags]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap --bench
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DGREENCRAWL_BENCH=ON -DBUILD_TESTING=OFF >/dev/null
cmake --build build-release -j "$(nproc)" --target micro_bench
build-release/micro_bench "$@"
