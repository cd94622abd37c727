# SPDX-License-Identifier: GPL-2.0
# apply, config, build: the patched worktree and its out-of-tree builds.
# shellcheck shell=bash

# Build directory of a configuration flavour: m (default), y (built-in),
# debug, arm64 (cross-built for the arm64 guest).
build_dir() { echo "$CACHE/build-${1:-m}"; }
FLAVOUR=${BPFWG_FLAVOUR:-m}
KBUILD=$(build_dir "$FLAVOUR")

# The architecture a build directory was configured for: x86 or arm64.
kbuild_arch() { grep -qx 'CONFIG_ARM64=y' "${1:-$KBUILD}/.config" 2>/dev/null && echo arm64 || echo x86; }

# make's compiler arguments for FLAVOUR: cross-compiling for arm64.
cross_args() {
	if [[ $FLAVOUR == arm64 ]]; then
		printf '%s\n' ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- "CC=ccache aarch64-linux-gnu-gcc"
	else
		printf '%s\n' "CC=ccache gcc"
	fi
}

# The kernel image of build directory $1, which QEMU boots.
kernel_image() {
	[[ $(kbuild_arch "$1") == arm64 ]] && echo "$1/arch/arm64/boot/Image" ||
		echo "$1/arch/x86/boot/bzImage"
}

kmake() {
	local cross
	mapfile -t cross < <(cross_args)
	make -C "$WT" O="$KBUILD" LOCALVERSION= "${cross[@]}" HOSTCC="ccache gcc" -j"$JOBS" -s "$@"
}

# Reset the worktree to the base, keeping unchanged files' mtimes so that an
# incremental build only redoes what the series changes, then apply patches/.
cmd_apply() {
	require_base
	local p
	if [[ -e $WT/.git ]]; then
		[[ -z $(git -C "$WT" status --porcelain --untracked-files=no) || -n ${FORCE:-} ]] ||
			die "$WT has uncommitted changes: commit and 'export' them, or FORCE=1"
		git -C "$WT" am --abort >/dev/null 2>&1 || true
		git -C "$WT" diff -z --name-only --diff-filter=A "$BASE_TAG" HEAD -- |
			(cd "$WT" && xargs -0 -r rm -f --)
		git -C "$WT" checkout -q -B "$BRANCH" "$BASE_TAG"
		git -C "$WT" reset -q --hard "$BASE_TAG"
	else
		git -C "$BASE_REPO" worktree prune
		git -C "$BASE_REPO" worktree add -q -f -B "$BRANCH" "$WT" "$BASE_TAG"
	fi
	for p in "$TOP"/patches/0*.patch; do
		[[ -e $p && $p != */0000-cover-letter.patch ]] || continue
		g -C "$WT" am -q --keep-cr --committer-date-is-author-date "$p" >/dev/null 2>&1 || {
			git -C "$WT" am --show-current-patch=diff >/dev/null 2>&1 &&
				g -C "$WT" am --abort
			die "patch does not apply: $(basename "$p")"
		}
	done
	log "worktree $WT: $(git -C "$WT" rev-list --count "$BASE_TAG"..HEAD) patches on $BASE_TAG"
}

# config [--debug] [--builtin] [--full-selftests]: allnoconfig + our fragment(s), then verify that
# every requested option survived olddefconfig.
cmd_config() {
	require_wt
	local frags=("$TOP/scripts/config/bpfwg.config") arg
	# The arm64 flavour (BPFWG_FLAVOUR=arm64, build_arm64): the virt machine.
	[[ $FLAVOUR != arm64 ]] || frags+=("$TOP/scripts/config/arm64.config")
	[[ $FLAVOUR != m ]] || frags+=("$TOP/scripts/config/bench.config")
	for arg in "$@"; do
		case $arg in
		"") ;;
		--debug) frags+=("$TOP/scripts/config/debug.config") ;;
		--builtin) frags+=("$TOP/scripts/config/builtin.config") ;;
		--full-selftests)
			# The selftests' config, as the BPF CI uses it, on top of ours.
			frags+=("$WT/tools/testing/selftests/bpf/config"
				"$WT/tools/testing/selftests/bpf/config.vm"
				"$WT/tools/testing/selftests/bpf/config.$(uname -m)")
			;;
		*) die "config: unknown option $arg" ;;
		esac
	done
	mkdir -p "$KBUILD"
	kmake allnoconfig >/dev/null || return 1
	"$WT/scripts/kconfig/merge_config.sh" -m -O "$KBUILD" "$KBUILD/.config" "${frags[@]}" >/dev/null ||
		return 1
	kmake olddefconfig >/dev/null || return 1
	config_verify "${frags[@]}"
	log "config written to $KBUILD/.config"
}

