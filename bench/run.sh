#!/bin/sh
# Runs every benchmark against the build in BUILD_DIR (default build/);
# each prints its figure next to a baseline measured in the same run.
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
"$build/bench/bench_store_commit" 2000
"$build/bench/bench_spawn" 300
python3 bench/lifecycle.py "$build" 200
bench/http.sh "$build" 5
