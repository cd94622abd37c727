// SPDX-License-Identifier: GPL-2.0
/* bpfwg RSS: spread the packets of an interface over CPUs
 *
 * All the traffic of one WireGuard peer is one outer UDP flow, which the
 * NIC's RSS hands to one CPU. These programs run on the interfaces instead
 * of xdp_wg and redirect every packet into a cpumap, whose entries run the
 * datapath (xdp_wg_cpumap in bpfwg.bpf.o) on the CPU picked here:
 *
 *   rss_round_robin     the next CPU, per receiving CPU (no shared state)
 *   rss_match_port      from the L4 destination port
 *   rss_tuple_steering  first come: each flow keeps the CPU its first
 *                       packet was given (LRU map of the 5-tuple)
 *   rss_rx_hash         from the driver's RSS hash (device-bound program,
 *                       bpf_xdp_metadata_rx_hash()); frames without one are
 *                       hashed here
 *
 * Only round_robin spreads one flow, hence one peer, over several CPUs; the
 * WireGuard replay window absorbs the reordering that follows.
 *
 * The programs are frags-aware, as the cpumap programs are: a cpumap, the
 * programs redirecting into it and the ones in its entries must agree.
 * Headers are read from the linear part; a packet whose headers are not
 * there is steered as a non-IP one.
 *
 * A cpumap rebuilds the skbs of a veth's frames without their checksum
 * state: a TCP or UDP checksum a local sender left pending is completed
 * before the redirect (csum.h), and an SCTP packet whose CRC32c is pending
 * stays on the receiving CPU, in the skb that knows it (rss:pass-csum).
 * So does a frame whose VLAN tag the device took out (rss:pass-vlan): the
 * cpumap would lose the tag, and the datapath route the frame as the
 * port's own. Only a program bound to a device whose driver gives the tag
 * (vlan_tag set) can tell.
 */
#define BPF_NO_KFUNC_PROTOTYPES
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "bpfwg.h"
#include "csum.h"

extern int bpf_xdp_metadata_rx_hash(const struct xdp_md *ctx, __u32 *hash,
				    enum xdp_rss_hash_type *rss_type) __ksym;
extern int bpf_xdp_metadata_rx_vlan_tag(const struct xdp_md *ctx,
					__be16 *vlan_proto,
					__u16 *vlan_tci) __ksym;

#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88A8
#define VLAN_MAX_DEPTH	2
#define IP_MF		0x2000
#define IP_OFFSET	0x1fff

/* Written by the loader before loading: the CPUs to steer to. */
const struct bpfwg_rss_config bpfwg_rss_config = {
	.n_cpus = 1,
};

/* The loader sizes it to the possible CPUs and fills the allowed ones. */
struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} bpfwg_cpumap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BPFWG_RSS_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} bpfwg_rss_stats SEC(".maps");

/* round_robin: where each receiving CPU is in the table. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} bpfwg_rss_next SEC(".maps");

struct flow {
	__be32 saddr[4];
	__be32 daddr[4];
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 pad[3];
};

/* tuple_steering: the CPU of each flow. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct flow);
	__type(value, __u32);
} bpfwg_rss_flows SEC(".maps");

static __always_inline const struct bpfwg_rss_config *config(void)
{
	const struct bpfwg_rss_config *cfg = &bpfwg_rss_config;

	barrier_var(cfg);
	return cfg;
}

static __always_inline void count(enum bpfwg_rss_stat stat)
{
	__u32 key = stat;
	__u64 *val = bpf_map_lookup_elem(&bpfwg_rss_stats, &key);

	if (val)
		*val += 1;
}

/* Where the transport header of a packet is, for its checksum. */
struct l4 {
	__u32 off;
	__u32 len;	/* 0: none, or a fragment */
	bool ext;	/* IPv6 extension headers before it: not followed */
};

