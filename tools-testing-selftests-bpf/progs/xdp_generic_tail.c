// SPDX-License-Identifier: GPL-2.0
/*
 * The sender appends a trailer to every IPv4 TCP packet beyond the IP total
 * length (as Ethernet padding or a tunnel trailer would be); generic XDP on
 * the receiver trims it with bpf_xdp_adjust_tail() before the stack sees it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_P_IP	0x0800
#define TC_ACT_OK	0
#define TC_ACT_SHOT	2
#define TRAILER		8

/* Bytes no stream byte has, so that a stale trailer stands out. */
static const __u8 marker[TRAILER] = {
	0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5,
};

__u64 appended, append_failed, trimmed;

SEC("tcx/egress")
int append_trailer(struct __sk_buff *skb)
{
	__u32 len = skb->len;
	struct iphdr iph;

	if (skb->protocol != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	if (bpf_skb_load_bytes(skb, sizeof(struct ethhdr), &iph, sizeof(iph)))
		return TC_ACT_OK;
	if (iph.protocol != IPPROTO_TCP)
		return TC_ACT_OK;
	if (bpf_skb_change_tail(skb, len + TRAILER, 0) ||
	    bpf_skb_store_bytes(skb, len, marker, TRAILER, 0)) {
		append_failed++;
		return TC_ACT_SHOT;
	}
	appended++;
	return TC_ACT_OK;
}

SEC("xdp")
int trim_trailer(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);

	if ((void *)(iph + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || iph->protocol != IPPROTO_TCP)
		return XDP_PASS;
	if (data_end - (void *)iph != bpf_ntohs(iph->tot_len) + TRAILER)
		return XDP_PASS;
	if (bpf_xdp_adjust_tail(ctx, -TRAILER))
		return XDP_ABORTED;
	trimmed++;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
