#!/usr/bin/env bash
# A local Kubernetes control plane with flink-memguard admitting into it, the way controller-runtime's
# envtest runs one: etcd and kube-apiserver built from source (scripts/build-control-plane.sh) on
# loopback, with their own CA and serving certificate, an admin client certificate in
# system:masters, service-account signing keys and RBAC; the Flink operator's FlinkDeployment CRD;
# `flink-memguard serve` on loopback; and the chart installed with Helm (webhook.url), so the API
# server calls the local server and kubectl shows its answers exactly as in a cluster. No nodes: pods
# are stored but never run.
#
# Usage:
#   scripts/cluster.sh up       starts everything, prints the KUBECONFIG to use
#   scripts/cluster.sh down     stops what `up` started (by the pids it recorded) and removes the state
#   scripts/cluster.sh webhook stop|start   stops or (re)starts only flink-memguard serve
#   scripts/cluster.sh env      prints the variables of a running cluster (sourceable)
# Environment: CLUSTER_DIR (state, default build/cluster), MEMGUARD_BIN (default build/flink-memguard),
#   HELM (default .tools/k8s-v33/helm), CLUSTER_CHART_VALUES (extra `helm install` arguments),
#   CLUSTER_CRD (operator, the default, or stand-in: which FlinkDeployment CRD, see below),
#   MEMGUARD_OPERATOR_VERSION (the operator release whose CRD is installed; scripts/fetch-operator-crd.sh).
# Every server listens on 127.0.0.1 only, on ports picked free at start.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$(mkdir -p "${CLUSTER_DIR:-$root/build/cluster}" && cd "${CLUSTER_DIR:-$root/build/cluster}" && pwd)"
memguard="${MEMGUARD_BIN:-$root/build/flink-memguard}"
helm="${HELM:-$root/.tools/k8s-v33/helm}"
release=flink-memguard
release_ns=flink-memguard
# A webhook call to 127.0.0.1 must never go through a proxy the environment may name.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost

log() { echo "cluster: $*" >&2; }
die() { log "$*"; exit 1; }

# A port nothing listens on and that this start has not handed out yet.
taken_ports=" "
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 30000))
    case "$taken_ports" in *" $port "*) continue ;; esac
    ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && continue
    taken_ports+="$port "
    echo "$port"
    return
  done
}

# wait_until SECONDS NAME COMMAND...: polls COMMAND every half second while the process `start`
# recorded as NAME lives.
wait_until() {
  local seconds=$1 name=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    if [ -f "$dir/$name.pid" ] && ! kill -0 "$(cat "$dir/$name.pid")" 2>/dev/null; then return 1; fi
    sleep 0.5
  done
}

# start NAME COMMAND...: runs COMMAND in the background with its output in logs/NAME.log.
start() {
  local name=$1; shift
  mkdir -p "$dir/logs"
  nohup "$@" >>"$dir/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$dir/$name.pid"
}

# stop NAME: SIGTERM to the recorded pid, SIGKILL after 20 s; only ever the process `start` recorded.
stop() {
  local name=$1 pid
  [ -f "$dir/$name.pid" ] || return 0
  pid="$(cat "$dir/$name.pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
      rm -f "$dir/$name.pid"
      log "$name ignored SIGTERM for 20 s and was killed"
      return 1
    fi
  fi
  rm -f "$dir/$name.pid"
}

alive() { [ -f "$dir/$1.pid" ] && kill -0 "$(cat "$dir/$1.pid")" 2>/dev/null; }

# make_cert NAME CN ORG SAN CA: a key and a certificate signed by CA (ca.key/ca.crt in certs/).
make_cert() {
  local name=$1 cn=$2 org=$3 san=$4 ca=$5 usage=$6
  local subj="/CN=$cn"; [ -n "$org" ] && subj="/O=$org$subj"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$certs/$name.key" -subj "$subj" -out "$certs/$name.csr" 2>/dev/null
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$usage"
    [ -n "$san" ] && echo "subjectAltName=$san"
  } >"$certs/$name.ext"
  openssl x509 -req -in "$certs/$name.csr" -CA "$certs/$ca.crt" -CAkey "$certs/$ca.key" -CAcreateserial \
    -days 30 -sha256 -extfile "$certs/$name.ext" -out "$certs/$name.crt" 2>/dev/null
  rm -f "$certs/$name.csr" "$certs/$name.ext"
}

