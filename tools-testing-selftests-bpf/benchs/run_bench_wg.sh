#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The WireGuard kfuncs (bench_wg.c), in ns per operation, by inner packet
# length. Needs wg(8) and ping.

source ./benchs/run_common.sh

set -eufo pipefail

WARMUP=${WARMUP:-1}
LENS=${LENS:-"64 512 1420"}

subtitle "wg-lookup, then on two CPUs at once"
sudo ./bench -q -w"$WARMUP" -a wg-lookup | grep ' ns/op'
sudo ./bench -q -w"$WARMUP" -p 2 -a wg-lookup | grep ' ns/op'
for b in wg-encrypt wg-roundtrip wg-encrypt-frags wg-roundtrip-frags; do
	subtitle "$b"
	for len in $LENS; do
		sudo ./bench -q -w"$WARMUP" -a "$b" --wg-len "$len" | grep ' ns/op'
	done
done
