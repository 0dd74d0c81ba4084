#!/usr/bin/env bash
# Hostile-input benchmark of issue 12: the reviews that cost seconds or gigabytes on earlier mains
# (bench/hostile/make_reviews.py), each at the server's 3 MiB body limit, timed and measured
#   - in the engine alone: `flink-memguard review < body` (CPU seconds, wall seconds, peak RSS);
#   - through the server: one `flink-memguard serve` on loopback, each review POSTed over TLS by
#     curl to /validate (wall time to the answer), and the server's peak RSS (VmHWM) after all.
# The chart gives the webhook timeoutSeconds: 5 and a 128Mi memory limit; the table says where each
# review stands against both. The section goes into bench/RESULTS.md between markers.
#
# Environment (all optional):
#   MEMGUARD_BIN  flink-memguard binary (default build/flink-memguard)
#   RESULTS       output file (default bench/RESULTS.md; "-" for stdout only)
#   PORT          loopback port (default 18453)
#   REPEAT        runs per review and path, the median is reported (default 3)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MEMGUARD_BIN="${MEMGUARD_BIN:-$ROOT/build/flink-memguard}"
RESULTS="${RESULTS:-$ROOT/bench/RESULTS.md}"
PORT="${PORT:-18453}"
REPEAT="${REPEAT:-3}"

