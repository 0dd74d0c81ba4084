#!/usr/bin/env bash
# Runs the Flink Kubernetes Operator oracle for one operator release: builds the harness (once),
# resolves that release's jar and dependencies with Maven into the local repository (~/.m2, or
# MAVEN_REPO_LOCAL), and compares the operator's FlinkConfigBuilder and DefaultValidator with
# flink-memguard on generated FlinkDeployments.
#   run-operator-oracle.sh --work DIR --memguard BIN --version 1.7.0 [--cases N] [--seed S] [--show M]
# A missing mvn/java or an artifact that cannot be resolved is a failure, never a skip.
set -euo pipefail

# The whole script is one function, read before anything runs (as run-oracle.sh).
main() {
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="" memguard="" version="" cases=300 seed="" show=10
while [ $# -gt 0 ]; do
  case "$1" in
    --work) work="$2"; shift 2 ;;
    --memguard) memguard="$2"; shift 2 ;;
    --version) version="$2"; shift 2 ;;
    --cases) cases="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --show) show="$2"; shift 2 ;;
    *) echo "run-operator-oracle: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$work" ] && [ -n "$version" ] && [ -n "$memguard" ] || {
  echo "run-operator-oracle: --work, --version and --memguard are required" >&2; exit 2; }
for tool in mvn java flock; do
  command -v "$tool" >/dev/null || { echo "run-operator-oracle: $tool is not installed (make test installs it: scripts/install-oracle-deps.sh)" >&2; exit 1; }
done
[ -x "$memguard" ] || { echo "run-operator-oracle: $memguard is not an executable" >&2; exit 1; }
[ -n "$seed" ] || seed="$(printf '%s' "$version" | cksum | cut -d' ' -f1)"

mkdir -p "$work"
work="$(cd "$work" && pwd)"  # Maven runs from inside it
mvn_args=(-B -q)
[ -n "${MAVEN_REPO_LOCAL:-}" ] && mvn_args+=("-Dmaven.repo.local=$MAVEN_REPO_LOCAL")
# The same cache as the Flink oracle's, beside the Maven repository it points into.
cache="${FLINK_MEMGUARD_ORACLE_CACHE:-${MAVEN_REPO_LOCAL:-$HOME/.m2}/flink-memguard-oracle}"
mkdir -p "$cache"
exec 9>"$cache/maven.lock"

harness_key="$(cat "$here/pom.xml" $(find "$here/src" -type f -name '*.java' | sort) | sha256sum | cut -c1-16)"
jar="$cache/operator-harness-$harness_key/flink-memguard-operator-oracle.jar"
if [ ! -f "$jar" ]; then
  flock 9
  if [ ! -f "$jar" ]; then
    (cd "$work" && mvn "${mvn_args[@]}" -f "$here/pom.xml" -Doracle.build.dir="$work/operator-harness" package) >&2
    mkdir -p "$(dirname "$jar")"
    cp "$work/operator-harness/flink-memguard-operator-oracle.jar" "$jar.tmp"
    mv "$jar.tmp" "$jar"
  fi
  flock -u 9
fi

IFS=. read -r major minor _ <<<"$version"
extra=()
if [ "$major" -gt 1 ] || [ "$minor" -ge 2 ]; then extra+=(-Doperator.standalone); fi
# The Flink release 1.1 was built with (its flink-core on the resolved classpath).
if [ "$major" -eq 1 ] && [ "$minor" -eq 1 ]; then extra+=(-Dflink.kubernetes.version=1.15.1); fi
classpath_key="$(printf '%s\n' "$version" "${extra[@]}" | cat - "$here/operator-classpath.xml" | sha256sum | cut -c1-16)"
classpath_file="$cache/operator-classpath-$version-$classpath_key.txt"
classpath_ok() {
  [ -s "$classpath_file" ] || return 1
  local jar_path
  IFS=: read -ra jars <"$classpath_file"
  for jar_path in "${jars[@]}"; do [ -f "$jar_path" ] || return 1; done
}
if ! classpath_ok; then
  flock 9
  classpath_ok || (cd "$work" && mvn "${mvn_args[@]}" -f "$here/operator-classpath.xml" dependency:build-classpath \
      -Doperator.version="$version" "${extra[@]}" -Dmdep.outputFile="$classpath_file.tmp") >&2 || {
    echo "run-operator-oracle: could not resolve Flink Kubernetes Operator $version with Maven" >&2; exit 1; }
  [ -f "$classpath_file.tmp" ] && mv "$classpath_file.tmp" "$classpath_file"
  flock -u 9
fi

# The operator logs through log4j/slf4j; its INFO lines would bury the verdict. Its pod-template
# files go to a temporary directory of this run.
tmp="$(mktemp -d "$work/operator-tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
java -XX:+UseSerialGC -Xshare:auto -Djava.io.tmpdir="$tmp" -Dlog4j2.configurationFile="$here/log4j2-off.properties" \
  -cp "$jar:$(cat "$classpath_file")" io.github.flinkmemguard.operatororacle.OperatorOracle compare \
  --memguard "$memguard" --version "$version" --work "$work" --cases "$cases" --seed "$seed" --show "$show"
}

main "$@"
