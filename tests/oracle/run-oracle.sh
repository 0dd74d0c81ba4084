#!/usr/bin/env bash
# Runs the Flink oracle for one release: builds the harness (once), resolves that release's memory
# classes with Maven into the local repository (~/.m2, or MAVEN_REPO_LOCAL), and compares Flink's
# answers with flink-memguard's on generated configurations.
#   run-oracle.sh --work DIR --memguard BIN --version 2.3.0 [--cases N] [--seed S] [--show M]
#                 [--model-version V]   (ask flink-memguard about release V instead: sensitivity)
#   run-oracle.sh --work DIR --version 1.13.6 --vectors FILE 1.13   (the harness vs recorded vectors)
# A missing mvn/java or an artifact that cannot be resolved is a failure, never a skip.
set -euo pipefail

# The whole script is one function, read before anything runs: an edit or checkout while tests run
# cannot hand bash half a file.
main() {
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="" memguard="" version="" cases=1000 seed="" show=10 model=() vectors="" vectors_label=""
while [ $# -gt 0 ]; do
  case "$1" in
    --work) work="$2"; shift 2 ;;
    --memguard) memguard="$2"; shift 2 ;;
    --version) version="$2"; shift 2 ;;
    --cases) cases="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --show) show="$2"; shift 2 ;;
    --model-version) model=(--model-version "$2"); shift 2 ;;
    --vectors) vectors="$2"; vectors_label="$3"; shift 3 ;;
    *) echo "run-oracle: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$work" ] && [ -n "$version" ] && { [ -n "$memguard" ] || [ -n "$vectors" ]; } || {
  echo "run-oracle: --work, --version and --memguard (or --vectors) are required" >&2; exit 2; }
for tool in mvn java flock; do
  command -v "$tool" >/dev/null || { echo "run-oracle: $tool is not installed (make test installs it: scripts/install-oracle-deps.sh)" >&2; exit 1; }
done
[ -n "$vectors" ] || [ -x "$memguard" ] || { echo "run-oracle: $memguard is not an executable" >&2; exit 1; }
# A fixed seed per release keeps `make test` reproducible; campaigns pass their own.
[ -n "$seed" ] || seed="$(printf '%s' "$version" | cksum | cut -d' ' -f1)"

mkdir -p "$work"
mvn_args=(-B -q)
[ -n "${MAVEN_REPO_LOCAL:-}" ] && mvn_args+=("-Dmaven.repo.local=$MAVEN_REPO_LOCAL")
# Resolved classpaths and built harnesses are kept beside the Maven repository they point into,
# keyed by what produced them, so a fresh build tree does not start Maven once per release again.
cache="${FLINK_MEMGUARD_ORACLE_CACHE:-${MAVEN_REPO_LOCAL:-$HOME/.m2}/flink-memguard-oracle}"
mkdir -p "$cache"

# One Maven at a time: parallel ctest jobs share the local repository.
exec 9>"$cache/maven.lock"

harness_key="$(cat "$here/pom.xml" $(find "$here/src" -type f -name '*.java' | sort) | sha256sum | cut -c1-16)"
jar="$cache/harness-$harness_key/flink-memguard-oracle.jar"
if [ ! -f "$jar" ]; then
  flock 9
  if [ ! -f "$jar" ]; then
    (cd "$work" && mvn "${mvn_args[@]}" -f "$here/pom.xml" -Doracle.build.dir="$work/harness" package) >&2
    mkdir -p "$(dirname "$jar")"
    cp "$work/harness/flink-memguard-oracle.jar" "$jar.tmp" && mv "$jar.tmp" "$jar"
  fi
  flock -u 9
fi

# flink-runtime carried the Scala suffix up to 1.13; flink-core-api exists from 1.20; 1.19 reads
# list options with snakeyaml-engine.
IFS=. read -r major minor _ <<<"$version"
runtime=flink-runtime
[ "$major" -eq 1 ] && [ "$minor" -le 13 ] && runtime=flink-runtime_2.12
extra=()
if [ "$major" -ge 2 ] || [ "$minor" -ge 20 ]; then extra+=(-Dflink.core.api); fi
if [ "$major" -ge 2 ] || [ "$minor" -ge 19 ]; then extra+=(-Dflink.yaml); fi
# 1.10's JobManager heap comes from BootstrapTools, which needs the Scala library to load.
if [ "$major" -eq 1 ] && [ "$minor" -eq 10 ]; then extra+=(-Dflink.scala.library); fi

classpath_key="$(printf '%s\n' "$version" "$runtime" "${extra[@]}" | cat - "$here/flink-classpath.xml" | sha256sum | cut -c1-16)"
classpath_file="$cache/classpath-$version-$classpath_key.txt"
classpath_ok() {
  [ -s "$classpath_file" ] || return 1
  local jar_path
  IFS=: read -ra jars <"$classpath_file"
  for jar_path in "${jars[@]}"; do [ -f "$jar_path" ] || return 1; done
}
if ! classpath_ok; then
  flock 9
  classpath_ok || (cd "$work" && mvn "${mvn_args[@]}" -f "$here/flink-classpath.xml" dependency:build-classpath \
      -Dflink.version="$version" -Dflink.runtime="$runtime" "${extra[@]}" \
      -Dmdep.outputFile="$classpath_file.tmp") >&2 || {
    echo "run-oracle: could not resolve Flink $version's memory classes with Maven" >&2; exit 1; }
  [ -f "$classpath_file.tmp" ] && mv "$classpath_file.tmp" "$classpath_file"
  flock -u 9
fi

if [ -n "$vectors" ]; then
  exec java -XX:+UseSerialGC -cp "$jar:$(cat "$classpath_file")" io.github.flinkmemguard.oracle.Oracle vectors \
    "$vectors" "$vectors_label"
fi
exec java -XX:+UseSerialGC -Xshare:auto -cp "$jar:$(cat "$classpath_file")" io.github.flinkmemguard.oracle.Oracle compare \
  --memguard "$memguard" --version "$version" --cases "$cases" --seed "$seed" --show "$show" "${model[@]}"
}

main "$@"
