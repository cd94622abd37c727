# SPDX-License-Identifier: GPL-2.0
# The Linux 6.12 series (OpenWrt's kernel), derived from patches/: each patch
# applied to Debian's linux-source-6.12 with a three-way merge, the conflicts
# resolved by recorded resolutions (git rerere, backport/6.12/rr-cache), then
# the 6.12 fixups of backport/6.12/fixups/ squashed into the patch they
# belong to; the patches listed in backport/6.12/drop are left out. The
# result is written to patches-6.12/ and checked for drift: nothing in it is
# edited by hand.
# shellcheck shell=bash

B612_VER=6.12.117-1~deb12u1	# linux-source-6.12, bookworm-security
B612_REPO=$CACHE/base-612
B612_TAG=bpfwg-base-612
WT612=$CACHE/wt-612
BACKPORT=$TOP/backport/6.12
# BPFWG_FLAVOUR=612: config, build and vm work on the 6.12 worktree, the
# options of our fragments that 6.12 does not define skipped (and said so).
flavour_612() {
	FLAVOUR=612
	WT=$WT612
	KBUILD=$(build_dir 612)
	export CONFIG_PARTIAL=1
}
[[ $FLAVOUR != 612 ]] || flavour_612

# The 6.12 base: linux-source-6.12 from the system's apt sources (the
# default bookworm-security suite), imported as one commit with fixed
# identity and dates, so that its hash is the same everywhere.
fetch_612() {
	local tmp=$CACHE/extract-612 deb dir=$CACHE/apt-612
	if git -C "$B612_REPO" rev-parse -q --verify "$B612_TAG^{commit}" >/dev/null 2>&1; then
		return 0
	fi
	require_tools apt-get dpkg-deb tar xz
	rm -rf "$tmp" "$B612_REPO" "$dir"
	mkdir -p "$dir" "$tmp"
	(cd "$dir" && apt-get download -q -o APT::Sandbox::User=root "linux-source-6.12=$B612_VER" >/dev/null) ||
		die "cannot download linux-source-6.12 $B612_VER (apt-get update, or a newer B612_VER)"
	deb=$(find "$dir" -maxdepth 1 -name 'linux-source-6.12_*.deb' | head -n 1)
	dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/src/linux-source-6.12.tar.xz |
		tar -xJ -C "$tmp" --strip-components=1
	git init -q "$B612_REPO"
	git -C "$B612_REPO" --work-tree="$tmp" add -Af .
	g -C "$B612_REPO" --work-tree="$tmp" commit -q -m "Linux 6.12 base ($(basename "$deb"))"
	git -C "$B612_REPO" tag -f "$B612_TAG" >/dev/null
	rm -rf "$tmp" "$dir"
	log "6.12 base: $(git -C "$B612_REPO" rev-parse "$B612_TAG")"
}

# The three-way merge takes the 7.3 blobs the patches name from the 7.3
# repository: the 6.12 worktree's commits then need them too.
use_73_objects() { export GIT_ALTERNATE_OBJECT_DIRECTORIES=$BASE_REPO/.git/objects; }

# The rerere cache of the 6.12 repository (shared by its worktrees).
rr_cache_612() { echo "$(git -C "$B612_REPO" rev-parse --absolute-git-dir)/rr-cache"; }

