#!/usr/bin/env bash
# Prints the Debian packages that own the shared libraries BINARY loads, one per line, so the
# runtime image installs exactly those (the Dockerfile's runtime stage) and nothing else.
# usage: scripts/runtime-packages.sh BINARY
set -euo pipefail
bin="${1:?usage: runtime-packages.sh BINARY}"

if ldd "$bin" | grep -q 'not found'; then
  echo "runtime-packages: $bin has unresolved libraries:" >&2
  ldd "$bin" | grep 'not found' >&2
  exit 1
fi

# ldd prints "libx.so.N => /path (addr)"; the dynamic loader itself has no "=>".
ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u |
while read -r lib; do
  # dpkg records the path the package shipped: /lib/... or /usr/lib/... (merged /usr); try both.
  real="$(readlink -f "$lib")"
  for path in "$lib" "$real" "${lib#/usr}" "/usr${lib}" "${real#/usr}" "/usr${real}"; do
    if owner="$(dpkg-query -S "$path" 2>/dev/null | head -n 1)" && [ -n "$owner" ]; then
      owner="${owner%%:*}"     # "pkg:arch: /path" or "pkg: /path"
      echo "${owner%%,*}"      # a path shared by several packages: any one of them brings it
      continue 2
    fi
  done
  echo "runtime-packages: no Debian package owns $lib" >&2
  exit 1
done | sort -u
