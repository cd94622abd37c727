/* SPDX-License-Identifier: GPL-2.0 */
/* Shared between the bpfwg datapath and its loader. */
#ifndef __BPFWG_H
#define __BPFWG_H

/*
 * Per-CPU counters, one slot per outcome. A packet is counted exactly once,
 * in the slot of what happened to it (and, decrypted for the stack, in a
 * BPFWG_DEC_* slot too, which says why); packets that are neither WireGuard
 * data messages nor routed into a WireGuard device are not counted, except
 * frames from switch ports bpfwg does not serve (BPFWG_PASS_DSA_PORT) and
 * from devices with ingress filters (BPFWG_PASS_INGRESS). A
 * redirect that fails at once moves its packet from BPFWG_ENCRYPTED or
 * BPFWG_DECRYPTED (TC: or BPFWG_DECRYPTED_PASS) to BPFWG_DROP_REDIRECT,
 * and in TC one the egress device or its queue drops at once, to
 * BPFWG_DROP_XMIT; frames the egress device refuses later, when an XDP
 * queue is flushed, are counted again in BPFWG_DROP_XMIT.
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
	BPFWG_PASS_EGRESS,	/* egress bpfwg does not serve, or would bypass */
	BPFWG_PASS_CT,		/* conntrack mode: flow not established */
	BPFWG_PASS_NAT,		/* conntrack mode: flow with NAT */
	BPFWG_PASS_UNSUPPORTED,	/* GSO, IP options/fragments, VLAN offload */
	BPFWG_PASS_NO_ROOM,	/* could not grow the packet */
	BPFWG_PASS_ERROR,	/* kfunc error that left the packet untouched */
	BPFWG_PASS_DSA_PORT,	/* DSA: from a switch port not served */
	BPFWG_PASS_VLAN,	/* XDP: tagged, no VLAN device for the tag */
	BPFWG_PASS_CSUM,	/* XDP: SCTP with its CRC32c left to offload */
	BPFWG_PASS_RPF,		/* IPv4: the input's rp_filter may refuse it */
	BPFWG_PASS_MARTIAN,	/* source or destination the stack refuses */
	BPFWG_PASS_MARK,	/* a packet mark set before routing, or restored */
	BPFWG_PASS_MANGLE,	/* rules rewrite or queue forwarded packets */
	BPFWG_PASS_INGRESS,	/* from a device with ingress filters (SQM) */
	BPFWG_PASS_OUTER_CT,	/* NAT: WireGuard's UDP flow not in conntrack */
	BPFWG_PASS_OUTER_NAT,	/* NAT: WireGuard's UDP flow translated */
	BPFWG_DROP_KEEPALIVE,	/* keepalive, consumed by the kernel */
	BPFWG_DROP_INVALID,	/* forged, replayed or not allowed message */
	BPFWG_DROP_ERROR,	/* failure after the packet was changed */
	BPFWG_DROP_REDIRECT,	/* the redirect failed (not in the above) */
	BPFWG_DROP_XMIT,	/* the egress device or its queue dropped it */
	BPFWG_DROP_CPUMAP,	/* --rss: a CPU's cpumap queue was full */
	/* Why the BPFWG_DECRYPTED_PASS packets went to the stack: each of
	 * them is counted once more, in one of these (and stays there if a
	 * TC redirect into the WireGuard device then fails).
	 */
	BPFWG_DEC_LOCAL,	/* for the gateway itself, or no route */
	BPFWG_DEC_FIB,		/* other FIB result (blackhole, forwarding off) */
	BPFWG_DEC_NO_NEIGH,	/* next hop not resolved */
	BPFWG_DEC_MTU,		/* too big for the egress device */
	BPFWG_DEC_TUNNEL,	/* into a WireGuard device (peer to peer) */
	BPFWG_DEC_EGRESS,	/* egress bpfwg does not serve, or would bypass */
	BPFWG_DEC_TTL,		/* TTL or hop limit expiring */
	BPFWG_DEC_MARTIAN,	/* source or destination the stack refuses */
	BPFWG_DEC_UNSUPPORTED,	/* IPv4 options, IPv6 extension headers */
	BPFWG_DEC_RPF,		/* IPv4: the input's rp_filter may refuse it */
	BPFWG_DEC_CT,		/* conntrack mode: flow not established */
	BPFWG_DEC_NAT,		/* conntrack mode: flow with NAT */
	BPFWG_DEC_MARK,		/* a packet mark set before routing, or restored */
	BPFWG_DEC_MANGLE,	/* rules rewrite or queue forwarded packets */
	BPFWG_STAT_MAX,
};

/*
 * bpfwg_mode: what the chains the fast path skips do to its packets
 * (BPFWG_RULES_*, under BPFWG_MODE_RULES), and conntrack mode.
 */
#define BPFWG_MODE_RULES	0xff
#define BPFWG_MODE_CONNTRACK	0x100
/* NAT of IPv4, of IPv6: WireGuard's own UDP flows are looked up too. */
#define BPFWG_MODE_OUTER_NAT4	0x200
#define BPFWG_MODE_OUTER_NAT6	0x400
#define BPFWG_RULES_NONE	0
#define BPFWG_RULES_CT_MARK	1	/* restore the conntrack mark: stack if set */
#define BPFWG_RULES_MARK	2	/* set marks: forwarded to the stack */
#define BPFWG_RULES_MANGLE	3	/* rewrite or queue: forwarded to the stack */

