#!/usr/bin/env bash
# Load benchmark of issue 6: flink-memguard beside nginx (the TLS ceiling) and a Go net/http webhook, same body, same client;
# and (issue 16) the Flink Kubernetes Operator's own webhook, built from its sources of release 1.7.0
# (bench/operator-webhook/), on the same reviews in the form that release reads (operator_review.py there).
#
# Each server is started three times to time start-to-ready; the third instance of every server
# stays up, idle unless loaded, so that the peaks can be measured interleaved: ROUNDS rounds, each
# giving every server one wrk run (closed loop, keep-alive) of every scenario (endpoint + review
# body), the server order rotating each round. This shared 2-core machine drifts by tens of
# percent within minutes, so back-to-back runs and the median of the rounds compare the servers
# under the same conditions, where one run per server minutes apart compared the moments as much
# as the servers. Then latency at 50% and 80% of each server's median peak with bench/loadgen
# (open loop, no coordinated omission). Peak RSS is VmHWM from /proc, summed over the server's
# processes. The table goes into bench/RESULTS.md between markers; other sections are kept.
#
# Environment (all optional):
#   MEMGUARD_BIN   flink-memguard binary         (default build/flink-memguard)
#   LOADGEN        bench/loadgen binary          (default build/bench/loadgen)
#   SERVERS        which servers                 (default "memguard nginx go operator")
#   ROUNDS         interleaved wrk rounds        (default 5; the peak is the median)
#   PEAK_SECONDS   each wrk run                  (default 6)
#   LAT_SECONDS    each fixed-rate run           (default 10, after WARMUP_SECONDS of warm-up)
#   CONNECTIONS    keep-alive connections        (default 32, the scenario of issue 16), THREADS client threads (default 2)
#   RESULTS        output file                   (default bench/RESULTS.md; "-" for stdout only)
#   PORT_BASE      first of four loopback ports  (default 18443)
#   OPERATOR_WARMUP_SECONDS  warm-up of the operator's webhook per scenario (default 10: its JVM compiles
#                  the hot path during the first thousands of requests; the others get WARMUP_SECONDS)
#   BENCH_NOTE     a line added to the results, e.g. "provisional: other builds were running"
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MEMGUARD_BIN="${MEMGUARD_BIN:-$ROOT/build/flink-memguard}"
LOADGEN="${LOADGEN:-$ROOT/build/bench/loadgen}"
SERVERS="${SERVERS:-memguard nginx go operator}"
OPERATOR_WARMUP_SECONDS="${OPERATOR_WARMUP_SECONDS:-10}"
ROUNDS="${ROUNDS:-5}"
PEAK_SECONDS="${PEAK_SECONDS:-6}"
LAT_SECONDS="${LAT_SECONDS:-10}"
WARMUP_SECONDS="${WARMUP_SECONDS:-2}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
RESULTS="${RESULTS:-$ROOT/bench/RESULTS.md}"
PORT_BASE="${PORT_BASE:-18443}"
FIXTURES="$ROOT/bench/fixtures"
BENCH_NOTE="${BENCH_NOTE:-}"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"

# Scenarios: name, path, body. nginx and the Go webhook treat /mutate exactly like /validate
# (nginx answers a fixed response, Go decodes and allows), so they run the /validate pair only.
SCENARIOS_MEMGUARD="validate-allowed:/validate:update-flinkdeployment-allowed.json
validate-denied:/validate:update-flinkdeployment-denied.json
mutate-allowed:/mutate:update-flinkdeployment-allowed.json
mutate-denied:/mutate:update-flinkdeployment-denied.json"
SCENARIOS_OTHER="validate-allowed:/validate:update-flinkdeployment-allowed.json
validate-denied:/validate:update-flinkdeployment-denied.json"
# The operator's webhook of release 1.7.0 gets the same two reviews as it can read them (written into
# the run's folder at start; bench/operator-webhook/operator_review.py says what changes and why).
SCENARIOS_OPERATOR="validate-allowed:/validate:operator-update-flinkdeployment-allowed.json
validate-denied:/validate:operator-update-flinkdeployment-denied.json"

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

