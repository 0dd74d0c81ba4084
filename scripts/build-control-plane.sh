#!/usr/bin/env bash
# Builds the local control plane of the cluster tests from source through the Go module proxy:
# kube-apiserver and kubectl of the Kubernetes release pinned in tests/cluster/kube/go.mod, and
# etcd of the release pinned in tests/cluster/etcd/go.mod (scripts/pin-control-plane.sh writes
# both). CGO_ENABLED=0 and version ldflags as upstream builds them. The binaries are cached outside
# the clone, keyed by both go.sum files and the Go version, so a second run builds nothing.
# Needs Go at least at the release's go directive (the machine's /usr/local/go).
#
# Result: prints the directory holding kube-apiserver, kubectl and etcd:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/flink-memguard/control-plane/<release>-<key>/bin
# Build output goes to stderr; `nice` keeps a shared machine usable during a cold build.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
kube_mod="$root/tests/cluster/kube"
etcd_mod="$root/tests/cluster/etcd"

# Go comes with the machine (/usr/local/go); Debian 12's golang-go (1.19) is too old for the release.
[ -x /usr/local/go/bin/go ] && PATH="/usr/local/go/bin:$PATH"
need_go="$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$kube_mod/go.mod")"
if ! command -v go >/dev/null 2>&1 \
   || [ "$(printf '%s\n%s\n' "$need_go" "$(go env GOVERSION | sed 's/^go//')" | sort -V | head -1)" != "$need_go" ]; then
  echo "build-control-plane: needs Go >= $need_go (tests/cluster/kube/go.mod); found: $(go version 2>/dev/null || echo none)" >&2
  exit 1
fi

kube_version="$(sed -n 's/^require k8s.io\/kubernetes \(v[0-9.]*\)$/\1/p' "$kube_mod/go.mod")"
etcd_version="$(sed -n 's/^require go.etcd.io\/etcd\/server\/v3 \(v[0-9.]*\)$/\1/p' "$etcd_mod/go.mod")"
[ -n "$kube_version" ] && [ -n "$etcd_version" ] || {
  echo "build-control-plane: no pinned release in $kube_mod/go.mod or $etcd_mod/go.mod" >&2; exit 1; }

key="$(cat "$kube_mod/go.mod" "$kube_mod/go.sum" "$etcd_mod/go.mod" "$etcd_mod/go.sum" \
       <(go env GOVERSION) | sha256sum | cut -c1-12)"
cache="${MEMGUARD_CONTROL_PLANE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flink-memguard/control-plane}"
out="$cache/kube-$kube_version-etcd-$etcd_version-$key"
if [ -f "$out/.stamp" ] && [ -x "$out/bin/kube-apiserver" ] && [ -x "$out/bin/kubectl" ] \
   && [ -x "$out/bin/etcd" ]; then
  echo "$out/bin"
  exit 0
fi

work="$out.partial.$$"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin"
started=$(date +%s)

# The version that /version and `kubectl version` report; without it both say v0.0.0-master.
minor="${kube_version#v1.}"; minor="${minor%%.*}"
kube_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  kube_ldflags+=" -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  kube_ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

export CGO_ENABLED=0 GOFLAGS=-mod=readonly GOTOOLCHAIN=local
echo "build-control-plane: building kube-apiserver and kubectl $kube_version, etcd $etcd_version (takes minutes cold)" >&2
(cd "$kube_mod" && nice -n 10 go build -trimpath -ldflags "$kube_ldflags" -o "$work/bin/" \
   k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl) >&2
(cd "$etcd_mod" && nice -n 10 go build -trimpath \
   -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$etcd_version" -o "$work/bin/etcd" \
   go.etcd.io/etcd/server/v3) >&2

"$work/bin/kube-apiserver" --version >&2
# sed, not head: head exits after one line and etcd, still writing, dies of SIGPIPE (141 with pipefail).
"$work/bin/etcd" --version | sed -n 1p >&2
rm -rf "$out"
echo "kubernetes=$kube_version etcd=$etcd_version go=$(go env GOVERSION) seconds=$(($(date +%s) - started))" >"$work/.stamp"
mv "$work" "$out"
trap - EXIT
echo "build-control-plane: built in $(($(date +%s) - started)) s into $out/bin" >&2
echo "$out/bin"
