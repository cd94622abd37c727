// SPDX-License-Identifier: GPL-2.0
/*
 * Programs the verifier must reject: each checksum kfunc is callable only
 * from the program types whose context it takes. Elsewhere, struct xdp_md or
 * struct __sk_buff is plain memory that a program could forge.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "bpf_misc.h"

extern s64 bpf_xdp_csum(struct xdp_md *x, u32 offset, u32 len, __wsum seed) __ksym;
extern s64 bpf_skb_csum(struct __sk_buff *s, u32 offset, u32 len, __wsum seed) __ksym;

SEC("tc")
__failure __msg("calling kernel function bpf_xdp_csum is not allowed")
int tc_forged_xdp_md(struct __sk_buff *ctx)
{
	struct xdp_md md = {};

	return bpf_xdp_csum(&md, 0, 64, 0) < 0;
}

SEC("xdp")
__failure __msg("calling kernel function bpf_skb_csum is not allowed")
int xdp_forged_skb(struct xdp_md *ctx)
{
	struct __sk_buff skb = {};

	return bpf_skb_csum(&skb, 0, 64, 0) < 0 ? XDP_DROP : XDP_PASS;
}

SEC("socket")
__failure __msg("calling kernel function bpf_skb_csum is not allowed")
int socket_filter_skb_csum(struct __sk_buff *ctx)
{
	return bpf_skb_csum(ctx, 0, 14, 0) < 0;
}

SEC("cgroup_skb/ingress")
__failure __msg("calling kernel function bpf_skb_csum is not allowed")
int cgroup_skb_csum(struct __sk_buff *ctx)
{
	return bpf_skb_csum(ctx, 0, 14, 0) >= 0;
}

SEC("xdp")
__failure __msg("R1 expected pointer to ctx, but got fp")
int xdp_stack_xdp_md(struct xdp_md *ctx)
{
	struct xdp_md md = {};

	return bpf_xdp_csum(&md, 0, 64, 0) < 0 ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
