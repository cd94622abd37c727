# SPDX-License-Identifier: GPL-2.0
# bench: bpfwg against native WireGuard in one guest boot (scripts/guest/bench),
# as ratios to native: a table and a plot.
# shellcheck shell=bash

# MODES, SIZES, bench_metrics and bench_validate: the guest script's own.
# shellcheck source=scripts/guest/bench
. "$TOP/scripts/guest/bench"

# awk: median(k) of the space-separated numbers in vals[k], their minimum
# and maximum left in lo[k] and hi[k].
BENCH_AWK_MEDIAN='
function median(k,   n, i, j, t, a) {
	n = split(vals[k], a, " ")
	for (i = 1; i <= n; i++)
		for (j = i + 1; j <= n; j++)
			if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	lo[k] = a[1]; hi[k] = a[n]
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}'

# awk: header(first, n, col, suffix), a Markdown table's header: a column
# named first, then col[1..n] each followed by suffix.
BENCH_AWK_HEADER='
function header(first, n, col, suffix,   i) {
	printf "| %s |", first
	for (i = 1; i <= n; i++) printf " %s%s |", col[i], suffix
	printf "\n|---|"
	for (i = 1; i <= n; i++) printf "---|"
	printf "\n"
}'

# bench_table RAW: Markdown, per figure and mode: median [min-max] over the
# rounds, and the median's ratio to native's.
bench_table() {
	awk -v modes="${MODES[*]}" "$BENCH_AWK_MEDIAN$BENCH_AWK_HEADER"'
	$1 == "bench" {
		k = $4 SUBSEP $3
		vals[k] = vals[k] " " $5
		if (!($4 in seen)) { seen[$4] = 1; order[++nm] = $4 }
	}
	END {
		nmode = split(modes, mo, " ")
		header("figure", nmode, mo, "")
		for (f = 1; f <= nm; f++) {
			m = order[f]
			base = ((m SUBSEP "native") in vals) ? median(m SUBSEP "native") : ""
			printf "| %s |", m
			for (i = 1; i <= nmode; i++) {
				k = m SUBSEP mo[i]
				if (!(k in vals)) { printf " - |"; continue }
				v = median(k)
				printf " %g [%g-%g]", v, lo[k], hi[k]
				if (mo[i] != "native" && base != "" && base + 0 > 0 && m !~ /loss|share/)
					printf " (%.2fx)", v / base
				printf " |"
			}
			printf "\n"
		}
	}' "$1"
}

# bench_svg RAW: the ratios to native of the throughput figures, bars per
# mode, as an SVG made with awk (no plotting package on the machine).
bench_svg() {
	awk -v modes="${MODES[*]}" -v sizes="${SIZES[*]}" "$BENCH_AWK_MEDIAN"'
	$1 == "bench" { vals[$4 SUBSEP $3] = vals[$4 SUBSEP $3] " " $5 }
	END {
		nf = split(sizes, fig, " ")
		for (f = 1; f <= nf; f++) fig[f] = "udp" fig[f] "-pps"
		fig[++nf] = "tcp-fwd"; fig[++nf] = "tcp-rev"; fig[++nf] = "tcp4-fwd"; fig[++nf] = "tcp4-rev"
		nmode = split(modes, mo, " ")
		split("#888888 #1f77b4 #ff7f0e #2ca02c", col, " ")
		w = 110; h = 300; top = 40; x0 = 50
		printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"11\">\n", x0 + nf * w + 20, top + h + 60
		printf "<text x=\"%d\" y=\"20\" font-size=\"14\">Throughput relative to native WireGuard (median of rounds; 1.0 = native)</text>\n", x0
		max = 2
		for (f = 1; f <= nf; f++) for (i = 1; i <= nmode; i++) {
			b = median(fig[f] SUBSEP "native"); v = median(fig[f] SUBSEP mo[i])
			r[f, i] = b > 0 ? v / b : 0
			if (r[f, i] > max) max = r[f, i]
		}
		for (t = 0; t <= max; t += 0.5) {
			y = top + h - h * t / max
			printf "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n", x0, x0 + nf * w, y, y, t == 1 ? "#000" : "#ddd"
			printf "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.1f</text>\n", x0 - 4, y + 4, t
		}
		bw = (w - 20) / nmode
		for (f = 1; f <= nf; f++) {
			for (i = 1; i <= nmode; i++) {
				bh = h * r[f, i] / max
				printf "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s %s: %.2fx</title></rect>\n", x0 + (f - 1) * w + 10 + (i - 1) * bw, top + h - bh, bw - 2, bh, col[i], fig[f], mo[i], r[f, i]
			}
			printf "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", x0 + (f - 0.5) * w, top + h + 16, fig[f]
		}
		for (i = 1; i <= nmode; i++) {
			printf "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>", x0 + (i - 1) * 100, top + h + 34, col[i]
			printf "<text x=\"%d\" y=\"%d\">%s</text>\n", x0 + (i - 1) * 100 + 14, top + h + 43, mo[i]
		}
		print "</svg>"
	}' "$1"
}

