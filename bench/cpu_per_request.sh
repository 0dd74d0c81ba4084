#!/usr/bin/env bash
# Where a request's CPU time goes when client and server share the cores (issue 16): one server,
# one `wrk -t2 -c32` run of the 13.5 KB allowed UPDATE on /validate, and per request: the server's
# user and system CPU time (/proc/PID/stat of the server and its children), its context switches
# (perf stat, a software event that works in VMs without a PMU) and wrk's own CPU time. With both
# cores busy the rate is 2 cores / (server + client CPU per request), so these say what a server
# must save to reach a given share of another's rate.
#
# Usage: bash bench/cpu_per_request.sh nginx|BINARY [serve flags...]
# Environment: SECONDS_RUN (default 5), CONNECTIONS (32), PORT (19100).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BODY="$ROOT/bench/fixtures/update-flinkdeployment-allowed.json"
SECONDS_RUN="${SECONDS_RUN:-5}"
CONNECTIONS="${CONNECTIONS:-32}"
PORT="${PORT:-19100}"
server="$1"; shift
for tool in wrk nginx perf curl python3 openssl; do
  command -v "$tool" >/dev/null || { echo "cpu_per_request: $tool is missing" >&2; exit 1; }
done
WORK="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2>/dev/null
if [ "$server" = nginx ]; then
  # shellcheck source=bench/nginx/config.sh
  . "$ROOT/bench/nginx/config.sh"
  nginx_conf "$WORK/nginx" "$PORT" "$WORK/tls.crt" "$WORK/tls.key"
  nginx -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" &
else
  "$server" serve --listen "127.0.0.1:$PORT" --tls-cert "$WORK/tls.crt" --tls-key "$WORK/tls.key" "$@" \
    >/dev/null 2>"$WORK/server.log" &
fi
pid=$!
for _ in $(seq 100); do curl -skf "https://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
load() { BENCH_BODY="$BODY" wrk -t2 -c"$CONNECTIONS" -d"$1s" -s "$ROOT/bench/wrk/post.lua" "https://127.0.0.1:$PORT/validate"; }
load 1 >/dev/null  # warm-up (and nginx's workers exist)
procs="$pid"; for c in $(pgrep -P "$pid" || true); do procs="$procs,$c"; done
ticks() { local u=0 s=0 a b p; for p in ${procs//,/ }; do read -r a b < <(awk '{ print $14, $15 }' "/proc/$p/stat"); u=$((u + a)); s=$((s + b)); done; echo "$u $s"; }
read -r u0 s0 < <(ticks)
perf stat -e context-switches -p "$procs" -o "$WORK/perf.out" -- sleep "$SECONDS_RUN" &
perf_pid=$!
/usr/bin/time -f "%U %S" -o "$WORK/wrk.time" env BENCH_BODY="$BODY" wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_RUN}s" \
  -s "$ROOT/bench/wrk/post.lua" "https://127.0.0.1:$PORT/validate" > "$WORK/wrk.out"
wait "$perf_pid" 2>/dev/null || true
read -r u1 s1 < <(ticks)
python3 - "$WORK/wrk.out" "$WORK/wrk.time" "$WORK/perf.out" "$u0" "$s0" "$u1" "$s1" "$(getconf CLK_TCK)" "$server" <<'PY'
import re, sys
wrk, wtime, perf, u0, s0, u1, s1, hz, name = sys.argv[1:]
line = next(l for l in open(wrk) if l.startswith('WRK'))
n = int(re.search(r'requests=(\d+)', line).group(1)); rps = int(re.search(r'rps=(\d+)', line).group(1))
wu, ws = (float(x) for x in open(wtime).read().split()[-2:])
cs = next((int(l.split()[0].replace(',', '')) for l in open(perf) if 'context-switches' in l), 0)
tick = 1e6 / int(hz)
print(f"{name}: {rps} req/s; per request: server user {(int(u1) - int(u0)) * tick / n:.1f} us, "
      f"system {(int(s1) - int(s0)) * tick / n:.1f} us, {cs / n:.2f} context switches; wrk {(wu + ws) * 1e6 / n:.1f} us")
PY