for tool in wrk nginx go openssl curl python3 $(case " $SERVERS " in *" operator "*) echo java mvn ;; esac); do
  command -v "$tool" >/dev/null || die "$tool is missing: run scripts/install-bench-deps.sh (or make bench)"
done
[ -x "$LOADGEN" ] || die "$LOADGEN is missing: build the loadgen target (make bench does)"

WORK="$(mktemp -d /tmp/memguard-bench.XXXXXX)"
SERVER_PGID=""
declare -A PGID_OF=()
stop_group() {
  kill -TERM -- "-$1" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 -- "-$1" 2>/dev/null || break; sleep 0.05; done
  kill -KILL -- "-$1" 2>/dev/null || true
}
stop_server() {
  if [ -n "$SERVER_PGID" ]; then stop_group "$SERVER_PGID"; SERVER_PGID=""; fi
}
stop_all() {
  stop_server
  local name
  for name in "${!PGID_OF[@]}"; do stop_group "${PGID_OF[$name]}"; unset "PGID_OF[$name]"; done
}
trap 'stop_all; rm -rf "$WORK"' EXIT

# A throwaway RSA-2048 certificate, the common default of cert-manager and kubeadm-style setups.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1,DNS:localhost \
  -keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2>/dev/null
CERT="$WORK/tls.crt"
KEY="$WORK/tls.key"

port_of() {
  case "$1" in
    memguard) echo "$PORT_BASE" ;; nginx) echo $((PORT_BASE + 1)) ;; go) echo $((PORT_BASE + 2)) ;;
    operator) echo $((PORT_BASE + 3)) ;;
  esac
}

memguard_available() {
  [ -x "$MEMGUARD_BIN" ] && "$MEMGUARD_BIN" --help 2>&1 | grep -qE '^[[:space:]]+serve[[:space:]]'
}

build_go_webhook() {
  log "building bench/go-webhook ($(go version | cut -d' ' -f3), standard library only, offline)"
  (cd "$ROOT/bench/go-webhook" && GOFLAGS=-mod=mod GOPROXY=off GOWORK=off CGO_ENABLED=0 \
    go build -trimpath -o "$WORK/go-webhook" .)
}

OPERATOR_VERSION="$(sed -n 's|.*<operator.version>\(.*\)</operator.version>.*|\1|p' "$ROOT/bench/operator-webhook/pom.xml")"

# Builds the operator's webhook (once; Maven caches it), writes its keystore, configuration and
# environment into $WORK/operator, and the reviews in the form its release reads.
prepare_operator_webhook() {
  log "preparing the Flink Kubernetes Operator $OPERATOR_VERSION webhook (bench/operator-webhook)"
  bash "$ROOT/bench/operator-webhook/webhook.sh" prepare --work "$WORK/operator" --cert "$CERT" --key "$KEY" \
    --port "$(port_of operator)"
  local v
  for v in allowed denied; do
    python3 "$ROOT/bench/operator-webhook/operator_review.py" "$FIXTURES/update-flinkdeployment-$v.json" \
      "$WORK/operator-update-flinkdeployment-$v.json"
  done
}

# One server's verdict on one review posted to /validate: "allowed", "denied: MESSAGE" or
# "HTTP CODE: FIRST LINE" (a Kubernetes API server applies the webhook's failurePolicy to that).
verdict_of() {
  local out code
  out="$WORK/verdict.json"
  code="$(curl -sk -o "$out" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "@$2" \
    "https://127.0.0.1:$(port_of "$1")/validate" || true)"
  python3 - "$out" "$code" <<'PY'
import json, sys
path, code = sys.argv[1], sys.argv[2]
text = open(path, errors="replace").read()
if code != "200":
    first = text.strip().splitlines()[0] if text.strip() else ""
    print(f"HTTP {code}: {first[:160]}".replace("|", "\\|"))
    sys.exit(0)
response = json.loads(text).get("response", {})
if response.get("allowed"):
    print("allowed")
else:
    message = " ".join(str(response.get("status", {}).get("message", "")).split())
    print(("denied: " + message[:160] + ("..." if len(message) > 160 else "")).replace("|", "\\|"))
PY
}