/* The sum of the flow's addresses, as the pseudo-header has them. */
static __always_inline __u64 addr_sum(const struct flow *f)
{
	__u64 sum = 0;
	int i;

	/* IPv4 addresses have their first words only, the rest zeroes. */
	for (i = 0; i < 4; i++)
		sum += (__u64)f->saddr[i] + f->daddr[i];
	return sum;
}

/*
 * To @cpu, through the cpumap, the packet's pending checksum completed
 * first; restored if the packet stays (no cpumap entry for @cpu).
 */
static __always_inline int steer_to(struct xdp_md *ctx, const struct flow *f,
				    const struct l4 *l4, __u32 cpu)
{
	__be16 vlan_proto;
	__u16 orig, tci;
	__u32 at;
	long ret;
	int done = 0;

	if (config()->vlan_tag &&
	    !bpf_xdp_metadata_rx_vlan_tag(ctx, &vlan_proto, &tci)) {
		count(BPFWG_RSS_PASS_VLAN);
		return XDP_PASS;
	}
	/* A pending checksum behind them would not be found: stack. */
	if (l4->ext) {
		count(BPFWG_RSS_PASS_CSUM);
		return XDP_PASS;
	}
	if (l4->len) {
		if (f->proto == IPPROTO_SCTP &&
		    xdp_sctp_crc_pending(ctx, l4->off)) {
			count(BPFWG_RSS_PASS_CSUM);
			return XDP_PASS;
		}
		done = xdp_complete_l4_csum(ctx, l4->off, l4->len, f->proto,
					    addr_sum(f), &orig, &at);
		if (done < 0) {
			count(BPFWG_RSS_PASS_CSUM);
			return XDP_PASS;
		}
	}
	ret = bpf_redirect_map(&bpfwg_cpumap, cpu, XDP_PASS);
	if (ret != XDP_REDIRECT && done &&
	    bpf_xdp_store_bytes(ctx, at, &orig, sizeof(orig)))
		return XDP_DROP;
	count(ret == XDP_REDIRECT ? BPFWG_RSS_REDIRECTED : BPFWG_RSS_PASS);
	return ret;
}

/* To the CPU in slot (@n modulo the number of CPUs) of the table. */
static __always_inline int steer(struct xdp_md *ctx, const struct flow *f,
				 const struct l4 *l4, __u32 n)
{
	const struct bpfwg_rss_config *cfg = config();
	__u32 slot = n % cfg->n_cpus;

	if (slot >= BPFWG_RSS_MAX_CPUS)
		return XDP_PASS;
	return steer_to(ctx, f, l4, cfg->cpus[slot]);
}

static __always_inline __u32 next_slot(void)
{
	__u32 key = 0, *next = bpf_map_lookup_elem(&bpfwg_rss_next, &key);

	return next ? (*next)++ : 0;
}

static __always_inline void parse_ports(struct flow *f, void *l4,
					void *data_end)
{
	struct udphdr *udp = l4;

	/* TCP and UDP both start with the ports. */
	if (f->proto != IPPROTO_TCP && f->proto != IPPROTO_UDP)
		return;
	if ((void *)(udp + 1) > data_end)
		return;
	f->sport = udp->source;
	f->dport = udp->dest;
}

/*
 * The flow of a packet: zeroes for what it does not have; and where its
 * transport header is, if it has one, not in a fragment.
 */
