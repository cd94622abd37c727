/* SPDX-License-Identifier: GPL-2.0 */
/* Shared between the bpfwg datapath and its loader. */
#ifndef __BPFWG_H
#define __BPFWG_H

/*
 * Per-CPU counters, one slot per outcome. A packet is counted exactly once,
 * in the slot of what happened to it; packets that are neither WireGuard
 * data messages nor routed into a WireGuard device are not counted.
 */
enum bpfwg_stat {
	BPFWG_ENCRYPTED,	/* encrypted and redirected */
	BPFWG_DECRYPTED,	/* decrypted and redirected */
	BPFWG_DECRYPTED_PASS,	/* decrypted, handed to the stack (local, ...) */
	BPFWG_PASS_NO_KEY,	/* no usable keypair: handshake, stack queues */
	BPFWG_PASS_HANDSHAKE,	/* handshake or cookie message */
	BPFWG_PASS_NO_PEER,	/* no peer for the address or receiver index */
	BPFWG_PASS_NO_ENDPOINT,	/* peer without endpoint */
	BPFWG_PASS_MTU,		/* inner or outer packet too big */
	BPFWG_PASS_TTL,		/* TTL or hop limit expiring */
	BPFWG_PASS_NO_NEIGH,	/* outer or inner next hop not resolved */
	BPFWG_PASS_FIB,		/* other FIB result (blackhole, forwarding off) */
	BPFWG_PASS_CT,		/* conntrack mode: flow not established */
	BPFWG_PASS_UNSUPPORTED,	/* GSO, IP options/fragments, VLAN offload */
	BPFWG_PASS_NO_ROOM,	/* could not grow the packet */
	BPFWG_PASS_ERROR,	/* kfunc error that left the packet untouched */
	BPFWG_DROP_KEEPALIVE,	/* keepalive, consumed by the kernel */
	BPFWG_DROP_INVALID,	/* forged, replayed or not allowed message */
	BPFWG_DROP_ERROR,	/* failure after the packet was changed */
	BPFWG_STAT_MAX,
};

/* The datapath's configuration, set by the loader before loading. */
struct bpfwg_config {
	bool udp_csum4;		/* IPv4 outer UDP checksum (-u: off) */
	bool conntrack;		/* established flows only (-c) */
	__u8 ttl4;		/* net.ipv4.ip_default_ttl */
	__u8 hop_limit6;	/* net.ipv6.conf.default.hop_limit */
};

/*
 * RSS (rss.bpf.c): programs on the interfaces steer every packet to a CPU
 * through a cpumap, whose entries run the datapath (xdp_wg_cpumap). The
 * loader writes the CPUs they may pick (online, not excluded) before loading.
 */
#define BPFWG_RSS_MAX_CPUS	1024

struct bpfwg_rss_config {
	__u32 n_cpus;
	__u32 cpus[BPFWG_RSS_MAX_CPUS];
};

/*
 * Per-CPU counters of the RSS programs: each packet is either redirected or
 * passed; sw-hash counts the rx_hash packets among them that the driver had
 * no hash for (frames redirected into a veth, for one), hashed by the program.
 */
enum bpfwg_rss_stat {
	BPFWG_RSS_REDIRECTED,	/* steered to a CPU */
	BPFWG_RSS_PASS,		/* no cpumap entry for the CPU: to the stack */
	BPFWG_RSS_SW_HASH,	/* rx_hash: hashed by the program */
	BPFWG_RSS_STAT_MAX,
};

#endif /* __BPFWG_H */