# Verdicts of flink-memguard and the operator's webhook on the benchmark reviews, as posted and in
# the form operator 1.7.0 reads. They judge different things (ours: the memory model; the
# operator's: its DefaultValidator), so disagreement is expected where only one of them looks.
VERDICTS="$WORK/verdicts.md"
: >"$VERDICTS"
compare_verdicts() {
  case " $RUNNING " in *" memguard "*) ;; *) return 0 ;; esac
  case " $RUNNING " in *" operator "*) ;; *) return 0 ;; esac
  local file m o same
  {
    echo "| Review (posted to /validate) | Bytes | flink-memguard | Flink Kubernetes Operator $OPERATOR_VERSION webhook | Same verdict |"
    echo "|---|---|---|---|---|"
  } >"$VERDICTS"
  for file in "$FIXTURES/update-flinkdeployment-allowed.json" "$FIXTURES/update-flinkdeployment-denied.json" \
    "$WORK/operator-update-flinkdeployment-allowed.json" "$WORK/operator-update-flinkdeployment-denied.json"; do
    m="$(verdict_of memguard "$file")"
    o="$(verdict_of operator "$file")"
    if [ "${m%%:*}" = allowed ] && [ "${o%%:*}" = allowed ]; then same=yes
    elif [ "${m%%:*}" != allowed ] && [ "${o%%:*}" != allowed ]; then same="yes (not admitted by either)"
    else same=**no**; fi
    printf '| %s | %s | %s | %s | %s |\n' "$(basename "$file" | sed 's/^operator-/as operator 1.7 reads it: /')" \
      "$(wc -c <"$file")" "$m" "$o" "$same" >>"$VERDICTS"
    log "verdicts on $(basename "$file"): flink-memguard: $m; operator: $o"
  done
}

# nginx returns flink-memguard's own responses when they were captured in this run (so the
# response sizes match), else bench/nginx/response.json. `return` text is an nginx string:
# backslashes and single quotes are escaped; '$' would start a variable, so such a body is refused.
nginx_string() {
  local body
  body="$(cat "$1")"
  case "$body" in *'$'*) die "$1 contains '\$', which nginx's return text cannot carry" ;; esac
  body="${body//\\/\\\\}"
  body="${body//\'/\\\'}"
  printf '%s' "$body"
}

write_nginx_conf() {
  local validate="$ROOT/bench/nginx/response.json" mutate="$ROOT/bench/nginx/response.json"
  [ -s "$WORK/resp-memguard-validate-allowed.json" ] && validate="$WORK/resp-memguard-validate-allowed.json"
  [ -s "$WORK/resp-memguard-mutate-allowed.json" ] && mutate="$WORK/resp-memguard-mutate-allowed.json"
  mkdir -p "$WORK/nginx"
  local v m
  v="$(nginx_string "$validate")"
  m="$(nginx_string "$mutate")"
  V="$v" M="$m" DIR="$WORK/nginx" PORT="$(port_of nginx)" CERT="$CERT" KEY="$KEY" \
    awk '{ gsub(/@DIR@/, ENVIRON["DIR"]); gsub(/@PORT@/, ENVIRON["PORT"]); gsub(/@CERT@/, ENVIRON["CERT"]);
           gsub(/@KEY@/, ENVIRON["KEY"]);
           i = index($0, "@VALIDATE_RESPONSE@"); if (i) $0 = substr($0, 1, i-1) ENVIRON["V"] substr($0, i+19);
           i = index($0, "@MUTATE_RESPONSE@");   if (i) $0 = substr($0, 1, i-1) ENVIRON["M"] substr($0, i+17);
           print }' "$ROOT/bench/nginx/nginx.conf.template" > "$WORK/nginx/nginx.conf"
  nginx -t -q -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/nginx-error.log" 2>/dev/null \
    || die "nginx rejected $WORK/nginx/nginx.conf: $(nginx -t -c "$WORK/nginx/nginx.conf" 2>&1 | tail -2)"
}

