# The commands users type. The real build is CMake (CMakeLists.txt); this
# file installs missing Debian packages, drives CMake and runs the suites.
#
#   make            build everything, tests included (build/)
#   make test       build, run every test, then again under ASan+UBSan, then
#                   the MCP and daemon tests under ThreadSanitizer
#   make demo       build nvault alone (build-demo/), then a real sync against
#                   the bundled fake Notion; installs no test-only package
#   make bench      build optimised, run the benchmarks, write bench/RESULTS.md
#   make fuzz       libFuzzer targets, FUZZ_SECONDS each (default 60)
#   make torture    the kill -9 crash test with 100 iterations, the power-cut
#                   test at every I/O of a sync, 100 crashes in a migration
#   make install    PREFIX=/usr/local DESTDIR=  (stripped; build-release/)
#   make deb        a Debian package in build-release/ (dpkg-deb)
#   make check-fresh  README's two commands and the .deb on a fresh Debian 12
#                   root made with debootstrap (root; not part of make test)

PREFIX ?= /usr/local
DESTDIR ?=
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 60
BUILD ?= build
ASAN_BUILD ?= build-asan
DEMO_BUILD ?= build-demo
RELEASE_BUILD ?= build-release
TSAN_BUILD ?= build-tsan
# the threaded parts: the MCP servers (stdio and HTTP), the daemon, and the
# Notion client's fetch threads (the client's unit test, syncs over them)
TSAN_TESTS ?= (integration/test_(mcp|mcp_http|mcp_sdk|daemon|sync_basic|sync_limits|sync_io|sync_overlap)|unit/test_notion_client)$$
TSAN_TARGETS = nvault fake-notion test_notion_client

# What building nvault needs (libmicrohttpd: nvault mcp --http, fake Notion;
# libpq: the PostgreSQL store).
BUILD_PACKAGES = build-essential cmake pkg-config libcurl4-openssl-dev \
	libjansson-dev libsqlite3-dev libssl-dev libmicrohttpd-dev libpq-dev
# What the demo script uses besides the build.
DEMO_PACKAGES = $(BUILD_PACKAGES) curl python3
# What the tests need on top: cmocka, the integration scripts' tools, the
# MCP SDK's node/npm, the style check, git (clones), script(1), systemd-analyze,
# a PostgreSQL server the PostgreSQL store's tests start (tests/pg/pg_cluster.sh;
# its psql too), util-linux's runuser/flock, libfaketime (test_clock_faketime).
TEST_PACKAGES = $(DEMO_PACKAGES) libcmocka-dev python3-jsonschema sqlite3 \
	procps time nodejs npm clang-format git bsdutils systemd postgresql util-linux \
	faketime
DEB_PACKAGES = $(TEST_PACKAGES)
FUZZ_PACKAGES = clang libclang-rt-14-dev
# make check-fresh
FRESH_PACKAGES = debootstrap
FRESH_SUITE ?= bookworm
FRESH_MIRROR ?= http://deb.debian.org/debian

.PHONY: all build deps deps-build deps-demo test test-fast test-asan test-tsan demo bench fuzz torture install deb release check-fresh clean

all: build

deps:
	@scripts/install-deps.sh $(TEST_PACKAGES)

deps-build:
	@scripts/install-deps.sh $(BUILD_PACKAGES)

deps-demo:
	@scripts/install-deps.sh $(DEMO_PACKAGES)

$(BUILD)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNVAULT_TESTS=ON >/dev/null

build: deps $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	$(MAKE) test-asan
	$(MAKE) test-tsan

test-fast: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# test_clock_faketime runs in the normal build only: libfaketime's LD_PRELOAD
# and ASan's interceptors do not mix (the instrumented sync hung until the
# 900 s timeout), and the test is about the clock, not memory.
test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DNVAULT_SANITIZE=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		NV_SANITIZED=1 ctest --output-on-failure -j $(JOBS) -E 'test_clock_faketime'

# ThreadSanitizer over the threaded parts: only the binaries those tests
# run are built, and a reported race stops the process (exit 66).
test-tsan: deps
	cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNVAULT_TSAN=ON >/dev/null
	cmake --build $(TSAN_BUILD) -j $(JOBS) --target $(TSAN_TARGETS)
	cd $(TSAN_BUILD) && TSAN_OPTIONS=halt_on_error=1:exitcode=66:second_deadlock_stack=1 \
		NV_SANITIZED=1 ctest --output-on-failure -j $(JOBS) -R '$(TSAN_TESTS)'

# The build is quiet (its log stays in build-demo/build.log); the demo is not.
demo: deps-demo
	@printf 'Building nvault (log: $(DEMO_BUILD)/build.log)... '
	@mkdir -p $(DEMO_BUILD)
	@{ cmake -S . -B $(DEMO_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNVAULT_TESTS=OFF && \
	   cmake --build $(DEMO_BUILD) -j $(JOBS) --target nvault fake-notion; } \
	   >$(DEMO_BUILD)/build.log 2>&1 || { echo failed; tail -n 30 $(DEMO_BUILD)/build.log; exit 1; }
	@echo done
	@scripts/demo.sh $(DEMO_BUILD)

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
	NVAULT=$(CURDIR)/$(BUILD)/nvault FAKE_NOTION=$(CURDIR)/$(BUILD)/fake-notion \
		NV_BUILD_DIR=$(CURDIR)/$(BUILD) NV_CRASH_POINTS=all \
		bash tests/integration/test_crash_unsynced.sh
	NVAULT=$(CURDIR)/$(BUILD)/nvault FAKE_NOTION=$(CURDIR)/$(BUILD)/fake-notion \
		NV_BUILD_DIR=$(CURDIR)/$(BUILD) NV_CRASH_POINTS=100 \
		bash tests/integration/test_crash_migration.sh

# nvault alone, optimised, without the tests: what install and deb ship.
release: deps-build
	cmake -S . -B $(RELEASE_BUILD) -DCMAKE_BUILD_TYPE=Release -DNVAULT_TESTS=OFF >/dev/null
	cmake --build $(RELEASE_BUILD) -j $(JOBS) --target nvault

install: release
	DESTDIR=$(DESTDIR) cmake --install $(RELEASE_BUILD) --prefix $(PREFIX) --strip

deb: release
	@scripts/mkdeb.sh $(RELEASE_BUILD) $(RELEASE_BUILD)

check-fresh:
	@scripts/install-deps.sh $(FRESH_PACKAGES)
	@scripts/check-fresh.sh $(FRESH_SUITE) $(FRESH_MIRROR)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(DEMO_BUILD) $(RELEASE_BUILD) build-bench build-fuzz
