#!/usr/bin/env bash
# End-to-end cases against the local control plane of scripts/cluster.sh: a real kube-apiserver
# calls flink-memguard serve through the chart's webhook configurations, and everything is driven
# through real kubectl and Helm. One case per run: `e2e.sh case_NAME` (tests/CMakeLists.txt
# registers every `case_*() { # title` line as the CTest test "cluster: title").
# Each case works in namespaces of its own and leaves the shared release as it found it.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
CLUSTER_DIR="${CLUSTER_DIR:-$root/build/cluster}"
[ -f "$CLUSTER_DIR/env" ] || { echo "FAIL: no running control plane in $CLUSTER_DIR (scripts/cluster.sh up)" >&2; exit 1; }
# shellcheck disable=SC1091
. "$CLUSTER_DIR/env"
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY
data="$root/tests/cluster/data"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
k() { "$KUBECTL" "$@"; }

# run CMD...: runs it, keeping its status in $status, stdout in $out and stderr in $err.
run() {
  set +e
  "$@" >"$work/out" 2>"$work/err"
  status=$?
  set -e
  out="$(cat "$work/out")"; err="$(cat "$work/err")"
  echo "\$ ${*##*/}" >&2; [ -n "$out" ] && echo "$out" >&2; [ -n "$err" ] && echo "$err" >&2
  return 0
}
expect_status() { [ "$status" -eq "$1" ] || fail "exit status $status, expected $1"; }
expect_err() { grep -qF -- "$1" <<<"$err" || fail "stderr lacks: $1"; }
expect_out() { grep -qF -- "$1" <<<"$out" || fail "stdout lacks: $1"; }
expect_no_err() { ! grep -qF -- "$1" <<<"$err" || fail "stderr has: $1"; }

# A fresh namespace per case and run (without a controller manager a namespace is never deleted).
new_namespace() {
  local ns="e2e-$1-$(date +%s%N | tail -c 7)"
  k create namespace "$ns" >/dev/null
  echo "$ns"
}

# The webhook's count of admission requests (every kind, operation and decision).
webhook_requests() {
  curl -sf --cacert "$WEBHOOK_CA" "https://127.0.0.1:$WEBHOOK_PORT/metrics" \
    | awk '/^memguard_admission_requests_total/ { n += $NF } END { printf "%d\n", n }'
}