server_command() {
  local port
  port="$(port_of "$1")"
  case "$1" in
    memguard) echo "$MEMGUARD_BIN serve --listen 127.0.0.1:$port --tls-cert $CERT --tls-key $KEY" ;;
    nginx) echo "nginx -c $WORK/nginx/nginx.conf -e $WORK/nginx/nginx-error.log" ;;
    go) echo "$WORK/go-webhook --listen 127.0.0.1:$port --tls-cert $CERT --tls-key $KEY" ;;
    # As the operator image's docker-entrypoint.sh starts it (bench/operator-webhook/webhook.sh).
    operator) echo "bash $ROOT/bench/operator-webhook/webhook.sh exec --work $WORK/operator" ;;
  esac
}

# A review body of the scenario lists: the operator's are written into the run's folder.
body_path() {
  case "$1" in operator-*) echo "$WORK/$1" ;; *) echo "$FIXTURES/$1" ;; esac
}

# The operator's webhook, unlike the others, has no readiness endpoint (its chart sets no probe on
# the webhook container; every path but /validate and /mutate answers 500): it is ready when it
# answers a review. The probe is curl posting the allowed review every ~10 ms, so start-to-ready
# is exact to a probe's duration (tens of ms), against starts of seconds. Sets SERVER_PGID, READY_MS.
start_operator_server() {
  local port t0 pid status deadline
  port="$(port_of operator)"
  t0="$(date +%s%N)"
  deadline=$((t0 + 180000000000))
  # setsid: its own process group (as loadgen ready gives the others), stopped with one kill.
  # shellcheck disable=SC2046
  setsid $(server_command operator) >>"$WORK/operator.log" 2>&1 &
  pid=$!
  while :; do
    status="$(curl -sk -o /dev/null -w '%{http_code}' --max-time 2 -H 'Content-Type: application/json' \
      --data-binary "@$(body_path operator-update-flinkdeployment-allowed.json)" "https://127.0.0.1:$port/validate" || true)"
    [ "$status" = 200 ] && break
    kill -0 "$pid" 2>/dev/null || die "operator did not become ready: $(tail -5 "$WORK/operator.log")"
    [ "$(date +%s%N)" -lt "$deadline" ] || { kill -TERM -- "-$pid" 2>/dev/null; die "operator was not ready within 180 s"; }
    sleep 0.01
  done
  READY_MS="$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')"
  SERVER_PGID="$pid"
  [ "$(ps -o pgid= -p "$pid" | tr -d ' ')" = "$pid" ] || die "the operator's webhook is not its own process group"
}

# Starts server $1, sets SERVER_PGID and READY_MS: the time from fork() to the first 200 from
# GET /readyz over TLS, polled every ~200 us by loadgen.
start_server() {
  local port out
  port="$(port_of "$1")"
  if ss -ltnH "sport = :$port" | grep -q .; then die "port $port is in use: set PORT_BASE"; fi
  if [ "$1" = operator ]; then start_operator_server; return; fi
  # shellcheck disable=SC2046
  out="$("$LOADGEN" ready --port "$port" --path /readyz --timeout-ms 10000 --log "$WORK/$1.log" -- $(server_command "$1"))" \
    || die "$1 did not become ready: $(tail -5 "$WORK/$1.log" 2>/dev/null)"
  SERVER_PGID="$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' <<<"$out")"
  READY_MS="$(sed -n 's/.*ready_ms=\([0-9.]*\).*/\1/p' <<<"$out")"
}

# Peak RSS: VmHWM summed over the server's process group (nginx: master + 2 workers; shared
# pages are counted once per process, so for nginx this is an upper bound).
peak_rss_kb() {
  local total=0 pid hwm
  for pid in $(ps -e -o pid=,pgid= | awk -v g="$1" '$2 == g { print $1 }'); do
    hwm="$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)"
    total=$((total + ${hwm:-0}))
  done
  echo "$total"
}