# kfunc_table RAW: Markdown, the kfunc micro-benchmark's median ns per
# operation by inner length, the library's own (aead lines) and wg-encrypt's
# ratio to it, and the share of wg-encrypt that wg-lookup's lookups and
# references are (what RCU lifetimes could save at most).
kfunc_table() {
	awk -v lens="${KFUNC_LENS[*]}" "$BENCH_AWK_HEADER"'
	$1 == "kfunc" && $2 == "clock" { next }
	$1 == "aead" { lenc[$2] = $3; ldec[$2] = $4; next }
	$1 == "kfunc" { ns[$2, $3] = $4; if (!($2 in seen)) { seen[$2] = 1; order[++nb] = $2 } }
	END {
		nl = split(lens, len, " ")
		header("benchmark", nl, len, " bytes")
		for (b = 1; b <= nb; b++) {
			printf "| %s |", order[b]
			for (i = 1; i <= nl; i++) {
				k = order[b] SUBSEP len[i]
				printf " %s |", (k in ns) ? ns[k] : "-"
			}
			printf "\n"
		}
		printf "| ChaCha20-Poly1305 library alone, encryption |"
		for (i = 1; i <= nl; i++) printf " %s |", (len[i] in lenc) ? lenc[len[i]] : "-"
		printf "\n| ChaCha20-Poly1305 library alone, decryption |"
		for (i = 1; i <= nl; i++) printf " %s |", (len[i] in ldec) ? ldec[len[i]] : "-"
		printf "\n| wg-encrypt over the library alone |"
		for (i = 1; i <= nl; i++) {
			e = ns["wg-encrypt", len[i]]
			printf " %s |", (lenc[len[i]] > 0 && e > 0 ? sprintf("%.2fx", e / lenc[len[i]]) : "-")
		}
		printf "\n"
		look = ns["wg-lookup", len[1]]
		printf "| lookups and references, share of wg-encrypt |"
		for (i = 1; i <= nl; i++) {
			e = ns["wg-encrypt", len[i]]
			printf " %s |", (e > 0 ? sprintf("%.0f%%", 100 * look / e) : "-")
		}
		printf "\n"
	}' "$1"
}

# vm_tsc_append: kernel parameters that give the guest the TSC as its clock.
# QEMU TCG's TSC is the host's, but the guest cannot calibrate it (no PIT
# reference, no HPET without ACPI) and falls back to jiffies (4 ms steps):
# hand it the host's frequency, from the host kernel's log or, once that
# has wrapped, measured against CLOCK_MONOTONIC over 200 ms. Empty when
# neither works (not x86, no compiler).
vm_tsc_append() {
	local mhz khz exe=$CACHE/tsc-khz
	mhz=$(dmesg 2>/dev/null | sed -n -E 's/.*tsc: (Refined TSC clocksource calibration:|Detected) ([0-9]+\.[0-9]+) MHz.*/\2/p' | tail -n 1)
	if [[ $mhz =~ ^[0-9]+\.[0-9]+$ ]]; then
		khz=$(awk -v m="$mhz" 'BEGIN { printf "%d", m * 1000 }')
	else
		[[ -x $exe ]] || gcc -O2 -x c -o "$exe" - 2>/dev/null <<-'EOF' || return 0
			#include <stdio.h>
			#include <time.h>
			#include <x86intrin.h>
			static double now(void)
			{
				struct timespec ts;

				clock_gettime(CLOCK_MONOTONIC, &ts);
				return ts.tv_sec + ts.tv_nsec / 1e9;
			}
			int main(void)
			{
				double t0 = now(), t1;
				unsigned long long c0 = __rdtsc(), c1;

				while ((t1 = now()) - t0 < 0.2)
					;
				c1 = __rdtsc();
				printf("%.0f\n", (c1 - c0) / (t1 - t0) / 1000);
				return 0;
			}
		EOF
		khz=$("$exe")
	fi
	[[ $khz =~ ^[1-9][0-9]{5,}$ ]] || return 0
	echo "tsc_early_khz=$khz tsc=reliable"
}

