// SPDX-License-Identifier: GPL-2.0
/* Programs for the WireGuard kfunc tests. */
/* wg_kfuncs.h declares the kfuncs, whether vmlinux.h would or not */
#define BPF_NO_KFUNC_PROTOTYPES
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>
#include "bpf_tracing_net.h"
#include "wg_kfuncs.h"

#define WG_HDR_LEN	16
#define WG_DATA		4

/* Results of a lookup that found nothing, apart from the kfuncs' errnos. */
#define NO_DEVICE	1000
#define NO_PEER		1001

void *bpf_cast_to_kern_ctx(void *obj) __ksym;

/*
 * How much of an skb the TC programs pull into its linear data before they
 * parse it: all of it (0), pull_len bytes, or nothing (PULL_NONE).
 */
#define PULL_NONE	0xffffffff
__u32 pull_len;

static __always_inline int tc_pull(struct __sk_buff *ctx)
{
	if (pull_len == PULL_NONE)
		return 0;
	return bpf_skb_pull_data(ctx, pull_len ?: ctx->len);
}

/* Whether the skb shares its data with a clone (here, a packet socket's). */
static __always_inline int tc_cloned(struct __sk_buff *ctx)
{
	struct sk_buff *skb = bpf_cast_to_kern_ctx(ctx);

	return BPF_CORE_READ_BITFIELD(skb, cloned);
}

/* skb->ip_summed (CHECKSUM_NONE 0, CHECKSUM_PARTIAL 3). */
static __always_inline int tc_summed(struct __sk_buff *ctx)
{
	struct sk_buff *skb = bpf_cast_to_kern_ctx(ctx);

	return BPF_CORE_READ_BITFIELD(skb, ip_summed);
}

static __always_inline int tc_nonlinear(struct __sk_buff *ctx)
{
	return ctx->len > ctx->data_end - ctx->data;
}

/*
 * Encrypt: the message at msg_off, whose inner packet of inner_len bytes
 * follows its header, for the peer that inner_daddr is routed to on the
 * WireGuard device wg_ifindex. The test runs it on a frame it built.
 */
__u32 wg_ifindex;
__u8 inner_daddr[16];
__u32 inner_daddr_len;
__u32 msg_off, inner_len;
int encrypt_ret, tuple_ret;
struct bpf_sock_tuple tuple;
/* Ask for the endpoint with room for an IPv4 one only. */
__u32 tuple_ipv4_only;

static __always_inline struct bpf_wg_peer *peer_for(struct bpf_wg_device *wg)
{
	if (inner_daddr_len == 4)
		return bpf_wg_peer_allowedips_lookup(wg, inner_daddr, 4);
	return bpf_wg_peer_allowedips_lookup(wg, inner_daddr, 16);
}

#define ENCRYPT(get_device, encrypt, ctx)					\
({										\
	typeof(ctx) __ctx = (ctx);						\
	struct bpf_wg_device *wg = get_device(__ctx, wg_ifindex);		\
	struct bpf_wg_peer *peer;						\
										\
	encrypt_ret = NO_DEVICE;						\
	if (wg) {								\
		peer = peer_for(wg);						\
		encrypt_ret = NO_PEER;						\
		if (peer) {							\
			tuple_ret = bpf_wg_endpoint_tuple_get(peer, &tuple,	\
				tuple_ipv4_only ? sizeof(tuple.ipv4) : sizeof(tuple)); \
			encrypt_ret = encrypt(__ctx, msg_off, inner_len, peer);	\
			bpf_wg_peer_put(peer);					\
		}								\
		bpf_wg_device_put(wg);						\
	}									\
})

SEC("xdp.frags")
int xdp_encrypt(struct xdp_md *ctx)
{
	ENCRYPT(bpf_xdp_wg_device_get_by_index, bpf_xdp_wg_encrypt, ctx);
	return XDP_PASS;
}

SEC("tc")
int tc_encrypt(struct __sk_buff *ctx)
{
	ENCRYPT(bpf_skb_wg_device_get_by_index, bpf_skb_wg_encrypt, ctx);
	return TC_ACT_OK;
}