tls_of() {
  openssl s_client -connect "127.0.0.1:$(port_of "$1")" </dev/null 2>/dev/null \
    | awk '/^New, / { p = $2; c = $NF } END { sub(/,$/, "", p); print p " " c }'
}

field() { sed -n "s/.*\\b$1=\\([0-9.]*\\).*/\\1/p" <<<"$2"; }
fmt_ms() { awk -v us="$1" 'BEGIN { if (us == "") print "-"; else printf "%.2f", us / 1000 }'; }
# "busy total" jiffies of all cores from /proc/stat (busy: everything but idle and iowait).
cpu_jiffies() { awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' /proc/stat; }
busy_percent() { awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " "); if (y[2] > x[2]) printf "%.0f%%", 100 * (y[1] - x[1]) / (y[2] - x[2]); else print "-" }'; }

ROWS="$WORK/rows.md"
SERVER_ROWS="$WORK/servers.md"
SUMMARY="$WORK/summary.txt"
: >"$ROWS"
: >"$SERVER_ROWS"
: >"$SUMMARY"

scenarios_of() {
  case "$1" in memguard) echo "$SCENARIOS_MEMGUARD" ;; operator) echo "$SCENARIOS_OPERATOR" ;; *) echo "$SCENARIOS_OTHER" ;; esac
}
body_of() { scenarios_of "$1" | awk -F: -v s="$2" '$1 == s { print $3 }'; }  # server $1's body for scenario $2
runs_scenario() { scenarios_of "$1" | grep -q "^$2:"; }  # server $1 has scenario $2

# Starts server $1 three times (the median start-to-ready goes in the table) and leaves the third
# instance running, its process group in PGID_OF.
start_for_bench() {
  local name="$1" ready1 ready2 ready3 ready tls
  case "$name" in
    nginx) write_nginx_conf ;;
    go) build_go_webhook ;;
    operator) prepare_operator_webhook ;;
  esac
  start_server "$name"; ready1="$READY_MS"; stop_server
  start_server "$name"; ready2="$READY_MS"; stop_server
  start_server "$name"; ready3="$READY_MS"
  PGID_OF[$name]="$SERVER_PGID"
  SERVER_PGID=""
  ready="$(printf '%s\n' "$ready1" "$ready2" "$ready3" | sort -n | sed -n 2p)"
  tls="$(tls_of "$name")"
  log "$name ready in $ready ms (runs: $ready1 $ready2 $ready3), TLS $tls"
  echo "$name|$ready|$ready1 / $ready2 / $ready3|$tls" >>"$WORK/ready.txt"
}

# One wrk run; prints the request rate (dies when wrk measured none).
wrk_rate() {
  local name="$1" sname="$2" path="$3" body="$4" out rate e
  out="$(BENCH_BODY="$(body_path "$body")" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${PEAK_SECONDS}s" -s "$ROOT/bench/wrk/post.lua" \
    "https://127.0.0.1:$(port_of "$name")$path" | grep '^WRK ' || true)"
  rate="$(field rps "$out")"
  if [ -z "$rate" ] || [ "$rate" -le 0 ]; then die "$name $sname: wrk measured no rate (${out:-no output})"; fi
  for e in connect_errors read_errors write_errors status_errors timeouts; do
    [ "$(field "$e" "$out")" = 0 ] || log "WARNING $name $sname: wrk $e=$(field "$e" "$out")"
  done
  echo "$rate"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

