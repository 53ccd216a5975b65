# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tidegate: the XDP program is compiled once, wrapped in a skeleton, and
# every userspace object depends on that skeleton so the one binary
# carries its BPF object. Intermediates live in build/; quiet unless V=1.
#
#   make            build/tidegate
#   make test       install deps, build (plain and ASan+UBSan), run the suite
#   make demo       install deps, build, run the sandbox demo
#   make fuzz       the fuzzers, longer than make test runs them
#   make mutate     the mutation score of the fast tests
#   make bench      install deps, build, run the benchmark
#   make install    into $(DESTDIR)$(PREFIX)
#   make uninstall  what make install put there
#   make clean
#
# CPPFLAGS, CFLAGS, LDFLAGS and LDLIBS are the builder's (the command
# line, the environment, dpkg-buildflags): they are added to the
# project's own TG_* flags, never replace them.

PREFIX   ?= /usr/local
BUILD    ?= build
SAN_BUILD = $(BUILD)/san

CLANG    ?= clang
BPFTOOL  ?= bpftool
CC       ?= gcc
ARCH     := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)

PKGS      := libbpf libxdp json-c hiredis libmicrohttpd inih libsystemd libmnl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lbpf -lxdp -ljson-c)

# The one place the version is decided (scripts/version.sh says how).
VERSION  := $(shell scripts/version.sh)

CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Wno-unused-parameter -Wshadow -Wformat=2
TG_CPPFLAGS := -Iinclude -Iuser -I$(BUILD) -D_GNU_SOURCE -DTG_VERSION='"$(VERSION)"' $(PKG_CFLAGS)
TG_LDLIBS   := $(PKG_LIBS) -lelf -lz -lpthread -lm
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# Not the builder's CFLAGS: hardening flags such as -fstack-protector and
# -fcf-protection do not compile for the BPF target.
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) \
	-Iinclude -Ibpf -I/usr/include/$(MULTIARCH) -Wall -Werror

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_PROGS := tidegate flood baseline rescale napi_time
BPF_OBJS  := $(patsubst %,$(BUILD)/%.bpf.o,$(BPF_PROGS))
SKELS     := $(patsubst %,$(BUILD)/%.skel.h,$(BPF_PROGS))

