# tlsrptd: plain Makefile, dependencies found with pkg-config.
#
#   make              build the programs and the library they share
#   make check        install missing packages (as root), build, run every test
#   make check-quick  the same without the slow scripts (under 30 s)
#   make sanitize     the whole suite under ASan and UBSan, in build-san/
#   make run          build and start the daemon on its embedded defaults
#   make install      PREFIX=/usr/local DESTDIR= honoured (and SYSCONFDIR,
#                     SYSTEMDUNITDIR: the config, the systemd unit)
#
# Project flags are kept apart from the user's: CFLAGS and LDFLAGS from the
# command line or the environment are added, never replaced. A packager who
# wants a build without -Werror says `make DEVELOPER_FLAGS=`.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
SHAREDIR ?= $(PREFIX)/share/tlsrptd
# /etc whatever the PREFIX: the man pages and the unit name
# /etc/tlsrptd.conf, and a packager's PREFIX=/usr must not make it
# /usr/etc.
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
DESTDIR ?=
O ?= build

PKGS = zlib jansson libmicrohttpd sqlite3 libpq gmime-3.0 gnutls gnutls-dane \
       libunbound libcurl libidn2
PKG_CONFIG ?= pkg-config

CC ?= cc
CFLAGS ?= -O2 -g
DEVELOPER_FLAGS ?= -Werror
WARN = -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
       -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral $(DEVELOPER_FLAGS)
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS = -std=c17 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
             -Iinclude $(WARN) $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(LDFLAGS)
LIBS = $(PKG_LIBS) -lpthread -lm