# derive_612 OUT: the 6.12 series into OUT (a directory of format-patch files).
derive_612() {
	local out=$1 p slug fix n=0
	fetch_612
	require_base
	if [[ -e $WT612/.git ]]; then
		git -C "$WT612" am --quit >/dev/null 2>&1 || true
		git -C "$WT612" checkout -q -f --detach "$B612_TAG"
	else
		git -C "$B612_REPO" worktree prune
		git -C "$B612_REPO" worktree add -q -f --detach "$WT612" "$B612_TAG"
	fi
	rm -rf "$(rr_cache_612)"
	[[ ! -d $BACKPORT/rr-cache ]] || cp -r "$BACKPORT/rr-cache" "$(rr_cache_612)"
	for p in "$TOP"/patches/0*.patch; do
		[[ $p != */0000-cover-letter.patch ]] || continue
		slug=$(basename "$p" .patch)
		slug=${slug#*-}
		grep -qxF "$slug" "$BACKPORT/drop" 2>/dev/null && continue
		if ! g -C "$WT612" -c rerere.enabled=true -c rerere.autoUpdate=true \
			am -q -3 --keep-cr --committer-date-is-author-date "$p" >/dev/null 2>&1; then
			[[ -z $(git -C "$WT612" diff --name-only --diff-filter=U) ]] ||
				die "6.12: $slug conflicts, and no resolution is recorded: resolve it in $WT612 ('git add' the files), then run 'scripts/bpfwg backport --record'"
			GIT_EDITOR=: g -C "$WT612" -c rerere.enabled=true am --continue >/dev/null ||
				die "6.12: $slug: git am --continue failed in $WT612"
		fi
		fix=$BACKPORT/fixups/$slug.diff
		if [[ -f $fix ]]; then
			git -C "$WT612" apply --index "$fix" ||
				die "6.12: the fixup of $slug does not apply"
			g -C "$WT612" commit -q --amend --no-edit --no-verify
		fi
		n=$((n + 1))
	done
	git -C "$WT612" checkout -q -B bpfwg-612
	rm -rf "$out"
	mkdir -p "$out"
	g -C "$WT612" -c "branch.bpfwg-612.description=$(cat "$BACKPORT/cover-letter.txt")" \
		format-patch -q --cover-letter --cover-from-description=subject \
		--base="$B612_TAG" --zero-commit --no-signature -o "$out" "$B612_TAG"..HEAD
	sed -i "s/^Date: .*/Date: $(git -C "$WT612" log -1 --format=%aD HEAD)/" "$out/0000-cover-letter.patch"
	log "6.12 series: $n patches on $B612_TAG ($(git -C "$B612_REPO" rev-parse "$B612_TAG"))"
}

# backport [--record]: regenerate patches-6.12/; with --record, first keep
# the resolutions just made in $WT612 (after 'git add' of the resolved
# files: the rest of the series is then applied as usual).
cmd_backport() {
	use_73_objects
	if [[ ${1:-} == --record ]]; then
		[[ -d $WT612 ]] || die "no $WT612"
		GIT_EDITOR=: g -C "$WT612" -c rerere.enabled=true am --continue >/dev/null ||
			die "git am --continue failed in $WT612: resolve and 'git add' first"
		rm -rf "$BACKPORT/rr-cache"
		cp -r "$(rr_cache_612)" "$BACKPORT/rr-cache"
		log "resolutions recorded in backport/6.12/rr-cache"
	fi
	derive_612 "$TOP/patches-6.12"
}

# The committed patches-6.12/ is what derive_612 makes of patches/ now.
check_612() {
	local tmp rc=0
	use_73_objects
	tmp=$(mktemp -d)
	(derive_612 "$tmp/out") || rc=1
	if ((rc == 0)) && ! diff -r "$tmp/out" "$TOP/patches-6.12" >"$tmp/diff"; then
		head -n 40 "$tmp/diff" >&2
		log "patches-6.12/ is not what patches/ and backport/6.12/ make: run 'scripts/bpfwg backport'"
		rc=1
	fi
	rm -rf "$tmp"
	return "$rc"
}

# check --612: the 6.12 series built (kernel, BPF selftests, bpfwg) and its
# kfunc selftests and core end-to-end scenarios run in a 6.12 guest
# (run-tests, suite 612), with results like the test run's, prefixed "612:".
check_612_guest() {
	(
		flavour_612
		cmd_config &&
			timed kernel-612 build_kernel &&
			timed selftests-612 build_selftests &&
			timed samples-612 build_samples || return 1
		local rc=0
		# 6.12's virtio-net has no AF_XDP zero-copy (it advertises
		# NETDEV_XDP_ACT_XSK_ZEROCOPY from 6.13 on): left out, with
		# what the run expects, rather than skipped.
		export BPFWG_TP_DENY=wg_xsk/zerocopy
		build_rootfs
		BPFWG_SUITE=612 vm_run bash scripts/guest/run-tests >"$KBUILD/guest.log" 2>&1 || rc=$?
		RESULTS=
		vm_results "$rc" "$VM_RUN_DIR" 612:
		printf '%s' "$RESULTS" | sed 's/^/  /'
		printf '%s' "$FAILURES"
		! grep -q ' FAIL$' <<<"$RESULTS" && grep -q ' ok$' <<<"$RESULTS"
	)
}