flinkdeployment() { # NAME JM_MEMORY TM_MEMORY [flinkConfiguration lines...]
  local name=$1 jm=$2 tm=$3; shift 3
  cat <<EOF
apiVersion: flink.apache.org/v1beta1
kind: FlinkDeployment
metadata:
  name: $name
spec:
  image: flink:1.20
  flinkVersion: v1_20
  serviceAccount: flink
  flinkConfiguration:
    taskmanager.numberOfTaskSlots: "2"
EOF
  # Without options of its own: managed memory 0, as Flink's tuning guide says for the default
  # heap state backend, so that a fitting deployment draws no warning.
  [ $# -gt 0 ] || set -- 'taskmanager.memory.managed.size: "0"'
  for line in "$@"; do echo "    $line"; done
  cat <<EOF
  jobManager:
    resource: {memory: "$jm", cpu: 1}
  taskManager:
    resource: {memory: "$tm", cpu: 1}
EOF
}

flink_configmap() { # NAME process-size-line [labels]
  cat <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: $1
  ${3:+labels: {$3\}}
data:
  config.yaml: |
    taskmanager.memory.process.size: $2
    taskmanager.memory.managed.size: 0
EOF
}

case_helm_release() { # helm installed the chart: the release is deployed and both webhook configurations call the local server
  run "$HELM" status "$RELEASE" -n "$RELEASE_NAMESPACE"
  expect_status 0; expect_out "STATUS: deployed"
  run k get validatingwebhookconfiguration "$RELEASE" -o 'jsonpath={range .webhooks[*]}{.name} {.clientConfig.url}{"\n"}{end}'
  expect_status 0
  expect_out "flinkdeployments.validate.flink-memguard.io https://127.0.0.1:$WEBHOOK_PORT/validate"
  expect_out "configmaps.validate.flink-memguard.io https://127.0.0.1:$WEBHOOK_PORT/validate"
  run k get mutatingwebhookconfiguration "$RELEASE" -o 'jsonpath={range .webhooks[*]}{.name} {.clientConfig.url}{"\n"}{end}'
  expect_status 0
  expect_out "flinkdeployments.mutate.flink-memguard.io https://127.0.0.1:$WEBHOOK_PORT/mutate"
  expect_out "configmaps.mutate.flink-memguard.io https://127.0.0.1:$WEBHOOK_PORT/mutate"
  # The API server compiled the CEL matchConditions (it refuses a configuration whose CEL fails).
  run k get validatingwebhookconfiguration "$RELEASE" -o 'jsonpath={.webhooks[0].matchConditions[*].name}'
  expect_out "skip-objects-being-deleted skip-unchanged-spec"
  # The ServiceAccount the server reads the API as is bound to the chart's read-only ClusterRole.
  run k auth can-i list configmaps --all-namespaces --as "system:serviceaccount:$RELEASE_NAMESPACE:$RELEASE"
  expect_status 0
  run k auth can-i update configmaps --all-namespaces --as "system:serviceaccount:$RELEASE_NAMESPACE:$RELEASE"
  expect_status 1
}

case_helm_in_cluster_modes() { # Helm 3 and Helm 4 install the in-cluster chart (selfSigned and secret TLS): the API server accepts every object, and uninstall removes it
  local helm mode ns release extra
  for helm in "$HELM3" "$HELM"; do
    for mode in selfSigned secret; do
      ns="$(new_namespace "helm-${mode,,}")"
      release="incluster-${mode,,}"
      extra=()
      if [ "$mode" = secret ]; then
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/tls.key" -out "$work/tls.crt" -days 2 \
          -subj "/CN=$release-flink-memguard.$ns.svc" 2>/dev/null
        k -n "$ns" create secret tls own-tls --cert "$work/tls.crt" --key "$work/tls.key" >/dev/null
        extra=(--set tls.mode=secret --set tls.existingSecret=own-tls --set-file "tls.caBundle=$work/tls.crt")
      fi
      # Its Service has no pods here (no nodes): fail open while it exists, so other writes pass.
      run "$helm" install "$release" "$root/charts/flink-memguard" -n "$ns" \
        --set webhook.flinkDeployments.failurePolicy=Ignore "${extra[@]}"
      expect_status 0
      run bash -c "\"$helm\" get manifest $release -n $ns | \"$KUBECTL\" get -f - -o name"
      expect_status 0
      expect_out "deployment.apps/$release-flink-memguard"
      expect_out "validatingwebhookconfiguration.admissionregistration.k8s.io/$release-flink-memguard"
      expect_out "mutatingwebhookconfiguration.admissionregistration.k8s.io/$release-flink-memguard"
      run "$helm" uninstall "$release" -n "$ns"
      expect_status 0
      run k get validatingwebhookconfiguration "$release-flink-memguard"
      expect_status 1
    done
  done
}

case_install_notes_example() { # the FlinkDeployment that helm install's notes print is refused by a server-side dry run, as the notes say
  "$HELM" get notes "$RELEASE" -n "$RELEASE_NAMESPACE" \
    | sed -n "/cat <<'YAML' | kubectl apply --dry-run=server -f -/,/^ *YAML\$/p" | sed '1d;$d' | sed 's/^     //' >"$work/notes.yaml"
  grep -q "kind: FlinkDeployment" "$work/notes.yaml" || fail "no FlinkDeployment in the install notes"
  run k apply --dry-run=server -f "$work/notes.yaml"
  expect_status 1
  expect_err 'admission webhook "flinkdeployments.validate.flink-memguard.io" denied the request'
  expect_err "Flink rejects this memory configuration"
}

case_flinkdeployment_verdicts() { # FlinkDeployments: one that fits is created, one that cannot fit is denied with kubectl's message, a dry run answers the same
  local ns; ns="$(new_namespace fd)"
  flinkdeployment fits 2048Mi 4096Mi >"$work/fits.yaml"
  flinkdeployment too-small 2048Mi 1024Mi 'taskmanager.memory.managed.size: "1024m"' >"$work/bad.yaml"
  run k -n "$ns" apply --dry-run=server -f "$work/fits.yaml"
  expect_status 0; expect_out "flinkdeployment.flink.apache.org/fits created (server dry run)"
  run k -n "$ns" apply -f "$work/fits.yaml"
  expect_status 0; expect_out "flinkdeployment.flink.apache.org/fits created"
  run k -n "$ns" get flinkdeployment fits -o name
  expect_status 0

  run k -n "$ns" apply --dry-run=server -f "$work/bad.yaml"
  expect_status 1
  expect_err 'admission webhook "flinkdeployments.validate.flink-memguard.io" denied the request'
  local dry_err="$err"
  run k -n "$ns" apply -f "$work/bad.yaml"
  expect_status 1
  [ "$err" = "$dry_err" ] || fail "the dry run and the real request answered differently"
  expect_err "Flink rejects this memory configuration"
  run k -n "$ns" get flinkdeployment too-small
  expect_status 1; expect_err "NotFound"

  # kubectl diff goes through admission as a server-side dry run too.
  flinkdeployment fits 2048Mi 1024Mi 'taskmanager.memory.managed.size: "1024m"' >"$work/worse.yaml"
  run k -n "$ns" diff -f "$work/worse.yaml"
  [ "$status" -gt 1 ] || fail "kubectl diff of a denied change exited $status"
  expect_err "denied the request"
  flinkdeployment fits 2048Mi 3072Mi >"$work/smaller.yaml"
  run k -n "$ns" diff -f "$work/smaller.yaml"
  expect_status 1; expect_out "memory: 3072Mi"
}

case_flinkdeployment_warnings() { # a FlinkDeployment with a finding that only warns is created and kubectl prints the warning as a Warning: line
  local ns; ns="$(new_namespace warn)"
  flinkdeployment rocks 2048Mi 4096Mi 'state.backend.type: rocksdb' 'state.backend.rocksdb.memory.managed: "false"' >"$work/warn.yaml"
  run k -n "$ns" apply --dry-run=server -f "$work/warn.yaml"
  expect_status 0; expect_err "Warning: "; expect_err "rocksdb"
  local dry_err="$err"
  run k -n "$ns" apply -f "$work/warn.yaml"
  expect_status 0; expect_out "created"
  [ "$err" = "$dry_err" ] || fail "the dry run warned differently"
}

case_configmap_verdicts() { # Flink ConfigMaps: a good one is created, a bad config.yaml is denied, and ConfigMaps without Flink configuration pass
  local ns; ns="$(new_namespace cm)"
  flink_configmap good 1728m >"$work/good.yaml"
  run k -n "$ns" apply -f "$work/good.yaml"
  expect_status 0; expect_out "configmap/good created"
  cat >"$work/bad.yaml" <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata:
  name: bad
data:
  config.yaml: |
    taskmanager.memory.process.size: 1g
    taskmanager.memory.flink.size: 2g
EOF
  run k -n "$ns" apply --dry-run=server -f "$work/bad.yaml"
  expect_status 1
  expect_err 'admission webhook "configmaps.validate.flink-memguard.io" denied the request'
  local dry_err="$err"
  run k -n "$ns" apply -f "$work/bad.yaml"
  expect_status 1
  [ "$err" = "$dry_err" ] || fail "the dry run and the real request answered differently"
  run k -n "$ns" create configmap plain --from-literal=a=b
  expect_status 0
}

case_mutate_patches() { # /mutate patches are applied by the API server: 2048m is stored as 2048Mi, with the warning, and the stored object passes /validate and the CRD schema
  local ns; ns="$(new_namespace mutate)"
  flinkdeployment patched 2048m 4096m >"$work/patched.yaml"
  run k -n "$ns" apply -f "$work/patched.yaml"
  expect_status 0; expect_out "created"; expect_err "Warning: "
  run k -n "$ns" get flinkdeployment patched -o 'jsonpath={.spec.jobManager.resource.memory} {.spec.taskManager.resource.memory}'
  expect_status 0
  [ "$out" = "2048Mi 4096Mi" ] || fail "stored memory is '$out', expected the patched '2048Mi 4096Mi'"
  # Stored as patched, it is what /validate and the schema accept: a no-op re-apply of it passes.
  k -n "$ns" get flinkdeployment patched -o yaml >"$work/stored.yaml"
  run k -n "$ns" replace --dry-run=server -f "$work/stored.yaml"
  expect_status 0; expect_no_err "Warning: "
}

case_mutate_lets_unreadable_objects_through() { # /mutate never denies: a FlinkDeployment of the wrong shape reaches the API server's schema check, which refuses it in its own words, with /mutate's warning
  local ns file name; ns="$(new_namespace unreadable)"
  for file in "$data"/malformed/*.yaml; do
    name="${file##*/}"
    run k -n "$ns" apply --dry-run=server -f "$file"
    expect_status 1
    # Mutating webhooks run before the schema check: a denial from /mutate would come first.
    expect_no_err 'mutate.flink-memguard.io" denied'
    expect_no_err 'validate.flink-memguard.io" denied'
    expect_err "Warning: "
    expect_err "flink-memguard cannot read this object, so /mutate changes nothing"
    expect_err "is invalid: "
  done
}

