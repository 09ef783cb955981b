# tests/fuzz/fuzz.mk - libFuzzer targets (STYLE.md "Testing pyramid", 3).
#
# Included by the top-level Makefile, or used alone from the repo root:
#   make -f tests/fuzz/fuzz.mk fuzz-smoke   build, run each target 10 s (CI)
#   make -f tests/fuzz/fuzz.mk fuzz         build, run each $(FUZZ_SECONDS) s
#   make -f tests/fuzz/fuzz.mk fuzz-build   build only
#   make -f tests/fuzz/fuzz.mk fuzz-clean
# Needs clang and its runtimes (Debian clang, libclang-rt-14-dev).
#
# Everything is built in build-fuzz/ with clang, the project's warnings and
# -fsanitize=fuzzer,address,undefined (UBSan is fatal, so it counts as a
# crash).  A run never writes under tests/: each target works on a copy of
# its checked-in corpus in build-fuzz/corpus-run/<target>/ (fresh for
# fuzz-smoke, kept and grown across `fuzz` runs), logs to
# build-fuzz/logs/<target>.log and leaves crashing inputs in
# build-fuzz/artifacts/<target>-crash-<sha1>.  Replay one with
#   build-fuzz/<target> build-fuzz/artifacts/<file>
# To fold what a long run found back into the seeds, minimise it:
#   build-fuzz/<target> -merge=1 tests/fuzz/corpus/<target> \
#       build-fuzz/corpus-run/<target>
#
# Every name defined here starts with FUZZ_ or fuzz, so that the including
# Makefile's variables and targets are left alone; the default goal of the
# including Makefile is kept.

FUZZ_STANDALONE := $(filter 1,$(words $(MAKEFILE_LIST)))
FUZZ_SAVED_GOAL := $(.DEFAULT_GOAL)

FUZZ_CC            ?= clang
FUZZ_SECONDS       ?= 60
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_TIMEOUT       ?= 10
FUZZ_OUT           := build-fuzz
FUZZ_DIR           := tests/fuzz
FUZZ_PKGS          := libmicrohttpd jansson libsodium libcrypt libcrypto sqlite3 libpq

# The top-level Makefile's WARN when it includes this file (read when a
# recipe runs, so the include may come before WARN is set); alone, the
# same list.
FUZZ_WARN = $(or $(WARN),-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wpointer-arith -Wcast-qual -Wformat=2 \
            -Wno-missing-field-initializers)
# clang's -Wformat=2 also flags vsnprintf() with a va_list format in a
# function without a format attribute (log.c vlog, server.c mhd_log), which
# gcc accepts; until src/ is annotated, src/ objects are built without it.
FUZZ_SRC_WARN :=
FUZZ_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
               -fno-omit-frame-pointer
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -g -O1 -pthread $(FUZZ_WARN) -MMD -MP \
              -Isrc $(shell pkg-config --cflags $(FUZZ_PKGS) 2>/dev/null)
FUZZ_LDLIBS = $(shell pkg-config --libs $(FUZZ_PKGS) 2>/dev/null) -lunistring

FUZZ_TARGETS := fuzz_jwt fuzz_form fuzz_router fuzz_dotenv fuzz_email \
                fuzz_utf8 fuzz_json fuzz_cookie fuzz_forwarded fuzz_username \
                fuzz_apikey fuzz_hash
FUZZ_BINS    := $(addprefix $(FUZZ_OUT)/,$(FUZZ_TARGETS))
# The targets `fuzz` and `fuzz-smoke` run (all built either way), e.g.
#   make fuzz FUZZ_RUN_TARGETS=fuzz_jwt FUZZ_SECONDS=600
FUZZ_RUN_TARGETS ?= $(FUZZ_TARGETS)

# The src/ files each target links.  fuzz_router takes all of src/ but
# main.c (and the generated schema), since routes.c names every handler.
FUZZ_SRC_fuzz_jwt    := src/auth/jwt.c src/util/tls.c src/util/alloc.c
FUZZ_SRC_fuzz_form   := src/util/form.c src/util/arena.c src/util/alloc.c
FUZZ_SRC_fuzz_router := $(filter-out src/main.c,$(sort $(shell find src -name '*.c')))
FUZZ_SRC_fuzz_dotenv := src/config.c src/log.c src/util/timefmt.c src/util/netaddr.c \
                        src/util/validate.c src/util/utf8.c src/util/alloc.c
