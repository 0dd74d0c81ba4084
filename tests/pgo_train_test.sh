#!/usr/bin/env bash
# scripts/pgo-train.sh, the training run of the shipped build (scripts/build-release.sh): it must
# get a 200 for every review fixture on both routes, and it must fail, not train on, a broken run
# (a review answered with an error, a server that does not start).
# Usage: bash tests/pgo_train_test.sh BINARY
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
binary="$1"
fail() { echo "FAILED: $*" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

reviews=$(ls "$ROOT"/tests/data/reviews/*.json "$ROOT"/bench/fixtures/*.json | wc -l)
expected=$((reviews * 2 * 2 + 3))  # two routes, ROUNDS=2, then three probes
out="$(ROUNDS=2 bash "$ROOT/scripts/pgo-train.sh" "$binary")" || fail "the training run failed"
[ "$out" = "pgo-train: $expected requests answered 200 ($reviews reviews x /validate, /mutate x 2, probes)" ] ||
  fail "unexpected summary: $out"

# A body that is not an AdmissionReview gets a 400: the run must fail and say how many were 200.
cp "$ROOT/tests/data/reviews/fd-valid.json" "$work/"
echo '{"kind":"NotAReview"}' > "$work/not-a-review.json"
if ROUNDS=1 bash "$ROOT/scripts/pgo-train.sh" "$binary" "$work" 2>"$work/err"; then
  fail "a review answered 400 did not fail the training"
fi
grep -q "^pgo-train: 5 of 7 requests answered 200 (codes: .*400" "$work/err" || fail "unexpected error: $(cat "$work/err")"

# A binary that exits at once.
if bash "$ROOT/scripts/pgo-train.sh" /bin/false 2>"$work/err"; then fail "a server that exits at start did not fail"; fi
grep -q "^pgo-train: the server exited at start" "$work/err" || fail "unexpected error: $(cat "$work/err")"
echo "ok: $out"
