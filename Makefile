# eximwatch — GNU make, hand written.
#   make            build ./eximwatch
#   make check      build and run every test (TAP via prove)
#   make asan       the whole suite under AddressSanitizer + UBSan
#   make demo       scan a bundled real-Exim log and print the report
#   make bench      benchmarks (figures against grep / wc -l)
#   make fuzz       libFuzzer on the line, alert and diagnosis paths, rule and config loaders (clang)
#   make install    PREFIX=/usr/local DESTDIR= SYSCONFDIR=/etc

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
DATADIR    ?= $(PREFIX)/share
MANDIR     ?= $(DATADIR)/man
SYSCONFDIR ?= /etc
DESTDIR    ?=

CC       ?= cc
PKG_CONFIG ?= pkg-config
PKGS     := libpcre2-8 yaml-0.1 sqlite3 zlib libcurl libcrypto
OPT      ?= -O2
CFLAGS   ?= $(OPT) -g
WARN     := -Wall -Wextra -Wformat=2 -Wshadow -Wpointer-arith -Wstrict-prototypes \
            -Wmissing-prototypes -Wno-unused-parameter
ifeq ($(DEVELOPER),1)
WARN     += -Werror
endif
CPPFLAGS += -D_GNU_SOURCE -Isrc -Ibuild
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS  = -std=gnu11 $(WARN) $(PKG_CFLAGS) $(CFLAGS) $(SANITIZE)
LDLIBS     += $(PKG_LIBS) -lm -lpthread

