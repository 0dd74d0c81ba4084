#!/usr/bin/env bash
# Runs one fuzz target: replays its saved crashes, then fuzzes for a bounded time from a copy of its
# seed corpus (the repository is never written). FUZZ_SECONDS overrides the time, FUZZ_CORPUS_DIR
# keeps the grown corpus there between runs (make fuzz).
#
# usage: run_fuzzer.sh BINARY NAME FUZZ_DIR ARTIFACTS SECONDS [MAX_LEN]
#
# Slow and memory-hungry inputs are failures, like crashes (issue 12): every unit, replayed or
# generated, runs under libFuzzer's -timeout (FUZZ_TIMEOUT seconds, default 3) and -rss_limit_mb
# (FUZZ_RSS_LIMIT_MB, default 1024, for the whole process with ASan's shadow; one allocation may
# take at most FUZZ_MALLOC_LIMIT_MB, default 256). MAX_LEN (FUZZ_MAX_LEN overrides it) must be large
# enough for quadratic work to show: a 64 KiB input that is O(n^2) already takes seconds. ASan's
# quarantine of freed memory is held to 64 MiB so that RSS measures what the code keeps, not what
# ASan delays reusing.
set -euo pipefail
binary=$1 name=$2 fuzz_dir=$3 artifacts=$4 seconds=${FUZZ_SECONDS:-$5} max_len=${FUZZ_MAX_LEN:-${6:-4096}}
timeout=${FUZZ_TIMEOUT:-3} rss_limit=${FUZZ_RSS_LIMIT_MB:-1024} malloc_limit=${FUZZ_MALLOC_LIMIT_MB:-256}
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=64"
limits=(-timeout="$timeout" -rss_limit_mb="$rss_limit" -malloc_limit_mb="$malloc_limit")

mkdir -p "$artifacts"
regressions="$fuzz_dir/regressions/$name"
if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
  echo "replaying $(ls "$regressions" | wc -l) saved crash, timeout and memory inputs from $regressions"
  "$binary" "${limits[@]}" -runs=1 "$regressions"/*
fi

if [ -n "${FUZZ_CORPUS_DIR:-}" ]; then
  corpus="$FUZZ_CORPUS_DIR/$name"
  mkdir -p "$corpus"
else
  corpus=$(mktemp -d "${TMPDIR:-/tmp}/memguard-$name.XXXXXX")
  trap 'rm -rf "$corpus"' EXIT
fi
cp -n "$fuzz_dir/corpus/$name"/* "$corpus"/ 2>/dev/null || true

dict=()
[ -f "$fuzz_dir/dict/$name.dict" ] && dict=("-dict=$fuzz_dir/dict/$name.dict")
"$binary" "$corpus" "${dict[@]}" -max_total_time="$seconds" "${limits[@]}" -max_len="$max_len" \
  -report_slow_units="$timeout" -artifact_prefix="$artifacts/$name-" -print_final_stats=1
