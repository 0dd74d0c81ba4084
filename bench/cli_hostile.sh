#!/usr/bin/env bash
# The CLI under hostile input (issue 12): wall time, exit code and peak RSS of `check`, `review`,
# `memory` and `--policy` against the worst inputs we know, each at or past its documented limit.
# Prints a Markdown table (for bench/RESULTS.md). Inputs are generated into a temporary directory.
#
#   MEMGUARD_BIN  flink-memguard binary (default build/flink-memguard)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${MEMGUARD_BIN:-$ROOT/build/flink-memguard}"
work=$(mktemp -d "${TMPDIR:-/tmp}/memguard-cli-hostile.XXXXXX")
trap 'rm -rf "$work"' EXIT

python3 - "$work" <<'PY'
import os, sys
w = sys.argv[1]
def put(name, text, mode="w"):
    with open(os.path.join(w, name), mode) as f: f.write(text)
# Billion laughs in a ConfigMap: 13 levels of 10 aliases.
bomb = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
prev = "a"
for n in "bcdefghijklm":
    bomb += "  %s: &%s [%s]\n" % (n, n, ", ".join(["*" + prev] * 10)); prev = n
put("alias-bomb.yaml", bomb)
# One 1 MiB scalar repeated by 63 aliases: just under the 64 MiB of scalar text per document.
put("scalar-bomb.yaml", "kind: ConfigMap\ndata:\n  a: &a \"%s\"\n  b: [%s]\n" % ("x" * (1 << 20), ", ".join(["*a"] * 62)))
# Nesting: 100 levels (the limit) and 5000 (past yaml-cpp's own guard).
put("deep-100.yaml", "kind: X\na: " + "[" * 99 + "]" * 99 + "\n")
put("deep-5000.yaml", "kind: X\na: " + "[" * 5000 + "]" * 5000 + "\n")
# Document floods: 100,001 tiny objects; 8 M empty documents (32 MiB).
put("many-objects.yaml", "kind: X\n---\n" * 100001)
put("empty-documents.yaml", "---\n" * (8 << 20))
# One 32 MiB file of four 1 M-node documents without aliases: the node limit reached by text alone.
doc = "kind: ConfigMap\ndata:\n" + "".join("  k%d: v\n" % i for i in range(499_999))
put("big-real.yaml", (doc + "---\n") * 4)
# Helm values and garbage.
put("values.yaml", "replicaCount: 1\nimage: {repository: flink}\n")
put("noise.yaml", os.urandom(1 << 20), "wb")
# A policy whose three map levels multiply aliases.
pol = "x: &f {" + ", ".join(["process-exceeds-limit: warn"] * 50) + "}\nnamespaces:\n"
for n in range(50):
    pol += "  ns%d: {%s}\n" % (n, ", ".join(["findings: *f"] * 50))
put("policy-bomb.yaml", pol)
# config.yaml with a scalar bomb just under 16 MiB of text.
put("config.yaml", "a: &a %s\nb: [%s]\n" % ("x" * (1 << 20), ", ".join(["*a"] * 14)))
PY

run() {  # label, then the command line (run through the shell for redirections)
  local label=$1
  shift
  local seconds kb code
  /usr/bin/time -o "$work/time" -f '%e %M %x' bash -c "$*" >/dev/null 2>&1 || true
  read -r seconds kb code < <(tail -1 "$work/time")
  printf '| %s | %s | %s | %d |\n' "$label" "$code" "$seconds" "$((kb / 1024))"
}

echo "| Input | Exit | Wall s | Peak RSS MiB |"
echo "|---|---|---|---|"
run "check: alias bomb (10^13 nodes expanded)" "'$BIN' check -f '$work/alias-bomb.yaml'"
run "check: 1 MiB scalar x 63 aliases" "'$BIN' check -f '$work/scalar-bomb.yaml'"
run "check: nesting 100" "'$BIN' check -f '$work/deep-100.yaml'"
run "check: nesting 5000" "'$BIN' check -f '$work/deep-5000.yaml'"
run "check: 100,001 documents" "'$BIN' check -f '$work/many-objects.yaml'"
run "check: 8 M empty documents (32 MiB)" "'$BIN' check -f '$work/empty-documents.yaml'"
run "check: 4 documents of 1 M nodes each, no aliases (32 MiB; past the node limit)" "'$BIN' check -f '$work/big-real.yaml'"
run "check: /dev/zero" "'$BIN' check -f /dev/zero"
run "check: 1 MiB of random bytes" "'$BIN' check -f '$work/noise.yaml'"
run "check: Helm values" "'$BIN' check -f '$work/values.yaml'"
run "check --policy: alias bomb" "'$BIN' check --policy '$work/policy-bomb.yaml' -f '$work/values.yaml'"
run "review -f /dev/zero" "'$BIN' review -f /dev/zero"
run "review --with alias bomb" "'$BIN' review -f '$ROOT/tests/data/reviews/fd-valid.json' --with '$work/alias-bomb.yaml'"
run "memory -f config.yaml scalar bomb" "'$BIN' memory -f '$work/config.yaml'"
run "memory --batch < /dev/zero" "'$BIN' memory --batch < /dev/zero"
