#!/usr/bin/env bash
# `make image-test`: runs the built image once with buildah (no Docker engine): the binary starts
# as the image's non-root user with all its libraries, and, once the server exists, serves a
# review over TLS on loopback. Prints "N passed, N failed" and exits non-zero on any failure.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
version="$(sed -n 's/^project(flink-memguard VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")"
IMAGE="${IMAGE:-localhost/flink-memguard:$version}"
bah() { buildah --storage-driver vfs "$@"; }

passed=0; failed=0
pass() { echo "ok:   $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; }

bah inspect --type image "$IMAGE" >/dev/null 2>&1 || { echo "test-image: no image $IMAGE; run make image" >&2; exit 2; }

work="$(mktemp -d)"
ctr=""; server_pid=""
# `buildah run` does not pass a signal on to what it runs: the server inside (below
# buildah-chroot-exec) is stopped first, then the processes that ran it.
kill_tree() {  # PID
  local child
  for child in $(pgrep -P "$1" 2>/dev/null); do kill_tree "$child"; done
  kill "$1" 2>/dev/null || true
}
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill_tree "$server_pid"
    wait "$server_pid" 2>/dev/null || true
  fi
  [ -n "$ctr" ] && bah rm "$ctr" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# The image's own configuration.
user="$(bah inspect --type image --format '{{.OCIv1.Config.User}}' "$IMAGE")"
[ "$user" = "65532:65532" ] && pass "runs as the fixed non-root user ($user)" || fail "user is '$user', want 65532:65532"
entrypoint="$(bah inspect --type image --format '{{.OCIv1.Config.Entrypoint}}' "$IMAGE")"
[ "$entrypoint" = '[/usr/local/bin/flink-memguard]' ] && pass "entrypoint is the binary" || fail "entrypoint is $entrypoint"

ctr="$(bah from --pull-never "$IMAGE")"
run_in() { bah run --isolation chroot "$ctr" -- "$@"; }

# The binary loads (every shared library present) and runs as that user.
if help="$(run_in /usr/local/bin/flink-memguard --help 2>&1)" && grep -q '^usage: flink-memguard' <<<"$help"; then
  pass "flink-memguard --help runs in the image"
else
  fail "flink-memguard --help: $help"
fi
uid="$(run_in /usr/bin/id -u 2>&1 || true)"
[ "$uid" = "65532" ] && pass "processes run as uid 65532" || fail "process uid is '$uid'"
extra=""
for tool in curl wget nc ncat socat gcc g++ cc make python3 ssh; do
  run_in /usr/bin/which "$tool" >/dev/null 2>&1 && extra="$extra $tool"
done
[ -z "$extra" ] && pass "no compilers, interpreters or network tools in the image" || fail "image carries:$extra"

# A review over TLS, answered by `serve` (loopback only: chroot isolation shares the host network).
if ! grep -qE '^  serve ' <<<"$help"; then
  echo "note: this build has no 'serve' command yet; the review check runs once it lands"
  finish; exit $?
fi
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj "/CN=image-test CA" -keyout "$work/ca.key" -out "$work/ca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" \
  -keyout "$work/tls.key" -out "$work/tls.csr" 2>/dev/null
openssl x509 -req -in "$work/tls.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial -days 1 \
  -extfile <(printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n') \
  -out "$work/tls.crt" 2>/dev/null
mkdir "$work/tls" && cp "$work/tls.crt" "$work/tls.key" "$work/tls/"
bah copy --chown 65532:65532 "$ctr" "$work/tls" /etc/flink-memguard/tls >/dev/null
port=$((20000 + RANDOM % 20000))
run_in /usr/local/bin/flink-memguard serve --listen "127.0.0.1:$port" \
  --tls-cert /etc/flink-memguard/tls/tls.crt --tls-key /etc/flink-memguard/tls/tls.key \
  >"$work/server.log" 2>&1 &
server_pid=$!
curl_tls() { curl -sS --max-time 5 --cacert "$work/ca.crt" "$@"; }
ready=false
for _ in $(seq 1 60); do
  if curl_tls -o /dev/null -f "https://localhost:$port/readyz" 2>/dev/null; then ready=true; break; fi
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.5
done
if [ "$ready" = true ]; then
  pass "serve became ready on https://localhost:$port"
  review="$root/bench/fixtures/update-flinkdeployment-allowed.json"
  uid="$(grep -o '"uid" *: *"[^"]*"' "$review" | head -n 1 | sed 's/.*"\([^"]*\)"$/\1/')"
  answer="$(curl_tls -X POST -H 'Content-Type: application/json' --data-binary "@$review" \
            "https://localhost:$port/validate" || true)"
  if grep -q '"kind":"AdmissionReview"' <<<"$answer" && grep -q "\"uid\":\"$uid\"" <<<"$answer" \
     && grep -q '"allowed":' <<<"$answer"; then
    pass "POST /validate answered the review (uid $uid)"
  else
    fail "POST /validate answered: ${answer:0:300}"
  fi
else
  fail "serve never became ready; its log:"; sed 's/^/  /' "$work/server.log"
fi
finish