BUILD    := build
SRCS     := $(sort $(wildcard src/*.c))
OBJS     := $(patsubst src/%.c,$(BUILD)/%.o,$(SRCS)) $(BUILD)/embedded.o
LIBOBJS  := $(filter-out $(BUILD)/eximwatch.o,$(OBJS))
RULES    := $(sort $(wildcard rules/*.yaml))
SCHEMA   := $(sort $(wildcard schema/*.sql))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

all: eximwatch

eximwatch: $(OBJS)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

$(BUILD)/%.o: src/%.c | $(BUILD)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/embed: src/tools/embed.c | $(BUILD)
	$(CC) -O1 -o $@ $<

$(BUILD)/embedded.c: $(BUILD)/embed $(RULES) $(SCHEMA) Makefile
	{ $(BUILD)/embed embedded_rules $(RULES) && \
	  $(BUILD)/embed embedded_schema $(SCHEMA) | sed '1,2d'; } > $@.tmp && mv $@.tmp $@

$(BUILD)/embedded.o: $(BUILD)/embedded.c
	$(CC) $(CPPFLAGS) -std=gnu11 $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIBOBJS) | $(BUILD)
	@mkdir -p $(BUILD)/tests
	$(CC) $(CPPFLAGS) -Itests/unit $(ALL_CFLAGS) -o $@ $< $(LIBOBJS) $(LDLIBS)

$(BUILD):
	@mkdir -p $(BUILD)

unit: $(UNIT_BINS)

deps:
	@tests/deps.sh

test check: deps
	@$(MAKE) --no-print-directory eximwatch unit
	@tests/run.sh

asan:
	$(MAKE) clean
	$(MAKE) OPT=-O1 SANITIZE="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" check

demo: deps
	@$(MAKE) --no-print-directory eximwatch
	@tests/demo.sh

bench: eximwatch
	@bench/run.sh ./eximwatch

# install: the binary, the shipped rules and schema, the CSF and fail2ban
# files for a banlog sink (share/eximwatch/csf, fail2ban), the man pages, the
# systemd unit and sysusers.d file, the WHM plugin (share/eximwatch/whm, for
# its register script on a cPanel server), the example configuration (always, as
# eximwatch.yaml.example) and the default one (packaging/eximwatch.yaml:
# every key commented out, so a fresh install starts on the defaults; only
# when there is none: an existing eximwatch.yaml is never touched).
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
EWDATA      := $(DESTDIR)$(DATADIR)/eximwatch
EWCONF      := $(DESTDIR)$(SYSCONFDIR)/eximwatch

# libFuzzer targets (clang), in their own object directory
FUZZ_CC    ?= clang
FUZZ_DIR   := $(BUILD)/fuzz
FUZZ_SAN   := -fsanitize=address,undefined
FUZZ_OBJS  := $(patsubst src/%.c,$(FUZZ_DIR)/%.o,$(filter-out src/eximwatch.c,$(SRCS))) \
              $(FUZZ_DIR)/embedded.o
FUZZ_BINS  := $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/%,$(wildcard tests/fuzz/fuzz_*.c))

$(FUZZ_DIR)/%.o: src/%.c
	@mkdir -p $(FUZZ_DIR)
	$(FUZZ_CC) $(CPPFLAGS) -std=gnu11 $(PKG_CFLAGS) -g -O1 -fsanitize=fuzzer-no-link $(FUZZ_SAN) -MMD -MP -c -o $@ $<

$(FUZZ_DIR)/embedded.o: $(BUILD)/embedded.c
	@mkdir -p $(FUZZ_DIR)
	$(FUZZ_CC) $(CPPFLAGS) -std=gnu11 -g -O1 -c -o $@ $<

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS)
	$(FUZZ_CC) $(CPPFLAGS) -std=gnu11 $(PKG_CFLAGS) -g -O1 -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $< $(FUZZ_OBJS) $(LDLIBS)

fuzz: $(FUZZ_BINS)
	@tests/fuzz/run.sh

install: eximwatch
	install -d $(DESTDIR)$(SBINDIR) $(EWDATA)/rules $(EWDATA)/schema \
	    $(EWDATA)/cpanel $(EWDATA)/whm $(EWDATA)/csf $(EWDATA)/fail2ban/filter.d \
	    $(EWDATA)/fail2ban/jail.d $(EWCONF) $(EWCONF)/rules.d \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR)
	install -m 0755 eximwatch $(DESTDIR)$(SBINDIR)/eximwatch
	install -m 0644 $(RULES) $(EWDATA)/rules/
	install -m 0644 $(SCHEMA) $(EWDATA)/schema/
	install -m 0755 packaging/log-groups.sh $(EWDATA)/log-groups
	install -m 0644 packaging/cpanel/eximwatch.chkserv $(EWDATA)/cpanel/chkserv.d-eximwatch
	install -m 0644 packaging/csf/README packaging/csf/regex.custom.pm \
	    packaging/csf/regex.custom.pm.snippet packaging/csf/csf.conf.snippet \
	    $(EWDATA)/csf/
	install -m 0644 packaging/fail2ban/filter.d/eximwatch.conf $(EWDATA)/fail2ban/filter.d/
	install -m 0644 packaging/fail2ban/jail.d/eximwatch.conf $(EWDATA)/fail2ban/jail.d/
	sed 's|@SBINDIR@|$(SBINDIR)|g' packaging/cpanel/whm/index.cgi > $(BUILD)/whm-index.cgi
	install -m 0755 $(BUILD)/whm-index.cgi $(EWDATA)/whm/index.cgi
	sed 's|@WHMDIR@|$(DATADIR)/eximwatch/whm|g' packaging/cpanel/whm/register > $(BUILD)/whm-register
	install -m 0755 $(BUILD)/whm-register $(EWDATA)/whm/register
	install -m 0644 packaging/cpanel/whm/eximwatch.conf packaging/cpanel/whm/eximwatch.png $(EWDATA)/whm/
	install -m 0644 docs/eximwatch.8 $(DESTDIR)$(MANDIR)/man8/eximwatch.8
	install -m 0644 docs/eximwatch.yaml.5 $(DESTDIR)$(MANDIR)/man5/eximwatch.yaml.5
	sed 's|@SBINDIR@|$(SBINDIR)|g' packaging/eximwatch.service > $(BUILD)/eximwatch.service
	install -m 0644 $(BUILD)/eximwatch.service $(DESTDIR)$(UNITDIR)/eximwatch.service
	install -m 0644 packaging/eximwatch.sysusers $(DESTDIR)$(SYSUSERSDIR)/eximwatch.conf
	install -m 0644 packaging/eximwatch.yaml.example $(EWCONF)/eximwatch.yaml.example
	@if [ -e $(EWCONF)/eximwatch.yaml ]; then \
	    echo "keeping the existing $(EWCONF)/eximwatch.yaml"; \
	else \
	    echo "install -m 0644 packaging/eximwatch.yaml $(EWCONF)/eximwatch.yaml"; \
	    install -m 0644 packaging/eximwatch.yaml $(EWCONF)/eximwatch.yaml; \
	fi

# uninstall: what install put in place, except the configuration and the
# database (/var/lib/eximwatch)
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/eximwatch $(DESTDIR)$(UNITDIR)/eximwatch.service \
	    $(DESTDIR)$(SYSUSERSDIR)/eximwatch.conf $(DESTDIR)$(MANDIR)/man8/eximwatch.8 \
	    $(DESTDIR)$(MANDIR)/man5/eximwatch.yaml.5
	rm -rf $(EWDATA)

clean:
	rm -rf $(BUILD) eximwatch

# keep the fuzz objects between runs
.SECONDARY: $(FUZZ_OBJS)

.PHONY: all deps unit test check asan demo bench install uninstall clean
-include $(OBJS:.o=.d)
-include $(FUZZ_OBJS:.o=.d)