case_match_conditions() { # status updates, metadata-only updates, deletions, HA ConfigMaps and excluded namespaces never reach the webhook
  local ns; ns="$(new_namespace match)"
  flinkdeployment quiet 2048Mi 4096Mi >"$work/quiet.yaml"
  k -n "$ns" apply -f "$work/quiet.yaml" >/dev/null
  flink_configmap conf 1728m >"$work/conf.yaml"
  k -n "$ns" apply -f "$work/conf.yaml" >/dev/null
  local before after
  before="$(webhook_requests)"
  # The operator's traffic: status, labels and annotations, a finalizer added and removed.
  run k -n "$ns" patch flinkdeployment quiet --subresource status --type merge -p '{"status":{"lifecycleState":"STABLE"}}'
  expect_status 0
  run k -n "$ns" label flinkdeployment quiet team=streaming
  expect_status 0
  run k -n "$ns" patch flinkdeployment quiet --type merge -p '{"metadata":{"finalizers":["flinkdeployments.flink.apache.org/finalizer"]}}'
  expect_status 0
  run k -n "$ns" annotate configmap conf touched=yes
  expect_status 0
  # Deletion: the finalizer keeps the object; removing it while deletionTimestamp is set passes.
  run k -n "$ns" delete flinkdeployment quiet --wait=false
  expect_status 0
  run k -n "$ns" patch flinkdeployment quiet --type json -p '[{"op":"remove","path":"/metadata/finalizers"}]'
  expect_status 0
  run k -n "$ns" get flinkdeployment quiet
  expect_status 1
  # Flink's HA ConfigMaps, ConfigMaps without Flink configuration, and excluded namespaces.
  flink_configmap ha-leader 100m "configmap-type: high-availability" >"$work/ha.yaml"
  run k -n "$ns" apply -f "$work/ha.yaml"
  expect_status 0
  run k -n "$ns" create configmap not-flink --from-literal=application.properties=x
  expect_status 0
  run k -n kube-public apply -f "$work/ha.yaml"
  expect_status 0
  flink_configmap ignored 100m >"$work/ignored.yaml"
  local ignored_ns; ignored_ns="$(new_namespace ignored)"
  k label namespace "$ignored_ns" flink-memguard.io/ignore=true >/dev/null
  run k -n "$ignored_ns" apply -f "$work/ignored.yaml"
  expect_status 0
  after="$(webhook_requests)"
  [ "$after" = "$before" ] || fail "the webhook received $((after - before)) request(s) that matchConditions/selectors should have kept away"
  # And a spec change does reach it (the counter counts at all): validate and mutate.
  run k -n "$ns" apply -f "$work/conf.yaml"
  flink_configmap conf 1600m >"$work/conf2.yaml"
  run k -n "$ns" apply -f "$work/conf2.yaml"
  expect_status 0
  after="$(webhook_requests)"
  [ "$after" -ge $((before + 2)) ] || fail "a data change reached the webhook $((after - before)) time(s), expected 2 (mutate, validate)"
}