FUZZ_SRC_fuzz_email  := src/util/validate.c src/util/utf8.c
FUZZ_SRC_fuzz_utf8   := src/util/utf8.c
FUZZ_SRC_fuzz_json   := src/util/utf8.c
FUZZ_SRC_fuzz_cookie := src/util/cookie.c
FUZZ_SRC_fuzz_forwarded := src/http/forwarded.c src/util/netaddr.c \
                           src/util/alloc.c
FUZZ_SRC_fuzz_username := src/util/username.c src/util/utf8.c
FUZZ_SRC_fuzz_apikey   := src/auth/token.c
FUZZ_SRC_fuzz_hash     := src/auth/password.c src/util/alloc.c
FUZZ_GEN_fuzz_router := $(FUZZ_OUT)/obj/gen/schema_sqlite.o \
                        $(FUZZ_OUT)/obj/gen/docs_assets.o \
                        $(FUZZ_OUT)/obj/gen/console_assets.o
FUZZ_SQL             := $(sort $(wildcard src/store/schema/sqlite/*.sql)) \
                        $(sort $(wildcard src/store/schema/pg/*.sql))

# -max_len per target: a little past each parser's own limit, so the
# limit itself is fuzzed, and no further.
FUZZ_MAXLEN_fuzz_jwt    := 4200 # GH_JWT_MAX_LEN 4096
FUZZ_MAXLEN_fuzz_form   := 2048 # 32 fields of a login form and then some
FUZZ_MAXLEN_fuzz_router := 1024 # 257-byte segment, 17 segments
FUZZ_MAXLEN_fuzz_dotenv := 4200 # 4095-byte line
FUZZ_MAXLEN_fuzz_email  := 2100 # 2048 code points, 254 bytes
FUZZ_MAXLEN_fuzz_utf8   := 512  # several 8-byte words
FUZZ_MAXLEN_fuzz_json   := 4096
FUZZ_MAXLEN_fuzz_cookie := 1024 # a few cookies
FUZZ_MAXLEN_fuzz_forwarded := 1024 # a chain of a dozen proxies
FUZZ_MAXLEN_fuzz_username  := 256  # 50 code points of up to 4 bytes
FUZZ_MAXLEN_fuzz_apikey    := 128  # a key is 59 bytes
FUZZ_MAXLEN_fuzz_hash      := 256  # a stored hash is under 128

.PHONY: fuzz fuzz-smoke fuzz-build fuzz-clean

fuzz-build: $(FUZZ_BINS)

$(FUZZ_OUT)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SRC_WARN) -fsanitize=fuzzer-no-link $(FUZZ_SAN) \
	    -c $< -o $@

$(FUZZ_OUT)/harness/%.o: $(FUZZ_DIR)/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SAN) \
	    -c $< -o $@

$(FUZZ_OUT)/gen/schema_sqlite.c: $(FUZZ_SQL) scripts/embed-sql.sh
	@mkdir -p $(@D)
	scripts/embed-sql.sh $(FUZZ_SQL) > $@.tmp && mv $@.tmp $@

$(FUZZ_OUT)/obj/gen/schema_sqlite.o: $(FUZZ_OUT)/gen/schema_sqlite.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SAN) \
	    -c $< -o $@

# The /docs files (web/assets.mk: DOCS_FILES and the npm step).
include web/assets.mk
$(FUZZ_OUT)/gen/docs_assets.c: $(filter web/%,$(DOCS_FILES)) $(NPM_STAMP) \
    scripts/embed-assets.sh
	@mkdir -p $(@D)
	scripts/embed-assets.sh gh_docs_assets $(DOCS_FILES) > $@.tmp && mv $@.tmp $@

$(FUZZ_OUT)/obj/gen/docs_assets.o: $(FUZZ_OUT)/gen/docs_assets.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SAN) \
	    -c $< -o $@

# The account console's files (web/console).
FUZZ_CONSOLE := $(sort $(wildcard web/console/*.html web/console/*.js \
                web/console/*.css))
$(FUZZ_OUT)/gen/console_assets.c: $(FUZZ_CONSOLE) scripts/embed-assets.sh
	@mkdir -p $(@D)
	scripts/embed-assets.sh gh_console_assets $(FUZZ_CONSOLE) > $@

$(FUZZ_OUT)/obj/gen/console_assets.o: $(FUZZ_OUT)/gen/console_assets.c \
    $(FUZZ_CONSOLE)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SAN) \
	    -c $< -o $@

define FUZZ_LINK_RULE
$(FUZZ_OUT)/$(1): $(FUZZ_OUT)/harness/$(1).o \
    $(patsubst src/%.c,$(FUZZ_OUT)/obj/%.o,$(FUZZ_SRC_$(1))) $(FUZZ_GEN_$(1))
	$$(FUZZ_CC) -fsanitize=fuzzer $$(FUZZ_SAN) -pthread $$^ \
	    $$(FUZZ_LDLIBS) -o $$@
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call FUZZ_LINK_RULE,$(t))))

# $(call FUZZ_RUN,target,seconds,fresh|keep): shell code that runs one
# target on its corpus copy and sets fail=1 when it finds anything.
# libFuzzer's final stats give the summary line.
FUZZ_RUN = \
	run=$(FUZZ_OUT)/corpus-run/$(1); log=$(FUZZ_OUT)/logs/$(1).log; \
	$(if $(filter fresh,$(3)),rm -rf $$run;) \
	mkdir -p $$run $(FUZZ_OUT)/artifacts $(FUZZ_OUT)/logs; \
	cp -n $(FUZZ_DIR)/corpus/$(1)/* $$run/; \
	if UBSAN_OPTIONS=print_stacktrace=1 $(FUZZ_OUT)/$(1) \
	    -max_total_time=$(2) -max_len=$(FUZZ_MAXLEN_$(1)) \
	    -timeout=$(FUZZ_TIMEOUT) -print_final_stats=1 \
	    $(if $(wildcard $(FUZZ_DIR)/$(1).dict),-dict=$(FUZZ_DIR)/$(1).dict) \
	    -artifact_prefix=$(FUZZ_OUT)/artifacts/$(1)- $$run >$$log 2>&1; \
	then \
	    runs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$log); \
	    eps=$$(sed -n 's/^stat::average_exec_per_sec: *//p' $$log); \
	    cov=$$(grep -o 'cov: [0-9]*' $$log | tail -n 1); \
	    echo "fuzz: $(1): ok, $(2) s, $$runs runs, $$eps exec/s, $$cov"; \
	else \
	    fail=1; \
	    echo "fuzz: $(1): FAILED (full log: $$log)"; \
	    tail -n 60 $$log; \
	    ls $(FUZZ_OUT)/artifacts/$(1)-* 2>/dev/null; \
	fi;

fuzz-smoke: $(FUZZ_BINS)
	@fail=0; \
	$(foreach t,$(FUZZ_RUN_TARGETS),$(call FUZZ_RUN,$(t),$(FUZZ_SMOKE_SECONDS),fresh)) \
	if [ $$fail -ne 0 ]; then echo "fuzz-smoke: FAILED"; exit 1; fi; \
	echo "fuzz-smoke: all targets passed"

fuzz: $(FUZZ_BINS)
	@fail=0; \
	$(foreach t,$(FUZZ_RUN_TARGETS),$(call FUZZ_RUN,$(t),$(FUZZ_SECONDS),keep)) \
	if [ $$fail -ne 0 ]; then echo "fuzz: FAILED"; exit 1; fi; \
	echo "fuzz: all targets passed"

fuzz-clean:
	rm -rf $(FUZZ_OUT)

-include $(shell find $(FUZZ_OUT) -name '*.d' 2>/dev/null)

# Alone, `make -f tests/fuzz/fuzz.mk` is the smoke run; included, the
# including Makefile's first target stays its default.
ifneq ($(FUZZ_STANDALONE),)
.DEFAULT_GOAL := fuzz-smoke
else
.DEFAULT_GOAL := $(FUZZ_SAVED_GOAL)
endif