/*
 * Encrypt a frame of fwd_len bytes on TC ingress, as tc_encrypt does, after
 * tc_pull(), and send it back where it came from. fwd_count moves once the
 * results are set: among them the skb's ip_summed before and after the
 * kfunc.
 */
__u32 fwd_len, fwd_count;
int fwd_cloned, fwd_nonlinear, fwd_summed_pre, fwd_summed_post;

SEC("tc")
int tc_encrypt_fwd(struct __sk_buff *ctx)
{
	__u8 mac[2 * ETH_ALEN], swapped[2 * ETH_ALEN];
	int cloned;

	if (ctx->len != fwd_len)
		return TC_ACT_OK;
	cloned = tc_cloned(ctx);
	tc_pull(ctx);
	fwd_cloned = cloned;
	fwd_nonlinear = tc_nonlinear(ctx);
	fwd_summed_pre = tc_summed(ctx);
	ENCRYPT(bpf_skb_wg_device_get_by_index, bpf_skb_wg_encrypt, ctx);
	fwd_summed_post = tc_summed(ctx);
	if (encrypt_ret <= 0 || bpf_skb_load_bytes(ctx, 0, mac, sizeof(mac))) {
		fwd_count++;
		return TC_ACT_SHOT;
	}
	__builtin_memcpy(swapped, mac + ETH_ALEN, ETH_ALEN);
	__builtin_memcpy(swapped + ETH_ALEN, mac, ETH_ALEN);
	bpf_skb_store_bytes(ctx, 0, swapped, sizeof(swapped), 0);
	fwd_count++;
	return bpf_redirect(ctx->ifindex, 0);
}

/*
 * Decrypt, attached to the underlay: WireGuard data messages to wg_port are
 * captured (the frame's first bytes, as they arrived) and, in DEC_DECRYPT
 * mode, decrypted with the peer found by the receiver index (or, with
 * peer_by_addr set, by the AllowedIPs of peer_addr), then dropped so that
 * the test sees every result. nh_delta is added to the offset of the outer
 * IP header passed to the kfunc. With any_type set, messages of the other
 * types (initiation, response, cookie) are decrypted too, by the index at
 * the same offset. What the kfunc left of the frame is in post[].
 *
 * XDP, in DEC_DELIVER mode: a decrypted packet is then handed to the stack
 * with bpf_xdp_wg_deliver(), at deliver_delta bytes after its start, after
 * its source address was flipped with deliver_spoof set. The device's
 * interface index is in dev_ifindex.
 *
 * What else B sends is passed to the stack untouched, so that a test sees
 * the message it caused: keepalives (a message of a header and a tag)
 * unless take_keepalives is set, and, while match_nonce is set, any
 * message whose receiver index and nonce are not want_idx and want_nonce
 * (the one a test injected; one too short to have a nonce is a test's: B
 * sends none).
 */
enum { DEC_DECRYPT, DEC_CAPTURE, DEC_PASS, DEC_DELIVER };

__u32 take_keepalives, match_nonce;
__le32 want_idx;
__u64 want_nonce;

__u32 dec_mode;
__u32 captured;		/* DEC_CAPTURE: frame holds one, keep it */
__u16 wg_port = 51820;
__u32 nh_delta;
__u32 peer_by_addr;
__u32 any_type;
__u8 peer_addr[4];
int dec_ret, dec_cloned, dec_nonlinear;
int deliver_ret;
__u32 deliver_delta, deliver_spoof, dev_ifindex;
__u32 dec_count, keepalives;
__u8 frame[8192], post[256];
__u32 frame_len;
__u8 plain[128], plain_tail[64];
/* XDP: the length of the whole frame, all its buffers. */
__u32 buff_len;

struct wg_msg {
	__u32 nh, off, len;
	__le32 idx;
	bool has_nonce;
	__u64 nonce;
};

