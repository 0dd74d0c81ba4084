# flink-memguard image: built by the project's own build on Debian 12, run on slim Debian 12 with
# only the shared libraries the binary loads, as a fixed non-root user.
#   docker build -t flink-memguard:0.1.0 .      (or `make image`, which uses buildah)
# The base images are arguments so that `make image` can substitute a local Debian 12 base
# (debootstrap) where no registry is reachable.
ARG BUILD_IMAGE=docker.io/library/debian:bookworm
ARG RUNTIME_IMAGE=docker.io/library/debian:bookworm-slim
ARG VERSION=0.1.0

FROM ${BUILD_IMAGE} AS build
ENV DEBIAN_FRONTEND=noninteractive
WORKDIR /src
# Dependencies first: this layer stays cached while only sources change.
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN bash scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
# Release with profile-guided optimisation: an instrumented build, a training run of the webhook
# on loopback over the project's review fixtures, then the optimised build (scripts/build-release.sh).
RUN bash scripts/build-release.sh /build \
 && strip --strip-unneeded /build/flink-memguard \
 && bash scripts/runtime-packages.sh /build/flink-memguard > /build/runtime-packages \
 && /build/flink-memguard --help > /dev/null

FROM ${RUNTIME_IMAGE}
ARG VERSION
ENV DEBIAN_FRONTEND=noninteractive
COPY --from=build /build/runtime-packages /tmp/runtime-packages
# Only the library packages the binary needs; no shells, editors or network tools are added
# (the base's essential set stays, as Debian's package manager needs it). The upgrade brings the
# base's own packages to the current security updates.
RUN apt-get update -q \
 && apt-get upgrade -y -q \
 && xargs -a /tmp/runtime-packages apt-get install -y -q --no-install-recommends \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log /tmp/runtime-packages \
 && groupadd --system --gid 65532 memguard \
 && useradd --system --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin memguard
COPY --from=build /build/flink-memguard /usr/local/bin/flink-memguard

LABEL org.opencontainers.image.title="flink-memguard" \
      org.opencontainers.image.description="Admission webhook that checks Flink memory against container limits" \
      org.opencontainers.image.version="${VERSION}"
# Numeric, so that Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["/usr/local/bin/flink-memguard"]
CMD ["serve", "--listen", "0.0.0.0:8443", \
     "--tls-cert", "/etc/flink-memguard/tls/tls.crt", "--tls-key", "/etc/flink-memguard/tls/tls.key"]
