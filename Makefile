# lathe: thin wrapper over CMake. `make demo` and `make test` work on a fresh
# Debian machine: they install missing system packages first.
BUILD ?= build
JOBS  ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build test test-asan demo install bench fuzz clean

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/Makefile: CMakeLists.txt
	@bash scripts/install-deps.sh
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) > /dev/null

build: $(BUILD)/Makefile
	@cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan:
	@bash scripts/install-deps.sh
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DLATHE_SANITIZE=ON > /dev/null
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS) -L unit

demo: build
	@bash scripts/demo.sh $(BUILD)/lathe

install: build
	cmake --install $(BUILD)

bench: build
	@bash scripts/install-deps.sh --peers
	bash bench/run.sh $(BUILD)/lathe

fuzz:
	@bash scripts/install-deps.sh
	CC=clang cmake -S . -B build-fuzz -DLATHE_FUZZ=ON -DLATHE_TESTS=OFF -DCMAKE_BUILD_TYPE=Debug \
	  -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link,address,undefined" > /dev/null
	cmake --build build-fuzz -j $(JOBS)
	@for f in build-fuzz/fuzz_*; do n=$$(basename $$f); mkdir -p fuzz/corpus/$$n; \
	  $$f -max_total_time=$${FUZZ_SECONDS:-60} fuzz/corpus/$$n; done

clean:
	rm -rf $(BUILD) build-asan build-fuzz
