#!/usr/bin/env bash
# Runs one fuzz target: replays its saved crashes, then fuzzes for a bounded time from a copy of its
# seed corpus (the repository is never written). FUZZ_SECONDS overrides the time, FUZZ_CORPUS_DIR
# keeps the grown corpus there between runs (make fuzz).
set -euo pipefail
binary=$1 name=$2 fuzz_dir=$3 artifacts=$4 seconds=${FUZZ_SECONDS:-$5} max_len=${6:-4096}

mkdir -p "$artifacts"
regressions="$fuzz_dir/regressions/$name"
if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
  echo "replaying $(ls "$regressions" | wc -l) saved crash inputs from $regressions"
  "$binary" -runs=1 "$regressions"/*
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
"$binary" "$corpus" "${dict[@]}" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len="$max_len" \
  -artifact_prefix="$artifacts/$name-" -print_final_stats=1