case_failure_policy() { # with the webhook stopped FlinkDeployment writes fail (failurePolicy Fail) and ConfigMap writes pass (Ignore); after a restart writes work again
  local ns; ns="$(new_namespace down)"
  bash "$root/scripts/cluster.sh" webhook stop
  flinkdeployment while-down 2048Mi 4096Mi >"$work/fd.yaml"
  run k -n "$ns" apply -f "$work/fd.yaml"
  local fd_status=$status fd_err="$err"
  flink_configmap while-down 1728m >"$work/cm.yaml"
  run k -n "$ns" apply -f "$work/cm.yaml"
  local cm_status=$status
  bash "$root/scripts/cluster.sh" webhook start
  [ "$fd_status" -eq 1 ] || fail "a FlinkDeployment was admitted while the webhook was down"
  grep -qF 'failed calling webhook "flinkdeployments.validate.flink-memguard.io"' <<<"$fd_err" \
    || fail "unexpected message while down: $fd_err"
  [ "$cm_status" -eq 0 ] || fail "a ConfigMap write failed while the webhook was down (failurePolicy Ignore)"
  run k -n "$ns" apply -f "$work/fd.yaml"
  expect_status 0; expect_out "created"
}

case_cert_rotation() { # the webhook's serving certificate is rotated twice while the API server keeps calling it: no request fails
  local ns; ns="$(new_namespace rotate)"
  local i failures=0 loads_before
  loads_before="$(grep -c '"certificate loaded"' "$CLUSTER_DIR/logs/webhook.log" || true)"
  for i in $(seq 1 30); do
    flink_configmap "cm-$i" 1728m >"$work/cm.yaml"
    # ConfigMaps fail open, so count through FlinkDeployments, whose webhook fails closed.
    flinkdeployment "fd-$i" 2048Mi 4096Mi >"$work/fd.yaml"
    k -n "$ns" apply -f "$work/fd.yaml" >/dev/null 2>"$work/err" || { failures=$((failures + 1)); cat "$work/err" >&2; }
    if [ "$i" = 10 ] || [ "$i" = 20 ]; then bash "$root/scripts/cluster.sh" webhook rotate-cert; fi
    sleep 0.2
  done
  [ "$failures" -eq 0 ] || fail "$failures of 30 writes failed across the rotations"
  [ "$(grep -c '"certificate loaded"' "$CLUSTER_DIR/logs/webhook.log")" -ge $((loads_before + 2)) ] \
    || fail "the server did not load both rotated certificates"
  run k -n "$ns" get flinkdeployments -o name
  [ "$(wc -l <<<"$out")" -eq 30 ] || fail "expected 30 FlinkDeployments"
}

