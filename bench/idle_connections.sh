#!/usr/bin/env bash
# What an idle TLS keep-alive connection costs flink-memguard in memory: starts `serve`, reads its
# VmRSS, opens N connections that each carried one 13.5 KB review and now wait idle
# (bench/idle_connections.py), reads VmRSS again and prints the difference per connection.
# Usage: bash bench/idle_connections.sh [BINARY] [N]     (defaults: build-release/flink-memguard, 400)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${1:-$ROOT/build-release/flink-memguard}"
N="${2:-400}"
PORT="${PORT:-18653}"
WORK="$(mktemp -d)"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$WORK"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2>/dev/null
"$BIN" serve --listen "127.0.0.1:$PORT" --tls-cert "$WORK/tls.crt" --tls-key "$WORK/tls.key" >/dev/null 2>&1 &
server=$!; pids+=("$server")
for _ in $(seq 100); do curl -skf "https://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
before="$(awk '/^VmRSS:/ { print $2 }' "/proc/$server/status")"
python3 "$ROOT/bench/idle_connections.py" "$PORT" "$ROOT/bench/fixtures/update-flinkdeployment-allowed.json" "$N" 30 \
  >"$WORK/client.out" &
pids+=($!)
for _ in $(seq 300); do grep -q '^open' "$WORK/client.out" 2>/dev/null && break; sleep 0.1; done
grep -q '^open' "$WORK/client.out" || { echo "idle_connections: the client did not open its connections" >&2; exit 1; }
sleep 1
after="$(awk '/^VmRSS:/ { print $2 }' "/proc/$server/status")"
echo "$(basename "$BIN"): VmRSS $before kB idle, $after kB with $N idle TLS connections: $(( (after - before) / N )) kB each"
