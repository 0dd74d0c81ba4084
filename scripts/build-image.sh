#!/usr/bin/env bash
# `make image`: builds the Dockerfile with buildah, which needs no Docker engine (storage driver
# vfs, chroot isolation: works as root inside an unprivileged container). When the Debian 12 base
# images cannot be pulled, it builds a local Debian 12 base with debootstrap from the Debian
# mirror apt is configured with, and builds on that instead.
#
# Env: IMAGE (default localhost/flink-memguard:<project version>), IMAGE_ARCHIVE (also write a
#      docker-archive tarball there, for `docker load` / `kind load image-archive`).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
version="$(sed -n 's/^project(flink-memguard VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")"
IMAGE="${IMAGE:-localhost/flink-memguard:$version}"
LOCAL_BASE="localhost/flink-memguard-debian:bookworm"

bah() { buildah --storage-driver vfs "$@"; }
log() { echo "build-image: $*"; }

bash "$root/scripts/install-deps.sh" buildah debootstrap

image_exists() { bah inspect --type image "$1" >/dev/null 2>&1; }

# Debian's mirror as apt is configured on this machine (deb822 or one-line format).
apt_mirror() {
  local m=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    m="$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)"
  fi
  if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
    m="$(awk '$1 == "deb" && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list)"
  fi
  echo "${m:-http://deb.debian.org/debian}"
}
apt_security_mirror() {
  local m=""
  # Only live entries: the host's sources may carry commented-out snapshot URLs.
  m="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ && $2 ~ /security/ {print $2; exit}')"
  if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
    m="$(awk '$1 == "deb" && /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list)"
  fi
  echo "${m:-http://deb.debian.org/debian-security}"
}

# Identifies how the local base was made, so a changed recipe or mirror rebuilds it.
RECIPE_LABEL="flink-memguard.base-recipe"
base_recipe() { { declare -f build_local_base; apt_mirror; apt_security_mirror; } | sha256sum | cut -c1-16; }
local_base_current() {
  [ "$(bah inspect --type image --format "{{index .OCIv1.Config.Labels \"$RECIPE_LABEL\"}}" "$LOCAL_BASE" 2>/dev/null)" = "$(base_recipe)" ]
}

# A Debian 12 base like debian:bookworm-slim: minbase, no docs/man/locales, no apt lists.
build_local_base() {
  local mirror security work ctr
  mirror="$(apt_mirror)"; security="$(apt_security_mirror)"
  work="$(mktemp -d /var/tmp/flink-memguard-base.XXXXXX)"
  trap 'rm -rf "$work"; trap - RETURN' RETURN
  log "no base image could be pulled; debootstrap bookworm from $mirror"
  debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -n 20 "$work/debootstrap.log" >&2; return 1; }
  cat >"$work/rootfs/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
SOURCES
  # What the official slim image does: keep documentation out of every later package install.
  cat >"$work/rootfs/etc/dpkg/dpkg.cfg.d/slim" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
DPKG
  echo 'APT::Install-Recommends "false";' >"$work/rootfs/etc/apt/apt.conf.d/99no-recommends"
  find "$work/rootfs/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete 2>/dev/null || true
  rm -rf "$work/rootfs/usr/share/man/"* "$work/rootfs/usr/share/info/"* \
         "$work/rootfs/var/lib/apt/lists/"* "$work/rootfs/var/cache/apt/"*.bin \
         "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/log/"*.log
  tar --numeric-owner -C "$work/rootfs" --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' \
      -cf "$work/rootfs.tar" .
  ctr="$(bah from scratch)"
  bah add "$ctr" "$work/rootfs.tar" / >/dev/null
  bah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
             --cmd /bin/bash --label org.opencontainers.image.description="Debian 12 minbase (debootstrap)" \
             --label "$RECIPE_LABEL=$(base_recipe)" "$ctr"
  bah commit --rm "$ctr" "$LOCAL_BASE" >/dev/null
  log "local base $LOCAL_BASE built"
}

build_image="docker.io/library/debian:bookworm"
runtime_image="docker.io/library/debian:bookworm-slim"
pulled=true
for img in "$build_image" "$runtime_image"; do
  image_exists "$img" && continue
  if ! timeout 300 buildah --storage-driver vfs pull -q "$img" >/dev/null 2>&1; then pulled=false; break; fi
done
if [ "$pulled" = false ]; then
  local_base_current || build_local_base
  build_image="$LOCAL_BASE"; runtime_image="$LOCAL_BASE"
fi

log "building $IMAGE on $build_image / $runtime_image"
start=$SECONDS
bah bud --isolation chroot --layers --pull=never \
    --build-arg BUILD_IMAGE="$build_image" --build-arg RUNTIME_IMAGE="$runtime_image" \
    --build-arg VERSION="$version" \
    -f "$root/Dockerfile" -t "$IMAGE" "$root"
log "built $IMAGE in $((SECONDS - start)) s"
if [ -n "${IMAGE_ARCHIVE:-}" ]; then
  rm -f "$IMAGE_ARCHIVE"
  bah push -q "$IMAGE" "docker-archive:$IMAGE_ARCHIVE:$IMAGE"
  log "wrote $IMAGE_ARCHIVE"
fi
