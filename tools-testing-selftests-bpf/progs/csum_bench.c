// SPDX-License-Identifier: GPL-2.0
/*
 * The Internet checksum of the first CSUM_BENCH_LEN bytes of an XDP frame,
 * timed in a loop (benchs/bench_csum.c): by bpf_xdp_csum(), and by
 * bpf_csum_diff(), which takes at most 512 bytes a call.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "bench_bpf_timing.bpf.h"

#define CSUM_BENCH_LEN	1420

extern __s64 bpf_xdp_csum(struct xdp_md *x, __u32 offset, __u32 len, __u32 seed) __ksym;

/* The sum of the last iteration, for user space to check. */
__s64 sum;

static __always_inline int csum_kfunc(struct xdp_md *ctx)
{
	sum = bpf_xdp_csum(ctx, 0, CSUM_BENCH_LEN, 0);
	return sum < 0;
}

static __always_inline int csum_diff(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	__s64 csum;

	if (data + CSUM_BENCH_LEN > data_end)
		return 1;
	csum = bpf_csum_diff(NULL, 0, data, 512, 0);
	csum = bpf_csum_diff(NULL, 0, data + 512, 512, csum);
	sum = bpf_csum_diff(NULL, 0, data + 1024, CSUM_BENCH_LEN - 1024, csum);
	return sum < 0;
}

SEC("xdp")
int bench_csum_kfunc(struct xdp_md *ctx)
{
	return BENCH_BPF_LOOP(csum_kfunc(ctx), ({}));
}

SEC("xdp")
int bench_csum_diff(struct xdp_md *ctx)
{
	return BENCH_BPF_LOOP(csum_diff(ctx), ({}));
}

char _license[] SEC("license") = "GPL";
