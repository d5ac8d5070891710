# tend: Day-2 operations as small composable C programs.
# make          build every program into bin/
# make check    run every test (installs missing Debian packages as root),
#               then the same tests again under ASan+UBSan
# make bench    throughput and memory against cat, jq and zstd (not a test)

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/tend
DESTDIR ?=
CC ?= cc
# SANITIZE=address,undefined builds into build/asan instead of build/release
SANITIZE ?=
# DEBUG=1 builds with -O0 -g
DEBUG ?=
# BENCH_N: resources in the large bench fleet (the small one is 100k)
BENCH_N ?= 1000000
# FUZZ=1 builds the fuzz targets' variant (clang, libFuzzer); see make fuzz
FUZZ ?=
# FUZZ_TIME: seconds make fuzz-run gives each fuzz target
FUZZ_TIME ?= 300

VERSION := 0.1.0

ifneq ($(FUZZ),)
VARIANT := fuzz
OPT := -O1 -g -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer
else ifneq ($(SANITIZE),)
VARIANT := asan
OPT := -O1 -g -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
else ifneq ($(DEBUG),)
VARIANT := debug
OPT := -O0 -g
else
VARIANT := release
OPT := -O2 -g
endif

# BUILDROOT and BIN let a second tree build beside this one
BUILDROOT ?= build
B := $(BUILDROOT)/$(VARIANT)
ifeq ($(VARIANT),release)
BIN ?= bin
else
BIN ?= $(B)/bin
endif

WARN := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wpointer-arith -Wwrite-strings -Wvla -Wundef
CFLAGS_ALL := -std=c17 $(OPT) $(WARN) -D_GNU_SOURCE -DTEND_VERSION='"$(VERSION)"' \
	-DLIBBSD_OVERLAY -isystem /usr/include/bsd -Ifilters/lib $(CFLAGS)
LDFLAGS_ALL := $(OPT) -Wl,--as-needed $(LDFLAGS)
LIBS := -ljq -lonig -lzstd -lsodium -lcurl -lyaml -lbsd -lm -lpthread

