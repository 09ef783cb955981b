# gatehouse - plain GNU Makefile (STYLE.md "Build").
#   make run    install what is missing, build, serve on 127.0.0.1:8000
#   make test   install what is missing, build, run every test (also under
#               ASan+UBSan, and the HTTP suite on PostgreSQL too) and the
#               wire-compatibility run against the seed
#   make bench  wrk benchmark against nginx and the seed's FastAPI app

.SUFFIXES:
SHELL := /bin/bash

PKGS    := libmicrohttpd jansson libsodium libcrypt libcrypto sqlite3 libpq
CC      := cc
PYTHON  := /usr/bin/python3
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wpointer-arith -Wcast-qual -Wformat=2 \
           -Wno-missing-field-initializers
HARDEN  := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
CFLAGS  := -std=c11 -D_GNU_SOURCE -O2 -g -pthread $(WARN) $(HARDEN) \
           -MMD -MP $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# --as-needed: a library none of our code calls is not even loaded
# (libcrypto is linked for the tests' independent HMAC oracle only)
LDFLAGS := -pthread -pie -Wl,-z,relro,-z,now -Wl,--as-needed
# libunistring (usernames, util/username.c) ships no .pc file
LDLIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lunistring
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined -U_FORTIFY_SOURCE -O1

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
SRC     := $(sort $(shell find src -name '*.c'))
SQL     := $(sort $(wildcard src/store/schema/sqlite/*.sql)) \
           $(sort $(wildcard src/store/schema/pg/*.sql))
CONSOLE := $(sort $(wildcard web/console/*.html web/console/*.js web/console/*.css))
LIBSRC  := $(filter-out src/main.c,$(SRC))
TESTS   := $(patsubst tests/unit/%.c,%,$(sort $(wildcard tests/unit/test_*.c)))

# $(call objs,BUILDDIR,SOURCES)
objs = $(patsubst src/%.c,$(1)/obj/%.o,$(2)) $(1)/obj/gen/schema_sqlite.o \
       $(1)/obj/gen/docs_assets.o $(1)/obj/gen/console_assets.o

.PHONY: all san run test test-static test-servers unit unit-san http http-san \
        http-pg multi-pg unit-pg http-seed crash soak deps deps-build \
        bench bench-smoke format format-check lint openapi-lint clean
all: build/gatehouse

include web/assets.mk

# ---- build (normal in build/, sanitizers in build-san/) -------------------
define build_rules
$(1)/obj/%.o: src/%.c
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) $(2) -DGH_VERSION='"$$(VERSION)"' -Isrc -c $$< -o $$@
$(1)/obj/gen/schema_sqlite.o: $(1)/gen/schema_sqlite.c
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) $(2) -Isrc -c $$< -o $$@
$(1)/gen/schema_sqlite.c: $(SQL) scripts/embed-sql.sh
	@mkdir -p $$(@D)
	scripts/embed-sql.sh $(SQL) > $$@
$(1)/obj/gen/docs_assets.o: $(1)/gen/docs_assets.c
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) $(2) -Isrc -c $$< -o $$@
$(1)/gen/docs_assets.c: $(filter web/%,$(DOCS_FILES)) $(NPM_STAMP) \
    scripts/embed-assets.sh
	@mkdir -p $$(@D)
	scripts/embed-assets.sh gh_docs_assets $(DOCS_FILES) > $$@.tmp
	@mv $$@.tmp $$@
$(1)/obj/gen/console_assets.o: $(1)/gen/console_assets.c $(CONSOLE)
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) $(2) -Isrc -c $$< -o $$@
$(1)/gen/console_assets.c: $(CONSOLE) scripts/embed-assets.sh
	@mkdir -p $$(@D)
	scripts/embed-assets.sh gh_console_assets $(CONSOLE) > $$@
$(1)/gatehouse: $(call objs,$(1),$(SRC))
	$$(CC) $$(CFLAGS) $(2) $$(LDFLAGS) $$^ $$(LDLIBS) -o $$@
$(1)/tests/%: tests/unit/%.c $(call objs,$(1),$(LIBSRC))
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) $(2) -Wno-missing-prototypes -Isrc $$(LDFLAGS) \
	    $$(filter %.c %.o,$$^) \
	    $$(LDLIBS) -lcmocka -o $$@
endef
$(eval $(call build_rules,build,))
$(eval $(call build_rules,build-san,$(SANFLAGS)))
-include $(shell find build build-san -name '*.d' 2>/dev/null)

san: build-san/gatehouse

# ---- the two commands ----------------------------------------------------
deps:
	@scripts/deps.sh test
deps-build:
	@scripts/deps.sh build

run: deps-build
	@$(MAKE) --no-print-directory all
	@mkdir -p data
	exec build/gatehouse --host 127.0.0.1 --port 8000 --data-dir data

# Two lanes at once on a 2-core machine: the suites that start servers on
# free ports (sequential, so no two of them race for a port or for the
# CPU-bound hashing) beside the ones that start none.  Each lane's output
# is printed whole when it ends.
test: deps
	@$(MAKE) --no-print-directory all san
	@echo "make test: two lanes in parallel, each printed when it ends"
	@$(MAKE) --no-print-directory -j2 --output-sync=recurse \
	    test-static test-servers
	@echo "make test: all suites passed"
test-static:
	@$(MAKE) --no-print-directory format-check lint openapi-lint unit \
	    unit-san fuzz-smoke
test-servers:
	@$(MAKE) --no-print-directory http http-san http-pg multi-pg unit-pg \
	    http-seed \
	    bench-smoke

# ---- test suites -----------------------------------------------------------
unit: $(addprefix build/tests/,$(TESTS))
	@set -e; for t in $^; do echo "== $$t"; $$t; done
unit-san: $(addprefix build-san/tests/,$(TESTS))
	@set -e; for t in $^; do echo "== $$t (asan+ubsan)"; \
	    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 $$t; done
http: build/gatehouse
	GH_BIN=build/gatehouse $(PYTHON) -m pytest -q -rs -p no:cacheprovider tests/http
http-san: build-san/gatehouse
	GH_BIN=build-san/gatehouse GH_SANITIZED=1 $(PYTHON) -m pytest -q -rs -p no:cacheprovider tests/http
# The HTTP suite again on PostgreSQL (GH_DB=pg), sanitizer build: a
# throwaway cluster in a fresh temporary folder (scripts/pg-cluster.sh,
# which says how to do the same by hand), each server the suite starts on
# a database of its own in it.  The cluster is stopped by its PID however
# pytest ends; the status is pytest's (or the stop's, if that fails).
HTTP_PG := GH_DB=pg GH_BIN=build-san/gatehouse GH_SANITIZED=1 \
           $(PYTHON) -m pytest -q -rs -p no:cacheprovider tests/http
http-pg: build-san/gatehouse
	@d=$$(mktemp -d "$${TMPDIR:-/tmp}/gh-pg.XXXXXX") || exit 1; \
	trap 'rc=$$?; scripts/pg-cluster.sh stop "$$d" || \
	    { [ $$rc -ne 0 ] || rc=1; }; exit $$rc' EXIT; \
	trap 'exit 130' INT TERM; \
	scripts/pg-cluster.sh start "$$d" >/dev/null || exit 1; \
	. "$$d/env" && echo '$(HTTP_PG)' && $(HTTP_PG)
# The store's unit tests again on PostgreSQL (GH_TEST_PG, store_fixture.h:
# a fresh database per test; the tests of SQLite's own files skip),
# sanitizer build, on a throwaway cluster stopped by its PID.
STORE_TESTS := $(filter test_store%,$(TESTS))
unit-pg: $(addprefix build-san/tests/,$(STORE_TESTS))
	@d=$$(mktemp -d "$${TMPDIR:-/tmp}/gh-pg.XXXXXX") || exit 1; \
	trap 'rc=$$?; scripts/pg-cluster.sh stop "$$d" || \
	    { [ $$rc -ne 0 ] || rc=1; }; exit $$rc' EXIT; \
	trap 'exit 130' INT TERM; \
	scripts/pg-cluster.sh start "$$d" >/dev/null || exit 1; \
	. "$$d/env" && export GH_TEST_PG="host=$$GH_PG_HOST port=$$GH_PG_PORT user=$$GH_PG_USER" && \
	for t in $^; do echo "== $$t (PostgreSQL, asan+ubsan)"; \
	    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1 $$t || exit 1; done
# Three instances on one PostgreSQL behind nginx (round robin): the
# suite starts its own cluster, instances and nginx, and stops them by PID.
multi-pg: build-san/gatehouse
	GH_BIN=build-san/gatehouse GH_SANITIZED=1 $(PYTHON) -m pytest -q -rs \
	    -p no:cacheprovider tests/multi
http-seed:
	tests/http/run_against_seed.sh
# 30 minutes of mixed load on the plain and the sanitizer build side by
# side: RSS and descriptor slopes, LeakSanitizer on exit
# (tests/soak/soak.py; SOAK_SECONDS to change)
soak: deps san build/gatehouse
	$(PYTHON) tests/soak/soak.py
# the crash test at length: 200 SIGKILLs mid-load (make test runs 10)
crash: deps all
	GH_BIN=build/gatehouse GH_CRASH_KILLS=$${GH_CRASH_KILLS:-200} \
	    $(PYTHON) -m pytest -q -s -p no:cacheprovider tests/http/test_crash.py

# ---- benchmark ---------------------------------------------------------------
# bench/burst.c: the burst of new connections (bench/README.md)
build/bench/burst: bench/burst.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -O2 -Wall -Wextra -Werror -o $@ $<
bench: deps all build/bench/burst
	bench/run.sh
	$(PYTHON) bench/timing.py
bench-smoke: all build/bench/burst
	BENCH_SMOKE=1 BENCH_SKIP_SEED=1 bench/run.sh

# ---- style -------------------------------------------------------------------
CSRC = $(shell find src tests/unit tests/fuzz -name '*.[ch]' 2>/dev/null)
format:
	clang-format -i $(CSRC)
format-check:
	@clang-format --dry-run --Werror $(CSRC)
lint:
	@scripts/lint-layers.sh
	@cppcheck -q --error-exitcode=1 --inline-suppr --std=c11 -Isrc \
	    --suppress=missingIncludeSystem --suppress=unusedFunction \
	    --suppress=*:build/* src

# The generated OpenAPI document against the OpenAPI 3.1 schema and
# Redocly's recommended-strict rules (redocly.yaml); no server needed.
# The linter is its own npm package (tests/openapi), so the build's npm
# step fetches Swagger UI alone.
LINT_STAMP := tests/openapi/node_modules/.package-lock.json
$(LINT_STAMP): tests/openapi/package.json tests/openapi/package-lock.json
	cd tests/openapi && npm ci --no-audit --no-fund --ignore-scripts
	@touch $@
openapi-lint: build/gatehouse $(LINT_STAMP)
	build/gatehouse --print-openapi > build/openapi.json
	node tests/openapi/lint.js redocly.yaml build/openapi.json

clean:
	rm -rf build build-san build-fuzz

include tests/fuzz/fuzz.mk