static __always_inline void parse_flow(struct xdp_md *ctx, struct flow *f,
				       struct l4 *l4)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	struct vlan_hdr *vlan;
	struct ipv6hdr *ip6;
	struct iphdr *ip;
	__u32 l3off;
	void *l3;
	__be16 proto;
	int i;

	__builtin_memset(f, 0, sizeof(*f));
	__builtin_memset(l4, 0, sizeof(*l4));
	if ((void *)(eth + 1) > data_end)
		return;
	proto = eth->h_proto;
	l3 = eth + 1;
	l3off = sizeof(*eth);
	for (i = 0; i < VLAN_MAX_DEPTH; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) &&
		    proto != bpf_htons(ETH_P_8021AD))
			break;
		vlan = l3;
		if ((void *)(vlan + 1) > data_end)
			return;
		proto = vlan->h_vlan_encapsulated_proto;
		l3 = vlan + 1;
		l3off += sizeof(*vlan);
	}

	if (proto == bpf_htons(ETH_P_IP)) {
		ip = l3;
		if ((void *)(ip + 1) > data_end || ip->ihl < 5)
			return;
		f->saddr[0] = ip->saddr;
		f->daddr[0] = ip->daddr;
		f->proto = ip->protocol;
		/* All fragments of a datagram go where the first one goes. */
		if (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET))
			return;
		parse_ports(f, l3 + ip->ihl * 4, data_end);
		if (bpf_ntohs(ip->tot_len) > ip->ihl * 4) {
			l4->off = l3off + ip->ihl * 4;
			l4->len = bpf_ntohs(ip->tot_len) - ip->ihl * 4;
		}
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		ip6 = l3;
		if ((void *)(ip6 + 1) > data_end)
			return;
		__builtin_memcpy(f->saddr, &ip6->saddr, sizeof(f->saddr));
		__builtin_memcpy(f->daddr, &ip6->daddr, sizeof(f->daddr));
		/* Extension headers, fragments included, are not followed. */
		f->proto = ip6->nexthdr;
		parse_ports(f, ip6 + 1, data_end);
		l4->off = l3off + sizeof(*ip6);
		l4->len = bpf_ntohs(ip6->payload_len);
		/* Hop-by-hop, routing and destination options. */
		l4->ext = f->proto == 0 || f->proto == 43 || f->proto == 60;
	}
}

/* A hash of the flow (FNV-1a over its words, then a final mix). */
static __always_inline __u32 flow_hash(const struct flow *f)
{
	const __u32 *w = (const __u32 *)f;
	__u32 h = 2166136261;
	int i;

#pragma unroll
	for (i = 0; i < sizeof(*f) / sizeof(__u32); i++) {
		h ^= w[i];
		h *= 16777619;
	}
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	return h;
}

SEC("xdp.frags")
int rss_round_robin(struct xdp_md *ctx)
{
	struct flow f;
	struct l4 l4;

	parse_flow(ctx, &f, &l4);
	return steer(ctx, &f, &l4, next_slot());
}

SEC("xdp.frags")
int rss_match_port(struct xdp_md *ctx)
{
	struct flow f;
	struct l4 l4;

	parse_flow(ctx, &f, &l4);
	return steer(ctx, &f, &l4, bpf_ntohs(f.dport));
}

SEC("xdp.frags")
int rss_tuple_steering(struct xdp_md *ctx)
{
	const struct bpfwg_rss_config *cfg = config();
	__u32 *known, cpu, slot;
	struct flow f;
	struct l4 l4;

	parse_flow(ctx, &f, &l4);
	known = bpf_map_lookup_elem(&bpfwg_rss_flows, &f);
	if (known) {
		cpu = *known;
	} else {
		slot = next_slot() % cfg->n_cpus;
		if (slot >= BPFWG_RSS_MAX_CPUS)
			return XDP_PASS;
		cpu = cfg->cpus[slot];
		/* Another CPU may have placed the flow in the meantime. */
		bpf_map_update_elem(&bpfwg_rss_flows, &f, &cpu, BPF_NOEXIST);
		known = bpf_map_lookup_elem(&bpfwg_rss_flows, &f);
		if (known)
			cpu = *known;
	}
	return steer_to(ctx, &f, &l4, cpu);
}

SEC("xdp.frags")
int rss_rx_hash(struct xdp_md *ctx)
{
	enum xdp_rss_hash_type type;
	struct flow f;
	struct l4 l4;
	__u32 hash;

	parse_flow(ctx, &f, &l4);
	if (bpf_xdp_metadata_rx_hash(ctx, &hash, &type)) {
		hash = flow_hash(&f);
		count(BPFWG_RSS_SW_HASH);
	}
	return steer(ctx, &f, &l4, hash);
}

char _license[] SEC("license") = "GPL";