# bench_guest RAW ARGS...: scripts/guest/bench ARGS in the guest, with the
# worktree's bpfwg; its output in RAW, its progress lines on stderr.
bench_guest() {
	local raw=$1
	shift
	vm_run "export BPFWG_DIR=\$BPFWG_WT/samples/bpf/bpfwg; bash scripts/guest/bench $*" |
		sed -u "s/\r$//" | tee "$raw" | grep --line-buffered "^bench: " >&2 || true
}

# insn_tools: in $CACHE/insn, the QEMU plugin that counts the guest's
# instructions (scripts/host/insn/insn-count.c), built against the
# qemu-plugin.h of the QEMU source package the host runs (Debian ships
# no plugin header; the source comes through a private apt configuration
# of its own, as the base kernel does), and the guest's marker program.
insn_tools() {
	local dir=$CACHE/insn src=$TOP/scripts/host/insn ver tarball
	mkdir -p "$dir"
	if [[ ! -f $dir/qemu-plugin.h ]]; then
		require_tools gcc dpkg-query apt-get tar xz
		ver=$(dpkg-query -W -f='${source:Version}' qemu-system-x86 2>/dev/null) ||
			die "bench --insn: qemu-system-x86 is not installed"
		(
			APT_DIR=$CACHE/apt-bookworm
			apt_private_setup bookworm deb-src &&
				cd "$APT_DIR/src" &&
				{ apt_private source --download-only "qemu=$ver" >/dev/null 2>&1 ||
					apt_private source --download-only qemu >/dev/null; }
		) || die "bench --insn: cannot download the source of qemu $ver"
		tarball=$(find "$CACHE/apt-bookworm/src" -name 'qemu_*.orig.tar.xz' | sort -V | tail -n 1)
		[[ -n $tarball ]] || die "bench --insn: no qemu source tarball in $CACHE/apt-bookworm/src"
		tar -xJOf "$tarball" --wildcards '*/include/qemu/qemu-plugin.h' >"$dir/qemu-plugin.h.tmp" &&
			mv "$dir/qemu-plugin.h.tmp" "$dir/qemu-plugin.h" ||
			die "bench --insn: no include/qemu/qemu-plugin.h in $tarball"
	fi
	[[ $dir/insn-count.so -nt $src/insn-count.c ]] ||
		gcc -O2 -Wall -shared -fPIC -I"$dir" -o "$dir/insn-count.so" "$src/insn-count.c" ||
		die "bench --insn: the plugin does not build"
	[[ $dir/bpfwg-mark -nt $src/mark.c ]] ||
		gcc -O2 -Wall -static -o "$dir/bpfwg-mark" "$src/mark.c" ||
		die "bench --insn: the marker does not build"
}