/* Offset and length of a WireGuard data message to wg_port, if this is one. */
static __always_inline int parse(void *data, void *data_end, struct wg_msg *m)
{
	struct ethhdr *eth = data;
	struct udphdr *udp;
	__u32 *type;

	if ((void *)(eth + 1) > data_end)
		return -1;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end || ip->ihl != 5 ||
		    ip->protocol != IPPROTO_UDP)
			return -1;
		udp = (void *)(ip + 1);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end || ip6->nexthdr != IPPROTO_UDP)
			return -1;
		udp = (void *)(ip6 + 1);
	} else {
		return -1;
	}
	type = (void *)(udp + 1);
	if ((void *)(type + 2) > data_end || udp->dest != bpf_htons(wg_port) ||
	    (*type != bpf_htonl(WG_DATA << 24) && !any_type) || bpf_ntohs(udp->len) < 8)
		return -1;
	m->nh = sizeof(*eth);
	m->off = (void *)type - data;
	m->len = bpf_ntohs(udp->len) - 8;
	m->idx = type[1];
	m->has_nonce = (void *)(type + 4) <= data_end;
	if (m->has_nonce)
		m->nonce = *(__u64 *)(type + 2);
	return 0;
}

/* The source address of the inner packet at @off, flipped in its last byte. */
static __always_inline void spoof(void *ctx, __u32 off)
{
	__u8 v, b;

	if (bpf_xdp_load_bytes(ctx, off, &v, 1))
		return;
	/* IPv4: byte 15 is the last of saddr; IPv6: byte 23. */
	off += (v >> 4) == 4 ? 15 : 23;
	if (!bpf_xdp_load_bytes(ctx, off, &b, 1)) {
		b ^= 0x80;
		bpf_xdp_store_bytes(ctx, off, &b, 1);
	}
}

static __always_inline void deliver(void *ctx, __u32 off, struct bpf_wg_peer *peer)
{
	deliver_ret = NO_PEER;
	if (deliver_spoof)
		spoof(ctx, off);
	deliver_ret = bpf_xdp_wg_deliver(ctx, off + deliver_delta, peer);
}

/*
 * Capture, then (DEC_DECRYPT) decrypt, as described above. @cloned and
 * @nonlinear say what the skb was like.
 */
static __always_inline bool __decrypt(void *ctx, void *data, void *data_end, bool xdp,
				      int cloned, int nonlinear)
{
	struct bpf_wg_device *wg;
	struct bpf_wg_peer *peer;
	struct wg_msg m;
	__u32 n;

	if (parse(data, data_end, &m) || dec_mode == DEC_PASS ||
	    (m.len == WG_HDR_LEN + 16 && !take_keepalives) ||
	    (match_nonce && m.has_nonce && m.len >= WG_HDR_LEN &&
	     (m.idx != want_idx || m.nonce != want_nonce)))
		return false;
	/* One message, not torn by the next while user space copies it. */
	if (dec_mode == DEC_CAPTURE && captured)
		return true;
	dec_cloned = cloned;
	dec_nonlinear = nonlinear;
	n = data_end - data;
	if (n > sizeof(frame))
		n = sizeof(frame);
	/* Bounds the verifier sees whatever the compiler made of the above,
	 * one comparison at a time: two it may fold into one on a copy of
	 * n, whose bounds older verifiers do not carry back to n.
	 */
	barrier_var(n);
	n &= 2 * sizeof(frame) - 1;
	if (n > sizeof(frame))
		return false;
	barrier_var(n);
	if (n < ETH_HLEN ||
	    (xdp ? bpf_xdp_load_bytes(ctx, 0, frame, n) : bpf_skb_load_bytes(ctx, 0, frame, n)))
		return false;
	frame_len = n;
	if (dec_mode == DEC_CAPTURE) {
		captured = 1;
		return true;
	}

	dec_ret = NO_DEVICE;
	wg = xdp ? bpf_xdp_wg_device_get_by_port(ctx, wg_port) :
		   bpf_skb_wg_device_get_by_port(ctx, wg_port);
	if (!wg)
		return true;
	if (peer_by_addr)
		peer = bpf_wg_peer_allowedips_lookup(wg, peer_addr, 4);
	else
		peer = bpf_wg_peer_hashtable_lookup(wg, m.idx);
	dec_ret = NO_PEER;
	dev_ifindex = bpf_wg_device_ifindex(wg);
	if (peer) {
		dec_ret = xdp ? bpf_xdp_wg_decrypt(ctx, m.nh + nh_delta, peer) :
				bpf_skb_wg_decrypt(ctx, m.nh + nh_delta, peer);
		if (xdp && dec_mode == DEC_DELIVER && dec_ret > 0)
			deliver(ctx, m.off + WG_HDR_LEN, peer);
		bpf_wg_peer_put(peer);
	}
	bpf_wg_device_put(wg);
	if (dec_ret == 0)
		keepalives++;
	n = frame_len < sizeof(post) ? frame_len : sizeof(post);
	barrier_var(n);
	n &= 2 * sizeof(post) - 1;
	if (n > sizeof(post))
		n = 0;
	barrier_var(n);
	if (n >= ETH_HLEN)
		xdp ? bpf_xdp_load_bytes(ctx, 0, post, n) : bpf_skb_load_bytes(ctx, 0, post, n);
	n = dec_ret < sizeof(plain) ? dec_ret : sizeof(plain);
	if (dec_ret > 0)
		xdp ? bpf_xdp_load_bytes(ctx, m.off + WG_HDR_LEN, plain, n) :
		      bpf_skb_load_bytes(ctx, m.off + WG_HDR_LEN, plain, n);
	n = m.off + WG_HDR_LEN + dec_ret - sizeof(plain_tail);
	if (dec_ret >= (int)sizeof(plain_tail))
		xdp ? bpf_xdp_load_bytes(ctx, n, plain_tail, sizeof(plain_tail)) :
		      bpf_skb_load_bytes(ctx, n, plain_tail, sizeof(plain_tail));
	if (xdp)
		buff_len = bpf_xdp_get_buff_len(ctx);
	return true;
}