log() { printf 'hostile: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
for tool in python3 curl openssl /usr/bin/time; do command -v "$tool" >/dev/null || die "$tool is missing"; done
[ -x "$MEMGUARD_BIN" ] || die "$MEMGUARD_BIN is missing: build flink-memguard first"

WORK="$(mktemp -d /tmp/memguard-hostile.XXXXXX)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

python3 "$ROOT/bench/hostile/make_reviews.py" "$WORK/reviews" >&2
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# The engine alone: CPU, wall and peak RSS of one `review` process per run.
declare -A CPU WALL RSS ANSWER SERVER_S
for body in "$WORK"/reviews/*.json; do
  name="$(basename "$body" .json)"
  : >"$WORK/$name.runs"
  for _ in $(seq "$REPEAT"); do
    set +e
    /usr/bin/time -f '%U %S %e %M' -o "$WORK/time" "$MEMGUARD_BIN" review <"$body" >"$WORK/$name.out" 2>/dev/null
    set -e
    # The last line: GNU time puts "Command exited with non-zero status N" first for a denial.
    tail -n 1 "$WORK/time" | awk '{ printf "%.3f %.3f %d\n", $1 + $2, $3, $4 }' >>"$WORK/$name.runs"
  done
  CPU[$name]="$(cut -d' ' -f1 "$WORK/$name.runs" | median)"
  WALL[$name]="$(cut -d' ' -f2 "$WORK/$name.runs" | median)"
  RSS[$name]="$(cut -d' ' -f3 "$WORK/$name.runs" | median)"
  ANSWER[$name]="$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["response"]
what = "allowed" if r["allowed"] else "denied"
if r.get("warnings") and r["allowed"]: what += ", warned"
print(what)' "$WORK/$name.out" 2>/dev/null || echo "unreadable")"
  log "$name: engine ${CPU[$name]} s CPU, ${RSS[$name]} KB peak RSS, ${ANSWER[$name]}"
done

# Through the server: a fresh instance per review (so its peak RSS is that review's), REPEAT
# POSTs each. "Expect:" is sent empty: curl would otherwise wait 1 s for a 100-continue on bodies
# over 1 MiB, which measures curl, not the server.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2>/dev/null
declare -A SERVER_RSS
RSS_IDLE=0
for body in "$WORK"/reviews/*.json; do
  name="$(basename "$body" .json)"
  "$MEMGUARD_BIN" serve --listen "127.0.0.1:$PORT" --tls-cert "$WORK/tls.crt" --tls-key "$WORK/tls.key" \
    >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do
    curl -sk --max-time 1 "https://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  curl -sk --max-time 1 "https://127.0.0.1:$PORT/readyz" >/dev/null || die "server did not become ready: $(tail -3 "$WORK/server.log")"
  RSS_IDLE="$(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status")"
  : >"$WORK/$name.server"
  for _ in $(seq "$REPEAT"); do
    curl -sk --max-time 60 -o /dev/null -w '%{time_total}\n' -H 'Content-Type: application/json' -H 'Expect:' \
      --data-binary @"$body" "https://127.0.0.1:$PORT/validate" >>"$WORK/$name.server" || echo 60 >>"$WORK/$name.server"
  done
  SERVER_S[$name]="$(median <"$WORK/$name.server")"
  SERVER_RSS[$name]="$(awk '/^VmHWM:/ { print $2 }' "/proc/$SERVER_PID/status")"
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  log "$name: through the server ${SERVER_S[$name]} s, server peak RSS ${SERVER_RSS[$name]} KB"
done

SECTION="$WORK/section.md"
{
  echo "<!-- hostile-input:begin (written by bench/hostile/run.sh; edit the script, not this section) -->"
  echo "## Hostile input: the worst known reviews at the 3 MiB body limit (issue 12)"
  echo
  echo "- Command: \`make bench\` (this part alone: \`bash bench/hostile/run.sh\`), $(date -u +%Y-%m-%d), $REPEAT runs each, medians."
  echo "- Machine: $(nproc) cores ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), $(awk '/^MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo) RAM, $(uname -sr); shared, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
  echo "- Binary: \`$(basename "$MEMGUARD_BIN")\` from \`$(dirname "$MEMGUARD_BIN" | sed "s|$ROOT/||")\`. Reviews: \`bench/hostile/make_reviews.py\` (each one's shape is described there)."
  echo "- Engine: \`flink-memguard review < body\` (decode, decide, encode in one process; CPU = user + system, RSS = peak of the whole process). Server: \`curl\` POST over TLS to \`/validate\` of one \`serve\` instance, time to the full answer."
  echo
  echo "| review (3 MiB) | answer | engine CPU s | engine peak RSS | through the server, s | server peak RSS |"
  echo "|---|---|---:|---:|---:|---:|"
  for body in "$WORK"/reviews/*.json; do
    name="$(basename "$body" .json)"
    printf '| %s | %s | %s | %s MB | %.3f | %s MB |\n' "$name" "${ANSWER[$name]}" "${CPU[$name]}" \
      "$(awk -v k="${RSS[$name]}" 'BEGIN { printf "%.0f", k / 1024 }')" "${SERVER_S[$name]}" \
      "$(awk -v k="${SERVER_RSS[$name]}" 'BEGIN { printf "%.0f", k / 1024 }')"
  done
  echo
  echo "Server: $(awk -v k="$RSS_IDLE" 'BEGIN { printf "%.0f", k / 1024 }') MB resident when ready; peak RSS (VmHWM) per fresh instance after $REPEAT of that review. The chart's memory limit is 128 MiB and its webhook timeoutSeconds 5. Through the server includes curl sending 3 MiB over TLS on the same two cores."
  echo "<!-- hostile-input:end -->"
} >"$SECTION"

if [ "$RESULTS" = "-" ]; then cat "$SECTION"; exit 0; fi
if [ -f "$RESULTS" ] && grep -q '<!-- hostile-input:begin' "$RESULTS"; then
  awk -v f="$SECTION" '
    /<!-- hostile-input:begin/ { while ((getline l < f) > 0) print l; skip = 1; next }
    /<!-- hostile-input:end/ { skip = 0; next }
    !skip { print }' "$RESULTS" >"$WORK/results.md"
else
  { cat "$RESULTS"; echo; cat "$SECTION"; } >"$WORK/results.md"
fi
cp "$WORK/results.md" "$RESULTS"
cat "$SECTION"
log "wrote $RESULTS"
