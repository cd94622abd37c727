// SPDX-License-Identifier: GPL-2.0
/*
 * The WireGuard kfuncs timed in a loop (benchs/bench_wg.c): device and
 * peer lookups, encryption, and encryption by B followed by decryption by
 * A of one data message in a frame user space built, in place. Encryption
 * does not parse the inner packet, so the loop encrypts the previous
 * ciphertext again; decryption gives the plaintext back.
 */
#include <stdbool.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "bench_bpf_timing.bpf.h"

/*
 * wg_kfuncs.h is written against vmlinux.h's kernel types; this program has
 * the UAPI headers instead, which bench_bpf_timing.bpf.h includes.
 */
typedef __u16 u16;
typedef __u32 u32;
#include "wg_kfuncs.h"

#define WG_HDR_LEN	16
#define MSG_OFF		(ETH_HLEN + sizeof(struct iphdr) + sizeof(struct udphdr))

/* Set by user space: the two devices, the inner addresses and length. */
__u32 ifindex_a, ifindex_b;
__u8 addr_a[4], addr_b[4];
__u32 inner_len;

/* Timed iterations that failed: a benchmark of the error path. */
__u64 errors;

static __always_inline void count_error(int ret)
{
	if (ret)
		__sync_fetch_and_add(&errors, 1);
}

/* The peer that @addr is routed to on the device @ifindex, or NULL: *@err. */
static __always_inline struct bpf_wg_peer *peer_of(struct xdp_md *ctx, __u32 ifindex,
						   const __u8 *addr, int *err)
{
	struct bpf_wg_device *wg = bpf_xdp_wg_device_get_by_index(ctx, ifindex);
	struct bpf_wg_peer *peer;

	*err = -ENODEV;
	if (!wg)
		return NULL;
	peer = bpf_wg_peer_allowedips_lookup(wg, addr, 4);
	bpf_wg_device_put(wg);
	*err = -ENOENT;
	return peer;
}

/* A's device and its peer for B's inner address, then put both. */
static __always_inline int lookup(struct xdp_md *ctx)
{
	struct bpf_wg_peer *peer;
	int err;

	peer = peer_of(ctx, ifindex_a, addr_b, &err);
	if (!peer)
		return err;
	bpf_wg_peer_put(peer);
	return 0;
}

/* B encrypts the inner packet for A; the outer lengths and checksum follow. */
static __always_inline int encrypt(struct xdp_md *ctx)
{
	struct bpf_wg_peer *peer;
	struct udphdr *udp;
	struct iphdr *iph;
	__u32 sum = 0;
	__u16 *w;
	int len, i;

	peer = peer_of(ctx, ifindex_b, addr_a, &len);
	if (!peer)
		return len;
	len = bpf_xdp_wg_encrypt(ctx, MSG_OFF, inner_len, peer);
	bpf_wg_peer_put(peer);
	if (len < 0)
		return len;

	iph = (void *)(long)ctx->data + ETH_HLEN;
	udp = (void *)(iph + 1);
	if ((void *)(udp + 1) > (void *)(long)ctx->data_end)
		return -EINVAL;
	iph->tot_len = bpf_htons(sizeof(*iph) + sizeof(*udp) + len);
	udp->len = bpf_htons(sizeof(*udp) + len);
	iph->check = 0;
	w = (__u16 *)iph;
	for (i = 0; i < sizeof(*iph) / 2; i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	iph->check = ~((sum & 0xffff) + (sum >> 16));
	return 0;
}

/* A decrypts the message, looking B up by the receiver index. */
static __always_inline int decrypt(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct bpf_wg_device *wg;
	struct bpf_wg_peer *peer;
	__le32 *idx = data + MSG_OFF + 4;
	int ret;

	if ((void *)(idx + 1) > data_end)
		return -EINVAL;
	wg = bpf_xdp_wg_device_get_by_index(ctx, ifindex_a);
	if (!wg)
		return -ENODEV;
	peer = bpf_wg_peer_hashtable_lookup(wg, *idx);
	bpf_wg_device_put(wg);
	if (!peer)
		return -ENOENT;
	ret = bpf_xdp_wg_decrypt(ctx, ETH_HLEN, peer);
	bpf_wg_peer_put(peer);
	return ret < 0 ? ret : 0;
}

/* Frags: user space may give a frame whose message spans buffers. */
SEC("xdp.frags")
int wg_lookup(struct xdp_md *ctx)
{
	return BENCH_BPF_LOOP(lookup(ctx), count_error(__bench_result));
}

SEC("xdp.frags")
int wg_encrypt(struct xdp_md *ctx)
{
	return BENCH_BPF_LOOP(encrypt(ctx), count_error(__bench_result));
}

SEC("xdp.frags")
int wg_roundtrip(struct xdp_md *ctx)
{
	return BENCH_BPF_LOOP(encrypt(ctx) ?: decrypt(ctx), count_error(__bench_result));
}

char _license[] SEC("license") = "GPL";
