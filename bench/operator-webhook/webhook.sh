#!/usr/bin/env bash
# The Flink Kubernetes Operator's admission webhook as a peer of `make bench` (bench/run.sh).
#
#   webhook.sh prepare --work DIR --cert CRT --key KEY --port P
#       builds the webhook from src/ with Maven against the operator jar of the same release (once:
#       jar and classpath are cached beside the local Maven repository, keyed by pom.xml and src/),
#       and writes into DIR what the operator's Helm chart mounts into the webhook container: a
#       PKCS12 keystore made from CRT and KEY (DIR/certs/keystore.p12), FLINK_CONF_DIR (DIR/conf,
#       from conf/), and the container's environment (DIR/env).
#   webhook.sh exec --work DIR
#       starts the webhook as the image's docker-entrypoint.sh does for `webhook`:
#       exec java -cp CLASSPATH $LOG_CONFIG $JVM_ARGS org.apache.flink.kubernetes.operator.admission.FlinkOperatorWebhook
#       with JVM_ARGS empty (the chart's default jvmArgs.webhook) and no container memory limit
#       (the chart's default resources: {}).
#
# Needs mvn, java (17 here; the operator's image runs Java 11) and openssl. MAVEN_REPO_LOCAL as for the
# operator oracle (tests/operator-oracle/run-operator-oracle.sh).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
die() { echo "operator-webhook: $*" >&2; exit 1; }

cmd="${1:-}"
[ $# -gt 0 ] && shift
work="" cert="" key="" port=""
while [ $# -gt 0 ]; do
  case "$1" in
    --work) work="$2"; shift 2 ;;
    --cert) cert="$2"; shift 2 ;;
    --key) key="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    *) die "unknown argument $1" ;;
  esac
done
[ -n "$work" ] || die "--work is required"

prepare() {
  [ -n "$cert" ] && [ -n "$key" ] && [ -n "$port" ] || die "prepare needs --cert, --key and --port"
  local tool
  for tool in mvn java openssl flock; do
    command -v "$tool" >/dev/null || die "$tool is not installed (scripts/install-bench-deps.sh installs it)"
  done
  mkdir -p "$work"
  work="$(cd "$work" && pwd)"
  local mvn_args=(-B -q) repo="${MAVEN_REPO_LOCAL:-$HOME/.m2}"
  [ -n "${MAVEN_REPO_LOCAL:-}" ] && mvn_args+=("-Dmaven.repo.local=$MAVEN_REPO_LOCAL")
  local cache="${FLINK_MEMGUARD_BENCH_CACHE:-$repo/flink-memguard-bench}"
  mkdir -p "$cache"
  local version
  version="$(sed -n 's|.*<operator.version>\(.*\)</operator.version>.*|\1|p' "$here/pom.xml")"
  local build_key
  # shellcheck disable=SC2046
  build_key="$(cat "$here/pom.xml" $(find "$here/src" -type f | sort) | sha256sum | cut -c1-16)"
  local out="$cache/operator-webhook-$version-$build_key"
  local jar="$out/flink-kubernetes-webhook-$version.jar" classpath="$out/classpath.txt"
  jar_ok() {
    [ -f "$jar" ] && [ -s "$classpath" ] || return 1
    local j
    IFS=: read -ra jars <"$classpath"
    for j in "${jars[@]}"; do [ -f "$j" ] || return 1; done
  }
  if ! jar_ok; then
    exec 9>"$cache/maven.lock"
    flock 9
    if ! jar_ok; then
      echo "operator-webhook: building flink-kubernetes-webhook $version with Maven (once; cached in $out)" >&2
      rm -rf "$work/maven-build"
      (cd "$work" && mvn "${mvn_args[@]}" -f "$here/pom.xml" -Dwebhook.build.dir="$work/maven-build" \
        package dependency:build-classpath -Dmdep.outputFile="$work/maven-build/classpath.txt") >&2 \
        || die "could not build the webhook against flink-kubernetes-operator $version with Maven"
      mkdir -p "$out"
      cp "$work/maven-build/flink-kubernetes-webhook-$version.jar" "$jar.tmp" && mv "$jar.tmp" "$jar"
      cp "$work/maven-build/classpath.txt" "$classpath.tmp" && mv "$classpath.tmp" "$classpath"
    fi
    flock -u 9
  fi

  # The chart mounts the keystore secret on /certs (its own folder: the webhook watches the folder
  # and reloads the keystore when it changes) and the config map on /opt/flink/conf.
  mkdir -p "$work/certs" "$work/conf"
  local password
  password="$(openssl rand -hex 12)"  # throwaway, like the certificate; never printed
  openssl pkcs12 -export -in "$cert" -inkey "$key" -name webhook -passout "pass:$password" \
    -out "$work/certs/keystore.p12"
  cp "$here/conf/flink-conf.yaml" "$here/conf/log4j-operator.properties" "$work/conf/"
  {
    printf 'export WEBHOOK_KEYSTORE_PASSWORD=%q\n' "$password"
    printf 'export WEBHOOK_KEYSTORE_FILE=%q\n' "$work/certs/keystore.p12"
    echo "export WEBHOOK_KEYSTORE_TYPE=pkcs12"
    printf 'export WEBHOOK_SERVER_PORT=%q\n' "$port"
    printf 'export LOG_CONFIG=%q\n' "-Dlog4j.configurationFile=$work/conf/log4j-operator.properties"
    echo "export JVM_ARGS="
    printf 'export FLINK_CONF_DIR=%q\n' "$work/conf"
    printf 'export FLINK_PLUGINS_DIR=%q\n' "$work/plugins"
    echo "export OPERATOR_NAMESPACE=default"
    # Validating a FlinkDeployment needs no Kubernetes API (the informers start only for a
    # FlinkSessionJob); the client the webhook builds at start must not find a real cluster here.
    echo "export KUBERNETES_AUTH_TRYKUBECONFIG=false KUBERNETES_AUTH_TRYSERVICEACCOUNT=false"
    echo "export KUBERNETES_MASTER=https://127.0.0.1:1"
    printf 'export WEBHOOK_CLASSPATH=%q\n' "$jar:$(cat "$classpath")"
  } >"$work/env"
  chmod 600 "$work/env"
  mkdir -p "$work/plugins"
}

run() {
  [ -f "$work/env" ] || die "$work/env is missing: run webhook.sh prepare first"
  # shellcheck disable=SC1091
  . "$work/env"
  # shellcheck disable=SC2086
  exec java -cp "$WEBHOOK_CLASSPATH" $LOG_CONFIG $JVM_ARGS org.apache.flink.kubernetes.operator.admission.FlinkOperatorWebhook
}

case "$cmd" in
  prepare) prepare ;;
  exec) run ;;
  *) die "usage: webhook.sh prepare|exec --work DIR [...] (see the top of this file)" ;;
esac
