#!/usr/bin/env bash
# Installs what `make bench` needs on top of scripts/install-deps.sh, and only what is missing:
# wrk (closed-loop peak rate), nginx (the TLS ceiling), Go 1.19 (the net/http reference webhook),
# Maven and Java 17 (the Flink Kubernetes Operator's webhook, built from bench/operator-webhook/;
# its jars go to the local Maven repository, ~/.m2, outside the clone); valgrind, strace, perf and time
# for the cost measurements beside the load run (bench/instructions.sh, bench/steps.sh,
# bench/cpu_per_request.sh).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/install-deps.sh" wrk nginx golang-go maven openjdk-17-jdk-headless valgrind strace linux-perf time