# The programs, each built from src/NAME.c and the library; every other
# src/*.c is a module of that library; every tests/unit/t-*.c is a unit
# test. A new program is named here, never guessed from its file name.
PROGRAMS = tlsrptd tlsrpt-import tlsrpt-summary tlsrpt-check
MODULES = $(filter-out $(PROGRAMS),$(basename $(notdir $(wildcard src/*.c))))
UNIT_TESTS = $(basename $(notdir $(wildcard tests/unit/t-*.c)))

LIB = $(O)/libtlsrpt.a
LIB_OBJS = $(MODULES:%=$(O)/%.o) $(O)/schema_sql.o
PROG_BINS = $(PROGRAMS:%=$(O)/%)
UNIT_BINS = $(UNIT_TESTS:%=$(O)/tests/%) $(O)/tests/report-dump
TEST_BINS = $(UNIT_BINS)
# Each compile writes the headers it read to a .d file beside its object
# (-MMD), with an empty rule for each (-MP, so that a header removed does
# not stop the build): a header change compiles again only the files that
# include it, then links.
DEPFLAGS = -MMD -MP

# Quiet by default, as git's Makefile: `make V=1` shows the commands.
ifneq ($(V),1)
Q = @
QUIET_CC = @echo '   ' CC $@;
QUIET_LINK = @echo '   ' LINK $@;
QUIET_AR = @echo '   ' AR $@;
QUIET_GEN = @echo '   ' GEN $@;
endif

all: $(PROG_BINS)

$(O)/%.o: src/%.c $(O)/%.d | $(O)
	$(QUIET_CC)$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -c -o $@ $<

# The schema migrations are compiled in: the programs apply them.
$(O)/schema_sql.c: scripts/embed-schema.sh $(wildcard schema/*/*.sql) | $(O)
	$(QUIET_GEN)./scripts/embed-schema.sh schema > $@

$(O)/schema_sql.o: $(O)/schema_sql.c
	$(QUIET_CC)$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	$(Q)rm -f $@
	$(QUIET_AR)$(AR) rcs $@ $(LIB_OBJS)

$(PROG_BINS): %: %.o $(LIB)
	$(QUIET_LINK)$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(ALL_LDFLAGS) $(LIBS)

$(UNIT_BINS:=.o): $(O)/tests/%.o: tests/unit/%.c $(O)/tests/%.d | $(O)/tests
	$(QUIET_CC)$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -Itests/unit -c -o $@ $<

$(UNIT_BINS): %: %.o $(LIB)
	$(QUIET_LINK)$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(ALL_LDFLAGS) $(LIBS)

# A library the end-to-end tests preload into the daemon (tests/powercut.c).
# Built without the user's CFLAGS: under make sanitize it must not need
# the sanitizers' runtime, which the daemon loads after it.
TEST_BINS += $(O)/tests/powercut.so
$(O)/tests/powercut.so: tests/powercut.c | $(O)/tests
	$(QUIET_LINK)$(CC) -std=c17 $(WARN) -O2 -g -shared -fPIC -o $@ $< -ldl -lpthread

$(O)/bench/%: tests/bench/%.c $(O)/bench/%.d $(LIB) | $(O)/bench
	$(QUIET_LINK)$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -Itests/bench -o $@ $< $(LIB) $(ALL_LDFLAGS) $(LIBS)

# Benchmarks print figures beside the floor the libraries allow; they
# assert nothing. BENCH_DIR keeps the generated stores between runs.
BENCH_DIR ?= $(O)/bench
BENCHES = $(basename $(notdir $(wildcard tests/bench/bench-*.c)))
# bench-https loads the daemon with wrk, a Debian package that make check
# does not need: installed here (as root) when missing.
bench: deps all $(BENCHES:%=$(O)/bench/%)
	$(Q)command -v wrk >/dev/null 2>&1 || [ "$$(id -u)" -ne 0 ] || \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk
	$(O)/bench/bench-import $(O) $(BENCH_DIR)/corpus
	$(O)/bench/bench-https $(O) $(BENCH_DIR)/https
	$(O)/bench/bench-summary $(BENCH_DIR)/summary-1M.db
	$(O)/bench/bench-overview $(O) $(BENCH_DIR)/overview
	O=$(O) BENCH_DIR=$(BENCH_DIR) sh tests/bench/pg.sh
	O=$(O) sh tests/bench/mailbomb.sh

$(O) $(O)/tests $(O)/bench:
	mkdir -p $@

deps:
	@./scripts/deps.sh

# The suite: unit tests, the fixture driver and the end-to-end tests of the
# real programs, JOBS at a time (twice the number of CPUs), each killed after
# TEST_TIMEOUT seconds (300); it closes with "N passed, N failed, N
# skipped" (tests/README). check-quick leaves out the scripts marked slow.
check: deps
	$(MAKE) all tests
	O=$(O) ./tests/run.sh

check-quick: deps
	$(MAKE) all tests
	O=$(O) ./tests/run.sh --quick

tests: $(TEST_BINS)

sanitize: deps
	$(MAKE) O=build-san \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" all tests
	O=build-san ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ./tests/run.sh

run: deps all
	$(O)/tlsrptd --foreground

# The unit of contrib/ names the programs as the default PREFIX installs
# them: the one installed names them where this install puts them. Made
# at each install, as PREFIX may differ from the last one; a path left
# unchanged (the unit's lines moved) stops the install.
install: all | $(O)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man1 \
	  $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	  $(DESTDIR)$(SHAREDIR)/schema/sqlite $(DESTDIR)$(SHAREDIR)/schema/postgresql \
	  $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSCONFDIR)
	install -m 755 $(O)/tlsrpt-import $(O)/tlsrpt-summary $(O)/tlsrpt-check \
	  $(DESTDIR)$(BINDIR)/
	install -m 755 $(O)/tlsrptd $(DESTDIR)$(SBINDIR)/
	install -m 644 man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 man/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 644 schema/sqlite/*.sql $(DESTDIR)$(SHAREDIR)/schema/sqlite/
	install -m 644 schema/postgresql/*.sql $(DESTDIR)$(SHAREDIR)/schema/postgresql/
	sed -e 's|/usr/local/sbin/tlsrptd|$(SBINDIR)/tlsrptd|g' \
	  -e 's|/etc/tlsrptd\.conf|$(SYSCONFDIR)/tlsrptd.conf|g' \
	  contrib/systemd/tlsrptd.service > $(O)/tlsrptd.service
	@grep -q '^ExecStart=$(SBINDIR)/tlsrptd --foreground --config $(SYSCONFDIR)/tlsrptd.conf$$' \
	  $(O)/tlsrptd.service || { echo "contrib/systemd/tlsrptd.service:" \
	  "its ExecStart= is not the line the Makefile rewrites" >&2; exit 1; }
	install -m 644 $(O)/tlsrptd.service $(DESTDIR)$(SYSTEMDUNITDIR)/
	install -m 644 contrib/tlsrptd.conf.example $(DESTDIR)$(SHAREDIR)/
	@./scripts/install-config.sh contrib/tlsrptd.conf.example \
	  $(DESTDIR)$(SYSCONFDIR)/tlsrptd.conf

clean:
	rm -rf build build-san

.PHONY: all deps check check-quick tests sanitize run install clean bench

# Fuzzing (tests/fuzz/): one libFuzzer target per parser. `make fuzz` builds
# them with clang in build-fuzz/ (the library with fuzzer-no-link, ASan and
# UBSan) and runs each for FUZZ_SECONDS from a copy of its seed corpus;
# any crash, leak or timeout fails it. `make tests` builds the same entry
# points with a plain main (tests/fuzz/standalone.c) and ASan and UBSan,
# with a library of their own, in $(O)/fuzz-san/ (FUZZ_REPLAY): make check
# runs them over the seeds and fixtures/fuzz/regressions/, where a read
# past an input or undefined behaviour fails as it would in make fuzz.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS = $(basename $(notdir $(wildcard tests/fuzz/fuzz-*.c)))
FUZZ_CFLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	      -fno-sanitize-recover=all
FUZZ_REPLAY = $(O)/fuzz-san
FUZZ_BINS = $(FUZZ_TARGETS:%=$(O)/tests/%)
tests: fuzz-replay
clean: clean-fuzz

# Once the library is built there, make only relinks what changed.
fuzz-replay:
	$(Q)$(MAKE) --no-print-directory O=$(FUZZ_REPLAY) \
	  CFLAGS="$(FUZZ_CFLAGS)" LDFLAGS="-fsanitize=address,undefined" \
	  fuzz-replay-build

fuzz-replay-build: $(FUZZ_BINS)
	@:

# One source per compile: with two, gcc writes the headers of the last
# one only to the .d file.
$(FUZZ_BINS:=.o) $(O)/tests/standalone.o: $(O)/tests/%.o: tests/fuzz/%.c $(O)/tests/%.d | $(O)/tests
	$(QUIET_CC)$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -Itests/fuzz -c -o $@ $<

$(FUZZ_BINS): %: %.o $(O)/tests/standalone.o $(LIB)
	$(QUIET_LINK)$(CC) $(ALL_CFLAGS) -o $@ $< $(O)/tests/standalone.o $(LIB) $(ALL_LDFLAGS) $(LIBS)

$(O)/fuzz/fuzz-%: tests/fuzz/fuzz-%.c $(O)/fuzz/fuzz-%.d $(LIB)
	@mkdir -p $(O)/fuzz
	$(QUIET_LINK)$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -Itests/fuzz -fsanitize=fuzzer -o $@ $< $(LIB) $(ALL_LDFLAGS) $(LIBS)

fuzz-build: $(FUZZ_TARGETS:%=$(O)/fuzz/%)

fuzz: deps
	$(MAKE) O=build-fuzz CC=clang \
	  CFLAGS="$(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link" \
	  LDFLAGS="-fsanitize=address,undefined" fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) ./tests/fuzz/run.sh build-fuzz $(FUZZ_TARGETS)

clean-fuzz:
	rm -rf build-fuzz

.PHONY: fuzz fuzz-build fuzz-replay fuzz-replay-build clean-fuzz

# The headers each output was built from (written by -MMD -MP above). The
# .d files are named as targets without a recipe: an output whose .d is
# missing (built before there were any) is built again.
DEPFILES = $(LIB_OBJS:.o=.d) $(PROG_BINS:=.d) $(UNIT_BINS:=.d) \
	   $(FUZZ_BINS:=.d) $(O)/tests/standalone.d \
	   $(BENCHES:%=$(O)/bench/%.d) $(FUZZ_TARGETS:%=$(O)/fuzz/%.d)
$(DEPFILES):
-include $(wildcard $(DEPFILES))