# helm upgrade of the shared release, waiting until the API server calls the new configuration.
set_workloads_webhook() { # true|false
  "$HELM" upgrade "$RELEASE" "$root/charts/flink-memguard" -n "$RELEASE_NAMESPACE" --reuse-values \
    --set "webhook.workloads.enabled=$1" >/dev/null
}

case_workloads_with_kube_api() { # workloads webhook on: a Deployment is judged with the ConfigMap it mounts, read through the chart's ServiceAccount, and a ConfigMap change with the Deployments that mount it
  local ns; ns="$(new_namespace workloads)"
  set_workloads_webhook true
  trap 'set_workloads_webhook false; rm -rf "$work"' EXIT
  local manifests="$root/tests/data/manifests"
  run k -n "$ns" apply -f "$manifests/standalone-session/flink-configuration-configmap.yaml"
  expect_status 0
  # The webhook configuration reaches the API server's informer within a moment; poll for it.
  local deadline=$((SECONDS + 30))
  while :; do
    run k -n "$ns" apply --dry-run=server -f "$manifests/standalone-session/jobmanager-session-deployment.yaml"
    [ "$status" -ne 0 ] && break
    [ $SECONDS -lt $deadline ] || fail "the workloads webhook never judged the Deployment"
    sleep 1
  done
  expect_err 'admission webhook "workloads.validate.flink-memguard.io" denied the request'
  # The limit is judged against the process size in the mounted ConfigMap, looked up in the API.
  expect_err "ConfigMap flink-config"
  run k -n "$ns" apply -f "$manifests/standalone-session/jobmanager-session-deployment.yaml"
  expect_status 1; expect_err "denied the request"

  # The layout that fits is created; then a ConfigMap change that no longer fits its Deployments
  # is denied naming them (the server's cache watches the Deployments through the API).
  local fits="$work/fits"; mkdir -p "$fits"
  cp "$manifests/standalone-fits/"*.yaml "$fits/"
  run k -n "$ns" apply -f "$fits/flink-configuration-configmap.yaml"
  expect_status 0
  run k -n "$ns" apply -f "$fits/"
  expect_status 0; expect_out "deployment.apps/flink-taskmanager created"
  sed 's/taskmanager.memory.process.size: 1728m/taskmanager.memory.process.size: 4096m/' \
    "$fits/flink-configuration-configmap.yaml" >"$work/grown.yaml"
  deadline=$((SECONDS + 30))
  while :; do
    run k -n "$ns" apply --dry-run=server -f "$work/grown.yaml"
    [ "$status" -ne 0 ] && break
    [ $SECONDS -lt $deadline ] || fail "the ConfigMap change was never judged with the Deployments that mount it"
    sleep 1
  done
  expect_err 'admission webhook "configmaps.validate.flink-memguard.io" denied the request'
  expect_err "flink-taskmanager"
  # No lookup was refused: the chart's ClusterRole covers what the server reads.
  ! grep -qi "forbidden" "$CLUSTER_DIR/logs/webhook.log" || fail "the webhook log shows the API server refusing a lookup (403)"
}

