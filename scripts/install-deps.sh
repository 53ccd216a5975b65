#!/usr/bin/env bash
# Install every Debian package that building, testing, demoing and benchmarking
# tidegate needs. Idempotent: packages already present are not touched, and
# apt is only consulted when something is missing.
set -euo pipefail

PKGS=(
	# build
	make clang llvm gcc pkg-config libc6-dev linux-libc-dev
	libbpf-dev libxdp-dev bpftool libelf-dev zlib1g-dev
	libjson-c-dev libhiredis-dev libmicrohttpd-dev libyaml-dev libinih-dev libsystemd-dev libmnl-dev
	# sanitizers for the userspace test build
	libclang-rt-14-dev
	# tests, demo and benchmarks
	iproute2 iputils-ping procps psmisc curl python3 perl
	redis-server redis-tools nftables iptables gnuplot-nox
	ethtool prometheus xdp-tools python3-prometheus-client tcpdump
	fail2ban
	# a real server behind SYN cookies (tests/integration/61-syncookies.sh),
	# and the operator's view: nginx under ab (scripts/bench-operator.sh)
	nginx-light apache2-utils
	# the Debian package (debian/, tests/integration/58-package.sh)
	debhelper dpkg-dev fakeroot lintian
	# the completions: linted, and driven for real (tests/integration/12-completion.sh)
	shellcheck zsh
	# profiling the benchmark (BENCHMARKS.md), and objdump to read the
	# XDP program's JIT image (scripts/profile-xdp.sh)
	linux-perf binutils
)

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: must run as root (apt-get install)" >&2
	exit 1
fi

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts redis-server and fail2ban as services on install; tests
# start their own (fail2ban's default jail would ban on this machine).
for svc in redis-server fail2ban; do
	if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
		systemctl disable --now "$svc" >/dev/null 2>&1 || true
	elif [ -x "/etc/init.d/$svc" ]; then
		"/etc/init.d/$svc" stop >/dev/null 2>&1 || true
	fi
done
