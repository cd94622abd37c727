# SPDX-License-Identifier: GPL-2.0
# setup, test, demo.
# shellcheck shell=bash

HOST_PKGS=(build-essential bc bison flex libelf-dev libssl-dev dwarves libcap-dev zlib1g-dev
	libzstd-dev libdw-dev pkg-config rsync cpio kmod xz-utils python3 qemu-system-x86
	openssl ccache clang-19 llvm-19 lld-19 debootstrap debian-archive-keyring libmnl-dev
	shellcheck git python3-ply python3-git python3-docutils
	gcc-aarch64-linux-gnu libelf-dev:arm64 zlib1g-dev:arm64 libmnl-dev:arm64 qemu-user
	qemu-system-arm libssl-dev:arm64)

cmd_setup() {
	local missing=() p
	for p in "${HOST_PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	((EUID == 0)) || die "missing packages (${missing[*]}): run 'scripts/bpfwg setup' as root"
	log "installing ${missing[*]}"
	# The aarch64 cross build links Debian's arm64 (multiarch) libraries.
	if [[ ${missing[*]} == *:arm64* ]] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
		dpkg --add-architecture arm64
	fi
	apt-get -q update >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get -q install -y --no-install-recommends "${missing[@]}" >/dev/null
}

# Tally "NAME: ok|FAIL" lines into the closing "N passed, N failed" line.
# FAILURES: what each failed test printed, repeated just above that line,
# where a log cut to its last part still shows why.
RESULTS=
FAILURES=
# The steps that passed on their second try ("retry NAME: WHAT" of the
# guests), listed before the closing line.
RETRIES=
result() {
	RESULTS+="$1 $2"$'\n'
	echo "result $1: $2"
}

# test_progs prints "#N/M test/subtest:OK|SKIP|FAIL" and "#N test:...";
# count subtests, and a test when it has none, or when it failed while
# none of its subtests did (a failure in its setup or teardown).
tally_test_progs() {
	awk '
	/^#[0-9]+\/[0-9]+ +[^ ]+:(OK|FAIL|SKIP)/ {
		split($2, a, ":"); split(a[1], t, "/"); has[t[1]] = 1; r[a[1]] = a[2]
		if (a[2] == "FAIL") subfail[t[1]] = 1
		next }
	/^#[0-9]+ +[^ ]+:(OK|FAIL|SKIP)/ { split($2, a, ":"); top[a[1]] = a[2] }
	END {
		for (k in r) print k, r[k]
		for (k in top)
			if (!has[k] || (top[k] == "FAIL" && !subfail[k])) print k, top[k]
	}' "$1" | sort
}

