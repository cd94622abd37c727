// SPDX-License-Identifier: GPL-2.0
/*
 * The sender's side counts the GSO skbs only their frag_list can segment
 * (gso_size GSO_BY_FRAGS); generic XDP on the forwarder passes every frame
 * and records how many it saw, and the length of the largest. It does so
 * with and without frags, for the two copies generic XDP makes.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define GSO_BY_FRAGS	0xFFFF
#define TC_ACT_OK	0

__u64 gso_by_frags, frames, max_len;

SEC("tcx/egress")
int count_gso(struct __sk_buff *skb)
{
	if (skb->gso_size == GSO_BY_FRAGS)
		__sync_fetch_and_add(&gso_by_frags, 1);
	return TC_ACT_OK;
}

static int count_frame(struct xdp_md *ctx)
{
	__u64 len = bpf_xdp_get_buff_len(ctx);

	__sync_fetch_and_add(&frames, 1);
	if (len > max_len)
		max_len = len;
	return XDP_PASS;
}

SEC("xdp")
int count_frames(struct xdp_md *ctx)
{
	return count_frame(ctx);
}

SEC("xdp.frags")
int count_frames_frags(struct xdp_md *ctx)
{
	return count_frame(ctx);
}

char _license[] SEC("license") = "GPL";