case_audit_real_api() { # audit lists the real API as the chart's ServiceAccount and judges what runs
  local ns; ns="$(new_namespace audit)"
  local manifests="$root/tests/data/manifests"
  # Stored without the workloads webhook (off by default), as objects created before the webhook.
  run k -n "$ns" apply -f "$manifests/standalone-session/"
  expect_status 0
  for i in 1 2 3 4 5; do flink_configmap "page-$i" 1728m | k -n "$ns" apply -f - >/dev/null; done
  run "$MEMGUARD_BIN" audit --kubeconfig "$CLUSTER_DIR/webhook-sa.kubeconfig" --namespace "$ns"
  expect_status 1
  expect_out "deployments.apps Deployment $ns/flink-jobmanager: denied"
  expect_out "process-exceeds-limit"
  expect_out "configmaps ConfigMap $ns/page-5"
  run "$MEMGUARD_BIN" audit --kubeconfig "$CLUSTER_DIR/webhook-sa.kubeconfig" --namespace "$ns" --output json
  expect_status 1
  jq -e '.' <<<"$out" >/dev/null || fail "audit --output json printed no JSON"
  local whole="$out"
  # Pages of 2: the API server hands out continue tokens and audit follows them to the end, so
  # every one of the ConfigMaps (more than two pages) is judged, the same as in one page.
  run "$MEMGUARD_BIN" audit --kubeconfig "$CLUSTER_DIR/webhook-sa.kubeconfig" --namespace "$ns" --output json --page-size 2
  expect_status 1
  [ "$(jq -r '.objects[] | select(.name | startswith("page-")) | .name' <<<"$out" | sort | tr '\n' ' ')" = \
    "page-1 page-2 page-3 page-4 page-5 " ] || fail "audit with pages of 2 missed ConfigMaps"
  [ "$out" = "$whole" ] || fail "audit with pages of 2 reported differently from pages of 500"
  run "$MEMGUARD_BIN" audit --kubeconfig "$CLUSTER_DIR/webhook-sa.kubeconfig" --page-size 0
  expect_status 2; expect_err "--page-size needs a number"
}