/* bpfwg_rp_filter_other: interfaces the map could not hold, to the stack. */
#define BPFWG_RPF_UNKNOWN	0xff

/* The datapath's configuration, set by the loader before loading. */
struct bpfwg_config {
	bool udp_csum4;		/* IPv4 outer UDP checksum (-u: off) */
	bool xdp_tx_ports;	/* XDP: redirect to bpfwg_tx_ports only */
	__u8 ttl4;		/* net.ipv4.ip_default_ttl */
	__u8 hop_limit6;	/* net.ipv6.conf.default.hop_limit */
	bool dsa;		/* XDP on DSA conduits with the mtk tag (-d) */
	bool dst_mac;		/* XDP: bpfwg_devs has every device's address */
	/* Conntrack timeouts in ms, the netns' sysctls: what the stack
	 * refreshes an entry with for each packet of an established flow.
	 */
	__u32 ct_tcp_established;	/* nf_conntrack_tcp_timeout_established */
	__u32 ct_udp;			/* nf_conntrack_udp_timeout */
	__u32 ct_udp_stream;		/* nf_conntrack_udp_timeout_stream */
};

/*
 * DSA (-d). The conduit of a switch with the mtk tagger receives and sends
 * the frames of all its user ports, tagged with the port: the datapath reads
 * the tag of what arrives on a conduit, and tags what it sends through a
 * user port and sends it through the conduit.
 *
 * bpfwg_dsa_rx has an entry for each port 0-7 of each conduit: the ifindex
 * of the user port if bpfwg serves it, 0 if it does not (such frames go to
 * the stack untouched).
 */
struct bpfwg_dsa_rx_key {
	__u32 conduit;		/* ifindex of the conduit */
	__u32 port;		/* switch port number */
};

/*
 * bpfwg_dsa_tx, by the ifindex of a user port or of a VLAN device on one:
 * where to send its frames and how to tag them.
 */
struct bpfwg_dsa_tx {
	__u32 conduit;		/* ifindex of the conduit */
	__u16 vid;		/* VLAN ID of the VLAN device */
	__u8 vlan;		/* 0: user port, or its VLAN device's protocol */
	__u8 port;		/* switch port number, 0-5 */
};

/*
 * XDP sees VLAN tags in the frame: bpfwg_vlans, by the device a tag came in
 * on, the VLAN ID and the tag protocol, gives the VLAN device the stack
 * would hand the frame to, which becomes its input interface. Frames with
 * a tag no VLAN device takes go to the stack (a VLAN-aware bridge, or
 * nothing). The loader keeps it in sync with the netns.
 */
struct bpfwg_vlan_key {
	__u32 ifindex;		/* the port, or the outer VLAN device */
	__u16 vid;
	__be16 proto;		/* ETH_P_8021Q or ETH_P_8021AD */
};

/*
 * bpfwg_devs, by ifindex: what the datapath needs to know of a device, kept
 * in sync with the netns by the loader (one lookup per device and packet).
 *
 * BPFWG_DEV_MAC: @addr is the device's Ethernet address. The stack takes a
 * unicast frame for its own (PACKET_HOST) when it is addressed to the
 * device it arrived on, or to the VLAN device it is for; the others
 * (PACKET_OTHERHOST: a port in promiscuous mode, a macvlan's address) it
 * does not route. Without the loader the check is off
 * (bpfwg_config.dst_mac). TC has the stack's verdict, and no addresses.
 *
 * BPFWG_DEV_NO_RX: the device has ingress filters that run after XDP and
 * after bpfwg's tcx program (tc filters: SQM's ingress shaping redirects
 * to an ifb there; other tcx programs; nftables ingress chains): what
 * arrives there takes the stack.
 *
 * BPFWG_DEV_NO_TX: the fast path's packets would bypass the device's
 * egress. XDP: a qdisc that shapes or classifies, tc or tcx egress
 * programs, nftables egress chains, or those of a device below: XDP frames
 * leave through the driver's own ring. TC: nftables egress chains, which
 * the stack skips for what tc ingress redirects. Packets routed there take
 * the stack.
 *
 * On a WireGuard device, NO_RX and NO_TX stand for its own ingress and
 * egress (tc filters and qdiscs, tcx programs, nftables chains), which the
 * fast path bypasses as it decrypts and encrypts in place of the device:
 * with NO_RX its data messages are left to it, with NO_TX what is routed
 * into it.
 */
#define BPFWG_DEV_MAC		0x1
#define BPFWG_DEV_NO_RX		0x2
#define BPFWG_DEV_NO_TX		0x4

struct bpfwg_dev {
	__u8 addr[6];
	__u8 flags;		/* BPFWG_DEV_* */
	__u8 pad;
};

enum bpfwg_dsa_vlan {
	BPFWG_DSA_UNTAGGED,
	BPFWG_DSA_8021Q,
	BPFWG_DSA_8021AD,
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
	/* Device-bound: frames whose VLAN tag the device took out (which
	 * the cpumap would lose) stay on the receiving CPU, for the stack.
	 */
	__u32 vlan_tag;
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
	BPFWG_RSS_PASS_CSUM,	/* SCTP CRC32c pending: to the stack */
	BPFWG_RSS_PASS_VLAN,	/* VLAN tag out of the frame: to the stack */
	BPFWG_RSS_STAT_MAX,
};

#endif /* __BPFWG_H */
