#!/usr/bin/env bash
# Before and after each change of the server path (issue 16): builds flink-memguard (Release) at each
# commit given, then for each binary measures instructions and system calls per review
# (bench/instructions.sh: callgrind and strace, figures the machine's load does not move) and the
# request rate in the issue's scenario: `wrk -t2 -c32` keep-alive, the 13.5 KB allowed UPDATE on
# /validate over TLS, ROUNDS interleaved rounds in which every binary and nginx (the TLS ceiling,
# bench/nginx, answering a fixed response) get one PEAK_SECONDS run each, the order rotating;
# each rate is the median of its rounds, each ratio that median over nginx's. Prints one markdown
# table; failed requests (wrk's socket errors and non-2xx) are summed over the rounds.
#
# Usage: bash bench/steps.sh COMMIT...        (e.g. bash bench/steps.sh 2943b33 6cd6ef6 HEAD)
# A COMMIT written SHA+pgo is built as we ship it (scripts/build-release.sh: profile-guided), else
# plain Release.
# Environment: ROUNDS (default 5), PEAK_SECONDS (5), CONNECTIONS (32), COUNT (300, reviews under
# callgrind), STEPS_DIR (default /tmp/memguard-steps: the scratch worktree and the binaries),
# SKIP_INSTRUCTIONS=1 to measure rates only.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS="${ROUNDS:-5}"
PEAK_SECONDS="${PEAK_SECONDS:-5}"
CONNECTIONS="${CONNECTIONS:-32}"
COUNT="${COUNT:-300}"
STEPS_DIR="${STEPS_DIR:-/tmp/memguard-steps}"
BODY="$ROOT/bench/fixtures/update-flinkdeployment-allowed.json"
[ $# -gt 0 ] || { echo "usage: bash bench/steps.sh COMMIT..." >&2; exit 2; }
for tool in wrk nginx openssl curl python3 valgrind strace cmake; do
  command -v "$tool" >/dev/null || { echo "steps: $tool is missing (scripts/install-bench-deps.sh, valgrind, strace)" >&2; exit 1; }
done

# Build each commit in one scratch worktree (incremental from one commit to the next).
mkdir -p "$STEPS_DIR/bin"
tree="$STEPS_DIR/tree"
[ -d "$tree" ] || git -C "$ROOT" worktree add -q --detach "$tree" HEAD
labels=()
for commit in "$@"; do
  pgo=""
  if [[ "$commit" == *+pgo ]]; then pgo=1; commit="${commit%+pgo}"; fi
  sha="$(git -C "$ROOT" rev-parse --short "$commit")"
  label="$sha${pgo:++pgo}"
  if [ ! -x "$STEPS_DIR/bin/$label" ]; then
    echo "steps: building $label" >&2
    git -C "$tree" checkout -q --detach "$sha"
    if [ -n "$pgo" ]; then
      built="$tree/build-release"
      bash "$tree/scripts/build-release.sh" "$built" >/dev/null
    else
      built="$tree/build"
      cmake -S "$tree" -B "$built" -DCMAKE_BUILD_TYPE=Release >/dev/null
      cmake --build "$built" -j "$(nproc)" --target flink-memguard >/dev/null
    fi
    cp "$built/flink-memguard" "$STEPS_DIR/bin/$label"
  fi
  labels+=("$label")
done

WORK="$(mktemp -d)"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$WORK"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2>/dev/null

declare -A instr=() syscalls=()
if [ "${SKIP_INSTRUCTIONS:-0}" != 1 ]; then
  for sha in "${labels[@]}"; do
    echo "steps: instructions and system calls of $sha" >&2
    row="$(COUNT="$COUNT" SERVERS=memguard MEMGUARD_BIN="$STEPS_DIR/bin/$sha" bash "$ROOT/bench/instructions.sh" | tail -1)"
    instr[$sha]="$(echo "$row" | cut -d'|' -f3 | tr -d ' ')"
    syscalls[$sha]="$(echo "$row" | cut -d'|' -f4 | tr -d ' ')"
  done
  row="$(COUNT="$COUNT" SERVERS=nginx bash "$ROOT/bench/instructions.sh" | tail -1)"
  instr[nginx]="$(echo "$row" | cut -d'|' -f3 | tr -d ' ')"
  syscalls[nginx]="$(echo "$row" | cut -d'|' -f4 | tr -d ' ')"
fi

# The servers, side by side, idle unless loaded: nginx first, then one flink-memguard per commit.
port=19400
# shellcheck source=bench/nginx/config.sh
. "$ROOT/bench/nginx/config.sh"
nginx_conf "$WORK/nginx" "$port" "$WORK/tls.crt" "$WORK/tls.key"
nginx -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" &
pids+=($!)
names=(nginx); ports=($port)
for sha in "${labels[@]}"; do
  port=$((port + 1))
  "$STEPS_DIR/bin/$sha" serve --listen "127.0.0.1:$port" --tls-cert "$WORK/tls.crt" --tls-key "$WORK/tls.key" \
    >/dev/null 2>"$WORK/$sha.log" &
  pids+=($!); names+=("$sha"); ports+=($port)
done
for p in "${ports[@]}"; do
  for _ in $(seq 100); do curl -skf "https://127.0.0.1:$p/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
done
wrk_once() {  # PORT SECONDS -> wrk's parsable line
  BENCH_BODY="$BODY" wrk -t2 -c"$CONNECTIONS" -d"$2s" -s "$ROOT/bench/wrk/post.lua" "https://127.0.0.1:$1/validate" | grep '^WRK'
}
for p in "${ports[@]}"; do wrk_once "$p" 1 >/dev/null; done  # warm-up
: > "$WORK/rates"
for round in $(seq "$ROUNDS"); do
  n=${#ports[@]}
  for k in $(seq 0 $((n - 1))); do
    j=$(( (k + round - 1) % n ))
    echo "steps: round $round, ${names[$j]}" >&2
    echo "${names[$j]} $(wrk_once "${ports[$j]}" "$PEAK_SECONDS")" >> "$WORK/rates"
  done
done
peak_rss() { awk '/VmHWM/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
: > "$WORK/rss"
for i in "${!names[@]}"; do
  pid="${pids[$i]}"; total=$(( $(peak_rss "$pid") ))
  for child in $(pgrep -P "$pid" || true); do total=$((total + $(peak_rss "$child"))); done
  echo "${names[$i]} $total" >> "$WORK/rss"
done

printf 'machine: %s, %s cores; load average before the rounds (1/5/15 min): %s\n' \
  "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$WORK/rates" "$WORK/rss" "$ROUNDS" "$PEAK_SECONDS" "$CONNECTIONS" \
  "$(for s in nginx "${labels[@]}"; do echo "$s=${instr[$s]:-}/${syscalls[$s]:-}"; done | tr '\n' ' ')" <<'PY'
import re, statistics, sys
rates_file, rss_file, rounds, seconds, conns, counts = sys.argv[1:7]
counts = dict(x.split('=', 1) for x in counts.split())
rates, failed = {}, {}
for line in open(rates_file):
    name, rest = line.split(' ', 1)
    rates.setdefault(name, []).append(int(re.search(r'rps=(\d+)', rest).group(1)))
    errors = sum(int(v) for k, v in re.findall(r'(\w+_errors|timeouts)=(\d+)', rest))
    failed[name] = failed.get(name, 0) + errors
rss = dict(l.split() for l in open(rss_file))
ceiling = statistics.median(rates['nginx'])
print(f"\nwrk -t2 -c{conns} -d{seconds}s, {rounds} interleaved rounds, 13.5 KB allowed UPDATE on /validate\n")
print("| Server | Instructions per review | System calls per review | req/s (median, range) | % of nginx | Failed requests | Peak RSS MB |")
print("|---|---|---|---|---|---|---|")
for name in rates:
    r = rates[name]
    i, s = (counts.get(name, '/').split('/') + [''])[:2]
    i = f"{int(float(i)):,}" if i else "-"
    print(f"| {name} | {i} | {s or '-'} | {statistics.median(r):,.0f} ({min(r):,}-{max(r):,}) | "
          f"{100 * statistics.median(r) / ceiling:.0f}% | {failed[name]} | {int(rss.get(name, 0)) / 1024:.1f} |")
PY
