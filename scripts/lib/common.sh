# SPDX-License-Identifier: GPL-2.0
# Shared settings and helpers for scripts/bpfwg. Every path derives from
# BPFWG_CACHE, which lives outside the clone.
# shellcheck shell=bash

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${BPFWG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bpfwg}
BASE_REPO=$CACHE/base          # git repository holding the pinned base commit
WT=${BPFWG_WORKTREE:-$CACHE/wt} # worktree: base + patches/
ROOTFS=$CACHE/rootfs           # guest root filesystem (debootstrap)
CCACHE_DIR=${CCACHE_DIR:-$CACHE/ccache}
JOBS=${JOBS:-$(nproc)}
BASE_TAG=bpfwg-base
BRANCH=${BPFWG_BRANCH:-bpfwg} # the worktree's branch (one per worktree)
KVER=7.3
export CCACHE_DIR

# Fixed identity and dates: the base commit and the exported series must not
# depend on who runs the scripts or when.
GIT_ID=(-c user.name="bpfwg developers" -c user.email=bpfwg@users.noreply.invalid)
export GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"

# Plain source directories of this repository and the kernel paths they become.
SRC_MAP=(
	"samples-bpf:samples/bpf/bpfwg"
	"tools-testing-selftests-bpf:tools/testing/selftests/bpf"
	"Documentation:Documentation"
)

log() { printf '[bpfwg] %s\n' "$*" >&2; }
die() { printf '[bpfwg] error: %s\n' "$*" >&2; exit 1; }
g() { git "${GIT_ID[@]}" "$@"; }

# timed LABEL CMD...: run CMD and record how long it took (for the notes).
# CMD runs as a plain command, so that set -e still stops it at the first
# failure (a function run on the left of || or in an if condition runs
# without set -e).
timed() {
	local label=$1 start rc
	shift
	start=$(date +%s)
	"$@"
	rc=$?
	log "phase $label: $(($(date +%s) - start)) s (exit $rc)"
	return "$rc"
}

require_base() {
	git -C "$BASE_REPO" rev-parse -q --verify "$BASE_TAG^{commit}" >/dev/null 2>&1 ||
		die "no base tree in $BASE_REPO: run 'scripts/bpfwg fetch' first"
}

require_wt() {
	[[ -d $WT/.git || -f $WT/.git ]] ||
		die "no worktree in $WT: run 'scripts/bpfwg apply' first"
}
