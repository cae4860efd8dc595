# hive — a plain Makefile: make, make check, make demo, make bench, make install.
.SUFFIXES:
SHELL = /bin/bash
.SHELLFLAGS = -o pipefail -c

VERSION   = 0.1.0
PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR    = $(PREFIX)/bin
MANDIR    = $(PREFIX)/share/man
SHAREDIR  = $(PREFIX)/share/hive
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  = $(PREFIX)/share/zsh/vendor-completions

CC       ?= cc
SANCC    ?= clang
CFLAGS   ?= -O2 -g
WARNINGS  = -std=c17 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wvla -Wno-unused-parameter
HIVE_CPPFLAGS = -D_GNU_SOURCE -Ilib -DHIVE_VERSION='"$(VERSION)"' -DHIVE_SHAREDIR='"$(SHAREDIR)"'
LIBS      = -ljq -lsecp256k1 -lnettle -lgmp -lcrypto -lsml -lmodbus -lcsv -lClp -lCoinUtils -lm -pthread
SANFLAGS  = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZTIME ?= 15
# make V=1 shows every command; otherwise one short line per step.
V ?= 0
ifeq ($(V),0)
Q = @
say = @printf '  %-6s %s\n' $(1) $(2);
else
Q =
say =
endif

LIB_SRC   = $(wildcard lib/*.c)
LIB_HDR   = $(wildcard lib/*.h)
LIB_OBJ   = $(LIB_SRC:lib/%.c=build/lib/%.o)
TOOLS     = $(patsubst cmd/%.c,%,$(wildcard cmd/hive-*.c))
BINS      = $(TOOLS:%=bin/%)
UNIT_SRC  = $(wildcard tests/unit/test_*.c)
UNIT_HDR  = $(wildcard tests/unit/*.h)
UNITS     = $(UNIT_SRC:tests/unit/%.c=build/unit/%)
SAN_UNITS = $(UNIT_SRC:tests/unit/%.c=build/san/%)
FUZZ_SRC  = $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS   = $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
MAN1      = $(wildcard man/*.1)
MANPAGES  = $(wildcard man/*.[157])

all: $(BINS)

build/lib/%.o: lib/%.c $(LIB_HDR)
	@mkdir -p build/lib
	$(call say,CC,$<)$(CC) $(WARNINGS) $(CFLAGS) $(HIVE_CPPFLAGS) -c -o $@ $<

build/libhive.a: $(LIB_OBJ)
	$(Q)rm -f $@
	$(call say,AR,$@)ar rcs $@ $(LIB_OBJ)

bin/%: cmd/%.c build/libhive.a $(LIB_HDR)
	@mkdir -p bin
	$(call say,LD,$@)$(CC) $(WARNINGS) $(CFLAGS) $(HIVE_CPPFLAGS) -o $@ $< build/libhive.a $(LIBS)

build/unit/%: tests/unit/%.c $(UNIT_HDR) build/libhive.a $(LIB_HDR)
	@mkdir -p build/unit
	$(call say,LD,$@)$(CC) $(WARNINGS) $(CFLAGS) $(HIVE_CPPFLAGS) -Itests/unit -o $@ $< build/libhive.a $(LIBS)

# The same unit tests, built with clang under AddressSanitizer and UBSan;
# the library is compiled once per instrumentation, not once per test.
SAN_OBJ  = $(LIB_SRC:lib/%.c=build/san-lib/%.o)
FUZZ_OBJ = $(LIB_SRC:lib/%.c=build/fuzz-lib/%.o)
FUZZFLAGS = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined
.SECONDARY: $(SAN_OBJ) $(FUZZ_OBJ)

build/san-lib/%.o: lib/%.c $(LIB_HDR)
	@mkdir -p build/san-lib
	$(call say,SAN,$<)$(SANCC) $(WARNINGS) $(SANFLAGS) $(HIVE_CPPFLAGS) -c -o $@ $<

build/fuzz-lib/%.o: lib/%.c $(LIB_HDR)
	@mkdir -p build/fuzz-lib
	$(call say,FUZZ,$<)$(SANCC) $(WARNINGS) $(FUZZFLAGS) -fsanitize=fuzzer-no-link $(HIVE_CPPFLAGS) -c -o $@ $<

build/san/%: tests/unit/%.c $(UNIT_HDR) $(SAN_OBJ) $(LIB_HDR)
	@mkdir -p build/san
	$(call say,SAN,$@)$(SANCC) $(WARNINGS) $(SANFLAGS) $(HIVE_CPPFLAGS) -Itests/unit -o $@ $< $(SAN_OBJ) $(LIBS)

build/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJ) $(LIB_HDR)
	@mkdir -p build/fuzz
	$(call say,FUZZ,$@)$(SANCC) $(WARNINGS) $(FUZZFLAGS) -fsanitize=fuzzer $(HIVE_CPPFLAGS) -Itests/unit -o $@ $< $(FUZZ_OBJ) $(LIBS)

# Peers the bats tests start (a Modbus meter on 127.0.0.1).
build/tools/%: tests/tools/%.c
	@mkdir -p build/tools
	$(call say,LD,$@)$(CC) $(WARNINGS) $(CFLAGS) $(HIVE_CPPFLAGS) -o $@ $< $(LIBS)

# An LD_PRELOAD shim that makes chosen writes and syncs fail (I/O fault tests).
build/tools/%.so: tests/tools/%.c
	@mkdir -p build/tools
	$(call say,LD,$@)$(CC) $(WARNINGS) $(CFLAGS) -D_GNU_SOURCE -shared -fPIC -o $@ $< -ldl

deps:
	@sh scripts/deps build

deps-check:
	@sh scripts/deps check

unit: $(UNITS)
	@sh scripts/run-units build/unit $(UNITS)

unit-san: $(SAN_UNITS)
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 sh scripts/run-units build/san $(SAN_UNITS)

bats: $(BINS) build/tools/modbus-meter build/tools/faultfs.so
	@PATH="$(CURDIR)/bin:$$PATH" bats --print-output-on-failure tests/*.bats | tee build/bats.tap

fuzz: $(FUZZERS)
	@sh scripts/run-fuzz $(FUZZTIME) $(FUZZERS)

lint-man:
	@mandoc -Tlint -Wwarning $(MANPAGES)

valgrind: $(BINS)
	@sh scripts/run-valgrind

# Everything the tests run is built first, two compilers at a time; the tests then run in order.
check: deps-check
	@$(MAKE) --no-print-directory -j2 all $(UNITS) $(SAN_UNITS) $(FUZZERS) build/tools/modbus-meter build/tools/faultfs.so
	@mkdir -p build
	@$(MAKE) --no-print-directory unit unit-san bats fuzz lint-man valgrind
	@sh scripts/summary

demo: deps
	@$(MAKE) --no-print-directory all
	@PATH="$(CURDIR)/bin:$$PATH" sh examples/demo.sh

bench:
	@sh scripts/deps bench
	@$(MAKE) --no-print-directory all
	@PATH="$(CURDIR)/bin:$$PATH" sh bench/run

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(SHAREDIR) $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	cp $(BINS) $(DESTDIR)$(BINDIR)/
	cp $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	cp man/*.5 $(DESTDIR)$(MANDIR)/man5/
	cp man/*.7 $(DESTDIR)$(MANDIR)/man7/
	cp -R share/. $(DESTDIR)$(SHAREDIR)/
	mkdir -p $(DESTDIR)$(SHAREDIR)/examples && cp examples/*.sh $(DESTDIR)$(SHAREDIR)/examples/ && cp -R examples/mqtt $(DESTDIR)$(SHAREDIR)/examples/
	cp completions/hive.bash $(DESTDIR)$(BASHCOMPDIR)/hive
	for t in $(TOOLS); do ln -sf hive $(DESTDIR)$(BASHCOMPDIR)/$$t; done
	cp completions/_hive $(DESTDIR)$(ZSHCOMPDIR)/_hive

uninstall:
	for t in $(TOOLS); do rm -f $(DESTDIR)$(BINDIR)/$$t $(DESTDIR)$(BASHCOMPDIR)/$$t; done
	for m in $(MANPAGES); do n=$${m#man/}; rm -f $(DESTDIR)$(MANDIR)/man$${n##*.}/$$n; done
	rm -rf $(DESTDIR)$(SHAREDIR)
	rm -f $(DESTDIR)$(BASHCOMPDIR)/hive $(DESTDIR)$(ZSHCOMPDIR)/_hive

clean:
	rm -rf bin build

.PHONY: all deps deps-check unit unit-san bats fuzz lint-man valgrind check demo bench install uninstall clean
