# flink-memguard: `make run` and `make test` do all set-up on a fresh Debian 12 machine.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo
# Fuzzing and sanitizer builds (README: Fuzzing and sanitizers).
FUZZ_BUILD_DIR ?= build-fuzz
FUZZ_CXX ?= clang++-14
FUZZ_SECONDS ?= 300
ASAN_BUILD_DIR ?= build-asan
VALGRIND ?= valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect --trace-children=yes -q

.PHONY: all deps configure build test run clean fuzz-build fuzz test-asan test-valgrind

all: build

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# The unit and end-to-end tests, then the same tests under ASan+UBSan (clang) plus a bounded run
# of every fuzz target (MEMGUARD_FUZZ_SECONDS each) from the clang build.
test: build fuzz-build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)
	@cd $(FUZZ_BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# clang + libFuzzer + ASan + UBSan build of everything, tests and fuzz targets included.
fuzz-build: deps
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

# The test binaries (and the flink-memguard processes they start) under valgrind's memcheck.
test-valgrind: build
	@for suite in $(BUILD_DIR)/tests/memmodel_tests $(BUILD_DIR)/tests/webhook_tests; do \
	  echo "valgrind: $$suite"; $(VALGRIND) $$suite || exit 1; done

run: build
	$(BUILD_DIR)/flink-memguard memory -f examples/flink-conf.yaml --role both

clean:
	rm -rf $(BUILD_DIR) $(FUZZ_BUILD_DIR) $(ASAN_BUILD_DIR)
