# The commands users type. The real build is CMake (CMakeLists.txt); this
# file installs missing Debian packages, drives CMake and runs the suites.
#
#   make            build (build/)
#   make test       build, run every test, then again under ASan+UBSan, then
#                   the MCP and daemon tests under ThreadSanitizer
#   make demo       build, then a real sync against the bundled fake Notion
#   make bench      build optimised, run the benchmarks, write bench/RESULTS.md
#   make fuzz       libFuzzer targets, FUZZ_SECONDS each (default 60)
#   make torture    the kill -9 crash test with 100 iterations
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX ?= /usr/local
DESTDIR ?=
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 60
BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
# the threaded parts: the MCP servers (stdio and HTTP) and the daemon
TSAN_TESTS ?= integration/test_(mcp|mcp_http|mcp_sdk|daemon)$$

DEB_PACKAGES = build-essential cmake pkg-config libcurl4-openssl-dev \
	libjansson-dev libsqlite3-dev libcmocka-dev libmicrohttpd-dev libssl-dev \
	curl python3 python3-jsonschema sqlite3 procps time nodejs npm \
	clang-format git
FUZZ_PACKAGES = clang libclang-rt-14-dev

.PHONY: all build deps test test-fast test-asan test-tsan demo bench fuzz torture install clean

all: build

deps:
	@scripts/install-deps.sh $(DEB_PACKAGES)

$(BUILD)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: deps $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	$(MAKE) test-asan
	$(MAKE) test-tsan

test-fast: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DNVAULT_SANITIZE=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		NV_SANITIZED=1 ctest --output-on-failure -j $(JOBS)

# ThreadSanitizer over the threaded servers: only the binaries those tests
# run are built, and a reported race stops the process (exit 66).
test-tsan: deps
	cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNVAULT_TSAN=ON >/dev/null
	cmake --build $(TSAN_BUILD) -j $(JOBS) --target nvault fake-notion
	cd $(TSAN_BUILD) && TSAN_OPTIONS=halt_on_error=1:exitcode=66:second_deadlock_stack=1 \
		NV_SANITIZED=1 ctest --output-on-failure -j $(JOBS) -R '$(TSAN_TESTS)'

demo: build
	@scripts/demo.sh $(BUILD)

bench: deps
	cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build build-bench -j $(JOBS)
	@scripts/bench.sh build-bench

fuzz:
	@scripts/install-deps.sh $(DEB_PACKAGES) $(FUZZ_PACKAGES)
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DNVAULT_FUZZ=ON >/dev/null
	cmake --build build-fuzz -j $(JOBS)
	@scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS)

torture: build
	NVAULT=$(CURDIR)/$(BUILD)/nvault FAKE_NOTION=$(CURDIR)/$(BUILD)/fake-notion \
		NV_TORTURE_ITERATIONS=100 bash tests/integration/test_crash.sh

install: build
	DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) build-bench build-fuzz