# A counter of the webhook's object cache (/metrics).
cache_counter() { # NAME
  curl -sf --cacert "$WEBHOOK_CA" "https://127.0.0.1:$WEBHOOK_PORT/metrics" | awk -v n="$1" '$1 == n { print $2 }'
}

etcd_revision() {
  curl -sf -X POST "http://127.0.0.1:$ETCD_PORT/v3/kv/range" -d '{"key":"AA==","count_only":true}' | jq -r .header.revision
}

case_watch_outlives_compaction() { # etcd compacts the resourceVersion the webhook's Deployment watch resumes from: the API server answers 410 Gone, the informer relists and judges with what was created meanwhile
  local ns; ns="$(new_namespace compact)"
  local manifests="$root/tests/data/manifests" relists_before lists_before revision deadline
  [ -n "$(cache_counter memguard_kube_cache_relists_after_gone_total)" ] || fail "no object cache counters in /metrics"
  # The informer has seen the Deployments up to now; then etcd moves on without a Deployment event
  # (ConfigMaps), and is compacted at its newest revision, past what the informer resumes from.
  # The real API server answers that watch with HTTP 200 and an ERROR event: 410, reason Expired.
  k -n "$ns" create deployment before-compaction --image=flink:1.20 >/dev/null
  sleep 1
  relists_before="$(cache_counter memguard_kube_cache_relists_after_gone_total)"
  lists_before="$(cache_counter memguard_kube_cache_lists_total)"
  # Two writes: a watch from revision R starts at R+1, which a compaction at R+1 still keeps.
  k -n "$ns" create configmap moves-etcd-on --from-literal=a=b >/dev/null
  k -n "$ns" create configmap and-on --from-literal=a=b >/dev/null
  revision="$(etcd_revision)"
  run curl -sf -X POST "http://127.0.0.1:$ETCD_PORT/v3/kv/compaction" -d "{\"revision\":\"$revision\",\"physical\":true}"
  expect_status 0
  # Watches last 5 s (scripts/cluster.sh); a resumed one meets the compaction. Deadline: 24x that.
  deadline=$((SECONDS + 120))
  until [ "$(cache_counter memguard_kube_cache_relists_after_gone_total)" -gt "$relists_before" ]; do
    [ $SECONDS -lt $deadline ] || fail "no relist after 410 Gone within 120 s of the compaction"
    sleep 1
  done
  [ "$(cache_counter memguard_kube_cache_lists_total)" -gt "$lists_before" ] || fail "the relist was counted but never made"
  # The informer serves again: a ConfigMap change is judged with the Deployments created now.
  set_workloads_webhook true
  trap 'set_workloads_webhook false; rm -rf "$work"' EXIT
  local fits="$work/fits"; mkdir -p "$fits"
  cp "$manifests/standalone-fits/"*.yaml "$fits/"
  run k -n "$ns" apply -f "$fits/flink-configuration-configmap.yaml"
  expect_status 0
  run k -n "$ns" apply -f "$fits/"
  expect_status 0
  sed 's/taskmanager.memory.process.size: 1728m/taskmanager.memory.process.size: 4096m/' \
    "$fits/flink-configuration-configmap.yaml" >"$work/grown.yaml"
  deadline=$((SECONDS + 60))
  while :; do
    run k -n "$ns" apply --dry-run=server -f "$work/grown.yaml"
    [ "$status" -ne 0 ] && break
    [ $SECONDS -lt $deadline ] || fail "after the relist the informer never saw the Deployments created since"
    sleep 1
  done
  expect_err 'admission webhook "configmaps.validate.flink-memguard.io" denied the request'
  expect_err "flink-taskmanager"
}