# The peaks: a response check and a warm-up run for every (server, scenario) pair, then ROUNDS
# rounds; each round runs every scenario once on every server, the server order rotating each
# round. Rounds span all scenarios, so a slow minute of the machine falls on every pair alike
# instead of on whichever scenario happened to run then. Appends "server scenario rate" to RATES.
measure_peaks() {
  local name status resp_file round i n sname path body
  local -a pairs=()
  while IFS=: read -r sname path body; do
    [ -n "$sname" ] || continue
    for name in $RUNNING; do
      runs_scenario "$name" "$sname" || continue
      body="$(body_of "$name" "$sname")"
      resp_file="$WORK/resp-$name-$sname.json"
      status="$(curl -sk -o "$resp_file" -w '%{http_code}' -H 'Content-Type: application/json' \
        --data-binary "@$(body_path "$body")" "https://127.0.0.1:$(port_of "$name")$path")"
      [ "$status" = 200 ] || die "$name $path answered HTTP $status: $(head -c 300 "$resp_file")"
      BENCH_BODY="$(body_path "$body")" wrk -t"$THREADS" -c"$CONNECTIONS" \
        -d"$(if [ "$name" = operator ]; then echo "$OPERATOR_WARMUP_SECONDS"; else echo "$WARMUP_SECONDS"; fi)s" \
        -s "$ROOT/bench/wrk/post.lua" "https://127.0.0.1:$(port_of "$name")$path" >/dev/null
    done
  done <<<"$SCENARIOS_MEMGUARD"
  for round in $(seq "$ROUNDS"); do
    while IFS=: read -r sname path body; do
      [ -n "$sname" ] || continue
      pairs=()
      for name in $RUNNING; do
        if runs_scenario "$name" "$sname"; then pairs+=("$name"); fi
      done
      n="${#pairs[@]}"
      for i in $(seq 0 $((n - 1))); do
        name="${pairs[$(((i + round - 1) % n))]}"
        echo "$name $sname $(wrk_rate "$name" "$sname" "$path" "$(body_of "$name" "$sname")")" >>"$RATES"
      done
    done <<<"$SCENARIOS_MEMGUARD"
  done
}

# Latency at 50% and 80% of the server's median peak, and the table row.
measure_latency() {
  local name="$1" sname="$2" path="$3" body="$4" rates peak lo hi half eighty l50 l80 l resp_bytes port cpu_before busy80
  port="$(port_of "$name")"
  rates="$(awk -v s="$name" -v c="$sname" '$1 == s && $2 == c { print $3 }' "$RATES")"
  [ -n "$rates" ] || return 0
  peak="$(median <<<"$rates")"
  lo="$(sort -n <<<"$rates" | head -1)"
  hi="$(sort -n <<<"$rates" | tail -1)"
  half=$((peak / 2))
  eighty=$((peak * 8 / 10))
  l50="$("$LOADGEN" rate --port "$port" --path "$path" --body "$(body_path "$body")" --rate "$half" \
    --connections "$CONNECTIONS" --threads "$THREADS" --duration "$LAT_SECONDS" --warmup "$WARMUP_SECONDS" || true)"
  cpu_before="$(cpu_jiffies)"
  l80="$("$LOADGEN" rate --port "$port" --path "$path" --body "$(body_path "$body")" --rate "$eighty" \
    --connections "$CONNECTIONS" --threads "$THREADS" --duration "$LAT_SECONDS" --warmup "$WARMUP_SECONDS" || true)"
  busy80="$(busy_percent "$cpu_before" "$(cpu_jiffies)")"
  for l in "$l50" "$l80"; do
    for e in errors non200 unfinished; do
      [ "$(field "$e" "$l")" = 0 ] || log "WARNING $name $sname: loadgen $e=$(field "$e" "$l") ($l)"
    done
  done
  resp_bytes="$(wc -c <"$WORK/resp-$name-$sname.json")"
  log "$name $sname: peak $peak rps (rounds: $(tr '\n' ' ' <<<"$rates")); 50%: $l50"
  log "$name $sname: 80%: $l80"
  printf '| %s | %s %s | %s | %s (%s-%s) | %s / %s / %s | %s / %s / %s | %s / %s | %s / %s |\n' \
    "$(display_name "$name")" "$path" "${sname#*-}" "$(wc -c <"$(body_path "$body")")" "$peak" "$lo" "$hi" \
    "$(fmt_ms "$(field p50_us "$l50")")" "$(fmt_ms "$(field p99_us "$l50")")" "$(fmt_ms "$(field p999_us "$l50")")" \
    "$(fmt_ms "$(field p50_us "$l80")")" "$(fmt_ms "$(field p99_us "$l80")")" "$(fmt_ms "$(field p999_us "$l80")")" \
    "$(field achieved_rps "$l80")" "$resp_bytes" "$busy80" "$(field client_cpu_us_per_request "$l80")" >>"$ROWS"
  echo "$name $sname peak=$peak p99_80_us=$(field p99_us "$l80")" >>"$SUMMARY"
}