/* Whether to drop the packet; dec_count moves once the results are set. */
static __always_inline bool decrypt(void *ctx, void *data, void *data_end, bool xdp,
				    int cloned, int nonlinear)
{
	if (!__decrypt(ctx, data, data_end, xdp, cloned, nonlinear))
		return false;
	dec_count++;
	return true;
}

SEC("xdp")
int xdp_decrypt(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;

	return decrypt(ctx, data, data_end, true, 0, 0) ? XDP_DROP : XDP_PASS;
}

/* The same, for frames of several buffers. */
SEC("xdp.frags")
int xdp_decrypt_frags(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;

	return decrypt(ctx, data, data_end, true, 0, 0) ? XDP_DROP : XDP_PASS;
}

SEC("tc")
int tc_decrypt(struct __sk_buff *ctx)
{
	int cloned = tc_cloned(ctx);
	void *data_end, *data;

	tc_pull(ctx);
	data_end = (void *)(long)ctx->data_end;
	data = (void *)(long)ctx->data;
	return decrypt(ctx, data, data_end, false, cloned, tc_nonlinear(ctx)) ?
	       TC_ACT_SHOT : TC_ACT_OK;
}

/* Device lookups, for the netns semantics: run by the test in a netns. */
__u32 lookup_ifindex;
__u16 lookup_port;
int found_by_index, found_by_port;

SEC("xdp")
int xdp_lookup(struct xdp_md *ctx)
{
	struct bpf_wg_device *wg;

	wg = bpf_xdp_wg_device_get_by_index(ctx, lookup_ifindex);
	found_by_index = !!wg;
	if (wg)
		bpf_wg_device_put(wg);
	wg = bpf_xdp_wg_device_get_by_port(ctx, lookup_port);
	found_by_port = !!wg;
	if (wg)
		bpf_wg_device_put(wg);
	return XDP_PASS;
}

SEC("tc")
int tc_lookup(struct __sk_buff *ctx)
{
	struct bpf_wg_device *wg;

	wg = bpf_skb_wg_device_get_by_index(ctx, lookup_ifindex);
	found_by_index = !!wg;
	if (wg)
		bpf_wg_device_put(wg);
	wg = bpf_skb_wg_device_get_by_port(ctx, lookup_port);
	found_by_port = !!wg;
	if (wg)
		bpf_wg_device_put(wg);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