# The test_progs subtests the listed tests define (selftests.list): the
# names each test_NAME() starts with test__start_subtest("..."), and the
# programs of the objects it runs with RUN_TESTS(). A subtest missing from
# a run's output is a failure.
expected_subtests() {
	local src=$WT/tools/testing/selftests/bpf t f deny=${BPFWG_TP_DENY:-}
	# Less what the run left out on purpose (test_progs -d BPFWG_TP_DENY).
	for t in $(selftests_list); do
		f=$(selftest_file "$src" "$t")
		[[ -n $f ]] || continue
		awk -v t="$t" -v progs="$src/progs" '
		$0 ~ "^void (serial_)?test_" t "\\(void\\)" { in_t = 1; next }
		in_t && /^}/ { in_t = 0 }
		in_t && match($0, /test__start_subtest\("[^"]+"\)/) {
			print t "/" substr($0, RSTART + 21, RLENGTH - 23); n++ }
		in_t && match($0, /RUN_TESTS\([a-z0-9_]+\)/) {
			obj = substr($0, RSTART + 10, RLENGTH - 11)
			while ((getline line < (progs "/" obj ".c")) > 0) {
				if (line ~ /^SEC\(/) sec = 3
				else if (sec && match(line, /^int [a-z0-9_]+\(/)) {
					print t "/" substr(line, 5, RLENGTH - 5); sec = 0; n++
				} else if (sec) sec--
			}
			close(progs "/" obj ".c")
		}
		# A test without subtests: its own line is expected.
		END { if (!n) print t }' "$f"
	done | grep -vxF -e "${deny//,/$'\n'}" -e '' | sort -u
}

# missing_subtests EXPECTED OUTPUT: the names in EXPECTED (one a line,
# sorted) that the test_progs OUTPUT does not report.
missing_subtests() {
	comm -23 "$1" <(tally_test_progs "$2" | awk '{ print $1 }' | sort -u)
}

# The e2e checks (scripts/guest/e2e-bpfwg) fed input on which they once
# passed: a bpfwg log without its totals, a counter name bpfwg does not
# have, an iperf3 UDP run (recorded, scripts/host/fixtures: sid's iperf3
# 3.22 over loopback, both ways) that lost more than the bound or has no
# loss figure. Prints what it got wrong; fails if anything.
e2e_checks_self_test() {
	local json=$TOP/scripts/host/fixtures/iperf3-udp-bidir.json src=$TOP/samples-bpf
	# shellcheck disable=SC2016 # expanded by that bash
	TOP=$TOP JSON=$json BPFWG_SRC=$src bash -c '
		source "$TOP/scripts/guest/e2e-bpfwg" || exit 1
		rm -rf "$LOG"
		LOG=$(mktemp -d)
		bad=0
		printf "%s\n" "encrypted 5/s, decrypted 5/s" >"$LOG/gwa"
		counter gwa encrypted >/dev/null
		[[ $(suite t ok) == *"suite t: FAIL" ]] || { echo "log without totals"; bad=1; }
		printf "%s\n" "totals:" "  encrypted            7" >"$LOG/gwa"
		[[ $(counter gwa encrypted) == 7 && $(counter gwa decrypted) == 0 &&
			$(suite t ok) == "suite t: ok" ]] || { echo "valid totals"; bad=1; }
		counter gwa encrpyted >/dev/null
		[[ $(suite t ok) == *"suite t: FAIL" ]] || { echo "misspelt counter"; bad=1; }
		iperf_figures 1 <"$JSON" >/dev/null || { echo "recorded UDP run refused"; bad=1; }
		sed "s/\"lost_percent\":\t0,/\"lost_percent\":\t$((UDP_LOSS_MAX + 5)).5,/" "$JSON" |
			iperf_figures 1 >/dev/null
		(($? == 2)) || { echo "a loss above UDP_LOSS_MAX passed"; bad=1; }
		grep -v lost_percent "$JSON" | iperf_figures 1 >/dev/null
		(($? == 2)) || { echo "UDP run without loss figures passed"; bad=1; }
		rm -rf "$LOG"
		exit "$bad"'
}

# The tally fed recorded logs, where it once reported green: a parent test
# that failed after its subtests passed, a subtest that never ran, a run
# cut short. Prints what it got wrong; fails if anything.
tally_self_test() {
	local got bad=0
	got=$(tally_test_progs <(printf '%s\n' '#1/1     t/a:OK' '#1/2     t/b:OK' '#1       t:FAIL'))
	[[ $got == $'t FAIL\nt/a OK\nt/b OK' ]] || { echo "aborted parent: $got"; bad=1; }
	got=$(missing_subtests <(printf '%s\n' t/a t/b t/c) <(printf '%s\n' '#1/1     t/a:OK' '#1/3     t/c:OK' '#1       t:OK'))
	[[ $got == t/b ]] || { echo "missing subtest: '$got'"; bad=1; }
	got=$(missing_subtests <(printf '%s\n' t/a t/b) <(printf '%s\n' '#1/1     t/a:OK' 'BUG: kernel NULL pointer dereference'))
	[[ $got == t/b ]] || { echo "crash mid-run: '$got'"; bad=1; }
	# A test without subtests that did not run: the tree's list expects
	# such tests by their own name.
	got=$(missing_subtests <(printf '%s\n' t u/a) <(printf '%s\n' '#1/1     u/a:OK' '#1       u:OK'))
	[[ $got == t ]] || { echo "test without subtests missing: '$got'"; bad=1; }
	expected_subtests | grep -qx wg_handshake ||
		{ echo "expected_subtests does not list wg_handshake, a test without subtests"; bad=1; }
	# A phase that fails part way (the debug kernel's build did, once,
	# and the run then ended without a closing line): its first error
	# stops it, it is a FAIL, and the caller goes on. In a bash of its
	# own: this function runs in a condition, where set -e is ignored.
	# shellcheck disable=SC2016 # expanded by that bash
	got=$(TOP=$TOP bash -c 'set -euo pipefail
		source "$TOP/scripts/lib/common.sh"
		source "$TOP/scripts/lib/test.sh"
		phase() { echo step; false; echo "after the error"; }
		prepare selftest phase 2>/dev/null
		echo "$PREPARED $RESULTS"')
	[[ $got == $'step\nresult phase-selftest: FAIL\n0 phase-selftest FAIL' ]] ||
		{ echo "failed phase: '$got'"; bad=1; }
	return "$bad"
}

# failure_details OUTPUT: for every test_progs subtest (or test) that
# failed, the lines it printed, and for every failed suite the lines before
# its verdict: the last 40 lines, after the failed assertions (test_progs'
# "...:FAIL:..." lines) among those before. test_progs repeats the logs of
# its failures after "All error logs:", until its "Summary:": read them once.
failure_details() {
	awk '
	function show(name,   i, from) {
		if (!n) return
		print "-- " name
		from = n > 40 ? n - 40 : 0
		for (i = 0; i < from; i++) if (buf[i] ~ /:FAIL:/) print buf[i]
		for (i = from; i < n; i++) print buf[i]
	}
	/^All error logs:$/ { again = 1; next }
	again { if (/^Summary: /) { again = 0; n = 0 } next }
	/^#[0-9]+(\/[0-9]+)? +[^ ]+:(OK|FAIL|SKIP)/ {
		split($2, a, ":"); if (a[2] == "FAIL") show(a[1]); n = 0; next }
	/^suite [^ ]+: FAIL$/ { show(substr($2, 1, length($2) - 1)); n = 0; next }
	/^suite [^ ]+: ok$/ || /^== / { n = 0; next }
	{ buf[n++] = $0 }' "$1"
}

# run-tests in three guests at once (BPFWG_SUITE tests, netns and rekey),
# which keep the two cores busy: the rekey guest waits for two minutes,
# then runs RSS (needs its 2 vCPUs), the moves and DSA. The debug kernel
# (KASAN, lockdep, kmemleak: config --debug) then runs the kfunc selftests
# in the slot the tests guest leaves, and the arm64 kernel (build_arm64)
# its kfunc selftests and core scenarios in the one the rekey guest
# leaves, so that three guests at most share the cores. The first guest's
# output shows as it goes, the others' after.
VM_SLOTS=("tests debug" netns "rekey arm64")
# The flavour whose build a suite's guest boots.
suite_flavour() {
	case $1 in
	debug | arm64) echo "$1" ;;
	*) echo "$FLAVOUR" ;;
	esac
}