case_check_agrees_with_api_server() { # check reports as unreadable (exit 2) exactly the manifests the API server's CRD schema rejects
  # The API server's own verdict, without this webhook: kube-public is never sent to it.
  local ns=kube-public
  local file name check_status api_status api_err disagreements=0
  for file in "$root"/tests/cluster/data/malformed/*.yaml "$root"/tests/cluster/data/wellformed/*.yaml; do
    name="${file##*/}"
    run "$MEMGUARD_BIN" check -f "$file"
    check_status=$status
    run k -n "$ns" apply --dry-run=server -f "$file"
    api_status=$status api_err="$err"
    local api_rejects=0
    if [ "$api_status" -ne 0 ]; then
      grep -qF "flink-memguard.io" <<<"$api_err" && fail "$name: the webhook answered in an excluded namespace"
      api_rejects=1
    fi
    local check_rejects=0
    [ "$check_status" -eq 2 ] && check_rejects=1
    if [ "$api_rejects" -ne "$check_rejects" ]; then
      echo "DISAGREE $name: check exit $check_status, API server: $api_err" >&2
      disagreements=$((disagreements + 1))
    fi
    case "$file" in
      */malformed/*) [ "$api_rejects" -eq 1 ] || fail "$name: the API server stored a manifest of the malformed corpus" ;;
      */wellformed/*) [ "$api_rejects" -eq 0 ] || fail "$name: the API server rejected a manifest of the well-formed corpus" ;;
    esac
  done
  [ "$disagreements" -eq 0 ] || fail "check and the API server disagree on $disagreements manifest(s)"

  # flinkVersion values that operators newer than the CRD installed added to the enum: check reads
  # them (the project targets the newest operator); the installed CRD is the judge of its own enum.
  local enum version
  enum=" $(k get crd flinkdeployments.flink.apache.org \
    -o 'jsonpath={.spec.versions[?(@.name=="v1beta1")].schema.openAPIV3Schema.properties.spec.properties.flinkVersion.enum[*]}') "
  for file in "$root"/tests/cluster/data/newer-operator/*.yaml; do
    name="${file##*/}"
    version="$(sed -n 's/^  flinkVersion: //p' "$file")"
    run "$MEMGUARD_BIN" check -f "$file"
    [ "$status" -ne 2 ] || fail "$name: check refuses flinkVersion $version, which newer operators' CRDs list"
    run k -n "$ns" apply --dry-run=server -f "$file"
    case "$enum" in
      *" $version "*) expect_status 0 ;;
      *) expect_status 1; expect_err "spec.flinkVersion: Unsupported value: \"$version\""
         echo "known gap: the CRD installed predates flinkVersion $version; check reads it" >&2 ;;
    esac
  done
}

case "${1:-}" in
  case_*) "$1"; echo "ok: $1" ;;
  *) echo "usage: $0 case_NAME" >&2; grep -o '^case_[a-z0-9_]*' "$0" >&2; exit 2 ;;
esac