# Userspace: every .c in user/ but main.c is a library object, so the
# unit tests link the same code the binary runs.
USER_SRCS := $(filter-out user/main.c,$(wildcard user/*.c))
USER_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,$(USER_SRCS))
SAN_OBJS  := $(patsubst user/%.c,$(SAN_BUILD)/user/%.o,$(USER_SRCS))

TEST_SRCS := $(wildcard tests/unit/*.c tests/bpf/*.c)
TEST_BINS := $(patsubst tests/%.c,$(SAN_BUILD)/tests/%,$(TEST_SRCS))

.PHONY: all test demo bench install clean deps check-root version fuzz mutate
.DELETE_ON_ERROR:
.SECONDARY:

all: $(BUILD)/tidegate

deps:
	$(Q)scripts/install-deps.sh

$(BUILD) $(BUILD)/user $(SAN_BUILD)/user $(SAN_BUILD)/tests/unit $(SAN_BUILD)/tests/bpf:
	$(Q)mkdir -p $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c bpf/*.h include/*.h | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@ 2> $@.log || { cat $@.log; exit 1; }

$(BUILD)/user/%.o: user/%.c user/*.h include/*.h $(SKELS) | $(BUILD)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(TG_CPPFLAGS) $(CPPFLAGS) $(WARN) $(CFLAGS) -c $< -o $@

version:
	@echo $(VERSION)

$(BUILD)/tidegate: $(BUILD)/user/main.o $(USER_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(TG_LDLIBS) $(LDLIBS) -o $@

# $(BUILD)/version is rewritten only when the version changes, and only
# the sources that print it depend on it: a commit rebuilds those alone.
VERSION_SRCS := $(shell grep -l TG_VERSION user/*.c)
$(shell mkdir -p $(BUILD) && { [ "$$(cat $(BUILD)/version 2>/dev/null)" = "$(VERSION)" ] || \
	echo "$(VERSION)" > $(BUILD)/version; })
$(patsubst user/%.c,$(BUILD)/user/%.o,$(VERSION_SRCS)) \
$(patsubst user/%.c,$(SAN_BUILD)/user/%.o,$(VERSION_SRCS)): $(BUILD)/version

# The same code, built with AddressSanitizer and UBSan, for the tests.
$(SAN_BUILD)/user/%.o: user/%.c user/*.h include/*.h $(SKELS) | $(SAN_BUILD)/user
	$(call msg,CC-SAN,$@)
	$(Q)$(CC) $(TG_CPPFLAGS) $(CPPFLAGS) -O1 -g $(SANFLAGS) $(WARN) -c $< -o $@

$(SAN_BUILD)/tidegate: $(SAN_BUILD)/user/main.o $(SAN_OBJS)
	$(call msg,LD-SAN,$@)
	$(Q)$(CC) $(SANFLAGS) $(LDFLAGS) $^ $(TG_LDLIBS) $(LDLIBS) -o $@

$(SAN_BUILD)/tests/%: tests/%.c tests/tap.h $(SAN_OBJS) $(SKELS) | $(SAN_BUILD)/tests/unit $(SAN_BUILD)/tests/bpf
	$(call msg,CC-TEST,$@)
	$(Q)$(CC) $(TG_CPPFLAGS) $(CPPFLAGS) -Itests -O1 -g $(SANFLAGS) $(WARN) $(LDFLAGS) \
		$< $(SAN_OBJS) $(TG_LDLIBS) $(LDLIBS) -o $@

# The tests' own headers: a test is rebuilt when one changes.
$(TEST_BINS): $(wildcard tests/bpf/*.h tests/fuzz/*.h)

# The benchmark's measuring helper (scripts/bench.sh): the same library
# objects as the binary, and every skeleton.
BENCH_SRCS := $(wildcard bench/*.c)
$(BUILD)/tg-bench: $(BENCH_SRCS) $(wildcard bench/*.h) $(USER_OBJS) $(SKELS)
	$(call msg,CC,$@)
	$(Q)$(CC) $(TG_CPPFLAGS) $(CPPFLAGS) $(WARN) $(CFLAGS) $(LDFLAGS) \
		$(BENCH_SRCS) $(USER_OBJS) $(TG_LDLIBS) $(LDLIBS) -o $@

# Every test is an executable that speaks TAP: the compiled unit and
# BPF tests, and the integration scripts, which drive the sanitized CLI.
INTEGRATION := $(sort $(wildcard tests/integration/*.sh))
TESTS ?= $(TEST_BINS) $(INTEGRATION)

# Tests, demo and benchmarks run Debian's tools, which
# scripts/install-deps.sh installs, ahead of what a user's PATH puts
# first: a pyenv shim for python3 took 0.45 s a start here (Debian's
# python3, 0.035 s), and the suite starts python3 thousands of times.
TOOLS_PATH := /usr/sbin:/usr/bin:/sbin:/bin:$(PATH)

# The builds a test run needs, on every CPU: a minute of CI serially.
JOBS ?= $(shell nproc 2>/dev/null || echo 1)

# The unit and BPF tests, each on its own maps, sockets and loopback
# ports, run JOBS at a time; the integration tests after them, one at a
# time (they time floods and share the machine's CPUs). Two summaries;
# make test fails if either has a failure.
TEST_ENV := PATH=$(TOOLS_PATH) TIDEGATE=$(CURDIR)/$(SAN_BUILD)/tidegate \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
TESTS_PAR := $(filter $(SAN_BUILD)/%,$(TESTS))
TESTS_SEQ := $(filter-out $(SAN_BUILD)/%,$(TESTS))

test: deps
	$(Q)$(MAKE) --no-print-directory -j$(JOBS) all $(BUILD)/tg-bench $(SAN_BUILD)/tidegate $(TEST_BINS)
	$(Q)par=0; seq=0; \
	$(if $(TESTS_PAR),$(TEST_ENV) prove -j$(JOBS) --exec '' --timer $(TESTS_PAR) || par=1;) \
	$(if $(TESTS_SEQ),$(TEST_ENV) prove --exec '' --timer $(TESTS_SEQ) || seq=1;) \
	[ $$par = 0 ] && [ $$seq = 0 ]

# Fuzzing, beyond what make test runs (a short seeded slice of the data
# path fuzzer, and the corpus replayed by tests/unit/test_fuzz_corpus):
# the data path against its reference for FUZZ_FRAMES frames
# (tests/bpf/test_fuzz_datapath.c), then each parser of outside input
# (tests/fuzz/targets.h) under libFuzzer for FUZZ_SECONDS. New inputs go
# to $(BUILD)/fuzz/corpus, crashes to $(BUILD)/fuzz/crash-*: copy a crash
# into tests/fuzz/corpus/TARGET/ once fixed, and it is a test.
FUZZ_FRAMES  ?= 1000000
FUZZ_SEED    ?= $(shell date +%s)
FUZZ_SECONDS ?= 25
FUZZ_BUILD   := $(BUILD)/fuzz
FUZZ_CC      ?= clang
FUZZ_FLAGS   := -g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_OBJS    := $(patsubst user/%.c,$(FUZZ_BUILD)/user/%.o,$(USER_SRCS))
FUZZ_TARGETS := $(notdir $(wildcard tests/fuzz/corpus/*))
FUZZ_BINS    := $(patsubst %,$(FUZZ_BUILD)/fuzz_%,$(FUZZ_TARGETS))

$(FUZZ_BUILD)/user:
	$(Q)mkdir -p $@

$(FUZZ_BUILD)/user/%.o: user/%.c user/*.h include/*.h $(SKELS) | $(FUZZ_BUILD)/user
	$(call msg,CC-FUZZ,$@)
	$(Q)$(FUZZ_CC) $(TG_CPPFLAGS) $(CPPFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,address,undefined \
		$(WARN) -Wno-format-nonliteral -c $< -o $@

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_main.c tests/fuzz/targets.h $(FUZZ_OBJS)
	$(call msg,LD-FUZZ,$@)
	$(Q)$(FUZZ_CC) $(TG_CPPFLAGS) $(CPPFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined \
		$(WARN) -Itests -DFUZZ_TARGET=$* $< $(FUZZ_OBJS) $(TG_LDLIBS) $(LDLIBS) -o $@

# hiredis 0.14 reserves 8 bytes per element an array header announces
# (up to 16 GB, as virtual memory) before any element arrives; past
# libFuzzer's default limit of 2 GB that is an out-of-memory crash.
FUZZ_OPTS_redis_replies := -malloc_limit_mb=17000

# One target: its log in $(FUZZ_BUILD)/TARGET.log, one TAP-like line.
define fuzz_run
	if $(FUZZ_BUILD)/fuzz_$(1) -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		$(FUZZ_OPTS_$(1)) -artifact_prefix=$(FUZZ_BUILD)/crash-$(1)- \
		$(FUZZ_BUILD)/corpus/$(1) tests/fuzz/corpus/$(1) 2>$(FUZZ_BUILD)/$(1).log; then \
		echo "ok - fuzz_$(1): $$(grep -m1 '^Done' $(FUZZ_BUILD)/$(1).log)"; \
	else \
		failed="$$failed $(1)"; \
		echo "not ok - fuzz_$(1): $$(grep -m1 -E '^SUMMARY|property broken' $(FUZZ_BUILD)/$(1).log)"; \
		grep -m1 'Test unit written to' $(FUZZ_BUILD)/$(1).log; \
	fi; \

endef

fuzz: $(SAN_BUILD)/tests/bpf/test_fuzz_datapath $(FUZZ_BINS)
	$(Q)$(SAN_BUILD)/tests/bpf/test_fuzz_datapath $(FUZZ_FRAMES) $(FUZZ_SEED)
	$(Q)mkdir -p $(addprefix $(FUZZ_BUILD)/corpus/,$(FUZZ_TARGETS))
	$(Q)failed=; $(foreach t,$(FUZZ_TARGETS),$(call fuzz_run,$(t))) \
	[ -z "$$failed" ] || { echo "fuzz: failed:$$failed (logs: $(FUZZ_BUILD)/TARGET.log)"; exit 1; }

# How many one-line bugs in bpf/ the fast tests catch (scripts/mutate.sh).
mutate:
	$(Q)scripts/mutate.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)PATH=$(TOOLS_PATH) scripts/demo.sh $(CURDIR)/$(BUILD)/tidegate

bench: deps
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/tg-bench
	$(Q)PATH=$(TOOLS_PATH) scripts/bench.sh $(CURDIR)/$(BUILD)/tidegate
	$(Q)PATH=$(TOOLS_PATH) scripts/bench-cookies.sh $(CURDIR)/$(BUILD)/tidegate
	$(Q)PATH=$(TOOLS_PATH) scripts/bench-operator.sh $(CURDIR)/$(BUILD)/tidegate
	$(Q)PATH=$(TOOLS_PATH) scripts/bench-fleet.sh $(CURDIR)/$(BUILD)/tidegate

# The binary, the systemd unit, the man page, bash and zsh completion, an
# example config (never over one that is there), and beside it the
# fail2ban action, the Prometheus alert rules and the Grafana dashboard.
SYSCONFDIR ?= /etc
SBINDIR    ?= $(PREFIX)/sbin
UNITDIR    ?= $(PREFIX)/lib/systemd/system
MAN8DIR    ?= $(PREFIX)/share/man/man8
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPLETIONDIR ?= $(PREFIX)/share/zsh/vendor-completions
DOCDIR     ?= $(PREFIX)/share/doc/tidegate
CONF       := $(SYSCONFDIR)/tidegate/tidegate.conf
install: $(BUILD)/tidegate
	install -D -m 0755 $(BUILD)/tidegate $(DESTDIR)$(SBINDIR)/tidegate
	install -d $(DESTDIR)$(UNITDIR)
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		packaging/tidegate.service.in > $(DESTDIR)$(UNITDIR)/tidegate.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/tidegate.service
	install -D -m 0644 packaging/tidegate.8 $(DESTDIR)$(MAN8DIR)/tidegate.8
	install -D -m 0644 packaging/tidegate.bash-completion $(DESTDIR)$(COMPLETIONDIR)/tidegate
	install -D -m 0644 packaging/tidegate.zsh-completion $(DESTDIR)$(ZSHCOMPLETIONDIR)/_tidegate
	install -D -m 0644 packaging/tidegate.conf $(DESTDIR)$(DOCDIR)/tidegate.conf.example
	install -D -m 0644 packaging/fail2ban/action.d/tidegate.conf \
		$(DESTDIR)$(DOCDIR)/fail2ban/action.d/tidegate.conf
	install -D -m 0644 packaging/prometheus/tidegate-alerts.yml \
		$(DESTDIR)$(DOCDIR)/prometheus/tidegate-alerts.yml
	install -D -m 0644 packaging/grafana/tidegate-dashboard.json \
		$(DESTDIR)$(DOCDIR)/grafana/tidegate-dashboard.json
	[ -e $(DESTDIR)$(CONF) ] || install -D -m 0644 packaging/tidegate.conf $(DESTDIR)$(CONF)

# The config goes only if it is still the example: an edited one is the
# operator's, kept and named.
.PHONY: uninstall
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/tidegate $(DESTDIR)$(UNITDIR)/tidegate.service \
		$(DESTDIR)$(MAN8DIR)/tidegate.8 $(DESTDIR)$(COMPLETIONDIR)/tidegate \
		$(DESTDIR)$(ZSHCOMPLETIONDIR)/_tidegate \
		$(DESTDIR)$(DOCDIR)/tidegate.conf.example \
		$(DESTDIR)$(DOCDIR)/fail2ban/action.d/tidegate.conf \
		$(DESTDIR)$(DOCDIR)/prometheus/tidegate-alerts.yml \
		$(DESTDIR)$(DOCDIR)/grafana/tidegate-dashboard.json
	rmdir $(DESTDIR)$(DOCDIR)/fail2ban/action.d $(DESTDIR)$(DOCDIR)/fail2ban \
		$(DESTDIR)$(DOCDIR)/prometheus $(DESTDIR)$(DOCDIR)/grafana \
		$(DESTDIR)$(DOCDIR) 2>/dev/null || :
	if cmp -s packaging/tidegate.conf $(DESTDIR)$(CONF); then \
		rm -f $(DESTDIR)$(CONF) && { rmdir $(DESTDIR)$(SYSCONFDIR)/tidegate 2>/dev/null || :; }; \
	elif [ -e $(DESTDIR)$(CONF) ]; then \
		echo "uninstall: kept $(DESTDIR)$(CONF): it differs from the example"; \
	fi

clean:
	$(Q)rm -rf $(BUILD)
