#!/usr/bin/env bash
# Builds the binary we ship, DIR/flink-memguard (default build-release/): Release, optimised with
# the profile of a training run (profile-guided optimisation). Three steps in one build tree:
#   1. configure with MEMGUARD_PGO=generate and build: every object counts what runs;
#   2. scripts/pgo-train.sh runs that binary as the webhook on every review fixture;
#   3. configure with MEMGUARD_PGO=use and build again: the compiler lays out and inlines for the
#      paths the training took (~9% less server CPU per review under load, bench/RESULTS.md).
# The Dockerfile, `make release` and `make bench` use it. Needs what `make run` needs plus curl and
# openssl (both installed by scripts/install-deps.sh).
#
# Usage: bash scripts/build-release.sh [DIR]     Environment: JOBS (default: the number of cores).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${1:-build-release}"
jobs="${JOBS:-$(nproc)}"
configure() {  # PGO mode
  cmake -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DMEMGUARD_BUILD_TESTS=OFF \
    -DMEMGUARD_BUILD_BENCH=OFF -DMEMGUARD_PGO="$1" >/dev/null
}

echo "build-release: instrumented build in $dir" >&2
configure generate
cmake --build "$dir" -j "$jobs" --target flink-memguard
# Counts left by an earlier training would add to this one's.
find "$dir" -name '*.gcda' -delete
echo "build-release: training" >&2
bash "$ROOT/scripts/pgo-train.sh" "$dir/flink-memguard"
echo "build-release: optimised build in $dir" >&2
configure use
cmake --build "$dir" -j "$jobs" --target flink-memguard
"$dir/flink-memguard" --help >/dev/null
echo "build-release: $dir/flink-memguard" >&2