LIB_SRC := $(sort $(wildcard filters/lib/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
PROGS := $(sort $(notdir $(patsubst %/,%,$(dir $(wildcard filters/*/*.c)))))
PROGS := $(filter-out lib,$(PROGS))
PROG_BINS := $(PROGS:%=$(BIN)/tend-%)
UNIT_SRC := $(sort $(wildcard test/unit/*.c))
UNIT_BINS := $(UNIT_SRC:test/unit/%.c=$(B)/test/unit/%)
MANS := $(wildcard filters/*/*.1)
# Fuzz targets, test/fuzz/<name>.c: replay-<name> runs its corpus without
# a fuzzer engine (built by all, so make check replays every corpus);
# fuzz-<name> is the libFuzzer binary (make fuzz).
FUZZ_NAMES := $(filter-out replay,$(basename $(notdir $(wildcard test/fuzz/*.c))))
FUZZ_REPLAY := $(FUZZ_NAMES:%=$(B)/test/fuzz/replay-%)
# The fault-injection shim the fault tests preload (test/faults/inject.c)
INJECT := $(B)/test/faults/inject.so

.DELETE_ON_ERROR:
.PHONY: all deps deps-build check check-release check-asan test asan bench install \
	uninstall clean lint fuzz fuzz-bins fuzz-run

all: deps-build $(PROG_BINS) $(UNIT_BINS) $(FUZZ_REPLAY) $(INJECT) $(if $(filter bin,$(BIN)),,$(BIN)/tend)

# The dispatcher beside every build's programs, so it runs those.
$(BIN)/tend: bin/tend
	@mkdir -p $(dir $@)
	cp bin/tend $@

deps-build:
	@sh test/deps.sh build

deps:
	@sh test/deps.sh all

# Objects depend on the flags they were built with, so a flag change
# rebuilds instead of mixing objects.
$(B)/.build-flags: FORCE
	@mkdir -p $(B)
	@echo '$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL)' | cmp -s - $@ || \
	    echo '$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL)' > $@
FORCE:

$(B)/%.o: %.c $(B)/.build-flags
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

$(B)/libtend.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

# schemas/*.json compiled in as byte arrays (see schema.h), so programs
# need no path to them; od, because xxd is not in the base image.
SCHEMAS := $(sort $(wildcard schemas/*.json))
$(B)/gen/schemas.c: $(SCHEMAS) schemas Makefile
	@mkdir -p $(dir $@)
	@{ echo '#include "compat.h"'; echo '#include "schema.h"'; i=0; \
	for f in $(SCHEMAS); do echo "static const unsigned char s$$i[] = {"; \
	od -An -v -tu1 $$f | sed 's/[0-9][0-9]*/&,/g'; echo '0 };'; \
	i=$$((i + 1)); done; echo 'const struct schema_blob schema_blobs[] = {'; \
	i=0; for f in $(SCHEMAS); do \
	echo "{ \"$${f#schemas/}\", s$$i, sizeof(s$$i) - 1 },"; \
	i=$$((i + 1)); done; echo '{ NULL, NULL, 0 } };'; \
	echo 'const size_t schema_nblobs = ARRAY_SIZE(schema_blobs) - 1;'; } > $@
$(B)/gen/schemas.o: $(B)/gen/schemas.c filters/lib/schema.h $(B)/.build-flags
	$(CC) $(CFLAGS_ALL) -c -o $@ $<
$(B)/libtend.a: $(B)/gen/schemas.o

# One link rule per program, from the objects of its folder.
define PROG_RULE
$(BIN)/tend-$(1): $(patsubst %.c,$(B)/%.o,$(wildcard filters/$(1)/*.c)) $(B)/libtend.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS_ALL) -o $$@ $$^ $$(LIBS)
endef
$(foreach p,$(PROGS),$(eval $(call PROG_RULE,$(p))))

$(B)/test/unit/%: $(B)/test/unit/%.o $(B)/libtend.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ -lcmocka $(LIBS)

# The skill target loads skills with tend-plan's own code.
$(B)/test/fuzz/skill.o: CFLAGS_ALL += -Ifilters/plan
$(B)/test/fuzz/replay-skill $(B)/test/fuzz/fuzz-skill: \
	$(B)/filters/plan/skill.o $(B)/filters/plan/data.o

$(B)/test/fuzz/replay-%: $(B)/test/fuzz/%.o $(B)/test/fuzz/replay.o \
	$(B)/libtend.a
	$(CC) $(LDFLAGS_ALL) -o $@ $(filter %.o,$^) $(B)/libtend.a $(LIBS)

# Without the sanitizers, so that it preloads into any build.
$(INJECT): test/faults/inject.c $(B)/.build-flags
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -O2 -g $(WARN) -D_GNU_SOURCE -DLIBBSD_OVERLAY \
	    -isystem /usr/include/bsd -Ifilters/lib -fPIC -shared -o $@ $< -ldl

$(B)/test/fuzz/fuzz-%: $(B)/test/fuzz/%.o $(B)/libtend.a
	$(CC) $(LDFLAGS_ALL) -fsanitize=fuzzer -o $@ $(filter %.o,$^) \
	    $(B)/libtend.a $(LIBS)

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# The whole suite, then again under ASan+UBSan.
check: deps
	$(MAKE) lint
	$(MAKE) check-release
	$(MAKE) check-asan

check-release: all
	TEND_BIN=$(CURDIR)/$(BIN) TEND_UNIT=$(CURDIR)/$(B)/test/unit sh test/run.sh

# Sanitizer reports go to files too, and any fails the check: a program
# whose status a pipe hides (a test's `a | b`, a pipeline's stages) would
# otherwise report to a stderr nobody reads.
SANREP := $(CURDIR)/build/asan/reports
check-asan:
	$(MAKE) SANITIZE=address,undefined all
	rm -rf $(SANREP) && mkdir -p $(SANREP)
	TEND_BIN=$(CURDIR)/build/asan/bin TEND_UNIT=$(CURDIR)/build/asan/test/unit \
	    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:log_path=$(SANREP)/asan \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$(SANREP)/ubsan \
	    sh test/run.sh
	@if [ -n "$$(ls $(SANREP))" ]; then head -n 40 $(SANREP)/*; \
	    echo "check-asan: the sanitizer reports above ($(SANREP))"; \
	    exit 1; fi

asan:
	$(MAKE) SANITIZE=address,undefined all

bench: all
	BENCH_N=$(BENCH_N) sh test/bench/run.sh

lint:
	sh test/lint.sh

# libFuzzer binaries of every target, with clang and ASan+UBSan.
fuzz:
	$(MAKE) FUZZ=1 CC=clang fuzz-bins
fuzz-bins: $(FUZZ_NAMES:%=$(B)/test/fuzz/fuzz-%)

# Not in CI: each target fuzzed for FUZZ_TIME seconds (test/fuzz/run.sh).
fuzz-run: fuzz
	FUZZ_TIME=$(FUZZ_TIME) FUZZ_BIN=$(abspath $(BUILDROOT))/fuzz/test/fuzz \
	    FUZZ_WORK=$(abspath $(BUILDROOT))/fuzz/work sh test/fuzz/run.sh \
	    $(FUZZ_NAMES)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(DATADIR)/schemas
	install -m 755 bin/tend $(PROG_BINS) $(DESTDIR)$(BINDIR)
	install -m 644 $(MANS) $(DESTDIR)$(MANDIR)/man1
	install -m 644 schemas/*.json $(DESTDIR)$(DATADIR)/schemas

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/tend $(PROGS:%=$(DESTDIR)$(BINDIR)/tend-%)
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MANS)))
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build $(PROGS:%=bin/tend-%)