display_name() {
  case "$1" in
    memguard) echo "flink-memguard" ;;
    nginx) echo "nginx $(nginx -v 2>&1 | sed 's|.*nginx/||')" ;;
    go) echo "Go $(go version | cut -d' ' -f3 | sed 's/^go//') net/http" ;;
    operator) echo "Flink Kubernetes Operator $OPERATOR_VERSION webhook (Java $(java -version 2>&1 | awk -F'"' 'NR == 1 { print $2 }'))" ;;
  esac
}

# The issue's goals, checked when flink-memguard ran: compared scenario by scenario with the same
# body and path against nginx and Go (validate-allowed and validate-denied).
goals() {
  awk '
    $3 ~ /^peak=/ { split($3, a, "="); peak[$1 " " $2] = a[2]; split($4, b, "="); p99[$1 " " $2] = b[2] }
    $2 ~ /^rss_kb=/ { split($2, a, "="); rss[$1] = a[2]; split($3, b, "="); ready[$1] = b[2] }
    function verdict(ok) { return ok ? "met" : "**missed**" }
    END {
      if (!("memguard" in rss)) { print "flink-memguard did not run, so the goals were not checked."; exit }
      print "| Goal | Figure | Verdict |"
      print "|---|---|---|"
      n = split("validate-allowed validate-denied", sc, " ")
      for (i = 1; i <= n; i++) {
        s = sc[i]; m = peak["memguard " s]
        if (("nginx " s) in peak)
          printf "| >= 60%% of nginx request rate (%s) | %.0f%% | %s |\n", s, 100 * m / peak["nginx " s], verdict(m >= 0.6 * peak["nginx " s])
        if (("go " s) in peak)
          printf "| >= 2x the Go net/http stack (%s) | %.2fx | %s |\n", s, m / peak["go " s], verdict(m >= 2 * peak["go " s])
      }
      worst = 0
      for (k in p99) if (k ~ /^memguard /) if (p99[k] + 0 > worst) worst = p99[k] + 0
      printf "| p99 < 2 ms at 80%% of peak (worst scenario) | %.2f ms | %s |\n", worst / 1000, verdict(worst < 2000)
      printf "| peak RSS < 30 MB | %.1f MB | %s |\n", rss["memguard"] / 1024, verdict(rss["memguard"] < 30 * 1024)
      printf "| ready in < 100 ms | %s ms | %s |\n", ready["memguard"], verdict(ready["memguard"] + 0 < 100)
    }' "$SUMMARY"
}

RATES="$WORK/rates.txt"
: >"$RATES"
: >"$WORK/ready.txt"
RUNNING=""
for s in $SERVERS; do
  if [ "$s" = memguard ] && ! memguard_available; then
    log "SKIPPED flink-memguard: $MEMGUARD_BIN is missing or its --help lists no 'serve' command"
    echo "| flink-memguard | skipped: \`$(basename "$MEMGUARD_BIN") serve\` not available in this build | | | |" >>"$SERVER_ROWS"
    continue
  fi
  start_for_bench "$s"
  RUNNING="$RUNNING $s"
  if [ "$s" = memguard ]; then
    # nginx answers with these (write_nginx_conf), so its responses have the same size.
    for sname in validate-allowed mutate-allowed; do
      curl -sk -o "$WORK/resp-memguard-$sname.json" -H 'Content-Type: application/json' \
        --data-binary "@$FIXTURES/update-flinkdeployment-allowed.json" "https://127.0.0.1:$(port_of memguard)/${sname%%-*}"
    done
  fi
