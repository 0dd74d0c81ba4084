#!/usr/bin/env bash
# Fetches the Flink Kubernetes Operator's own FlinkDeployment CRD for the cluster tests: the
# operator's API artifact (org.apache.flink:flink-kubernetes-operator-api) carries the CRDs that
# fabric8's crd-generator wrote from the Java classes (META-INF/fabric8/*.yml); the operator's Helm
# chart ships exactly those files. Resolved with Maven (checksums checked), cached outside the
# clone, so a second run downloads nothing. Installs Maven from Debian if the machine has none.
#
# Usage:  scripts/fetch-operator-crd.sh [operator-version]     (default 1.10.0)
# 1.10.0, not the newest operator (1.15.0): it is the newest release of the API artifact that the
# Maven registry these machines reach serves; 1.11.0 to 1.15.0 are refused there (README).
# Prints the path of flinkdeployments.flink.apache.org-v1.yml.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version="${1:-${MEMGUARD_OPERATOR_VERSION:-1.10.0}}"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/flink-memguard/operator-crd/$version"
crd="$cache/flinkdeployments.flink.apache.org-v1.yml"
if [ -s "$crd" ]; then echo "$crd"; exit 0; fi

command -v mvn >/dev/null 2>&1 || bash "$root/scripts/install-deps.sh" maven >&2
command -v unzip >/dev/null 2>&1 || bash "$root/scripts/install-deps.sh" unzip >&2
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
  -Dartifact="org.apache.flink:flink-kubernetes-operator-api:$version:jar" \
  -DoutputDirectory="$work" -Dmdep.overWriteReleases=true >&2
jar="$work/flink-kubernetes-operator-api-$version.jar"
[ -f "$jar" ] || { echo "fetch-operator-crd: Maven produced no $jar" >&2; exit 1; }
mkdir -p "$work/crds"
unzip -q -o -j "$jar" 'META-INF/fabric8/*.yml' -d "$work/crds"
[ -s "$work/crds/flinkdeployments.flink.apache.org-v1.yml" ] || {
  echo "fetch-operator-crd: no META-INF/fabric8/flinkdeployments.flink.apache.org-v1.yml in $jar" >&2
  unzip -l "$jar" 'META-INF/*' >&2; exit 1; }
mkdir -p "$cache"
cp "$work"/crds/*.yml "$cache/"
echo "$crd"
