# SPDX-License-Identifier: GPL-2.0
# export and check: patches/ <-> worktree commits <-> plain source directories.
# shellcheck shell=bash

COVER=$TOP/scripts/cover-letter.txt

# Kernel path of a file under one of the plain source directories.
src_files() {
	local m src dst
	for m in "${SRC_MAP[@]}"; do
		src=${m%%:*} dst=${m#*:}
		[[ -d $TOP/$src ]] || continue
		(cd "$TOP/$src" && find . -type f ! -name '*~' | sed "s|^\./||" | sort) |
			while IFS= read -r f; do printf '%s\t%s\n' "$TOP/$src/$f" "$dst/$f"; done
	done
}

# Files the series adds under the mapped kernel paths (must all have a source).
series_added() {
	local m
	for m in "${SRC_MAP[@]}"; do
		git -C "$1" diff --name-only --diff-filter=A "$BASE_TAG" HEAD -- "${m#*:}"
	done
}

# The series commit a path belongs to: the last one touching it, else the
# last one touching its closest directory.
owner_commit() {
	local path=$1 c
	while [[ $path == */* ]]; do
		c=$(git -C "$WT" log -n 1 --format=%H "$BASE_TAG"..HEAD -- "$path")
		[[ -n $c ]] && { echo "$c"; return; }
		path=${path%/*}
	done
	return 1
}

# Fold the plain sources into the worktree commits that own them.
sync_sources() {
	local src dst c changed=0
	[[ -z $(git -C "$WT" status --porcelain --untracked-files=no) ]] ||
		die "$WT has uncommitted changes: commit them to the right patch first"
	while IFS=$'\t' read -r src dst; do
		cmp -s "$src" "$WT/$dst" && continue
		c=$(owner_commit "$dst") || die "no patch owns $dst: commit it in $WT first"
		mkdir -p "$(dirname "$WT/$dst")"
		cp "$src" "$WT/$dst"
		g -C "$WT" add -f "$dst"
		g -C "$WT" commit -q --no-verify --fixup="$c"
		changed=1
	done < <(src_files)
	while IFS= read -r dst; do
		[[ -n $dst && ! -f $TOP/$(kernel_to_src "$dst") ]] || continue
		c=$(owner_commit "$dst")
		g -C "$WT" rm -q "$dst"
		g -C "$WT" commit -q --no-verify --fixup="$c"
		changed=1
	done < <(series_added "$WT")
	((changed)) || return 0
	GIT_SEQUENCE_EDITOR=: g -C "$WT" rebase -q -i --autosquash "$BASE_TAG" >/dev/null
}

kernel_to_src() {
	local m
	for m in "${SRC_MAP[@]}"; do
		[[ $1 == "${m#*:}"/* ]] && { echo "${m%%:*}/${1#"${m#*:}"/}"; return; }
	done
}

cmd_export() {
	require_wt
	[[ $(git -C "$WT" symbolic-ref -q HEAD) == "refs/heads/$BRANCH" ]] ||
		die "$WT: HEAD is not on branch $BRANCH (detached by a rebase?): check out $BRANCH first"
	[[ -f $COVER ]] || die "missing $COVER"
	sync_sources
	rm -f "$TOP"/patches/*.patch
	mkdir -p "$TOP/patches"
	g -C "$WT" -c "branch.$BRANCH.description=$(cat "$COVER")" format-patch -q \
		--cover-letter --cover-from-description=subject --base="$BASE_TAG" \
		--zero-commit --no-signature -o "$TOP/patches" "$BASE_TAG..$BRANCH"
	# The cover letter has no commit of its own: give it the series' date.
	sed -i "s/^Date: .*/Date: $(git -C "$WT" log -1 --format=%aD HEAD)/" "$TOP/patches/0000-cover-letter.patch"
	log "patches/: $(find "$TOP/patches" -name '*.patch' | wc -l) files (cover letter included)"
}

# check [--bisect] [--builtin]: prints one "check NAME: ok|FAIL" line each.
CHECK_WT=$CACHE/wt-check

check_result() {
	local name=$1
	shift
	if "$@"; then echo "check $name: ok"; else echo "check $name: FAIL"; return 1; fi
}

# fresh_worktree DIR REV: a detached worktree of the base repository at REV,
# clean. An existing one is reset (only what differs is rewritten, where a
# new checkout writes the whole tree).
fresh_worktree() {
	if [[ -e $1/.git ]] && git -C "$1" rev-parse -q --verify HEAD >/dev/null 2>&1; then
		git -C "$1" am --abort >/dev/null 2>&1 || true
		git -C "$1" checkout -q -f --detach "$2" &&
			git -C "$1" reset -q --hard "$2" &&
			git -C "$1" clean -q -f -d -x &&
			return 0
	fi
	git -C "$BASE_REPO" worktree remove -f "$1" >/dev/null 2>&1 || rm -rf "$1"
	git -C "$BASE_REPO" worktree prune
	git -C "$BASE_REPO" worktree add -q -f --detach "$1" "$2"
}

# The fixes go to net and bpf on their own: each patch with a Fixes: tag,
# with its test (the patch after it), applies to the bare base.
check_fixes_apply_alone() {
	local p next
	for p in "$TOP"/patches/0*.patch; do
		grep -q '^Fixes: ' "$p" || continue
		next=$(printf '%s/patches/%04d-' "$TOP" $((10#$(basename "$p" | cut -c1-4) + 1)))
		next=$(compgen -G "$next*.patch") || { log "no test patch after $(basename "$p")"; return 1; }
		fresh_worktree "$CHECK_WT" "$BASE_TAG"
		g -C "$CHECK_WT" am -q "$p" "$next" >/dev/null 2>&1 ||
			{ log "does not apply alone on the base: $(basename "$p") with $(basename "$next")"; return 1; }
	done
}

check_applies() {
	local p
	check_fixes_apply_alone || return 1
	fresh_worktree "$CHECK_WT" "$BASE_TAG"
	for p in "$TOP"/patches/0*.patch; do
		[[ $p == */0000-cover-letter.patch ]] && continue
		g -C "$CHECK_WT" am -q "$p" >/dev/null 2>&1 || { log "does not apply: $(basename "$p")"; return 1; }
	done
	grep -q "^base-commit: $(git -C "$BASE_REPO" rev-parse "$BASE_TAG")$" "$TOP/patches/0000-cover-letter.patch" ||
		{ log "cover letter base-commit is not the pinned base"; return 1; }
}

check_drift() {
	local src dst bad=0
	while IFS=$'\t' read -r src dst; do
		cmp -s "$src" "$CHECK_WT/$dst" || { log "drift: ${src#"$TOP"/} differs from $dst in patches/"; bad=1; }
	done < <(src_files)
	while IFS= read -r dst; do
		[[ -z $dst || -f $TOP/$(kernel_to_src "$dst") ]] || { log "drift: patches/ add $dst, which has no source here"; bad=1; }
	done < <(series_added "$CHECK_WT")
	return "$bad"
}

check_checkpatch() {
	local p bad=0 ignore out=$CACHE/checkpatch
	ignore=$(grep -v '^#' "$TOP/scripts/config/checkpatch.ignore" 2>/dev/null | awk 'NF { printf "%s%s", s, $1; s = "," }')
	rm -rf "$out" && mkdir -p "$out"
	# All patches at once (checkpatch is one perl process each).
	for p in "$TOP"/patches/0*.patch; do
		[[ $p == */0000-cover-letter.patch ]] && continue
		# spdxcheck.py wants the system's python3 (python3-ply, python3-git), not a
		# python3 of its own that may come first in PATH.
		(cd "$CHECK_WT" && PATH=/usr/bin:$PATH scripts/checkpatch.pl --strict --quiet --no-summary --show-types \
			${ignore:+--ignore "$ignore"} "$p" >"$out/${p##*/}" 2>&1 || echo "exit $?" >>"$out/${p##*/}") &
	done
	wait
	# Quiet: any output is a finding, or a broken helper (spdxcheck.py).
	for p in "$out"/*; do
		[[ -s $p ]] || continue
		printf '%s: %s\n' "${p##*/}" "$(cat "$p")" >&2
		bad=1
	done
	return "$bad"
}

check_shellcheck() {
	(cd "$TOP" && shellcheck -x scripts/bpfwg scripts/guest/* .ci/run)
}

# Build after every patch of the series, in a worktree of its own (a check
# run meanwhile recreates $CHECK_WT): the kernel, and what the patch touches
# of the BPF selftests (the pruned build with the listed tests the series
# has so far) and of samples/bpf (bpfwg).
BISECT_WT=$CACHE/wt-bisect
check_bisect() {
	local c touched
	fresh_worktree "$BISECT_WT" "$(git -C "$CHECK_WT" rev-parse HEAD)"
	for c in $(git -C "$BISECT_WT" rev-list --reverse "$BASE_TAG"..HEAD); do
		git -C "$BISECT_WT" checkout -q "$c"
		log "bisect: building $(git -C "$BISECT_WT" log -1 --format=%s)"
		touched=$(git -C "$BISECT_WT" diff-tree --no-commit-id --name-only -r "$c")
		(
			WT=$BISECT_WT
			KBUILD=$(build_dir bisect)
			# Configured again at each patch, for the options it
			# defines (CONFIG_PARTIAL): kbuild rebuilds only what
			# they change.
			export SELFTESTS_PARTIAL=1 CONFIG_PARTIAL=1
			rm -f "$KBUILD/.config"
			build_kernel >/dev/null || exit 1
			if grep -q '^tools/testing/selftests/bpf/' <<<"$touched"; then
				if [[ -n $(selftests_files "$WT/tools/testing/selftests/bpf") ]]; then
					log "bisect: building the selftests"
					build_selftests
				else
					log "bisect: none of the listed selftests yet"
				fi
			fi
			if grep -q '^samples/bpf/' <<<"$touched"; then
				log "bisect: building samples/bpf"
				build_samples
			fi
		) || { log "bisect: the build fails after $(git -C "$BISECT_WT" log -1 --format='%h ("%s")')"; return 1; }
	done
}

# The upstream selftests build, unpruned: "make -C tools/testing/selftests/bpf"
# (test_progs and its flavours, every test) against a kernel configured with
# the selftests' own config on top of ours, as the BPF CI does. Timed, for
# the choice of the pruned build in the test run.
check_full_selftests() {
	(
		local start sel=$CHECK_WT/tools/testing/selftests/bpf
		WT=$CHECK_WT
		KBUILD=$(build_dir full)
		cmd_config --full-selftests
		start=$(date +%s)
		build_kernel
		log "full selftests: kernel $(($(date +%s) - start)) s"
		start=$(date +%s)
		selftests_make tools/testing/selftests/bpf bpf-selftests-full SKIP_LLVM=1 \
			>"$KBUILD/selftests-full.log" 2>&1 || {
			tail -n 40 "$KBUILD/selftests-full.log" >&2
			log "full selftests build failed (log: $KBUILD/selftests-full.log)"
			return 1
		}
		log "full selftests: make -C tools/testing/selftests/bpf $(($(date +%s) - start)) s," \
			"$(find "$KBUILD/bpf-selftests-full" -name '*.o' | wc -l) objects"
		[[ -x $KBUILD/bpf-selftests-full/test_progs && -f $KBUILD/bpf-selftests-full/wg_kfuncs.bpf.o ]] ||
			{ log "no test_progs or no wg_kfuncs.bpf.o in the full build"; return 1; }
		[[ -d $sel ]]
	)
}

check_builtin() {
	(
		WT=$CHECK_WT
		KBUILD=$(build_dir y)
		cmd_config --builtin
		build_kernel
	)
}

cmd_check() {
	require_base
	local rc=0 arg
	check_result series-applies check_applies || return 1
	check_result no-drift check_drift || rc=1
	check_result checkpatch check_checkpatch || rc=1
	check_result shellcheck check_shellcheck || rc=1
	check_result 612-series check_612 || rc=1
	for arg in "$@"; do
		case $arg in
		--bisect) check_result bisect check_bisect || rc=1 ;;
		--builtin) check_result builtin-build check_builtin || rc=1 ;;
		--full-selftests) check_result full-selftests check_full_selftests || rc=1 ;;
		--612) check_result 612-guest check_612_guest || rc=1 ;;
		*) die "check: unknown option $arg" ;;
		esac
	done
	return "$rc"
}