# CONFIG_PARTIAL set (a bisect build part way through the series): the
# options no Kconfig file of $WT defines yet (CONFIG_WIREGUARD_BPF before
# its patch) are skipped, and said so.
config_verify() {
	local line opt val bad=0 sym
	local -A defined=()
	if [[ -n ${CONFIG_PARTIAL:-} ]]; then
		while read -r _ sym _; do
			defined[$sym]=1
		done < <(git -C "$WT" grep -hE '^[[:space:]]*(menu)?config[[:space:]]+[A-Za-z0-9_]+[[:space:]]*$' -- '*Kconfig*')
	fi
	while IFS= read -r line; do
		[[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]] || continue
		opt=${BASH_REMATCH[1]} val=${BASH_REMATCH[2]}
		if [[ -n ${CONFIG_PARTIAL:-} && -z ${defined[${opt#CONFIG_}]:-} ]]; then
			log "config: $opt is not defined yet, skipped"
			continue
		fi
		if [[ $val == n ]]; then
			grep -q "^$opt=" "$KBUILD/.config" && { log "config: $opt still set"; bad=1; }
		else
			grep -qx "$opt=$val" "$KBUILD/.config" || { log "config: $opt=$val did not stick"; bad=1; }
		fi
	# The last value of each option, if ours: the selftests' config may ask
	# for options whose dependencies it does not list.
	done < <(awk -F= -v top="$TOP/" '!/^#/ && NF { v[$1] = $0; f[$1] = FILENAME }
		END { for (k in v) if (index(f[k], top) == 1) print v[k] }' "$@")
	((bad == 0)) || die "kernel configuration incomplete"
}

# Explicit error checks: check_bisect runs this in a condition, where set -e
# does not apply.
build_kernel() {
	if [[ ! -f $KBUILD/.config ]]; then
		cmd_config "" || return 1
	fi
	kmake "$(basename "$(kernel_image "$KBUILD")")" modules ||
		{ log "kernel build failed in $KBUILD"; return 1; }
	rm -rf "$KBUILD/modroot"
	kmake INSTALL_MOD_PATH="$KBUILD/modroot" modules_install >/dev/null ||
		{ log "modules_install failed in $KBUILD"; return 1; }
}

cmd_build() {
	require_wt
	require_tools gcc ccache clang-19 llc-19 pahole bison flex bc
	if [[ $FLAVOUR == arm64 ]]; then
		require_tools aarch64-linux-gnu-gcc
		build_arm64
		return
	fi
	timed kernel build_kernel
	timed selftests build_selftests
	timed samples build_samples
}

# The debug flavour (config --debug: KASAN, lockdep, kmemleak) that the
# test run's debug guest boots: its kernel, modules and the selftests.
build_debug() {
	(
		FLAVOUR=debug
		KBUILD=$(build_dir debug)
		cmd_config --debug
		timed kernel-debug build_kernel
		timed selftests-debug build_selftests
	)
}

# The arm64 flavour (BPFWG_FLAVOUR=arm64), cross-built with Debian's toolchain,
# that the test run's arm64 guest boots: its kernel, modules, the selftests,
# and samples/bpf/bpfwg against its BTF (in KBUILD/bpfwg: samples/bpf of the
# worktree holds the x86 one).
build_arm64() {
	(
		FLAVOUR=arm64
		KBUILD=$(build_dir arm64)
		cmd_config
		timed kernel-arm64 build_kernel
		timed selftests-arm64 build_selftests
		timed bpfwg-arm64 make_bpfwg_arm64 "$KBUILD/bpfwg"
		# Here, where a failure stops the phase, not in its guest's slot.
		timed rootfs-arm64 build_rootfs_arm64
	)
}

# BPF selftests: a pruned copy of tools/testing/selftests/bpf beside the
# original (its Makefile uses relative paths) holding the framework and only
# the tests listed in scripts/config/selftests.list, built against $KBUILD.
# The full build (~1050 objects) needs the whole selftests config and takes
# 3-4 minutes after every kernel change; the pruned one about 30 s.
SELFTESTS=tools/testing/selftests/bpf_pruned

selftests_list() { grep -v '^#' "$TOP/scripts/config/selftests.list" | awk 'NF { print $1 }'; }

# BPF programs (progs/*.c) a set of C files needs: skeleton includes and
# object names, followed through progs that #include other progs.
selftests_progs() {
	local src=$1
	shift
	local -A seen=()
	local queue=("$@") f p
	while ((${#queue[@]})); do
		f=${queue[0]} queue=("${queue[@]:1}")
		while read -r p; do
			[[ -f $src/progs/$p.c && -z ${seen[$p]:-} ]] || continue
			seen[$p]=1
			queue+=("$src/progs/$p.c")
		done < <(grep -ohE '"[A-Za-z0-9_]+(\.skel\.h|\.lskel\.h|\.subskel\.h|\.bpf\.o|\.c)"' "$f" |
			sed -E 's/"([A-Za-z0-9_]+)\..*/\1/' | sort -u)
	done
	printf '%s\n' "${!seen[@]}"
}

# selftest_file SRC NAME: the prog_tests file of SRC defining test_NAME(),
# if any. No match is no error (set -e and pipefail hold in the process
# substitutions that read it).
selftest_file() {
	{ grep -lE "^void (serial_)?test_$2\(void\)" "$1"/prog_tests/*.c || true; } | head -n 1
}

# The prog_tests file defining test_NAME for each NAME in the list. With
# SELFTESTS_PARTIAL set (a bisect build part way through the series), the
# tests not there yet are left out, not an error.
selftests_files() {
	local src=$1 t f
	for t in $(selftests_list); do
		f=$(selftest_file "$src" "$t")
		if [[ -z $f ]]; then
			[[ -n ${SELFTESTS_PARTIAL:-} ]] && continue
			die "selftests.list: no test_$t() in prog_tests/"
		fi
		echo "$f"
	done | sort -u
}

selftests_prune() {
	local src=$WT/tools/testing/selftests/bpf dst=$WT/$SELFTESTS t keep progs before
	mapfile -t keep < <(selftests_files "$src")
	# bench (benchs/) is built too, for bench_wg.c: it links every
	# benchmark, so it needs all of their programs.
	progs=$(selftests_progs "$src" "${keep[@]}" "$src"/benchs/bench_*.c)
	mkdir -p "$dst"
	before=$(ls "$dst/prog_tests" 2>/dev/null || true)
	rsync -a --exclude='/prog_tests/*.c' --exclude='/progs/*.c' "$src/" "$dst/"
	find "$dst/prog_tests" "$dst/progs" -maxdepth 1 -name '*.c' -delete
	for t in "${keep[@]}"; do cp -p "$t" "$dst/prog_tests/"; done
	for t in $progs; do cp -p "$src/progs/$t.c" "$dst/progs/"; done
	# The list of tests (prog_tests/tests.h) is made again when a file
	# is newer than it, which a test added to the list with its old
	# time (cp -p) is not: when the files differ, it goes.
	[[ $(ls "$dst/prog_tests") == "$before" ]] || rm -f "$dst/prog_tests/tests.h"
}

selftests_make() {
	local cross
	mapfile -t cross < <(cross_args)
	# The host tools of a cross build (bpftool for the skeletons,
	# resolve_btfids) through ccache too.
	[[ $FLAVOUR != arm64 ]] || cross+=(HOSTCC="ccache gcc")
	mkdir -p "$KBUILD/$2"
	make -C "$WT/$1" O="$KBUILD" OUTPUT="$KBUILD/$2" CLANG="$TOP/scripts/clang-bpf" LLC=llc-19 LLVM_STRIP=llvm-strip-19 \
		"${cross[@]}" -j"$JOBS" "${@:3}"
}

build_selftests() {
	selftests_prune
	selftests_make "$SELFTESTS" bpf-selftests LSKELS= LSKELS_SIGNED= LSKELS_EXTRA= LINKED_SKELS= \
		SKIP_LLVM=1 test_progs bench >"$KBUILD/selftests.log" 2>&1 || {
		tail -n 40 "$KBUILD/selftests.log" >&2
		die "selftests build failed (log: $KBUILD/selftests.log)"
	}
}

# samples/bpf/bpfwg, when the series has it: samples/bpf is built with M=
# and, as samples/bpf does, writes its products in the source tree. The
# sanitizer runtime is linked statically: the guest has no libubsan.
SAMPLES_LLVM=(CLANG=clang-19 LLC=llc-19 OPT=opt-19 LLVM_DIS=llvm-dis-19
	LLVM_OBJCOPY=llvm-objcopy-19 LLVM_READELF=llvm-readelf-19)
build_samples() {
	local m=samples/bpf
	[[ -d $WT/samples/bpf/bpfwg ]] || return 0
	# Linux 6.12's kbuild takes M= relative to the build directory.
	[[ $FLAVOUR != 612 ]] || m=$WT/samples/bpf
	kmake headers_install >/dev/null || return 1
	make -C "$WT" O="$KBUILD" LOCALVERSION= M="$m" -j"$JOBS" VMLINUX_BTF="$KBUILD/vmlinux" \
		"${SAMPLES_LLVM[@]}" TPROGS_USER_LDFLAGS=-static-libubsan >"$KBUILD/samples.log" 2>&1 || {
		tail -n 40 "$KBUILD/samples.log" >&2
		die "samples build failed (log: $KBUILD/samples.log)"
	}
	# Legacy samples may fail with clang-19 while make exits 0.
	[[ -x $WT/samples/bpf/bpfwg/bpfwg && -f $WT/samples/bpf/bpfwg/bpfwg.bpf.o ]] ||
		die "bpfwg was not built (log: $KBUILD/samples.log)"
}