# bench_insn [PACKETS]: guest instructions per forwarded packet, per mode
# and UDP payload size, from QEMU's count (one TCG thread, for an exact sum
# over the vCPUs) between two markers around PACKETS packets; writes
# bench/insn.md.
bench_insn() {
	local packets=${1:-3000} log raw out=$TOP/bench marks rows
	[[ $packets =~ ^[1-9][0-9]*$ ]] || die "usage: scripts/bpfwg bench --insn [PACKETS]"
	require_wt
	[[ $(vm_accel) == tcg ]] || die "bench --insn counts with a TCG plugin: run it with BPFWG_ACCEL=tcg"
	insn_tools
	log=$(mktemp) raw=$(mktemp)
	log "bench --insn: ${#MODES[@]} modes, ${#SIZES[@]} sizes, $packets packets each, instructions counted by QEMU"
	VM_ACCEL_OPTS=thread=single VM_QEMU_EXTRA="-plugin $CACHE/insn/insn-count.so -d plugin -D $log" \
		VM_APPEND="${VM_APPEND:-} $(vm_tsc_append)" bench_guest "$raw" --insn "$packets"
	mapfile -t marks < <(awk '$1 == "bpfwg-insn" && $2 == "mark" { print $3 }' "$log")
	((${#marks[@]} == 2 * ${#MODES[@]} * ${#SIZES[@]})) ||
		die "bench --insn: ${#marks[@]} markers counted, not 2 per mode and size (log: $log, output: $raw)"
	# MODE SIZE DELIVERED INSTRUCTIONS, in the order the guest ran them.
	rows=$(awk '$1 == "insn" { print $2, $3, $4 }' "$raw" |
		paste -d' ' - <(for ((i = 0; i < ${#marks[@]}; i += 2)); do
			echo $((marks[i + 1] - marks[i])); done))
	if ! awk '!($3 ~ /^[1-9][0-9]*$/ && $4 > 0) { exit 1 }' <<<"$rows" ||
		(($(wc -l <<<"$rows") != ${#MODES[@]} * ${#SIZES[@]})); then
		die "bench --insn: not a measurement for every mode and size: $rows"
	fi
	mkdir -p "$out"
	{
		echo "# Guest instructions per forwarded packet"
		echo
		echo "$(date -u +%F), commit $(git -C "$TOP" rev-parse --short HEAD), QEMU TCG (one thread)," \
			"guest ${VM_CPUS:-2} vCPUs: $packets UDP packets per payload size from cli to"
		echo "srv at 1000 per second per mode, instructions of the whole guest between"
		echo "two markers (sender, both gateways, receiver, idle work), per packet srv"
		echo "got; the ratio is to native WireGuard at the same size."
		echo
		awk -v sizes="${SIZES[*]}" -v modes="${MODES[*]}" '
		{ per[$1, $2] = $4 / $3; got[$1, $2] = $3 }
		END {
			ns = split(sizes, s, " "); nm = split(modes, m, " ")
			printf "| mode |"; for (j = 1; j <= ns; j++) printf " %d bytes |", s[j]; print ""
			printf "|---|"; for (j = 1; j <= ns; j++) printf "---|"; print ""
			for (i = 1; i <= nm; i++) {
				printf "| %s |", m[i]
				for (j = 1; j <= ns; j++)
					printf " %.0f (%.2fx, %d delivered) |", per[m[i], s[j]],
						per[m[i], s[j]] / per[m[1], s[j]], got[m[i], s[j]]
				print ""
			}
		}' <<<"$rows"
	} >"$out/insn.md"
	rm -f "$log" "$raw"
	cat "$out/insn.md"
	log "bench --insn: written to $out/insn.md"
}

# perf_tool: perf of the base tree's tools/perf, built once into
# $CACHE/perf for the guest (the host's perf is linked against bookworm's
# libraries, the guest root is sid): only what sampling and a report by
# symbol need, linked against libraries the guest root has.
perf_tool() {
	local dir=$CACHE/perf
	[[ -x $dir/perf && $dir/perf -nt $WT/Makefile ]] && return 0
	log "bench --profile: building perf from $WT/tools/perf (a few minutes, once)"
	mkdir -p "$dir"
	make -C "$WT/tools/perf" O="$dir" -j"$(nproc)" NO_LIBPYTHON=1 NO_LIBPERL=1 \
		NO_LIBTRACEEVENT=1 NO_JVMTI=1 NO_SLANG=1 NO_GTK2=1 NO_LIBBABELTRACE=1 \
		NO_LIBUNWIND=1 NO_LIBNUMA=1 NO_LIBCRYPTO=1 NO_SDT=1 NO_LIBCAP=1 NO_LIBDW=1 \
		NO_LIBLLVM=1 NO_CAPSTONE=1 NO_LIBPFM4=1 NO_AUXTRACE=1 NO_RUST=1 BUILD_BPF_SKEL=0 \
		>"$dir/build.log" 2>&1 || die "bench --profile: perf does not build, see $dir/build.log"
	[[ -x $dir/perf ]] || die "bench --profile: no perf in $dir (see $dir/build.log)"
}

# bench_profile [SECONDS]: per mode, the functions gwa's 64-byte UDP flood
# spends the guest's CPU in (perf, cpu-clock), as bench/profile.md.
bench_profile() {
	local secs=${1:-10} raw out=$TOP/bench mode
	[[ $secs =~ ^[1-9][0-9]*$ ]] || die "usage: scripts/bpfwg bench --profile [SECONDS]"
	require_wt
	perf_tool
	raw=$(mktemp)
	log "bench --profile: ${#MODES[@]} modes, $secs s of samples each"
	bench_guest "$raw" --profile "$secs"
	for mode in "${MODES[@]}"; do
		awk -v m="$mode" '$1 == "profile" && $2 == m && $3 == "samples" && $4 >= 1000 { ok = 1 }
			END { exit !ok }' "$raw" ||
			die "bench --profile: fewer than 1000 samples for $mode (output: $raw)"
	done
	mkdir -p "$out"
	{
		echo "# Where the guest's CPU goes under a 64-byte UDP flood"
		echo
		echo "$(date -u +%F), commit $(git -C "$TOP" rev-parse --short HEAD), QEMU $(vm_accel)," \
			"guest ${VM_CPUS:-2} vCPUs: perf record -a -e cpu-clock, $secs s per mode,"
		echo "the whole guest (cli, gwa, gwb, srv and iperf3). Functions with 0.5% of"
		echo "the samples or more; crypto: the ChaCha20 and Poly1305 functions."
		for mode in "${MODES[@]}"; do
			echo
			awk -v m="$mode" '$1 == "profile" && $2 == m {
				if ($3 == "samples") { n = $4; next }
				p[++k] = $3; $1 = $2 = $3 = ""; sub(/^ +/, ""); f[k] = $0
				if (f[k] ~ /chacha|poly1305/) c += p[k]
			}
			END {
				printf "## %s (%d samples, crypto %.1f%%)\n\n| %% | function |\n|---|---|\n", m, n, c
				for (i = 1; i <= k && i <= 25; i++) printf "| %s | %s |\n", p[i], f[i]
			}' "$raw"
		done
	} >"$out/profile.md"
	rm -f "$raw"
	cat "$out/profile.md"
	log "bench --profile: written to $out/profile.md"
}

# bench [ROUNDS [SECONDS]]: run, validate, write bench/latest.{md,svg}.
cmd_bench() {
	[[ ${1:-} == --insn ]] && { bench_insn "${@:2}"; return; }
	[[ ${1:-} == --profile ]] && { bench_profile "${@:2}"; return; }
	local rounds=${1:-3} secs=${2:-3} raw out=$TOP/bench accel
	[[ $rounds =~ ^[1-9][0-9]*$ && $secs =~ ^[1-9][0-9]*$ ]] ||
		die "usage: scripts/bpfwg bench [ROUNDS [SECONDS]] (positive integers)"
	require_wt
	[[ -f $KBUILD/arch/x86/boot/bzImage ]] || die "no kernel in $KBUILD: run 'scripts/bpfwg build' first"
	accel=$(vm_accel)
	raw=$(mktemp)
	log "bench: $rounds rounds of ${#MODES[@]} modes, ${secs} s per figure, $accel"
	[[ $accel == kvm ]] || VM_APPEND="${VM_APPEND:-} $(vm_tsc_append)"
	[[ ${VM_APPEND:-} == *tsc_early_khz* || $accel == kvm ]] ||
		log "bench: no TSC frequency in the host's kernel log: the guest's clock is jiffies, the kfunc figures coarse"
	VM_APPEND=${VM_APPEND:-} bench_guest "$raw" "$rounds" "$secs"
	if ! bench_validate "$raw" "$rounds" >&2; then
		rm -f "$raw"
		die "bench: some figures are missing or not numbers (above)"
	fi
	mkdir -p "$out"
	{
		echo "# bpfwg benchmark"
		echo
		echo "$(date -u +%F), commit $(git -C "$TOP" rev-parse --short HEAD)," \
			"QEMU $accel, $(nproc) host CPUs, guest ${VM_CPUS:-2} vCPUs; $rounds rounds," \
			"$secs s per figure; median [min-max], ratio to native in parentheses."
		echo
		bench_table "$raw"
		echo
		echo "udpN: N-byte inner UDP payloads, unlimited offered load (packets per"
		echo "second delivered to srv, loss in %); tcp: Mbit/s, cli to srv (fwd),"
		echo "srv to cli (rev), 4 flows each way (tcp4); rtt-load: ping ms during a TCP flow;"
		echo "fast-share: % of the packets gwb received that bpfwg encrypted."
		echo
		echo "## The kfuncs, in ns per operation"
		echo
		echo "tools/testing/selftests/bpf/benchs/bench_wg.c in the same boot, timed in"
		echo "BPF over batches of test runs (guest clock: $(awk '$1 == "kfunc" && $2 == "clock" { print $3 }' "$raw"));"
		echo "median of about 200 batches. wg-lookup: device by ifindex and peer by"
		echo "AllowedIPs, both put (-p2: on both vCPUs at once); wg-encrypt: the"
		echo "same, encryption and the outer header update; wg-roundtrip: B's"
		echo "wg-encrypt, then A's decryption (device, peer by receiver index);"
		echo "-frags: the same on a multi-buffer frame (the message's head in the"
		echo "linear part, the rest in a frag). The library alone: the KUnit"
		echo "benchmark_chacha20poly1305 of lib/crypto/tests (chacha20poly1305_encrypt()"
		echo "in place and _decrypt(), no associated data, from its integer MB/s)."
		echo
		kfunc_table "$raw"
	} >"$out/latest.md"
	bench_svg "$raw" >"$out/latest.svg"
	grep -E '^(bench|kfunc|aead) ' "$raw" >"$out/latest.raw"
	rm -f "$raw"
	cat "$out/latest.md"
	log "bench: written to $out/latest.md, latest.svg and latest.raw"
}
