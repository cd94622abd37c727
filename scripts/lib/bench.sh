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

# bench_table RAW: Markdown, per figure and mode: median [min-max] over the
# rounds, and the median's ratio to native's.
bench_table() {
	awk -v modes="${MODES[*]}" "$BENCH_AWK_MEDIAN"'
	$1 == "bench" {
		k = $4 SUBSEP $3
		vals[k] = vals[k] " " $5
		if (!($4 in seen)) { seen[$4] = 1; order[++nm] = $4 }
	}
	END {
		nmode = split(modes, mo, " ")
		printf "| figure |"
		for (i = 1; i <= nmode; i++) printf " %s |", mo[i]
		printf "\n|---|"
		for (i = 1; i <= nmode; i++) printf "---|"
		printf "\n"
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
		fig[++nf] = "tcp-fwd"; fig[++nf] = "tcp-rev"; fig[++nf] = "tcp4-fwd"
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

# bench [ROUNDS [SECONDS]]: run, validate, write bench/latest.{md,svg}.
cmd_bench() {
	local rounds=${1:-3} secs=${2:-3} raw out=$TOP/bench accel
	[[ $rounds =~ ^[1-9][0-9]*$ && $secs =~ ^[1-9][0-9]*$ ]] ||
		die "usage: scripts/bpfwg bench [ROUNDS [SECONDS]] (positive integers)"
	require_wt
	[[ -f $KBUILD/arch/x86/boot/bzImage ]] || die "no kernel in $KBUILD: run 'scripts/bpfwg build' first"
	accel=$(vm_accel)
	raw=$(mktemp)
	log "bench: $rounds rounds of ${#MODES[@]} modes, ${secs} s per figure, $accel"
	vm_run "export BPFWG_DIR=\$BPFWG_WT/samples/bpf/bpfwg; bash scripts/guest/bench $rounds $secs" |
		sed -u "s/\r$//" | tee "$raw" | grep --line-buffered "^bench: " >&2 || true
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
		echo "srv to cli (rev), 4 flows (tcp4); rtt-load: ping ms during a TCP flow;"
		echo "fast-share: % of the packets gwb received that bpfwg encrypted."
	} >"$out/latest.md"
	bench_svg "$raw" >"$out/latest.svg"
	grep '^bench ' "$raw" >"$out/latest.raw"
	rm -f "$raw"
	cat "$out/latest.md"
	log "bench: written to $out/latest.md, latest.svg and latest.raw"
}
