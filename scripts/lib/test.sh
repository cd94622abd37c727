# SPDX-License-Identifier: GPL-2.0
# setup, test, demo.
# shellcheck shell=bash

HOST_PKGS=(build-essential bc bison flex libelf-dev libssl-dev dwarves libcap-dev zlib1g-dev
	libzstd-dev libdw-dev pkg-config rsync cpio kmod xz-utils python3 qemu-system-x86
	openssl ccache clang-19 llvm-19 lld-19 debootstrap debian-archive-keyring libmnl-dev
	shellcheck git python3-ply)

cmd_setup() {
	local missing=() p
	for p in "${HOST_PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	((EUID == 0)) || die "missing packages (${missing[*]}): run 'scripts/bpfwg setup' as root"
	log "installing ${missing[*]}"
	apt-get -q update >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get -q install -y --no-install-recommends "${missing[@]}" >/dev/null
}

# Tally "NAME: ok|FAIL" lines into the closing "N passed, N failed" line.
RESULTS=
result() {
	RESULTS+="$1 $2"$'\n'
	echo "result $1: $2"
}

# test_progs prints "#N/M test/subtest:OK|SKIP|FAIL" and "#N test:...";
# count subtests, and a test only when it has none.
tally_test_progs() {
	awk '
	/^#[0-9]+\/[0-9]+ +[^ ]+:(OK|FAIL|SKIP)/ {
		split($2, a, ":"); split(a[1], t, "/"); has[t[1]] = 1; r[a[1]] = a[2]; next }
	/^#[0-9]+ +[^ ]+:(OK|FAIL|SKIP)/ { split($2, a, ":"); top[a[1]] = a[2] }
	END {
		for (k in r) print k, r[k]
		for (k in top) if (!has[k]) print k, top[k]
	}' "$1" | sort
}

cmd_test() {
	local start rc=0 name st
	start=$(date +%s)
	timed setup cmd_setup
	timed fetch cmd_fetch
	timed apply cmd_apply
	while read -r name st; do result "$name" "$st"; done < <(cmd_check "$@" | sed -n 's/^check \(.*\): \(.*\)$/check-\1 \2/p')
	timed config cmd_config
	timed build cmd_build
	timed vm vm_run bash scripts/guest/run-tests || rc=$?
	case $rc in
	0 | 1) ;;
	124) result vm-timeout FAIL ;;
	125) result kernel-log FAIL ;;
	*) result vm-exit-$rc FAIL ;;
	esac
	local out=$VM_RUN_DIR/output
	if [[ -f $out ]]; then
		while read -r name st; do
			[[ $st == OK ]] && st=ok || st=FAIL
			result "$name" "$st"
		done < <(tally_test_progs "$out")
		while read -r name st; do
			result "$name" "$st"
		done < <(sed -n 's/^suite \([^ ]*\): \(ok\|FAIL\)$/\1 \2/p' "$out")
	fi
	log "total: $(($(date +%s) - start)) s"
	local passed failed
	passed=$(grep -c ' ok$' <<<"$RESULTS" || true)
	failed=$(grep -c ' FAIL$' <<<"$RESULTS" || true)
	if ((passed + failed == 0)); then failed=1; fi
	echo "$passed passed, $failed failed"
	((failed == 0))
}

cmd_demo() {
	cmd_setup
	cmd_fetch
	[[ -e $WT/.git ]] || cmd_apply
	[[ -f $KBUILD/.config ]] || cmd_config
	cmd_build
	vm_run bash scripts/guest/demo
}