# Kernel arguments of a suite's guest. The debug kernel runs without 5-level
# paging (no5lvl): with it, KASAN decides whether an address has shadow
# memory from the LA57 feature bit (pgtable_l5_enabled()), which reads as
# clear while identify_cpu() rebuilds the boot CPU's feature bits with
# interrupts on; an interrupt there had KASAN report its descriptor's lock
# in the direct map as a wild access (handle_edge_irq() from cpuid_family(),
# 0.14 s into one boot of three, before any test ran). A bug of the base
# kernel's early boot, not of the series, that the debug guest must not
# trip over at random.
suite_append() {
	[[ $1 == debug ]] && echo "no5lvl ${VM_APPEND:-}" || echo "${VM_APPEND:-}"
}

vm_tests() {
	local bg=$CACHE/vm-suites slot s dir first= suites=()
	build_rootfs
	vm_accel >/dev/null
	rm -rf "$bg" && mkdir -p "$bg"
	for slot in "${VM_SLOTS[@]}"; do
		for s in $slot; do
			: >"$bg/$s.log"
			suites+=("$s")
		done
		(
			for s in $slot; do
				r=0
				KBUILD=$(build_dir "$(suite_flavour "$s")") BPFWG_SUITE=$s \
					VM_APPEND="$(suite_append "$s")" \
					vm_run bash scripts/guest/run-tests >"$bg/$s.log" 2>&1 || r=$?
				echo "$r" >"$bg/$s.rc"
				echo "$VM_RUN_DIR" >"$bg/$s.dir"
			done
		) &
		[[ -n $first ]] || first=$!
	done
	echo "== guest ${suites[0]}"
	tail -n +1 -f --pid="$first" "$bg/${suites[0]}.log"
	wait
	for s in "${suites[@]}"; do
		dir=$(cat "$bg/$s.dir" 2>/dev/null || true)
		# What the guest printed: its output file, which does not depend
		# on the console pipeline of vm_run having caught its start.
		[[ $s == "${suites[0]}" ]] || {
			echo "== guest $s"
			cat "$dir/output" 2>/dev/null || cat "$bg/$s.log"
		}
		vm_results "$(cat "$bg/$s.rc" 2>/dev/null || echo "missing-$s")" \
			"$dir" "$([[ $(suite_flavour "$s") == "$FLAVOUR" ]] || echo "$s:")"
	done
}

