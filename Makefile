# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tidegate: the XDP program is compiled once, wrapped in a skeleton, and
# every userspace object depends on that skeleton so the one binary
# carries its BPF object. Intermediates live in build/; quiet unless V=1.
#
#   make            build/tidegate
#   make test       install deps, build (plain and ASan+UBSan), run the suite
#   make demo       install deps, build, run the sandbox demo
#   make bench      install deps, build, run the benchmark
#   make install    into $(DESTDIR)$(PREFIX)
#   make clean

PREFIX   ?= /usr/local
BUILD    ?= build
SAN_BUILD = $(BUILD)/san

CLANG    ?= clang
BPFTOOL  ?= bpftool
CC       ?= gcc
ARCH     := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)

PKGS      := libbpf libxdp json-c hiredis libmicrohttpd inih
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lbpf -lxdp -ljson-c)

CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Wno-unused-parameter -Wshadow -Wformat=2
CPPFLAGS += -Iinclude -Iuser -I$(BUILD) -D_GNU_SOURCE $(PKG_CFLAGS)
LDLIBS   += $(PKG_LIBS) -lelf -lz -lpthread -lm
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) \
	-Iinclude -Ibpf -I/usr/include/$(MULTIARCH) -Wall -Werror

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_PROGS := tidegate flood baseline rescale
BPF_OBJS  := $(patsubst %,$(BUILD)/%.bpf.o,$(BPF_PROGS))
SKELS     := $(patsubst %,$(BUILD)/%.skel.h,$(BPF_PROGS))

# Userspace: every .c in user/ but main.c is a library object, so the
# unit tests link the same code the binary runs.
USER_SRCS := $(filter-out user/main.c,$(wildcard user/*.c))
USER_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,$(USER_SRCS))
SAN_OBJS  := $(patsubst user/%.c,$(SAN_BUILD)/user/%.o,$(USER_SRCS))

TEST_SRCS := $(wildcard tests/unit/*.c tests/bpf/*.c)
TEST_BINS := $(patsubst tests/%.c,$(SAN_BUILD)/tests/%,$(TEST_SRCS))

.PHONY: all test demo bench install clean deps check-root
.DELETE_ON_ERROR:
.SECONDARY:

all: $(BUILD)/tidegate

deps:
	$(Q)scripts/install-deps.sh

$(BUILD) $(BUILD)/user $(SAN_BUILD)/user $(SAN_BUILD)/tests/unit $(SAN_BUILD)/tests/bpf:
	$(Q)mkdir -p $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c bpf/*.h include/tidegate.h | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@ 2> $@.log || { cat $@.log; exit 1; }

$(BUILD)/user/%.o: user/%.c user/*.h include/tidegate.h $(SKELS) | $(BUILD)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) $(CPPFLAGS) -c $< -o $@

$(BUILD)/tidegate: $(BUILD)/user/main.o $(USER_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# The same code, built with AddressSanitizer and UBSan, for the tests.
$(SAN_BUILD)/user/%.o: user/%.c user/*.h include/tidegate.h $(SKELS) | $(SAN_BUILD)/user
	$(call msg,CC-SAN,$@)
	$(Q)$(CC) -O1 -g $(SANFLAGS) $(WARN) $(CPPFLAGS) -c $< -o $@

$(SAN_BUILD)/tidegate: $(SAN_BUILD)/user/main.o $(SAN_OBJS)
	$(call msg,LD-SAN,$@)
	$(Q)$(CC) $(SANFLAGS) $^ $(LDLIBS) -o $@

$(SAN_BUILD)/tests/%: tests/%.c tests/tap.h $(SAN_OBJS) $(SKELS) | $(SAN_BUILD)/tests/unit $(SAN_BUILD)/tests/bpf
	$(call msg,CC-TEST,$@)
	$(Q)$(CC) -O1 -g $(SANFLAGS) $(WARN) $(CPPFLAGS) -Itests $< $(SAN_OBJS) $(LDLIBS) -o $@

# The benchmark's measuring helper (scripts/bench.sh): the same library
# objects as the binary, and every skeleton.
$(BUILD)/tg-bench: bench/tg-bench.c $(USER_OBJS) $(SKELS)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) $(CPPFLAGS) $< $(USER_OBJS) $(LDLIBS) -o $@

# Every test is an executable that speaks TAP: the compiled unit and
# BPF tests, and the integration scripts, which drive the sanitized CLI.
INTEGRATION := $(sort $(wildcard tests/integration/*.sh))
TESTS ?= $(TEST_BINS) $(INTEGRATION)

test: deps
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/tg-bench $(SAN_BUILD)/tidegate $(TEST_BINS)
	$(Q)TIDEGATE=$(CURDIR)/$(SAN_BUILD)/tidegate \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		prove --exec '' --timer $(TESTS)

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh $(CURDIR)/$(BUILD)/tidegate

bench: deps
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/tg-bench
	$(Q)scripts/bench.sh $(CURDIR)/$(BUILD)/tidegate
	$(Q)scripts/bench-cookies.sh $(CURDIR)/$(BUILD)/tidegate

# The binary, the systemd unit, the man page, bash completion, and an
# example config (never over one that is there).
SYSCONFDIR ?= /etc
UNITDIR    ?= $(PREFIX)/lib/systemd/system
install: $(BUILD)/tidegate
	install -D -m 0755 $(BUILD)/tidegate $(DESTDIR)$(PREFIX)/sbin/tidegate
	install -d $(DESTDIR)$(UNITDIR)
	sed -e 's|@SBINDIR@|$(PREFIX)/sbin|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		packaging/tidegate.service.in > $(DESTDIR)$(UNITDIR)/tidegate.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/tidegate.service
	install -D -m 0644 packaging/tidegate.8 $(DESTDIR)$(PREFIX)/share/man/man8/tidegate.8
	install -D -m 0644 packaging/tidegate.bash-completion \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/tidegate
	install -D -m 0644 packaging/tidegate.conf \
		$(DESTDIR)$(PREFIX)/share/doc/tidegate/tidegate.conf.example
	[ -e $(DESTDIR)$(SYSCONFDIR)/tidegate/tidegate.conf ] || \
		install -D -m 0644 packaging/tidegate.conf $(DESTDIR)$(SYSCONFDIR)/tidegate/tidegate.conf

clean:
	$(Q)rm -rf $(BUILD)
