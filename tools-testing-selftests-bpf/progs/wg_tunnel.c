// SPDX-License-Identifier: GPL-2.0
/* Count WireGuard messages by type as they arrive on the underlay. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD

__u16 wg_port = 51820;

/* Indexed by the WireGuard message type (1..4), [0] counts other UDP. */
__u64 msgs[5];
/* Length of the last data message (UDP payload), for the padding rule. */
__u32 last_data_len;

static __always_inline int count_udp(struct udphdr *udp, void *data_end)
{
	__u8 *type = (void *)(udp + 1);

	if ((void *)(type + 1) > data_end)
		return XDP_PASS;
	if (udp->dest != bpf_htons(wg_port))
		return XDP_PASS;
	__sync_fetch_and_add(&msgs[*type < 5 ? *type : 0], 1);
	if (*type == 4)
		last_data_len = bpf_ntohs(udp->len) - sizeof(*udp);
	return XDP_PASS;
}

SEC("xdp.frags")
int wg_count(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end || ip->ihl != 5 ||
		    ip->protocol != IPPROTO_UDP)
			return XDP_PASS;
		return count_udp((void *)(ip + 1), data_end);
	}
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end || ip6->nexthdr != IPPROTO_UDP)
			return XDP_PASS;
		return count_udp((void *)(ip6 + 1), data_end);
	}
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