done
compare_verdicts
# Starting the servers built the Go webhook and wrote files: let that settle before measuring.
sync
sleep 5
measure_peaks
for s in $RUNNING; do
  while IFS=: read -r sname path body; do
    [ -n "$sname" ] || continue
    measure_latency "$s" "$sname" "$path" "$body"
  done <<<"$(scenarios_of "$s")"
done
for s in $RUNNING; do
  rss="$(peak_rss_kb "${PGID_OF[$s]}")"
  IFS='|' read -r _ ready starts tls < <(grep "^$s|" "$WORK/ready.txt")
  echo "$s rss_kb=$rss ready_ms=$ready" >>"$SUMMARY"
  printf '| %s | %s | %s | %.1f | %s |\n' "$(display_name "$s")" "$ready" "$starts" \
    "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "$tls" >>"$SERVER_ROWS"
done
stop_all

CPU="$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)"
CORES="$(nproc)"
SECTION="$WORK/section.md"
{
  echo "<!-- load-benchmark:begin (written by bench/run.sh; edit the script, not this section) -->"
  echo "## Load: TLS webhook servers side by side"
  echo
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- Machine: $CPU, $CORES cores, $(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo) RAM, Linux $(uname -r), $(sed -n 's/^PRETTY_NAME="\(.*\)"/\1/p' /etc/os-release)"
  echo "- Source: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)'); flink-memguard binary: $MEMGUARD_BIN"
  echo "- Command: \`make bench\` (bench/run.sh: ROUNDS=$ROUNDS PEAK_SECONDS=$PEAK_SECONDS LAT_SECONDS=$LAT_SECONDS WARMUP_SECONDS=$WARMUP_SECONDS CONNECTIONS=$CONNECTIONS THREADS=$THREADS)"
  echo "- Load average (1/5/15 min) before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg); anything well above 0 means other work shared the cores"
  [ -z "$BENCH_NOTE" ] || echo "- Note: $BENCH_NOTE"
  echo "- Clients: $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2) for the peak; bench/loadgen (open loop) for latency. Client and server share the same $CORES cores."
  echo
  echo "| Server | Endpoint, review | Request bytes | Peak req/s (wrk: median of $ROUNDS interleaved rounds, range) | p50 / p99 / p99.9 ms at 50% of peak | p50 / p99 / p99.9 ms at 80% of peak | Achieved req/s at 80% / response bytes | At 80%: both cores busy / client CPU µs per request |"
  echo "|---|---|---|---|---|---|---|---|"
  cat "$ROWS"
  echo
  echo "| Server | Start to ready, ms (median) | Three starts, ms | Peak RSS, MB | TLS negotiated |"
  echo "|---|---|---|---|---|"
  cat "$SERVER_ROWS"
  echo
  goals
  echo
  if [ -s "$VERDICTS" ]; then
    echo "Verdicts on the benchmark reviews (each review posted once to /validate; a webhook's HTTP 500 makes the API server apply its failurePolicy, Fail in the operator's chart):"
    echo
    cat "$VERDICTS"
    echo
  fi
  echo "Method: see README.md, section Benchmarks."
  echo "<!-- load-benchmark:end -->"
} >"$SECTION"

if [ "$RESULTS" = "-" ]; then
  cat "$SECTION"
  exit 0
fi
if [ -f "$RESULTS" ] && grep -q '<!-- load-benchmark:begin' "$RESULTS"; then
  awk -v f="$SECTION" '
    /<!-- load-benchmark:begin/ { while ((getline l < f) > 0) print l; skip = 1; next }
    /<!-- load-benchmark:end/ { skip = 0; next }
    !skip { print }' "$RESULTS" >"$WORK/results.md"
  cp "$WORK/results.md" "$RESULTS"
else
  { [ -f "$RESULTS" ] && { cat "$RESULTS"; echo; } || printf '# Benchmark results\n\n'; cat "$SECTION"; } >"$WORK/results.md"
  cp "$WORK/results.md" "$RESULTS"
fi
cat "$SECTION"
log "wrote $RESULTS"
