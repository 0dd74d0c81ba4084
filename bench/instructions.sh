#!/usr/bin/env bash
# Instructions per review, a figure that the machine's load does not move (issue 16): each server
# runs under callgrind and gets COUNT reviews over one keep-alive TLS connection, then 0 reviews
# over one connection; the difference divided by COUNT is its user-space cost per review (TLS,
# HTTP and, for flink-memguard, the decision). nginx answers a fixed response: the TLS ceiling.
# Syscalls per review: the same with strace -c -f instead of callgrind.
#
# Usage: MEMGUARD_BIN=build-release/flink-memguard bash bench/instructions.sh [BODY] [PATH]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MEMGUARD_BIN="${MEMGUARD_BIN:-$ROOT/build-release/flink-memguard}"
BODY="${1:-$ROOT/bench/fixtures/update-flinkdeployment-allowed.json}"
ROUTE="${2:-/validate}"
COUNT="${COUNT:-2000}"
PORT="${PORT:-18643}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2>/dev/null
# shellcheck source=bench/nginx/config.sh
. "$ROOT/bench/nginx/config.sh"
nginx_conf "$WORK/nginx" "$PORT" "$WORK/tls.crt" "$WORK/tls.key"
# One worker and no master under callgrind and strace: the whole request in one process.
sed -i -e 's|^master_process on;|master_process off;|; s|^worker_processes 2;|worker_processes 1;|' "$WORK/nginx/nginx.conf"

command_of() {
  case "$1" in
    memguard) echo "$MEMGUARD_BIN serve --listen 127.0.0.1:$PORT --tls-cert $WORK/tls.crt --tls-key $WORK/tls.key" ;;
    nginx) echo "nginx -c $WORK/nginx/nginx.conf -e $WORK/nginx/error.log" ;;
  esac
}

wait_ready() {
  for _ in $(seq 1 600); do
    curl -skf "https://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server did not become ready" >&2; return 1
}

# run TOOL SERVER N: prints the tool's figure for one run with N reviews.
run() {
  local tool="$1" server="$2" n="$3" pid
  case "$tool" in
    callgrind) valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.out" $(command_of "$server") >"$WORK/tool.log" 2>&1 & ;;
    strace) strace -c -f -o "$WORK/strace.out" $(command_of "$server") >"$WORK/tool.log" 2>&1 & ;;
  esac
  pid=$!
  wait_ready
  python3 "$ROOT/bench/review_client.py" "$PORT" "$ROUTE" "$BODY" "$n"
  # strace and valgrind do not pass a SIGTERM on: stop the server itself (strace's child).
  if [ "$tool" = strace ]; then pkill -TERM -P "$pid" || true; else kill -TERM "$pid" || true; fi
  wait "$pid" || true
  case "$tool" in
    callgrind) sed -n 's/^summary: //p; s/^totals: //p' "$WORK/cg.out" | head -1 ;;
    strace) awk '$NF == "total" { print $(NF-2) }' "$WORK/strace.out" ;;
  esac
}

printf '| Server | Instructions per review | Syscalls per review |\n|---|---|---|\n'
for server in ${SERVERS:-memguard nginx}; do
  i_n="$(run callgrind "$server" "$COUNT")"; i_0="$(run callgrind "$server" 0)"
  s_n="$(run strace "$server" "$COUNT")"; s_0="$(run strace "$server" 0)"
  awk -v s="$server" -v a="$i_n" -v b="$i_0" -v c="$s_n" -v d="$s_0" -v n="$COUNT" \
    'BEGIN { printf "| %s | %.0f | %.1f |\n", s, (a - b) / n, (c - d) / n }'
done
