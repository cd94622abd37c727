// SPDX-License-Identifier: GPL-2.0
/* Programs for the bpf_xdp_csum() and bpf_skb_csum() kfunc tests. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "bpf_misc.h"
#include "bpf_tracing_net.h"

#define NR_RANGES	64

extern s64 bpf_xdp_csum(struct xdp_md *x, u32 offset, u32 len, __wsum seed) __ksym;
extern s64 bpf_skb_csum(struct __sk_buff *s, u32 offset, u32 len, __wsum seed) __ksym;

struct csum_range {
	__u32 off;
	__u32 len;
	__u32 seed;
	__s64 res;
};

struct csum_range ranges[NR_RANGES];
__u32 nr_ranges, xdp_linear;

SEC("xdp.frags")
int xdp_csum(struct xdp_md *ctx)
{
	xdp_linear = ctx->data_end - ctx->data;
	for (int i = 0; i < NR_RANGES && i < nr_ranges; i++)
		ranges[i].res = bpf_xdp_csum(ctx, ranges[i].off, ranges[i].len,
					     ranges[i].seed);
	return XDP_PASS;
}

static __always_inline int skb_sum_ranges(struct __sk_buff *skb)
{
	for (int i = 0; i < NR_RANGES && i < nr_ranges; i++)
		ranges[i].res = bpf_skb_csum(skb, ranges[i].off, ranges[i].len,
					     ranges[i].seed);
	return TC_ACT_OK;
}

SEC("tc")
int tc_csum(struct __sk_buff *skb)
{
	return skb_sum_ranges(skb);
}

/*
 * Paged skbs: sum the ranges over the first non-linear skb of at least
 * sizeof(captured_buf) bytes that arrives, and copy out its first bytes
 * with bpf_skb_load_bytes() for the reference.
 */
__u8 captured_buf[1500];
__u32 captured_len, captured_linear;

SEC("tc")
int tc_csum_paged(struct __sk_buff *skb)
{
	__u32 linear = skb->data_end - skb->data;

	if (captured_len || skb->len < sizeof(captured_buf) || linear >= skb->len)
		return TC_ACT_OK;
	if (bpf_skb_load_bytes(skb, 0, captured_buf, sizeof(captured_buf)))
		return TC_ACT_OK;
	captured_len = skb->len;
	captured_linear = linear;
	return skb_sum_ranges(skb);
}

/*
 * Rewrite the UDP checksum of datagrams to udp_port on egress: zero it,
 * sum the pseudo header with bpf_csum_diff() and the datagram with
 * bpf_skb_csum(), store the folded result. The checksum the stack had
 * computed is kept in orig_csum for comparison.
 */
__u16 udp_port;
__u16 orig_csum, new_csum;
__u32 rewritten;

static __always_inline __u16 csum_fold32(__u64 csum)
{
	csum = (csum & 0xffffffff) + (csum >> 32);
	csum = (csum & 0xffff) + (csum >> 16);
	csum = (csum & 0xffff) + (csum >> 16);
	return ~csum & 0xffff;
}

static __always_inline int rewrite(struct __sk_buff *skb, __u32 l4off, __s64 pseudo)
{
	struct udphdr udp;
	__u16 zero = 0, csum;
	__s64 sum;

	if (pseudo < 0 || bpf_skb_load_bytes(skb, l4off, &udp, sizeof(udp)))
		return TC_ACT_OK;
	if (udp.dest != bpf_htons(udp_port))
		return TC_ACT_OK;
	orig_csum = udp.check;
	if (bpf_skb_store_bytes(skb, l4off + offsetof(struct udphdr, check), &zero, 2, 0))
		return TC_ACT_SHOT;
	sum = bpf_skb_csum(skb, l4off, bpf_ntohs(udp.len), (__u32)pseudo);
	if (sum < 0)
		return TC_ACT_SHOT;
	csum = csum_fold32(sum) ?: 0xffff;
	if (bpf_skb_store_bytes(skb, l4off + offsetof(struct udphdr, check), &csum, 2, 0))
		return TC_ACT_SHOT;
	new_csum = csum;
	rewritten++;
	return TC_ACT_OK;
}

SEC("tc")
int tc_udp_csum(struct __sk_buff *skb)
{
	struct {
		__be32 saddr, daddr;
		__u8 zero, proto;
		__be16 len;
	} ph4;
	struct {
		struct in6_addr saddr, daddr;
		__be32 len;
		__u8 zero[3], proto;
	} ph6;
	struct ipv6hdr ip6;
	struct iphdr ip;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		if (bpf_skb_load_bytes(skb, ETH_HLEN, &ip, sizeof(ip)) ||
		    ip.protocol != IPPROTO_UDP || ip.ihl != 5)
			return TC_ACT_OK;
		ph4.saddr = ip.saddr;
		ph4.daddr = ip.daddr;
		ph4.zero = 0;
		ph4.proto = IPPROTO_UDP;
		ph4.len = bpf_htons(bpf_ntohs(ip.tot_len) - sizeof(ip));
		return rewrite(skb, ETH_HLEN + sizeof(ip),
			       bpf_csum_diff(NULL, 0, (void *)&ph4, sizeof(ph4), 0));
	}
	if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		if (bpf_skb_load_bytes(skb, ETH_HLEN, &ip6, sizeof(ip6)) ||
		    ip6.nexthdr != IPPROTO_UDP)
			return TC_ACT_OK;
		__builtin_memset(&ph6, 0, sizeof(ph6));
		ph6.saddr = ip6.saddr;
		ph6.daddr = ip6.daddr;
		ph6.len = bpf_htonl(bpf_ntohs(ip6.payload_len));
		ph6.proto = IPPROTO_UDP;
		return rewrite(skb, ETH_HLEN + sizeof(ip6),
			       bpf_csum_diff(NULL, 0, (void *)&ph6, sizeof(ph6), 0));
	}
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
