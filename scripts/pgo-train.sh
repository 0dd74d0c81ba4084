#!/usr/bin/env bash
# The training run of profile-guided optimisation (scripts/build-release.sh): runs BINARY, built with
# MEMGUARD_PGO=generate, as the webhook on a loopback port and sends it every review fixture the
# project has, on /validate and /mutate, ROUNDS times each over keep-alive TLS connections, two
# clients at a time; then the probes and /metrics. The server then stops on SIGTERM and, as it
# returns from main, writes its counts beside its objects. What the server decodes, derives, judges
# and writes is trained the way a cluster exercises it: FlinkDeployments and ConfigMaps, allowed,
# warned and denied, patches, TLS records and keep-alive.
#
# Fails (exit 1) when the server does not start, answers a review with anything but 200, or does
# not stop cleanly: a profile of a broken run would optimise for the wrong paths.
#
# Usage: bash scripts/pgo-train.sh BINARY [FIXTURE_DIR...]
# (default fixtures: tests/data/reviews and bench/fixtures). Environment: ROUNDS (default 40).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -ge 1 ] || { echo "usage: bash scripts/pgo-train.sh BINARY [FIXTURE_DIR...]" >&2; exit 2; }
binary="$1"; shift
dirs=("$@")
[ ${#dirs[@]} -gt 0 ] || dirs=("$ROOT/tests/data/reviews" "$ROOT/bench/fixtures")
ROUNDS="${ROUNDS:-40}"

work="$(mktemp -d)"
server=""
cleanup() {
  if [ -n "$server" ]; then kill -KILL "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "pgo-train: $*" >&2; exit 1; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null

# Port 0: the kernel picks a free one, and the server's "ready" log line names it.
"$binary" serve --listen 127.0.0.1:0 --tls-cert "$work/tls.crt" --tls-key "$work/tls.key" \
  >"$work/server.log" 2>&1 &
server=$!
port=""
for _ in $(seq 300); do
  port="$(sed -n 's/.*"msg":"ready","listen":"127\.0\.0\.1:\([0-9]*\)".*/\1/p' "$work/server.log" | head -1)"
  [ -n "$port" ] && break
  kill -0 "$server" 2>/dev/null || fail "the server exited at start: $(tail -3 "$work/server.log")"
  sleep 0.1
done
[ -n "$port" ] || fail "the server did not become ready in 30 s"

fixtures=()
for d in "${dirs[@]}"; do
  for f in "$d"/*.json; do [ -e "$f" ] && fixtures+=("$f"); done
done
[ ${#fixtures[@]} -gt 0 ] || fail "no review fixtures (*.json) in ${dirs[*]}"

# One curl per fixture and route: ROUNDS requests on one connection, answers' codes one per line.
train_one() {  # FIXTURE ROUTE
  local urls=() i
  # curl pairs each -o with one URL, in order; the options before them apply to every request.
  for ((i = 0; i < ROUNDS; i++)); do urls+=(-o /dev/null "https://127.0.0.1:$port/$2"); done
  curl -sk -w '%{http_code}\n' -H 'Content-Type: application/json' --data-binary "@$1" "${urls[@]}"
}
: > "$work/codes"
for route in validate mutate; do
  for ((k = 0; k < ${#fixtures[@]}; k += 2)); do
    clients=()
    train_one "${fixtures[$k]}" "$route" >> "$work/codes" & clients+=($!)
    if [ $((k + 1)) -lt ${#fixtures[@]} ]; then
      train_one "${fixtures[$((k + 1))]}" "$route" >> "$work/codes" & clients+=($!)
    fi
    wait "${clients[@]}"  # not a bare wait: that would wait for the server too
  done
done
for path in healthz readyz metrics; do
  curl -sk -o /dev/null -w '%{http_code}\n' "https://127.0.0.1:$port/$path" >> "$work/codes"
done

expected=$(( ${#fixtures[@]} * 2 * ROUNDS + 3 ))
answered=$(grep -c '^200$' "$work/codes" || true)
if [ "$answered" -ne "$expected" ]; then
  fail "$answered of $expected requests answered 200 (codes: $(sort "$work/codes" | uniq -c | tr '\n' ' '))"
fi

kill -TERM "$server"
status=0
wait "$server" || status=$?
server=""
[ "$status" -eq 0 ] || fail "the server exited with status $status on SIGTERM: $(tail -3 "$work/server.log")"
echo "pgo-train: $answered requests answered 200 (${#fixtures[@]} reviews x /validate, /mutate x $ROUNDS, probes)"
