# SPDX-License-Identifier: GPL-2.0
# Host-side tests of what the build made: the big-endian datapath and RSS
# objects against the little-endian ones, and the aarch64 cross build of
# samples/bpf/bpfwg that README.md shows, run under qemu-user.
# shellcheck shell=bash

CROSS_ARM64=$KBUILD/cross-arm64 # output of the cross build (cache, not clone)

# objects_match DIR [NAME]: NAME.be.bpf.o in DIR (NAME: bpfwg, the datapath;
# rss, the RSS programs the loader embeds) is a big-endian BPF ELF with the
# sections, programs and maps of the little-endian NAME.bpf.o.
objects_match() {
	local name=${2:-bpfwg}
	LLVM_READELF=llvm-readelf-19 BPFTOOL=$KBUILD/bpf-selftests/tools/sbin/bpftool \
		"$TOP/scripts/host/bpf-objects-match" "$1/$name.bpf.o" "$1/$name.be.bpf.o"
}

# make_bpfwg_arm64 OUT: samples/bpf/bpfwg cross-built for aarch64 in OUT,
# against the BTF of KBUILD's vmlinux, as README.md shows.
make_bpfwg_arm64() {
	mkdir -p "$1"
	make -C "$WT/samples/bpf/bpfwg" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- \
		CLANG=clang-19 VMLINUX_BTF="$KBUILD/vmlinux" OUTPUT="$1" -j"$JOBS" >"$1.log" 2>&1 || {
		tail -n 20 "$1.log" >&2
		log "bpfwg for arm64: the build failed (log: $1.log)"
		return 1
	}
	readelf -h "$1/bpfwg" | grep -q 'Machine:.*AArch64' || {
		log "bpfwg for arm64: $1/bpfwg is not an aarch64 executable"
		return 1
	}
}

# Explicit error checks: host_tests runs this in a condition, where set -e
# does not apply.
cross_arm64() {
	local help
	command -v aarch64-linux-gnu-gcc >/dev/null && command -v qemu-aarch64 >/dev/null || {
		log "cross-arm64: no aarch64-linux-gnu-gcc or qemu-aarch64: run 'scripts/bpfwg setup'"
		return 1
	}
	make_bpfwg_arm64 "$CROSS_ARM64" || return 1
	help=$(qemu-aarch64 -L /usr/aarch64-linux-gnu "$CROSS_ARM64/bpfwg" --help 2>&1) || {
		printf '%s\n' "$help" >&2
		log "cross-arm64: bpfwg --help failed under qemu-aarch64"
		return 1
	}
	grep -q '^Usage: bpfwg ' <<<"$help" && grep -q 'xdpgeneric' <<<"$help" || {
		printf '%s\n' "$help" >&2
		log "cross-arm64: bpfwg --help under qemu-aarch64 printed no usage"
		return 1
	}
	objects_match "$CROSS_ARM64" && objects_match "$CROSS_ARM64" rss
}

host_tests() {
	if tally_self_test; then
		result harness-tally ok
	else
		result harness-tally FAIL
	fi
	if e2e_checks_self_test; then
		result e2e-checks ok
	else
		result e2e-checks FAIL
	fi
	if objects_match "$WT/samples/bpf/bpfwg"; then
		result bpf-objects-be-le ok
	else
		result bpf-objects-be-le FAIL
	fi
	if objects_match "$WT/samples/bpf/bpfwg" rss; then
		result rss-objects-be-le ok
	else
		result rss-objects-be-le FAIL
	fi
	if timed cross-arm64 cross_arm64; then
		result cross-arm64 ok
	else
		result cross-arm64 FAIL
	fi
}
