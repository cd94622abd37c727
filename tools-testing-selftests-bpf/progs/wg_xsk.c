// SPDX-License-Identifier: GPL-2.0
/*
 * The WireGuard kfuncs on frames received into an AF_XDP socket's memory:
 * the results of encrypt and decrypt are recorded, then the frame is
 * redirected to the socket, so that the test sees whether it was modified.
 */
#define BPF_NO_KFUNC_PROTOTYPES
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "wg_kfuncs.h"

#define NO_DEVICE	1000
#define NO_PEER		1001
/* The test's frame: Ethernet, IPv4, UDP, a WireGuard data message. */
#define NH_OFF		14
#define MSG_OFF		(NH_OFF + 20 + 8)
#define INNER_LEN	16
#define ETH_P_IP	0x0800
#define WG_PORT		51820

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} xsk SEC(".maps");

__u32 wg_ifindex;
__be32 peer_addr;
int encrypt_ret, decrypt_ret;
__u32 frames;

SEC("xdp")
int xdp_wg_xsk(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	struct bpf_wg_device *wg;
	struct bpf_wg_peer *peer;

	/* Only the test's frame: not what the stack of the sender sends. */
	if ((void *)(udp + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->ihl != 5 || ip->protocol != IPPROTO_UDP ||
	    udp->dest != bpf_htons(WG_PORT))
		return XDP_PASS;
	wg = bpf_xdp_wg_device_get_by_index(ctx, wg_ifindex);
	if (!wg) {
		encrypt_ret = NO_DEVICE;
		decrypt_ret = NO_DEVICE;
		return XDP_DROP;
	}
	peer = bpf_wg_peer_allowedips_lookup(wg, &peer_addr, sizeof(peer_addr));
	if (!peer) {
		encrypt_ret = NO_PEER;
		decrypt_ret = NO_PEER;
		bpf_wg_device_put(wg);
		return XDP_DROP;
	}
	encrypt_ret = bpf_xdp_wg_encrypt(ctx, MSG_OFF, INNER_LEN, peer);
	decrypt_ret = bpf_xdp_wg_decrypt(ctx, NH_OFF, peer);
	bpf_wg_peer_put(peer);
	bpf_wg_device_put(wg);
	__sync_fetch_and_add(&frames, 1);
	return bpf_redirect_map(&xsk, 0, XDP_DROP);
}

char _license[] SEC("license") = "GPL";