# vm_results RC DIR [PREFIX]: results of a guest run of run-tests, their
# names prefixed with PREFIX (the debug and arm64 kernels' "debug:" and
# "arm64:").
vm_results() {
	local name st out=$2/output pre=${3:-}
	case $1 in
	0) ;;
	124) result "${pre}vm-timeout" FAIL ;;
	125) result "${pre}kernel-log" FAIL ;;
	*) result "${pre}vm-exit-$1" FAIL ;;
	esac
	[[ -f $out ]] || return 0
	local details
	details=$(failure_details "$out" | sed "s/^-- /-- $pre/")
	[[ -z $details ]] || FAILURES+=$details$'\n'
	while read -r name st; do
		[[ $st == OK ]] && st=ok || st=FAIL
		result "$pre$name" "$st"
	done < <(tally_test_progs "$out")
	if grep -q '^== test_progs -t ' "$out"; then
		while read -r name; do
			echo "$pre$name: expected, missing from the run's output"
			result "$pre$name" FAIL
		done < <(missing_subtests <(expected_subtests) "$out")
	fi
	while read -r name st; do
		result "$pre$name" "$st"
	done < <(sed -n 's/^suite \([^ ]*\): \(ok\|FAIL\)$/\1 \2/p' "$out")
	while IFS= read -r name; do
		RETRIES+="$pre$name"$'\n'
	done < <(sed -n 's/^retry //p' "$out")
}

# prepare LABEL CMD...: a phase the tests need (setup, build), run in a
# subshell that stops at its first error as the script would. A failure is
# a FAIL result named after the phase and clears PREPARED, so that the run
# skips what needed the phase and still ends with its closing line. Called
# as a command of its own, never in a condition: bash ignores set -e in
# everything a condition runs, subshells included.
PREPARED=1
prepare() {
	local label=$1 rc
	shift
	set +e
	(
		set -e
		timed "$label" "$@"
	)
	rc=$?
	set -e
	((rc == 0)) && return 0
	result "phase-$label" FAIL
	PREPARED=0
}

cmd_test() {
	local start name st phase
	# Every flavour has its guest in the run: started from the default.
	[[ $FLAVOUR == m ]] || die "test: run without BPFWG_FLAVOUR (it builds and boots every flavour)"
	start=$(date +%s)
	for phase in "setup cmd_setup" "fetch cmd_fetch" "apply cmd_apply" check \
		"config cmd_config" "build cmd_build" "build-debug build_debug"; do
		((PREPARED)) || break
		if [[ $phase == check ]]; then
			while read -r name st; do result "$name" "$st"; done < <(cmd_check "$@" | sed -n 's/^check \(.*\): \(.*\)$/check-\1 \2/p')
			continue
		fi
		# shellcheck disable=SC2086 # "LABEL FUNCTION", split on purpose
		prepare $phase
	done
	# A failed arm64 build is counted and drops the arm64 guest alone.
	if ((PREPARED)); then
		prepare build-arm64 build_arm64
		((PREPARED)) || { PREPARED=1 && VM_SLOTS=("${VM_SLOTS[@]/ arm64/}"); }
	fi
	if ((PREPARED)); then
		timed host host_tests
		timed vm vm_tests
	fi
	log "total: $(($(date +%s) - start)) s"
	local passed failed
	passed=$(grep -c ' ok$' <<<"$RESULTS" || true)
	failed=$(grep -c ' FAIL$' <<<"$RESULTS" || true)
	if ((passed + failed == 0)); then failed=1; fi
	if ((failed)); then
		echo "== failures"
		grep ' FAIL$' <<<"$RESULTS"
		printf '%s' "$FAILURES"
	fi
	if [[ -n $RETRIES ]]; then
		echo "== retries (passed on a second try)"
		printf '%s' "$RETRIES"
	fi
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