make_ca() {
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$certs/$1.key" -out "$certs/$1.crt" -days 30 \
    -subj "/CN=$2" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

# The webhook's serving certificate; `rotate-webhook-cert` issues a new one from the same CA.
issue_webhook_cert() {
  make_cert webhook-next 127.0.0.1 "" "IP:127.0.0.1,DNS:localhost" webhook-ca serverAuth
  # The server reloads the pair it polls; rename keeps each file whole at every instant.
  mv "$certs/webhook-next.key" "$certs/webhook.key.new" && mv "$certs/webhook-next.crt" "$certs/webhook.crt.new"
  mv "$certs/webhook.key.new" "$certs/webhook.key" && mv "$certs/webhook.crt.new" "$certs/webhook.crt"
}

kubectl_admin() { "$bin/kubectl" --kubeconfig "$dir/kubeconfig" "$@"; }

crd_established() {
  [ "$(kubectl_admin get crd flinkdeployments.flink.apache.org \
        -o 'jsonpath={.status.conditions[?(@.type=="Established")].status}')" = True ]
}

webhook_start() {
  # shellcheck disable=SC1091
  . "$dir/env"
  alive webhook && return 0
  local args=(serve --listen "127.0.0.1:$WEBHOOK_PORT" --tls-cert "$certs/webhook.crt" --tls-key "$certs/webhook.key"
              --cert-poll-interval 1 --threads 2)
  # Watches of 5 s: they end and resume often, so a resourceVersion compacted meanwhile is met
  # (tests/cluster: the informer relists after 410 Gone).
  [ -f "$dir/webhook-sa.kubeconfig" ] && args+=(--kube-api "$dir/webhook-sa.kubeconfig" --kube-timeout-ms 2000
                                                --kube-watch-timeout 5)
  start webhook "$memguard" "${args[@]}"
  wait_until 60 webhook curl -sf --cacert "$certs/webhook-ca.crt" "https://127.0.0.1:$WEBHOOK_PORT/readyz" \
    || { tail -20 "$dir/logs/webhook.log" >&2; die "flink-memguard serve did not become ready"; }
}

write_kubeconfig() { # FILE USER-LINES...
  local file=$1; shift
  {
    echo "apiVersion: v1"
    echo "kind: Config"
    echo "clusters:"
    echo "- name: local"
    echo "  cluster:"
    echo "    server: https://127.0.0.1:$APISERVER_PORT"
    echo "    certificate-authority-data: $(base64 -w0 "$certs/ca.crt")"
    echo "contexts:"
    echo "- name: local"
    echo "  context: {cluster: local, user: user}"
    echo "current-context: local"
    echo "users:"
    echo "- name: user"
    echo "  user:"
    printf '    %s\n' "$@"
  } >"$file"
  chmod 600 "$file"
}

up() {
  [ -f "$dir/env" ] && alive kube-apiserver && die "already running in $dir (scripts/cluster.sh down first)"
  [ -x "$memguard" ] || die "no $memguard: build it first (make build)"
  [ -x "$helm" ] || bash "$root/scripts/install-k8s-tools.sh" >&2
  bin="$(bash "$root/scripts/build-control-plane.sh")"
  # CLUSTER_CRD=operator (default): the operator's own CRD from its Maven artifact, as its Helm
  # chart ships it (crds/, verbatim); stand-in: tests/cluster/flinkdeployment-crd-stand-in.yaml, a
  # hand-written schema whose flinkVersion enum has the v2_x values later operators added.
  local crd
  case "${CLUSTER_CRD:-operator}" in
    operator) crd="$(bash "$root/scripts/fetch-operator-crd.sh")" ;;
    stand-in) crd="$root/tests/cluster/flinkdeployment-crd-stand-in.yaml" ;;
    *) die "CLUSTER_CRD must be operator or stand-in" ;;
  esac
  rm -rf "$dir/etcd" "$dir/logs" "$certs"
  mkdir -p "$certs" "$dir/logs"

  local etcd_port etcd_peer_port apiserver_port webhook_port
  etcd_port=$(free_port); taken_ports+="$etcd_port "; etcd_peer_port=$(free_port); taken_ports+="$etcd_peer_port "
  apiserver_port=$(free_port); taken_ports+="$apiserver_port "; webhook_port=$(free_port)
  cat >"$dir/env" <<EOF
export KUBECONFIG=$dir/kubeconfig
CONTROL_PLANE_BIN=$bin
KUBECTL=$bin/kubectl
HELM=$helm
MEMGUARD_BIN=$memguard
APISERVER_PORT=$apiserver_port
ETCD_PORT=$etcd_port
WEBHOOK_PORT=$webhook_port
WEBHOOK_CA=$certs/webhook-ca.crt
CLUSTER_DIR=$dir
RELEASE=$release
RELEASE_NAMESPACE=$release_ns
FLINKDEPLOYMENT_CRD=$crd
EOF
  # shellcheck disable=SC1091
  . "$dir/env"

  log "certificates"
  make_ca ca flink-memguard-cluster-ca
  make_cert apiserver kube-apiserver "" "IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc" ca serverAuth
  make_cert admin admin system:masters "" ca clientAuth
  openssl genrsa -out "$certs/sa.key" 2048 2>/dev/null
  openssl rsa -in "$certs/sa.key" -pubout -out "$certs/sa.pub" 2>/dev/null
  make_ca webhook-ca flink-memguard-webhook-ca
  issue_webhook_cert

  log "etcd on 127.0.0.1:$etcd_port"
  start etcd "$bin/etcd" --name local --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster "local=http://127.0.0.1:$etcd_peer_port" --unsafe-no-fsync --log-level warn
  wait_until 60 etcd curl -sf "http://127.0.0.1:$etcd_port/health" \
    || { tail -20 "$dir/logs/etcd.log" >&2; die "etcd did not start"; }

  log "kube-apiserver on 127.0.0.1:$apiserver_port"
  start kube-apiserver "$bin/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$apiserver_port" \
    --tls-cert-file "$certs/apiserver.crt" --tls-private-key-file "$certs/apiserver.key" \
    --client-ca-file "$certs/ca.crt" --authorization-mode RBAC \
    --service-account-issuer "https://127.0.0.1:$apiserver_port" \
    --service-account-key-file "$certs/sa.pub" --service-account-signing-key-file "$certs/sa.key" \
    --service-cluster-ip-range 10.0.0.0/24 --allow-privileged=true \
    --disable-admission-plugins ServiceAccount --endpoint-reconciler-type none \
    --cert-dir "$certs/apiserver-generated" \
    --watch-cache-sizes 'deployments.apps#0'
  # (Deployments without the watch cache: their watches are served by etcd itself, so compacting
  # etcd reaches them at once, as it reaches a cached watch in a real cluster once the cache's window
  # has moved past it; the compaction case of the cluster tests needs that.)
  write_kubeconfig "$dir/kubeconfig" "client-certificate-data: $(base64 -w0 "$certs/admin.crt")" \
    "client-key-data: $(base64 -w0 "$certs/admin.key")"
  wait_until 300 kube-apiserver curl -sf --cacert "$certs/ca.crt" --cert "$certs/admin.crt" --key "$certs/admin.key" \
      "https://127.0.0.1:$apiserver_port/readyz" \
    || { tail -30 "$dir/logs/kube-apiserver.log" >&2; die "kube-apiserver did not become ready"; }
  # RBAC's bootstrap roles and the default namespace come from post-start hooks shortly after.
  wait_until 120 kube-apiserver kubectl_admin get namespace default \
    || die "kube-apiserver never created the default namespace"

  log "FlinkDeployment CRD from $crd"
  # Created, as Helm creates a chart's crds/ files, with no transformation.
  kubectl_admin create -f "$crd" >/dev/null
  # Polled rather than `kubectl wait --for condition=Established`: a CRD is stored with
  # status.conditions null until the API server's establishing controller has read its schema (for
  # the operator's 10,000-line schema, a visible while), and kubectl wait stops at that null with
  # ".status.conditions accessor error" instead of waiting.
  wait_until 120 kube-apiserver crd_established \
    || die "the FlinkDeployment CRD from $crd was never Established"

  log "helm install $release (webhook.url=https://127.0.0.1:$webhook_port)"
  # shellcheck disable=SC2086
  "$helm" --kubeconfig "$dir/kubeconfig" install "$release" "$root/charts/flink-memguard" \
    --namespace "$release_ns" --create-namespace \
    --set "webhook.url=https://127.0.0.1:$webhook_port" --set-file "tls.caBundle=$certs/webhook-ca.crt" \
    ${CLUSTER_CHART_VALUES:-} >"$dir/logs/helm-install.log"

  # The server reads the API as the chart's ServiceAccount, so RBAC is exactly the chart's ClusterRole.
  local token
  token="$(kubectl_admin -n "$release_ns" create token "$release" --duration 24h)"
  write_kubeconfig "$dir/webhook-sa.kubeconfig" "token: $token"

  log "flink-memguard serve on 127.0.0.1:$webhook_port"
  webhook_start
  log "ready"
  cat <<EOF
A control plane (kube-apiserver $("$bin/kubectl" version --client -o json | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p' | head -1), etcd) with flink-memguard admitting into it runs on 127.0.0.1.
  export KUBECONFIG=$dir/kubeconfig
  export PATH=$bin:\$PATH     # kubectl of the same release
  kubectl apply --dry-run=server -f your-flinkdeployment.yaml   (README: Try it on a local control plane)
Webhook log: $dir/logs/webhook.log   Stop with: make cluster-stop
EOF
}

# Fails when a process had to be killed: a clean stop is SIGTERM answered within 20 s.
down() {
  local clean=0
  stop webhook || clean=1
  stop kube-apiserver || clean=1
  stop etcd || clean=1
  rm -rf "$dir/etcd" "$certs" "$dir/env" "$dir/kubeconfig" "$dir/webhook-sa.kubeconfig"
  log "stopped"
  return $clean
}

certs="$dir/certs"
case "${1:-}" in
  up) up ;;
  down) down ;;
  env) cat "$dir/env" ;;
  webhook)
    case "${2:-}" in
      stop) stop webhook ;;
      start) webhook_start ;;
      rotate-cert) issue_webhook_cert ;;
      *) die "usage: $0 webhook stop|start|rotate-cert" ;;
    esac ;;
  *) die "usage: $0 up|down|env|webhook stop|start|rotate-cert" ;;
esac
