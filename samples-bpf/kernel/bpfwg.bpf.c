// SPDX-License-Identifier: GPL-2.0
/* bpfwg: a WireGuard gateway datapath in XDP and TC
 *
 * Packets routed into a WireGuard device are encrypted and sent out of the
 * underlay device, and WireGuard data messages addressed to a local
 * WireGuard port are decrypted and forwarded, both without going through the
 * stack. The WireGuard driver keeps the handshakes, keys, timers and
 * configuration; the kfuncs of drivers/net/wireguard/bpf.c keep its state as
 * the native path does. Whatever this program cannot carry is handed to the
 * stack unchanged: no key yet, handshakes, GSO, packets too big or with an
 * expiring TTL, unresolved neighbours, and, in conntrack mode, flows that
 * are not established.
 *
 * The same code runs in XDP (xdp_wg, and xdp_wg_cpumap on cpumap entries)
 * and TC (tc_wg): it only reaches the packet through helpers that work in
 * both and on non-linear packets, with the program type as a constant that
 * the compiler folds.
 *
 * In XDP on the conduit of a DSA switch (DSA mode), frames carry the
 * switch's tag: the program handles a frame as arriving on the user port
 * the tag names, and tags what it sends through a user port for the switch
 * and sends it through the conduit. TC runs on the user ports, after the
 * kernel's tagger, and needs none of this.
 */
/* Ours below build whatever the kernel's configuration. */
#define BPF_NO_KFUNC_PROTOTYPES
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>
#include "bpfwg.h"
#include "csum.h"
#include "../dsa/mtk.h"

/*
 * struct bpf_wg_device and struct bpf_wg_peer are opaque (size 0). They are
 * declared under local names, as libbpf matches kfunc arguments by kind and
 * not by name, so that this builds whether vmlinux.h has them
 * (CONFIG_WIREGUARD=y) or not (=m).
 */
#define bpf_wg_device bpf_wg_device___bpfwg
#define bpf_wg_peer bpf_wg_peer___bpfwg

struct bpf_wg_device {
	struct {} __empty;
	void *opaque[];
};

struct bpf_wg_peer {
	struct {} __empty;
	void *opaque[];
};

extern struct bpf_wg_device *
bpf_xdp_wg_device_get_by_index(struct xdp_md *ctx, u32 ifindex) __ksym;
extern struct bpf_wg_device *
bpf_skb_wg_device_get_by_index(struct __sk_buff *ctx, u32 ifindex) __ksym;
extern struct bpf_wg_device *
bpf_xdp_wg_device_get_by_port(struct xdp_md *ctx, u16 port) __ksym;
extern struct bpf_wg_device *
bpf_skb_wg_device_get_by_port(struct __sk_buff *ctx, u16 port) __ksym;
extern void bpf_wg_device_put(struct bpf_wg_device *wg) __ksym;
extern struct bpf_wg_peer *
bpf_wg_peer_allowedips_lookup(struct bpf_wg_device *wg, const void *addr,
			      u32 addr__sz) __ksym;
extern struct bpf_wg_peer *
bpf_wg_peer_hashtable_lookup(struct bpf_wg_device *wg, __le32 idx) __ksym;
extern void bpf_wg_peer_put(struct bpf_wg_peer *peer) __ksym;
extern int bpf_wg_endpoint_tuple_get(struct bpf_wg_peer *peer,
				     struct bpf_sock_tuple *tuple,
				     u32 tuple__sz) __ksym;
extern int bpf_xdp_wg_encrypt(struct xdp_md *ctx, u32 offset, u32 inner_len,
			      struct bpf_wg_peer *peer) __ksym;
extern int bpf_skb_wg_encrypt(struct __sk_buff *ctx, u32 offset,
			      u32 inner_len, struct bpf_wg_peer *peer) __ksym;
extern int bpf_xdp_wg_decrypt(struct xdp_md *ctx, u32 nh_offset,
			      struct bpf_wg_peer *peer) __ksym;
extern int bpf_skb_wg_decrypt(struct __sk_buff *ctx, u32 nh_offset,
			      struct bpf_wg_peer *peer) __ksym;
extern int bpf_xdp_wg_deliver(struct xdp_md *ctx, u32 offset,
			      struct bpf_wg_peer *peer) __ksym;
extern u32 bpf_wg_device_ifindex(struct bpf_wg_device *wg) __ksym;

extern s64 bpf_skb_csum(struct __sk_buff *ctx, u32 offset, u32 len,
			__wsum seed) __ksym;

/*
 * net/core/xdp.c: the VLAN tag a device took out of the frame. Only
 * xdp_wg_dev calls it, loaded for a device whose driver gives the tag.
 */
extern int bpf_xdp_metadata_rx_vlan_tag(const struct xdp_md *ctx,
					__be16 *vlan_proto,
					__u16 *vlan_tci) __ksym __weak;

/*
 * net/netfilter/nf_conntrack_bpf.c, weak: the datapath loads without
 * conntrack and only calls these in conntrack mode. Only the status of an
 * entry and its TCP window tracking flags are read, through CO-RE flavours
 * of the structures, which are not in vmlinux.h when conntrack is a module.
 */
struct nf_conn;

struct ip_ct_tcp_state___bpfwg {
	u8 flags;
} __attribute__((preserve_access_index));

struct ip_ct_tcp___bpfwg {
	struct ip_ct_tcp_state___bpfwg seen[2];
} __attribute__((preserve_access_index));

union nf_conntrack_proto___bpfwg {
	struct ip_ct_tcp___bpfwg tcp;
} __attribute__((preserve_access_index));

struct nf_conn___bpfwg {
	unsigned long status;
	u32 mark;		/* CONFIG_NF_CONNTRACK_MARK */
	union nf_conntrack_proto___bpfwg proto;
} __attribute__((preserve_access_index));

#define IP_CT_TCP_FLAG_BE_LIBERAL	0x08

struct bpf_ct_opts___bpfwg {
	s32 netns_id;
	s32 error;
	u8 l4proto;
	u8 dir;
	u16 ct_zone_id;
	u8 ct_zone_dir;
	u8 reserved[3];
};

extern struct nf_conn *
bpf_xdp_ct_lookup(struct xdp_md *ctx, struct bpf_sock_tuple *tuple,
		  u32 tuple__sz, struct bpf_ct_opts___bpfwg *opts,
		  u32 opts__sz) __ksym __weak;
extern struct nf_conn *
bpf_skb_ct_lookup(struct __sk_buff *ctx, struct bpf_sock_tuple *tuple,
		  u32 tuple__sz, struct bpf_ct_opts___bpfwg *opts,
		  u32 opts__sz) __ksym __weak;
extern void bpf_ct_release(struct nf_conn *ct) __ksym __weak;
extern int bpf_ct_change_timeout(struct nf_conn *ct, u32 timeout) __ksym __weak;
extern int bpf_ct_change_tcp_be_liberal(struct nf_conn *ct) __ksym __weak;

#define ETH_ALEN	6
#define ETH_HLEN	14
#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88A8
#define VLAN_HLEN	4
#define VLAN_MAX_DEPTH	2
#define VLAN_VID_MASK	0x0fff
#define L2_MAX_LEN	(ETH_HLEN + MTK_HDR_LEN + VLAN_MAX_DEPTH * VLAN_HLEN)

#define AF_INET		2
#define AF_INET6	10
#define NEXTHDR_HOP	0
#define NEXTHDR_ROUTING	43
#define NEXTHDR_FRAGMENT 44
#define NEXTHDR_DEST	60
#define PACKET_HOST	0
#define IP_MF		0x2000
#define IP_OFFSET	0x1fff
#define INET_ECN_MASK	3
#define INET_ECN_ECT_0	2
#define INET_ECN_CE	3

#define TC_ACT_OK	0
#define TC_ACT_SHOT	2
#define NET_XMIT_DROP	1	/* and NET_RX_DROP */

#define EPERM		1
#define EAGAIN		11
#define EACCES		13
#define EFAULT		14
#define EINVAL		22
#define ENOSPC		28
#define ENODATA		61
#define EPROTO		71
#define EBADMSG		74
#define EMSGSIZE	90
#define EOPNOTSUPP	95
#define ENETDOWN	100
#define EALREADY	114
#define ENOKEY		126

/* drivers/net/wireguard/messages.h */
#define WG_MSG_DATA		4
#define WG_DATA_HLEN		16
#define WG_AUTHTAG_LEN		16
#define WG_PADDING		16

/* Outer headers in front of the message: Ethernet, IPv4 or IPv6, UDP. */
#define OUTER4_LEN	(ETH_HLEN + sizeof(struct iphdr) + sizeof(struct udphdr))
#define OUTER6_LEN	(ETH_HLEN + sizeof(struct ipv6hdr) + sizeof(struct udphdr))
#define IP6_IP4_DIFF	((int)(sizeof(struct ipv6hdr) - sizeof(struct iphdr)))

/*
 * Configuration, in .rodata: the loader sets it before the object is loaded,
 * and the verifier then prunes what it turns off. The defaults are what a
 * plain "ip link set dev DEV xdp obj ..." or "tc filter add ... bpf da obj
 * ..." gets.
 */
const struct bpfwg_config bpfwg_config = {
	.udp_csum4 = true,
	.ttl4 = 64,
	.hop_limit6 = 64,
};

/*
 * The modes the loader sets, and sets again whenever the netns' ruleset
 * changes (BPFWG_MODE_*): conntrack mode, in which the fast path carries
 * only flows conntrack accepted, none with NAT (on with NAT or a forwarding
 * filter, -c and -C fix it); and what the netfilter chains the fast path
 * skips do to forwarded packets (BPFWG_RULES_*). The fast path's packets
 * are unmarked: the route the stack would pick for a marked one (ip rule
 * fwmark), and its mark on the way out, cannot be had here. A ruleset that
 * only restores the conntrack mark (wg-quick's, for its own UDP) leaves
 * unmarked the flows whose conntrack mark is zero. Nor can the fast path
 * rewrite headers (DSCP, TTL, TCP MSS) or queue packets as rules would.
 * In .bss, not in the configuration, as it changes under the running
 * programs: one word, read once per packet (bpfwg()), so that a packet
 * never sees half of a change.
 */
__u32 bpfwg_mode;

/* Reads the configuration from the map, not the defaults above, which the
 * compiler would otherwise use for a const object.
 */
static __always_inline const struct bpfwg_config *config(void)
{
	const struct bpfwg_config *cfg = &bpfwg_config;

	barrier_var(cfg);
	return cfg;
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BPFWG_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} bpfwg_stats SEC(".maps");

/* Packets xdp_wg_cpumap received, per CPU: where the RSS programs put them. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} bpfwg_cpumap_rx SEC(".maps");

/*
 * The fwmark of each WireGuard device (by ifindex), for the outer route
 * lookup: the loader keeps it in sync with the device's configuration, which
 * BPF cannot read. Devices missing here use no mark.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u32);
} bpfwg_fwmark SEC(".maps");

/*
 * XDP redirects need ndo_xdp_xmit on the egress device, which VLAN devices,
 * bridges, tunnels and most virtual devices lack, and which a veth only has
 * with NAPI on its peer: a redirect there drops the packet. With
 * xdp_tx_ports set, XDP redirects only to the interfaces listed here (the
 * loader's, where its program runs), as samples/bpf/xdp_fwd does; packets to
 * other egress devices take the stack before anything is changed. TC can
 * redirect anywhere.
 */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} bpfwg_tx_ports SEC(".maps");

/*
 * The IPv4 reverse path filter of each interface (by ifindex): the greater
 * of net.ipv4.conf.{all,DEV}.rp_filter, kept in sync by the loader.
 * Interfaces missing here (none, or new since the last sync) have
 * bpfwg_rp_filter_other: the greater of conf/all and conf/default, or
 * BPFWG_RPF_UNKNOWN when the map could not hold every interface.
 */
__u32 bpfwg_rp_filter_other;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u32);
} bpfwg_rp_filter SEC(".maps");

/* Route lookup parameters that would take the programs' stacks over 512
 * bytes: FIB_OUTER for encap()'s, FIB_RPF for rpf_ok()'s. No other program
 * of bpfwg runs on the CPU between filling and reading them: XDP, TC, the
 * cpumap kthread and test runs keep BH off, and no helper or kfunc called
 * meanwhile runs one. (PREEMPT_RT can preempt BH sections: another run
 * may then overwrite them, which routes the packet wrongly; it is no
 * memory error.)
 */
enum { FIB_OUTER, FIB_RPF, FIB_SCRATCH };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FIB_SCRATCH);
	__type(key, __u32);
	__type(value, struct bpf_fib_lookup);
} bpfwg_fib_scratch SEC(".maps");

/* XDP: the VLAN device of each tag (see bpfwg.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct bpfwg_vlan_key);
	__type(value, __u32);
} bpfwg_vlans SEC(".maps");

/* Addresses, and ingress and egress the datapath bypasses (see bpfwg.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct bpfwg_dev);
} bpfwg_devs SEC(".maps");

/* DSA mode: the switch ports behind each conduit (see bpfwg.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct bpfwg_dsa_rx_key);
	__type(value, __u32);
} bpfwg_dsa_rx SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct bpfwg_dsa_tx);
} bpfwg_dsa_tx SEC(".maps");

/* Whether device @ifindex has any of BPFWG_DEV_* @flags. */
static __always_inline bool dev_has(__u32 ifindex, __u8 flags)
{
	struct bpfwg_dev *dev = bpf_map_lookup_elem(&bpfwg_devs, &ifindex);

	return dev && (dev->flags & flags);
}

/*
 * Is @ifindex an egress device of the fast path? Not one whose egress it
 * would bypass (BPFWG_DEV_NO_TX); in XDP, see bpfwg_tx_ports.
 */
static __always_inline bool tx_port(bool xdp, __u32 ifindex)
{
	if (dev_has(ifindex, BPFWG_DEV_NO_TX))
		return false;
	if (!xdp || !config()->xdp_tx_ports)
		return true;
	/* A DSA user port, or a VLAN device on one: through its conduit. */
	if (config()->dsa && bpf_map_lookup_elem(&bpfwg_dsa_tx, &ifindex))
		return true;
	return bpf_map_lookup_elem(&bpfwg_tx_ports, &ifindex);
}

/* What to do with the packet, before it is mapped to XDP or TC verdicts. */
enum verdict {
	V_PASS,
	V_DROP,
	V_REDIRECT,
	V_INGRESS,	/* TC: into the ingress of out_ifindex, wg0 */
	V_CONSUMED,	/* XDP: a copy went to the stack, drop the buffer */
};

struct pkt {
	void *ctx;
	__u32 len;		/* whole packet */
	__u32 l3off;		/* network header, after Ethernet, tag, VLANs */
	__be16 proto;		/* its EtherType */
	__u32 ifindex;		/* where it arrived (DSA: the user port) */
	__u32 out_ifindex;	/* where to redirect it */
	__u32 mode;		/* bpfwg_mode, as the packet arrived */
	bool moved;		/* XDP: moved into the headroom by reshape() */
};

static __always_inline bool conntrack_mode(const struct pkt *p)
{
	return p->mode & BPFWG_MODE_CONNTRACK;
}

static __always_inline __u32 rules_mode(const struct pkt *p)
{
	return p->mode & BPFWG_MODE_RULES;
}

/* The stack's counter for a packet that the rules send there, or 0. */
static __always_inline int rules_pass(const struct pkt *p)
{
	switch (rules_mode(p)) {
	case BPFWG_RULES_MARK:
		return BPFWG_PASS_MARK;
	case BPFWG_RULES_MANGLE:
		return BPFWG_PASS_MANGLE;
	default:
		return 0;
	}
}

/* The IP header of a packet, as far as this program cares. */
struct ip_info {
	__u8 family;
	__u8 l4proto;
	__u8 ds;		/* DSCP and ECN */
	__u8 ttl;		/* or hop limit */
	__u8 hdr_len;		/* IPv4 options, no IPv6 extension headers */
	bool fragment;
	__be16 ports[2];	/* source, destination: see l4_ports() */
	__u32 len;		/* IPv4 total length, IPv6 payload + header */
	__be32 saddr[4];
	__be32 daddr[4];
};

static __always_inline void count_n(enum bpfwg_stat stat, __s64 n)
{
	__u32 key = stat;
	__u64 *val = bpf_map_lookup_elem(&bpfwg_stats, &key);

	if (val)
		*val += n;
}

/*
 * The outcome counted for the last packet XDP redirected on this CPU, until
 * the redirect succeeded or failed: xdp_do_redirect() reports a failure
 * right after the program returned, on the same CPU (bpfwg_redirect_err).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} bpfwg_last_redirect SEC(".maps");

static __always_inline void count(enum bpfwg_stat stat)
{
	__u32 key = 0, *last;

	count_n(stat, 1);
	if (stat != BPFWG_ENCRYPTED && stat != BPFWG_DECRYPTED)
		return;
	last = bpf_map_lookup_elem(&bpfwg_last_redirect, &key);
	if (last)
		*last = stat;
}

static __always_inline enum verdict pass(enum bpfwg_stat stat)
{
	count(stat);
	return V_PASS;
}

static __always_inline enum verdict drop(enum bpfwg_stat stat)
{
	count(stat);
	return V_DROP;
}

/* Packet access that works on XDP frags and non-linear skbs alike. */

static __always_inline long load(void *ctx, bool xdp, __u32 off, void *buf,
				 __u32 len)
{
	return xdp ? bpf_xdp_load_bytes(ctx, off, buf, len) :
		     bpf_skb_load_bytes(ctx, off, buf, len);
}

static __always_inline long store(void *ctx, bool xdp, __u32 off,
				  const void *buf, __u32 len)
{
	return xdp ? bpf_xdp_store_bytes(ctx, off, (void *)buf, len) :
		     bpf_skb_store_bytes(ctx, off, buf, len, 0);
}

static __always_inline __u32 pkt_len(void *ctx, bool xdp)
{
	return xdp ? bpf_xdp_get_buff_len(ctx) : ((struct __sk_buff *)ctx)->len;
}

static __always_inline struct bpf_wg_device *
wg_by_index(void *ctx, bool xdp, __u32 ifindex)
{
	return xdp ? bpf_xdp_wg_device_get_by_index(ctx, ifindex) :
		     bpf_skb_wg_device_get_by_index(ctx, ifindex);
}

static __always_inline struct bpf_wg_device *
wg_by_port(void *ctx, bool xdp, __u16 port)
{
	return xdp ? bpf_xdp_wg_device_get_by_port(ctx, port) :
		     bpf_skb_wg_device_get_by_port(ctx, port);
}

static __always_inline int wg_encrypt(void *ctx, bool xdp, __u32 off,
				      __u32 inner_len, struct bpf_wg_peer *peer)
{
	return xdp ? bpf_xdp_wg_encrypt(ctx, off, inner_len, peer) :
		     bpf_skb_wg_encrypt(ctx, off, inner_len, peer);
}

/* Whether @ifindex is a WireGuard device of this netns. */
static __always_inline bool wg_is_device(void *ctx, bool xdp, __u32 ifindex)
{
	struct bpf_wg_device *wg = wg_by_index(ctx, xdp, ifindex);

	if (!wg)
		return false;
	bpf_wg_device_put(wg);
	return true;
}

static __always_inline int wg_decrypt(void *ctx, bool xdp, __u32 nh_off,
				      struct bpf_wg_peer *peer)
{
	return xdp ? bpf_xdp_wg_decrypt(ctx, nh_off, peer) :
		     bpf_skb_wg_decrypt(ctx, nh_off, peer);
}

/*
 * The input interface of a frame with the VLAN tag @key: the VLAN device
 * the stack would hand it to (vlan_do_receive()). Without one, the stack
 * decides, except for VID 0: a priority tag, which the port itself takes.
 */
static __always_inline int vlan_input(struct pkt *p, struct bpfwg_vlan_key *key,
				      __u16 tci)
{
	__u32 *dev;

	key->ifindex = p->ifindex;
	key->vid = tci & VLAN_VID_MASK;
	dev = bpf_map_lookup_elem(&bpfwg_vlans, key);
	if (dev) {
		p->ifindex = *dev;
		/* The stack runs the VLAN device's ingress too. */
		if (dev_has(*dev, BPFWG_DEV_NO_RX)) {
			count(BPFWG_PASS_INGRESS);
			return -1;
		}
		return 0;
	}
	if (!key->vid)
		return 0;
	count(BPFWG_PASS_VLAN);
	return -1;
}

/* Whether @addr is the Ethernet address of @dev, bpfwg_devs' entry. */
static __always_inline bool mac_is(const struct bpfwg_dev *dev,
				   const __u8 *addr)
{
	int i;

	if (!dev || !(dev->flags & BPFWG_DEV_MAC))
		return false;
	for (i = 0; i < ETH_ALEN; i++)
		if (dev->addr[i] != addr[i])
			return false;
	return true;
}

/*
 * The L2 header: Ethernet, a DSA tag of @tag_len bytes, VLAN headers. With
 * @rx_vlan (xdp_wg_dev), first the tag the device took out of the frame
 * (rx VLAN offload; on a veth, the sender's tx VLAN offload), the outermost.
 * @port_dev is the bpfwg_devs entry of the port, p->ifindex.
 */
static __always_inline int parse_l2(struct pkt *p, bool xdp, bool rx_vlan,
				    __u32 tag_len,
				    const struct bpfwg_dev *port_dev)
{
	struct bpfwg_vlan_key key = {};
	__u8 dst[ETH_ALEN];
	struct vlan_hdr vlan;
	__u32 port = p->ifindex;
	__u16 tci;
	int i, err;

	if (!xdp && ((struct __sk_buff *)p->ctx)->vlan_present)
		return -1; /* the tag is metadata: run on the VLAN device */
	/* A frame for a group address, or for another host (a port in
	 * promiscuous mode), is not forwarded by the stack: it sorts them
	 * out. TC has the stack's verdict, XDP checks the address.
	 */
	if (!xdp && ((struct __sk_buff *)p->ctx)->pkt_type != PACKET_HOST)
		return -1;
	if (load(p->ctx, xdp, 0, dst, ETH_ALEN) || (dst[0] & 1))
		return -1;
	if (rx_vlan) {
		err = bpf_xdp_metadata_rx_vlan_tag(p->ctx, &key.proto, &tci);
		/* On a DSA conduit, a tag taken out of the frame was in
		 * front of the switch's tag: the stack sorts those out.
		 */
		if (err != -ENODATA && (err || tag_len)) {
			count(BPFWG_PASS_VLAN);
			return -1;
		}
		if (!err && vlan_input(p, &key, tci))
			return -1;
	}
	if (load(p->ctx, xdp, 2 * ETH_ALEN + tag_len, &p->proto,
		 sizeof(p->proto)))
		return -1;
	p->l3off = ETH_HLEN + tag_len;
	for (i = 0; i < VLAN_MAX_DEPTH; i++) {
		if (p->proto != bpf_htons(ETH_P_8021Q) &&
		    p->proto != bpf_htons(ETH_P_8021AD))
			break;
		if (load(p->ctx, xdp, p->l3off, &vlan, sizeof(vlan)))
			return -1;
		key.proto = p->proto;
		if (vlan_input(p, &key, bpf_ntohs(vlan.h_vlan_TCI)))
			return -1;
		p->proto = vlan.h_vlan_encapsulated_proto;
		p->l3off += VLAN_HLEN;
	}
	if (p->proto != bpf_htons(ETH_P_IP) && p->proto != bpf_htons(ETH_P_IPV6))
		return -1;
	/* Any other L2 header in the way is handed to the stack as well. */
	if (!xdp && p->l3off != ETH_HLEN)
		return -1;
	if (xdp && config()->dst_mac && !mac_is(port_dev, dst) &&
	    (p->ifindex == port ||
	     !mac_is(bpf_map_lookup_elem(&bpfwg_devs, &p->ifindex), dst)))
		return -1;
	return 0;
}

/*
 * The 4-bit fields at the start of IP headers are read and written as
 * bytes: the bitfields of struct iphdr and struct ipv6hdr in vmlinux.h are
 * laid out for the byte order of the kernel it was made from, while this
 * object is built little- and big-endian from the same vmlinux.h.
 */
static __always_inline __u8 ip_version(const __u8 *b)
{
	return b[0] >> 4;
}

/* The ports that the route lookup is made with, as the flow dissector
 * reads them for policy rules and the multipath hash
 * (fib4_rules_early_flow_dissect(), proto_ports_offset()): TCP, UDP,
 * UDP-Lite, DCCP and SCTP ports, the SPI of ESP and AH; none for
 * fragments and other protocols, or if the header is cut short.
 */
static __always_inline void l4_ports(void *ctx, bool xdp, __u32 off,
				     struct ip_info *ip)
{
	__u32 at = ip->hdr_len;

	ip->ports[0] = 0;
	ip->ports[1] = 0;
	switch (ip->l4proto) {
	case IPPROTO_AH:
		at += 4;
		break;
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_DCCP:
	case IPPROTO_SCTP:
	case IPPROTO_ESP:
		break;
	default:
		return;
	}
	if (ip->fragment || at + sizeof(ip->ports) > ip->len ||
	    load(ctx, xdp, off + at, ip->ports, sizeof(ip->ports))) {
		ip->ports[0] = 0;
		ip->ports[1] = 0;
	}
}

/* The IPv6 traffic class, which straddles the first two bytes. */
static __always_inline __u8 ip6_ds(const __u8 *b)
{
	return (b[0] << 4) | (b[1] >> 4);
}

static __always_inline int parse_ip(void *ctx, bool xdp, __u32 off,
				    __u32 max_len, struct ip_info *ip)
{
	union {
		struct iphdr v4;
		struct ipv6hdr v6;
		__u8 b[2];
	} h;

	if (load(ctx, xdp, off, &h, sizeof(h.v4)))
		return -1;
	if (ip_version(h.b) == 4) {
		if ((h.b[0] & 0xf) < 5)
			return -1;
		ip->family = AF_INET;
		ip->l4proto = h.v4.protocol;
		ip->ds = h.v4.tos;
		ip->ttl = h.v4.ttl;
		ip->hdr_len = (h.b[0] & 0xf) * 4;
		ip->len = bpf_ntohs(h.v4.tot_len);
		ip->fragment = h.v4.frag_off & bpf_htons(IP_MF | IP_OFFSET);
		ip->saddr[0] = h.v4.saddr;
		ip->daddr[0] = h.v4.daddr;
	} else if (ip_version(h.b) == 6) {
		if (load(ctx, xdp, off, &h, sizeof(h.v6)))
			return -1;
		ip->family = AF_INET6;
		ip->l4proto = h.v6.nexthdr;
		ip->ds = ip6_ds(h.b);
		ip->ttl = h.v6.hop_limit;
		ip->hdr_len = sizeof(h.v6);
		ip->len = bpf_ntohs(h.v6.payload_len) + sizeof(h.v6);
		ip->fragment = h.v6.nexthdr == NEXTHDR_FRAGMENT;
		__builtin_memcpy(ip->saddr, &h.v6.saddr, 16);
		__builtin_memcpy(ip->daddr, &h.v6.daddr, 16);
	} else {
		return -1;
	}
	if (ip->len < ip->hdr_len || ip->len > max_len)
		return -1;
	l4_ports(ctx, xdp, off, ip);
	return 0;
}

/* Decrements the TTL or hop limit of the IP header at @off, as ip_forward()
 * and ip6_forward() do; the caller has checked that it does not expire.
 */
static __always_inline int decrement_ttl(void *ctx, bool xdp, __u32 off,
					 __u8 family)
{
	struct {
		__u8 ttl;
		__u8 protocol;
		__sum16 check;
	} v4;
	__u8 hop_limit;
	__u32 check;

	if (family == AF_INET6) {
		off += offsetof(struct ipv6hdr, hop_limit);
		if (load(ctx, xdp, off, &hop_limit, 1))
			return -1;
		hop_limit--;
		return store(ctx, xdp, off, &hop_limit, 1);
	}
	off += offsetof(struct iphdr, ttl);
	if (load(ctx, xdp, off, &v4, sizeof(v4)))
		return -1;
	/* ip_decrease_ttl() */
	check = v4.check;
	check += bpf_htons(0x0100);
	v4.check = check + (check >= 0xffff);
	v4.ttl--;
	return store(ctx, xdp, off, &v4, sizeof(v4));
}

/* What a flow looked up in conntrack carries (ct_flow()). */
enum ct_use {
	CT_FORWARD,	/* a forwarded packet */
	CT_OUTER,	/* the UDP of a WireGuard message */
};

/*
 * The flow of @tuple (@sz bytes, protocol @l4proto), in conntrack: 0 if
 * the fast path may carry a packet of it for @use, else why not. It
 * carries TCP and UDP flows conntrack saw replies for (TCP: a completed
 * handshake), which the firewall has thus accepted, and keeps their
 * entries alive as the stack would. Forwarded flows with NAT take the
 * stack, which translates them. So does WireGuard's own UDP, which the
 * stack would have sent or received itself, looked up when the ruleset
 * has NAT: received, its addresses are what WireGuard learns its
 * endpoint's and its own from. The conntrack mark it may have
 * (wg-quick's, restored for its input route) does not matter.
 */
static __always_inline int ct_flow(const struct pkt *p, bool xdp,
				   struct bpf_sock_tuple *tuple, __u32 sz,
				   __u8 l4proto, enum ct_use use)
{
	struct bpf_ct_opts___bpfwg opts = {
		.netns_id = BPF_F_CURRENT_NETNS,
		.l4proto = l4proto,
	};
	const struct bpfwg_config *cfg = config();
	int no_ct = use == CT_FORWARD ? BPFWG_PASS_CT : BPFWG_PASS_OUTER_CT;
	unsigned long status;
	struct nf_conn *ct;
	__u32 timeout = 0;
	int ret = no_ct;

	if (!bpf_ksym_exists(bpf_ct_release) ||
	    !bpf_ksym_exists(bpf_ct_change_timeout))
		return no_ct;
	if (xdp)
		ct = bpf_xdp_ct_lookup(p->ctx, tuple, sz, &opts, sizeof(opts));
	else
		ct = bpf_skb_ct_lookup(p->ctx, tuple, sz, &opts, sizeof(opts));
	if (!ct)
		return no_ct;
	status = ((struct nf_conn___bpfwg *)ct)->status;
	if (status & (IPS_SRC_NAT | IPS_DST_NAT)) {
		ret = use == CT_FORWARD ? BPFWG_PASS_NAT : BPFWG_PASS_OUTER_NAT;
	} else if (use == CT_FORWARD && rules_mode(p) == BPFWG_RULES_CT_MARK &&
		   bpf_core_field_exists(((struct nf_conn___bpfwg *)ct)->mark) &&
		   ((struct nf_conn___bpfwg *)ct)->mark) {
		/* The ruleset gives its packets the conntrack mark. */
		ret = BPFWG_PASS_MARK;
	} else if (l4proto == IPPROTO_TCP) {
		/* Assured: the handshake completed, the connection is
		 * established. Conntrack does not see the window move
		 * while the fast path carries the flow: its window
		 * tracking goes off, as the flowtable turns it off, or the
		 * FIN and RST left to the stack would be out of window
		 * (invalid) and the entry would never close.
		 */
		if (status & IPS_ASSURED) {
			struct nf_conn___bpfwg *c = (void *)ct;

			ret = 0;
			timeout = cfg->ct_tcp_established;
			if (!(c->proto.tcp.seen[0].flags &
			      c->proto.tcp.seen[1].flags &
			      IP_CT_TCP_FLAG_BE_LIBERAL) &&
			    (!bpf_ksym_exists(bpf_ct_change_tcp_be_liberal) ||
			     bpf_ct_change_tcp_be_liberal(ct)))
				ret = BPFWG_PASS_CT;
		}
	} else if (status & IPS_SEEN_REPLY) {
		/* A UDP stream once assured, as nf_conntrack_udp_packet()
		 * tells them apart.
		 */
		ret = 0;
		timeout = status & IPS_ASSURED ? cfg->ct_udp_stream :
						 cfg->ct_udp;
	}
	/* What the stack does for each packet it sees of the flow. */
	if (!ret && timeout)
		bpf_ct_change_timeout(ct, timeout);
	bpf_ct_release(ct);
	return ret;
}

/* The tuple of addresses @saddr and @daddr (@family) and @ports into @t:
 * its size.
 */
static __always_inline __u32 ct_tuple(struct bpf_sock_tuple *t, __u8 family,
				      const __be32 *saddr, const __be32 *daddr,
				      const void *ports)
{
	if (family == AF_INET) {
		t->ipv4.saddr = saddr[0];
		t->ipv4.daddr = daddr[0];
		__builtin_memcpy(&t->ipv4.sport, ports, 4);
		return sizeof(t->ipv4);
	}
	__builtin_memcpy(t->ipv6.saddr, saddr, 16);
	__builtin_memcpy(t->ipv6.daddr, daddr, 16);
	__builtin_memcpy(&t->ipv6.sport, ports, 4);
	return sizeof(t->ipv6);
}

/*
 * Conntrack mode, the IP packet at @off: 0 if the fast path may carry it,
 * else why not (ct_flow()). ICMP takes the stack (the conntrack kfuncs look
 * up TCP and UDP only), and so do TCP segments that change the
 * connection's state (SYN, FIN, RST) or whose flags or header length
 * conntrack finds invalid (not a bad checksum: the receiver drops that).
 */
static __always_inline int ct_check(const struct pkt *p, bool xdp, __u32 off,
				    const struct ip_info *ip)
{
	struct bpf_sock_tuple tuple = {};
	__u8 l4[14];
	__u32 sz;

	if (ip->fragment ||
	    (ip->l4proto != IPPROTO_TCP && ip->l4proto != IPPROTO_UDP) ||
	    load(p->ctx, xdp, off + ip->hdr_len, l4,
		 ip->l4proto == IPPROTO_TCP ? 14 : 4))
		return BPFWG_PASS_CT;
	/* TCP flags, byte 13: FIN 0x01, SYN 0x02, RST 0x04, and ACK 0x10,
	 * without which conntrack finds the flags invalid
	 * (tcp_valid_flags[]); and the header length, byte 12, which it
	 * finds invalid below 20 bytes (tcp_error()).
	 */
	if (ip->l4proto == IPPROTO_TCP &&
	    ((l4[13] & 0x07) || !(l4[13] & 0x10) || (l4[12] >> 4) < 5))
		return BPFWG_PASS_CT;
	sz = ct_tuple(&tuple, ip->family, ip->saddr, ip->daddr, l4);
	return ct_flow(p, xdp, &tuple, sz, ip->l4proto, CT_FORWARD);
}

/*
 * Route lookup of a forwarded packet, as the stack would do on its arrival
 * on @iif.
 */
static __always_inline int fib_forward(struct pkt *p, const struct ip_info *ip,
				       struct bpf_fib_lookup *fib, __u32 iif,
				       __u32 flags)
{
	__builtin_memset(fib, 0, sizeof(*fib));
	fib->family = ip->family;
	fib->l4_protocol = ip->l4proto;
	fib->sport = ip->ports[0];
	fib->dport = ip->ports[1];
	fib->tot_len = ip->len;
	fib->ifindex = iif;
	if (ip->family == AF_INET) {
		fib->tos = ip->ds;
		fib->ipv4_src = ip->saddr[0];
		fib->ipv4_dst = ip->daddr[0];
	} else {
		fib->flowinfo = bpf_htonl((__u32)ip->ds << 20);
		__builtin_memcpy(fib->ipv6_src, ip->saddr, 16);
		__builtin_memcpy(fib->ipv6_dst, ip->daddr, 16);
	}
	return bpf_fib_lookup(p->ctx, fib, sizeof(*fib), flags);
}

/*
 * Whether the IPv4 packet that arrived on @iif, routed out of @oif, passes
 * @iif's reverse path filter, as __mkroute_input() has fib_validate_source()
 * find it: the route back to its source, looked up as arriving on @oif, is
 * unicast and, strict (1), leaves through @iif; loose (2), leaves at all. A
 * multipath route may pick another next hop than the kernel's check, which
 * accepts any of them: such packets take the stack, which decides. The
 * lookup has the packet's protocol and its ports swapped, as
 * __fib_validate_source() has them for policy rules. IPv6 has no
 * rp_filter.
 */
static __always_inline bool rpf_ok(struct pkt *p, const struct ip_info *ip,
				   __u32 iif, __u32 oif)
{
	struct bpf_fib_lookup *fib;
	__u32 *mode, key = FIB_RPF;
	int rc;

	if (ip->family != AF_INET)
		return true;
	mode = bpf_map_lookup_elem(&bpfwg_rp_filter, &iif);
	if (!mode)
		mode = &bpfwg_rp_filter_other;
	fib = bpf_map_lookup_elem(&bpfwg_fib_scratch, &key);
	if (*mode == BPFWG_RPF_UNKNOWN || !fib)
		return false;
	__builtin_memset(fib, 0, sizeof(*fib));
	fib->family = AF_INET;
	fib->tos = ip->ds;
	fib->l4_protocol = ip->l4proto;
	fib->sport = ip->ports[1];
	fib->dport = ip->ports[0];
	fib->ipv4_src = ip->daddr[0];
	fib->ipv4_dst = ip->saddr[0];
	fib->ifindex = oif;
	rc = bpf_fib_lookup(p->ctx, fib, sizeof(*fib), BPF_FIB_LOOKUP_SKIP_NEIGH);
	/* Filter off, the kernel still refuses a source address of its own
	 * (a martian): the route back is then local, which the lookup
	 * reports as not forwarded, as it does when there is none. What it
	 * cannot look up (forwarding off on @oif) takes the stack too.
	 */
	if (!*mode)
		return rc >= 0 && rc != BPF_FIB_LKUP_RET_NOT_FWDED &&
		       rc != BPF_FIB_LKUP_RET_FWD_DISABLED;
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return false;
	return *mode != 1 || fib->ifindex == iif;
}

/* Martians: addresses ip_route_input_slow() does not forward as unicast,
 * from or to 0.0.0.0 or 127/8, from or to a multicast or the broadcast
 * address (the rest of 0/8 is unicast), and the unspecified IPv6 address.
 * The stack decides on them. bpf_fib_lookup() checks none of these; it
 * refuses the IPv6 multicast, link-local and loopback addresses
 * ip6_rcv_core() and ip6_forward() drop.
 */
static __always_inline bool martian(const struct ip_info *ip)
{
	__u32 s = bpf_ntohl(ip->saddr[0]), d = bpf_ntohl(ip->daddr[0]);

	if (ip->family == AF_INET)
		return !s || s >> 24 == 127 || s >> 28 == 0xe ||
		       s == 0xffffffff || !d || d >> 24 == 127 ||
		       d >> 28 == 0xe || d == 0xffffffff;
	return !(ip->saddr[0] | ip->saddr[1] | ip->saddr[2] | ip->saddr[3]) ||
	       !(ip->daddr[0] | ip->daddr[1] | ip->daddr[2] | ip->daddr[3]);
}

/* IPv4 options and the IPv6 extension headers before the transport header
 * (hop-by-hop, routing, destination options): the stack processes them
 * when it forwards (source routes, router alert), and the route lookup
 * needs the transport header behind them for policy rules.
 */
static __always_inline bool ip_extended(const struct ip_info *ip)
{
	if (ip->family == AF_INET)
		return ip->hdr_len != sizeof(struct iphdr);
	return ip->l4proto == NEXTHDR_HOP || ip->l4proto == NEXTHDR_ROUTING ||
	       ip->l4proto == NEXTHDR_DEST;
}

static __always_inline enum bpfwg_stat fib_pass_reason(int rc)
{
	switch (rc) {
	case BPF_FIB_LKUP_RET_NO_NEIGH:
		return BPFWG_PASS_NO_NEIGH;
	case BPF_FIB_LKUP_RET_FRAG_NEEDED:
		return BPFWG_PASS_MTU;
	default:
		return BPFWG_PASS_FIB;
	}
}

/* Is the L3 packet of @len bytes too big for @ifindex? Sets @mtu. */
static __always_inline bool over_mtu(void *ctx, __u32 ifindex, __u32 len,
				     __u32 *mtu)
{
	*mtu = len;
	return bpf_check_mtu(ctx, ifindex, mtu, 0, 0) != BPF_MTU_CHK_RET_SUCCESS;
}

/* The outer headers for a message: what the driver's send4()/send6() and
 * udp_tunnel{,6}_xmit_skb() put there, Ethernet in front. The padding
 * aligns the IP header, as NET_IP_ALIGN does.
 */
struct outer {
	__u8 pad[2];
	struct ethhdr eth;
	union {
		struct {
			struct iphdr ip;
			struct udphdr udp;
		} v4;
		struct {
			struct ipv6hdr ip;
			struct udphdr udp;
		} v6;
	};
};

/*
 * Where a packet with a bare Ethernet header for @ifindex goes. In DSA mode,
 * through the conduit, tagged for the user port, if @ifindex is one or a
 * VLAN device on one.
 */
static __always_inline int set_egress(struct pkt *p, bool xdp, __u32 ifindex,
				      __u32 mark)
{
	const struct bpfwg_dsa_tx *tx;

	p->out_ifindex = ifindex;
	if (!xdp) {
		struct __sk_buff *skb = p->ctx;

		/* As wg_reset_packet() leaves what WireGuard sends or
		 * receives, for the egress qdisc and filters: the mark
		 * WireGuard's fwmark (@mark) or 0, no priority.
		 */
		skb->mark = mark;
		skb->priority = 0;
		skb->tc_index = 0;
		return 0;
	}
	if (!config()->dsa)
		return 0;
	tx = bpf_map_lookup_elem(&bpfwg_dsa_tx, &ifindex);
	if (!tx)
		return 0;
	if (mtk_xmit(p->ctx, tx->port, tx->vlan, tx->vid))
		return -1;
	p->out_ifindex = tx->conduit;
	return 0;
}

/*
 * DSA mode: the tag of a frame received on a conduit, if @p->ifindex is one.
 * Returns the length of the tag, which the frame keeps until its L2 header
 * is rebuilt (so that what goes to the stack goes untouched, for the
 * kernel's tagger), and sets @p->ifindex to the user port; -1 if the frame
 * comes from a port bpfwg does not serve.
 */
static __always_inline int dsa_rcv(struct pkt *p, bool xdp)
{
	struct bpfwg_dsa_rx_key key = { .conduit = p->ifindex };
	__u32 *user;
	int port;

	if (!xdp || !config()->dsa)
		return 0;
	port = mtk_rcv_port(p->ctx);
	if (port < 0)
		return 0;
	key.port = port;
	user = bpf_map_lookup_elem(&bpfwg_dsa_rx, &key);
	if (!user)
		return 0; /* not a conduit */
	if (!*user)
		return -1;
	p->ifindex = *user;
	return MTK_HDR_LEN;
}

/* INET_ECN_encapsulate() of ip_tunnel_ecn_encap(0, ...): DSCP 0, the inner
 * ECN field except that CE becomes ECT(0).
 */
static __always_inline __u8 ecn_encap(__u8 inner)
{
	inner &= INET_ECN_MASK;
	return inner == INET_ECN_CE ? INET_ECN_ECT_0 : inner;
}

static __always_inline void build_outer(struct outer *o, __u8 family,
					const struct bpf_sock_tuple *t,
					const struct bpf_fib_lookup *fib,
					__u8 ds, __u32 udp_len)
{
	__u64 sum = 0;
	__u16 *w;
	int i;

	__builtin_memcpy(o->eth.h_dest, fib->dmac, ETH_ALEN);
	__builtin_memcpy(o->eth.h_source, fib->smac, ETH_ALEN);
	if (family == AF_INET) {
		o->eth.h_proto = bpf_htons(ETH_P_IP);
		o->v4.ip = (struct iphdr){
			.tos = ecn_encap(ds),
			.tot_len = bpf_htons(sizeof(struct iphdr) + udp_len),
			/* No DF, so __ip_select_ident() gives an ID. */
			.id = bpf_get_prandom_u32(),
			.ttl = config()->ttl4,
			.protocol = IPPROTO_UDP,
			.saddr = t->ipv4.saddr,
			.daddr = t->ipv4.daddr,
		};
		*(__u8 *)&o->v4.ip = 0x45;	/* version 4, 5 words */
		w = (__u16 *)&o->v4.ip;
		for (i = 0; i < sizeof(struct iphdr) / 2; i++)
			sum += w[i];
		o->v4.ip.check = csum_fold(sum);
		o->v4.udp = (struct udphdr){
			.source = t->ipv4.sport,
			.dest = t->ipv4.dport,
			.len = bpf_htons(udp_len),
		};
		return;
	}
	o->eth.h_proto = bpf_htons(ETH_P_IPV6);
	__builtin_memset(&o->v6.ip, 0, sizeof(o->v6.ip));
	ds = ecn_encap(ds);
	*(__u8 *)&o->v6.ip = 0x60 | ds >> 4;	/* version 6, traffic class */
	o->v6.ip.flow_lbl[0] = ds << 4;
	o->v6.ip.payload_len = bpf_htons(udp_len);
	o->v6.ip.nexthdr = IPPROTO_UDP;
	o->v6.ip.hop_limit = config()->hop_limit6;
	__builtin_memcpy(&o->v6.ip.saddr, t->ipv6.saddr, 16);
	__builtin_memcpy(&o->v6.ip.daddr, t->ipv6.daddr, 16);
	o->v6.udp = (struct udphdr){
		.source = t->ipv6.sport,
		.dest = t->ipv6.dport,
		.len = bpf_htons(udp_len),
	};
}

/*
 * XDP: a pending TCP or UDP checksum of the inner packet at @off completed
 * (csum.h), since encrypted it would never be; the caller restores the
 * field (*@orig at @at) unless the packet leaves encrypted.
 */
static __always_inline int complete_csum(void *ctx, __u32 off,
					 const struct ip_info *ip, __u16 *orig,
					 __u32 *at)
{
	__u64 addrs = 0;
	int i;

	if (ip->fragment)
		return 0;
	for (i = 0; i < 4; i++) {
		if (ip->family == AF_INET && i)
			break;
		addrs += ip->saddr[i];
		addrs += ip->daddr[i];
	}
	return xdp_complete_l4_csum(ctx, off + ip->hdr_len,
				    ip->len - ip->hdr_len, ip->l4proto, addrs,
				    orig, at);
}

/*
 * XDP: an SCTP packet with its CRC32c pending (csum.h): encrypted as is it
 * would never be completed, the stack is to forward it. TC has the skb's
 * state: the encryption kfunc refuses such packets itself.
 */
static __always_inline bool sctp_crc_pending(void *ctx, __u32 off,
					     const struct ip_info *ip)
{
	if (ip->l4proto != IPPROTO_SCTP || ip->fragment)
		return false;
	return xdp_sctp_crc_pending(ctx, off + ip->hdr_len);
}

/* UDP checksum of the datagram at @off, pseudo-header included. */
static __always_inline int udp_csum(void *ctx, bool xdp, __u32 off,
				    const struct outer *o, __u8 family,
				    __u32 udp_len, __sum16 *check)
{
	__u64 sum = bpf_htons(IPPROTO_UDP) + bpf_htons(udp_len);
	const __u32 *a;
	int i, n;
	s64 ret;

	if (family == AF_INET) {
		a = &o->v4.ip.saddr;
		n = 2;
	} else {
		a = (const __u32 *)&o->v6.ip.saddr;
		n = 8;
	}
	for (i = 0; i < n; i++)
		sum += a[i];
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	ret = xdp ? bpf_xdp_csum(ctx, off, udp_len, sum) :
		    bpf_skb_csum(ctx, off, udp_len, sum);
	if (ret < 0)
		return ret;
	*check = csum_fold(ret) ?: 0xffff;
	return 0;
}

#define MOVE_CHUNK	64
#define MOVE_MAX	512

/* XDP: moves @len bytes (at most MOVE_MAX) from @from to @to, by chunks in
 * the order that suits overlapping ranges.
 */
static __always_inline int move(void *ctx, __u32 to, __u32 from, __u32 len)
{
	__u8 buf[MOVE_CHUNK];
	__u32 i, done, off, n;

	for (i = 0; i < MOVE_MAX / MOVE_CHUNK; i++) {
		done = i * MOVE_CHUNK;
		if (done >= len)
			break;
		n = len - done;
		if (n >= MOVE_CHUNK) {
			off = to < from ? done : n - MOVE_CHUNK;
			if (bpf_xdp_load_bytes(ctx, from + off, buf, MOVE_CHUNK) ||
			    bpf_xdp_store_bytes(ctx, to + off, buf, MOVE_CHUNK))
				return -1;
			continue;
		}
		off = to < from ? done : 0;
		n &= MOVE_CHUNK - 1;
		if (!n || bpf_xdp_load_bytes(ctx, from + off, buf, n) ||
		    bpf_xdp_store_bytes(ctx, to + off, buf, n))
			return -1;
	}
	return 0;
}

/* Grows the packet around the inner IP packet at p->l3off: @head bytes in
 * front of it, replacing its L2 header, and @tail bytes at the end (which
 * may be negative to trim what followed the IP packet). Undone by
 * reshape_undo(). The TC variant works on packets with a bare Ethernet
 * header, whose room goes in after it.
 */
static __always_inline int reshape(struct pkt *p, bool xdp, int head, int tail,
				   __u32 len, __u8 inner_family,
				   __u8 outer_family)
{
	struct __sk_buff *skb = p->ctx;
	int room = head;

	if (xdp) {
		if (bpf_xdp_adjust_head(p->ctx, -head))
			return -1;
		if (!bpf_xdp_adjust_tail(p->ctx, tail))
			return 0;
		/* No tailroom, as in buffers the size of their frame: move
		 * a small packet into the headroom instead.
		 */
		if (tail > 0 && len <= MOVE_MAX &&
		    !bpf_xdp_adjust_head(p->ctx, -tail)) {
			if (!move(p->ctx, p->l3off + head,
				  p->l3off + head + tail, len)) {
				p->moved = true;
				return 0;
			}
			bpf_xdp_adjust_head(p->ctx, tail);
		}
		bpf_xdp_adjust_head(p->ctx, head);
		return -1;
	}
	/*
	 * skb->protocol has to match the outer header. Changing it with
	 * bpf_skb_change_proto() moves the room by the difference between
	 * the IP header sizes; BPF_F_ADJ_ROOM_ENCAP_L3_* would also mark the
	 * skb as encapsulated, which cannot be undone if encryption fails.
	 */
	if (inner_family != outer_family)
		room += outer_family == AF_INET ? IP6_IP4_DIFF : -IP6_IP4_DIFF;
	if (bpf_skb_change_tail(skb, p->len + tail, 0))
		return -1;
	if (bpf_skb_adjust_room(skb, room, BPF_ADJ_ROOM_MAC, 0))
		goto undo_tail;
	if (inner_family == outer_family ||
	    !bpf_skb_change_proto(skb, bpf_htons(outer_family == AF_INET ?
						  ETH_P_IP : ETH_P_IPV6), 0))
		return 0;
	bpf_skb_adjust_room(skb, -room, BPF_ADJ_ROOM_MAC, 0);
undo_tail:
	bpf_skb_change_tail(skb, p->len, 0);
	return -1;
}

static __always_inline int reshape_undo(struct pkt *p, bool xdp, int head,
					int tail, __u32 len, __u8 inner_family,
					__u8 outer_family)
{
	int room = head;

	if (xdp && p->moved)
		return move(p->ctx, p->l3off + head + tail, p->l3off + head,
			    len) ||
		       bpf_xdp_adjust_head(p->ctx, head + tail);
	if (xdp)
		return bpf_xdp_adjust_tail(p->ctx, -tail) ||
		       bpf_xdp_adjust_head(p->ctx, head);
	if (inner_family != outer_family) {
		room += outer_family == AF_INET ? IP6_IP4_DIFF : -IP6_IP4_DIFF;
		if (bpf_skb_change_proto(p->ctx,
					 bpf_htons(inner_family == AF_INET ?
						   ETH_P_IP : ETH_P_IPV6), 0))
			return -1;
	}
	return bpf_skb_adjust_room(p->ctx, -room, BPF_ADJ_ROOM_MAC, 0) ||
	       bpf_skb_change_tail(p->ctx, p->len, 0);
}

static __always_inline enum bpfwg_stat encrypt_err(int err)
{
	switch (err) {
	case -ENOKEY:
		return BPFWG_PASS_NO_KEY;
	case -EMSGSIZE:
		return BPFWG_PASS_MTU;
	case -EOPNOTSUPP:
		return BPFWG_PASS_UNSUPPORTED;
	case -ENOSPC:
		return BPFWG_PASS_NO_ROOM;
	default:
		return BPFWG_PASS_ERROR;
	}
}

/*
 * Encrypts the IP packet at p->l3off for @peer of the WireGuard device
 * @wg_ifindex, whose MTU is @mtu, and builds the outer headers around it.
 * Everything that can fail without changing the packet is checked first;
 * the reshaping is undone if the encryption fails.
 */
static __always_inline enum verdict encap(struct pkt *p, bool xdp,
					  const struct ip_info *ip,
					  struct bpf_wg_peer *peer,
					  __u32 wg_ifindex, __u32 mtu)
{
	__u32 padded, msg_len, udp_len, outer_len, out_mtu, flags, *mark;
	struct bpf_sock_tuple t = {};
	struct bpf_fib_lookup *fib;
	int family, head, tail, rc, err;
	__u32 trailing, off, csum_at = 0;
	__u16 csum_orig = 0;
	int csum_done;
	struct outer o;
	__u8 saved[12];

	family = bpf_wg_endpoint_tuple_get(peer, &t, sizeof(t));
	if (family != AF_INET && family != AF_INET6)
		return pass(BPFWG_PASS_NO_ENDPOINT);
	if (xdp && sctp_crc_pending(p->ctx, p->l3off, ip))
		return pass(BPFWG_PASS_CSUM);

	/* The room the kernel pads the inner packet into, as
	 * calculate_skb_padding() does; it writes the zeroes.
	 */
	padded = (ip->len + WG_PADDING - 1) & ~(WG_PADDING - 1);
	if (padded > mtu)
		padded = mtu;
	msg_len = WG_DATA_HLEN + padded + WG_AUTHTAG_LEN;
	udp_len = sizeof(struct udphdr) + msg_len;
	outer_len = (family == AF_INET ? sizeof(struct iphdr) :
					 sizeof(struct ipv6hdr)) + udp_len;

	/* The outer route, from the WireGuard device: an output lookup would
	 * be bound to the device in fib->ifindex.
	 */
	fib = bpf_map_lookup_elem(&bpfwg_fib_scratch, &(__u32){ FIB_OUTER });
	if (!fib)
		return pass(BPFWG_PASS_ERROR);
	__builtin_memset(fib, 0, sizeof(*fib));
	flags = 0;
	fib->family = family;
	fib->l4_protocol = IPPROTO_UDP;
	fib->tot_len = outer_len;
	fib->ifindex = wg_ifindex;
	if (family == AF_INET) {
		fib->sport = t.ipv4.sport;
		fib->dport = t.ipv4.dport;
		fib->ipv4_src = t.ipv4.saddr;
		fib->ipv4_dst = t.ipv4.daddr;
		if (!t.ipv4.saddr)
			flags |= BPF_FIB_LOOKUP_SRC;
	} else {
		fib->sport = t.ipv6.sport;
		fib->dport = t.ipv6.dport;
		__builtin_memcpy(fib->ipv6_src, t.ipv6.saddr, 16);
		__builtin_memcpy(fib->ipv6_dst, t.ipv6.daddr, 16);
		if (!(t.ipv6.saddr[0] | t.ipv6.saddr[1] | t.ipv6.saddr[2] |
		      t.ipv6.saddr[3]))
			flags |= BPF_FIB_LOOKUP_SRC;
	}
	mark = bpf_map_lookup_elem(&bpfwg_fwmark, &wg_ifindex);
	if (mark && *mark) {
		fib->mark = *mark;
		flags |= BPF_FIB_LOOKUP_MARK;
	}
	rc = bpf_fib_lookup(p->ctx, fib, sizeof(*fib), flags);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return pass(fib_pass_reason(rc));
	if (flags & BPF_FIB_LOOKUP_SRC) {
		if (family == AF_INET)
			t.ipv4.saddr = fib->ipv4_src;
		else
			__builtin_memcpy(t.ipv6.saddr, fib->ipv6_src, 16);
	}
	if (!tx_port(xdp, fib->ifindex))
		return pass(BPFWG_PASS_EGRESS);
	/* With NAT, the outer flow (see ct_flow()). */
	if (p->mode & (family == AF_INET ? BPFWG_MODE_OUTER_NAT4 :
					   BPFWG_MODE_OUTER_NAT6)) {
		rc = ct_flow(p, xdp, &t, family == AF_INET ? sizeof(t.ipv4) :
							   sizeof(t.ipv6),
			     IPPROTO_UDP, CT_OUTER);
		if (rc)
			return pass(rc);
	}
	/* The outer route leads into a WireGuard device (a routing loop, or
	 * a tunnel in a tunnel): the stack, before a nonce is spent on a
	 * message that could not leave. Native XDP's egress ports, which
	 * tx_port() checked, are never WireGuard devices: the device lookup
	 * is left to the hooks that can redirect anywhere.
	 */
	if ((!xdp || !config()->xdp_tx_ports) &&
	    wg_is_device(p->ctx, xdp, fib->ifindex))
		return pass(BPFWG_PASS_FIB);
	if (over_mtu(p->ctx, fib->ifindex, outer_len, &out_mtu))
		return pass(BPFWG_PASS_MTU);

	trailing = p->len - p->l3off - ip->len;
	head = (family == AF_INET ? OUTER4_LEN : OUTER6_LEN) + WG_DATA_HLEN -
	       p->l3off;
	tail = padded - ip->len + WG_AUTHTAG_LEN - trailing;
	if (reshape(p, xdp, head, tail, ip->len, ip->family, family))
		return pass(BPFWG_PASS_NO_ROOM);

	/* Forwarding: the TTL goes down before the packet is sealed. */
	off = p->l3off + head;
	if (load(p->ctx, xdp, off, saved, sizeof(saved)) ||
	    decrement_ttl(p->ctx, xdp, off, ip->family))
		goto undo_err;
	/* TC's encryption completes a pending checksum itself. */
	csum_done = xdp ? complete_csum(p->ctx, off, ip, &csum_orig, &csum_at) : 0;
	if (csum_done < 0)
		return drop(BPFWG_DROP_ERROR);

	off -= WG_DATA_HLEN;
	err = wg_encrypt(p->ctx, xdp, off, ip->len, peer);
	/* -EFAULT, or sealed to another length: the MTU changed meanwhile. */
	if (err == -EFAULT || (err > 0 && err != msg_len))
		return drop(BPFWG_DROP_ERROR);
	if (err < 0) {
		if (store(p->ctx, xdp, off + WG_DATA_HLEN, saved,
			  sizeof(saved)) ||
		    (csum_done &&
		     store(p->ctx, xdp, csum_at, &csum_orig, sizeof(csum_orig))) ||
		    reshape_undo(p, xdp, head, tail, ip->len, ip->family,
				 family))
			return drop(BPFWG_DROP_ERROR);
		return pass(encrypt_err(err));
	}

	build_outer(&o, family, &t, fib, ip->ds, udp_len);
	off = family == AF_INET ? OUTER4_LEN : OUTER6_LEN;
	if (store(p->ctx, xdp, 0, &o.eth, off))
		return drop(BPFWG_DROP_ERROR);
	if (family == AF_INET6 || config()->udp_csum4) {
		__sum16 check;
		__u32 udp_off = off - sizeof(struct udphdr);

		if (udp_csum(p->ctx, xdp, udp_off, &o, family, udp_len,
			     &check) ||
		    store(p->ctx, xdp, udp_off + offsetof(struct udphdr, check),
			  &check, sizeof(check)))
			return drop(BPFWG_DROP_ERROR);
	}
	if (set_egress(p, xdp, fib->ifindex, mark ? *mark : 0))
		return drop(BPFWG_DROP_ERROR);
	count(BPFWG_ENCRYPTED);
	return V_REDIRECT;

undo_err:
	if (reshape_undo(p, xdp, head, tail, ip->len, ip->family, family))
		return drop(BPFWG_DROP_ERROR);
	return pass(BPFWG_PASS_ERROR);
}

/* A packet the stack would forward: into a WireGuard device? */
static __always_inline enum verdict forward(struct pkt *p, bool xdp)
{
	struct bpf_fib_lookup fib;
	struct bpf_wg_device *wg;
	struct bpf_wg_peer *peer;
	struct ip_info ip;
	enum verdict v;
	__u32 mtu;
	int rc;

	if (parse_ip(p->ctx, xdp, p->l3off, p->len - p->l3off, &ip))
		return V_PASS;
	/* Neighbours of a WireGuard device do not matter: skip them. */
	rc = fib_forward(p, &ip, &fib, p->ifindex, BPF_FIB_LOOKUP_SKIP_NEIGH);
	if (rc == BPF_FIB_LKUP_RET_FRAG_NEEDED)
		return pass(BPFWG_PASS_MTU);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return V_PASS;
	wg = wg_by_index(p->ctx, xdp, fib.ifindex);
	if (!wg)
		return V_PASS;

	rc = rules_pass(p);
	if (rc) {
		v = pass(rc);
		goto out;
	}
	/* Into the WireGuard device's egress, which encrypting bypasses. */
	if (dev_has(fib.ifindex, BPFWG_DEV_NO_TX)) {
		v = pass(BPFWG_PASS_EGRESS);
		goto out;
	}
	if (ip.ttl <= 1) {
		v = pass(BPFWG_PASS_TTL);
		goto out;
	}
	if ((!xdp && ((struct __sk_buff *)p->ctx)->gso_size) ||
	    ip_extended(&ip)) {
		v = pass(BPFWG_PASS_UNSUPPORTED);
		goto out;
	}
	/* Too big for the tunnel: the stack sends the ICMP error. */
	if (over_mtu(p->ctx, fib.ifindex, ip.len, &mtu)) {
		v = pass(BPFWG_PASS_MTU);
		goto out;
	}
	if (martian(&ip)) {
		v = pass(BPFWG_PASS_MARTIAN);
		goto out;
	}
	if (!rpf_ok(p, &ip, p->ifindex, fib.ifindex)) {
		v = pass(BPFWG_PASS_RPF);
		goto out;
	}
	if (conntrack_mode(p)) {
		rc = ct_check(p, xdp, p->l3off, &ip);
		if (rc) {
			v = pass(rc);
			goto out;
		}
	}
	if (ip.family == AF_INET)
		peer = bpf_wg_peer_allowedips_lookup(wg, ip.daddr, 4);
	else
		peer = bpf_wg_peer_allowedips_lookup(wg, ip.daddr, 16);
	if (!peer) {
		v = pass(BPFWG_PASS_NO_PEER);
		goto out;
	}
	/* Encryption writes in place: make an skb private and linear. */
	if (!xdp && bpf_skb_pull_data(p->ctx, p->len))
		v = pass(BPFWG_PASS_UNSUPPORTED);
	else
		v = encap(p, xdp, &ip, peer, fib.ifindex, mtu);
	bpf_wg_peer_put(peer);
out:
	bpf_wg_device_put(wg);
	return v;
}

static __always_inline enum bpfwg_stat decrypt_err(int err)
{
	switch (err) {
	case -ENOKEY:
		return BPFWG_PASS_NO_KEY;
	case -EOPNOTSUPP:
		return BPFWG_PASS_UNSUPPORTED;
	default:
		return BPFWG_PASS_ERROR;
	}
}

/*
 * Moves the inner packet of @len bytes at @inner_off to right after an
 * Ethernet header: a new one to forward it, or the original L2 header to
 * hand it to the stack.
 */
static __always_inline int strip(struct pkt *p, bool xdp, __u32 inner_off,
				 __u32 len, __u8 family,
				 const struct bpf_fib_lookup *fib)
{
	__u8 l2[L2_MAX_LEN];
	__u32 l2_len = fib ? ETH_HLEN : p->l3off;
	__be16 proto = bpf_htons(family == AF_INET ? ETH_P_IP : ETH_P_IPV6);
	int shrink = inner_off - l2_len;

	if (load(p->ctx, xdp, 0, l2, sizeof(l2)))
		return -1;
	if (fib) {
		__builtin_memcpy(l2, fib->dmac, ETH_ALEN);
		__builtin_memcpy(l2 + ETH_ALEN, fib->smac, ETH_ALEN);
	}
	if (xdp) {
		if (bpf_xdp_adjust_head(p->ctx, shrink) ||
		    bpf_xdp_adjust_tail(p->ctx, l2_len + len -
					(p->len - shrink)))
			return -1;
	} else {
		/* The tag vouches for the inner checksums, as in the native
		 * path: keep CHECKSUM_UNNECESSARY.
		 */
		if (bpf_skb_adjust_room(p->ctx, -shrink, BPF_ADJ_ROOM_MAC,
					BPF_F_ADJ_ROOM_NO_CSUM_RESET |
					(family == AF_INET ?
					 BPF_F_ADJ_ROOM_DECAP_L3_IPV4 :
					 BPF_F_ADJ_ROOM_DECAP_L3_IPV6)) ||
		    bpf_skb_change_tail(p->ctx, l2_len + len, 0))
			return -1;
	}
	/* Constant sizes for the verifier: a tag or VLAN header is 4 bytes. */
	switch (l2_len) {
	case ETH_HLEN:
		return store(p->ctx, xdp, 0, l2, ETH_HLEN) ||
		       store(p->ctx, xdp, ETH_HLEN - 2, &proto, 2);
	case ETH_HLEN + 4:
		return store(p->ctx, xdp, 0, l2, ETH_HLEN + 4) ||
		       store(p->ctx, xdp, ETH_HLEN + 4 - 2, &proto, 2);
	case ETH_HLEN + 8:
		return store(p->ctx, xdp, 0, l2, ETH_HLEN + 8) ||
		       store(p->ctx, xdp, ETH_HLEN + 8 - 2, &proto, 2);
	default:
		return store(p->ctx, xdp, 0, l2, L2_MAX_LEN) ||
		       store(p->ctx, xdp, L2_MAX_LEN - 2, &proto, 2);
	}
}

/*
 * Whether the stack would forward the decrypted packet @ip as the fast path
 * can, the route to it in @fib: BPFWG_STAT_MAX if so, else the BPFWG_DEC_*
 * reason it goes to the stack.
 */
static __always_inline enum bpfwg_stat
forward_decrypted(struct pkt *p, bool xdp, __u32 off, const struct ip_info *ip,
		  struct bpf_fib_lookup *fib, __u32 wg_ifindex)
{
	__u32 mtu;
	int rc;

	rc = fib_forward(p, ip, fib, wg_ifindex, 0);
	switch (rc) {
	case BPF_FIB_LKUP_RET_SUCCESS:
		break;
	case BPF_FIB_LKUP_RET_NOT_FWDED:
		return BPFWG_DEC_LOCAL;
	case BPF_FIB_LKUP_RET_FRAG_NEEDED:
		return BPFWG_DEC_MTU;
	case BPF_FIB_LKUP_RET_NO_NEIGH:
		return BPFWG_DEC_NO_NEIGH;
	default:
		return BPFWG_DEC_FIB;
	}
	/* Back into a tunnel (peer to peer through this gateway): stack. */
	if (wg_is_device(p->ctx, xdp, fib->ifindex))
		return BPFWG_DEC_TUNNEL;
	switch (rules_pass(p)) {
	case BPFWG_PASS_MARK:
		return BPFWG_DEC_MARK;
	case BPFWG_PASS_MANGLE:
		return BPFWG_DEC_MANGLE;
	}
	if (!tx_port(xdp, fib->ifindex))
		return BPFWG_DEC_EGRESS;
	if (ip->ttl <= 1)
		return BPFWG_DEC_TTL;
	if (over_mtu(p->ctx, fib->ifindex, ip->len, &mtu))
		return BPFWG_DEC_MTU;
	if (martian(ip))
		return BPFWG_DEC_MARTIAN;
	if (ip_extended(ip))
		return BPFWG_DEC_UNSUPPORTED;
	if (!rpf_ok(p, ip, wg_ifindex, fib->ifindex))
		return BPFWG_DEC_RPF;
	switch (conntrack_mode(p) ? ct_check(p, xdp, off, ip) : 0) {
	case 0:
		return BPFWG_STAT_MAX;
	case BPFWG_PASS_NAT:
		return BPFWG_DEC_NAT;
	case BPFWG_PASS_MARK:
		return BPFWG_DEC_MARK;
	default:
		return BPFWG_DEC_CT;
	}
}

/*
 * A decrypted inner packet at @off: forward it if the fast path can, else
 * hand it to the stack. Either way it was received by the WireGuard device
 * @wg_ifindex, as in the native path: its route is looked up with that input
 * interface (policy rules "iif wg0", wg0's forwarding and reverse path
 * settings), and the stack gets it as wg0's traffic, never as the
 * underlay's, whose reverse path filter and input firewall are not written
 * for it. It cannot be handed over encrypted any more: its nonce is
 * consumed.
 */
static __always_inline enum verdict deliver(struct pkt *p, bool xdp, __u32 off,
					    __u32 len, struct bpf_wg_peer *peer,
					    __u32 wg_ifindex)
{
	struct bpf_fib_lookup fib;
	enum bpfwg_stat why;
	struct ip_info ip;
	int rc;

	if (parse_ip(p->ctx, xdp, off, len, &ip) || ip.len != len)
		return drop(BPFWG_DROP_INVALID);

	why = forward_decrypted(p, xdp, off, &ip, &fib, wg_ifindex);
	if (why != BPFWG_STAT_MAX)
		goto slow;

	if (strip(p, xdp, off, len, ip.family, &fib) ||
	    decrement_ttl(p->ctx, xdp, ETH_HLEN, ip.family))
		return drop(BPFWG_DROP_ERROR);
	if (set_egress(p, xdp, fib.ifindex, 0))
		return drop(BPFWG_DROP_ERROR);
	count(BPFWG_DECRYPTED);
	return V_REDIRECT;

slow:
	if (xdp) {
		/* XDP cannot hand a packet to another device's ingress: the
		 * kernel copies it into an skb of wg0.
		 */
		rc = bpf_xdp_wg_deliver(p->ctx, off, peer);
		if (rc == -EACCES)
			return drop(BPFWG_DROP_INVALID);
		if (rc)
			return drop(BPFWG_DROP_ERROR);
		count(BPFWG_DECRYPTED_PASS);
		count(why);
		return V_CONSUMED;
	}
	/* TC: the inner packet after an L2 header, into wg0's ingress. */
	if (strip(p, xdp, off, len, ip.family, NULL))
		return drop(BPFWG_DROP_ERROR);
	p->out_ifindex = wg_ifindex;
	count(BPFWG_DECRYPTED_PASS);
	count(why);
	return V_INGRESS;
}

/* The WireGuard message in the UDP packet at p->l3off, if it is one. */
static __always_inline enum verdict receive(struct pkt *p, bool xdp,
					    bool *is_wg)
{
	struct bpf_wg_device *wg;
	struct bpf_wg_peer *peer;
	__u32 off, len, wg_ifindex;
	struct ip_info ip;
	struct udphdr udp;
	struct {
		__u8 type;
		__u8 reserved[3];
		__le32 receiver;
	} msg;
	enum verdict v;
	int ret;

	if (parse_ip(p->ctx, xdp, p->l3off, p->len - p->l3off, &ip) ||
	    ip.l4proto != IPPROTO_UDP || ip.fragment)
		return V_PASS;
	off = p->l3off + ip.hdr_len;
	if (load(p->ctx, xdp, off, &udp, sizeof(udp)))
		return V_PASS;
	len = bpf_ntohs(udp.len);
	off += sizeof(udp);
	if (len < sizeof(udp) + sizeof(msg) || off + len - sizeof(udp) > p->len ||
	    load(p->ctx, xdp, off, &msg, sizeof(msg)))
		return V_PASS;
	if (msg.type < 1 || msg.type > WG_MSG_DATA || msg.reserved[0] ||
	    msg.reserved[1] || msg.reserved[2])
		return V_PASS;

	wg = wg_by_port(p->ctx, xdp, bpf_ntohs(udp.dest));
	if (!wg)
		return V_PASS;
	*is_wg = true;
	if (msg.type != WG_MSG_DATA) {
		bpf_wg_device_put(wg);
		return pass(BPFWG_PASS_HANDSHAKE);
	}
	if (!xdp && ((struct __sk_buff *)p->ctx)->gso_size) {
		bpf_wg_device_put(wg);
		return pass(BPFWG_PASS_UNSUPPORTED);
	}
	wg_ifindex = bpf_wg_device_ifindex(wg);
	/* The WireGuard device's ingress, which decrypting here bypasses:
	 * the message is left to the device, before its nonce is spent.
	 */
	if (dev_has(wg_ifindex, BPFWG_DEV_NO_RX)) {
		bpf_wg_device_put(wg);
		return pass(BPFWG_PASS_INGRESS);
	}
	/* With NAT, the outer flow (see ct_flow()). */
	if (p->mode & (ip.family == AF_INET ? BPFWG_MODE_OUTER_NAT4 :
					      BPFWG_MODE_OUTER_NAT6)) {
		struct bpf_sock_tuple tuple = {};
		__u32 sz = ct_tuple(&tuple, ip.family, ip.saddr, ip.daddr, &udp);

		ret = ct_flow(p, xdp, &tuple, sz, IPPROTO_UDP, CT_OUTER);
		if (ret) {
			bpf_wg_device_put(wg);
			return pass(ret);
		}
	}
	peer = bpf_wg_peer_hashtable_lookup(wg, msg.receiver);
	bpf_wg_device_put(wg);
	if (!peer)
		return pass(BPFWG_PASS_NO_PEER);
	/* Decryption writes in place: make an skb private and linear. */
	if (!xdp && bpf_skb_pull_data(p->ctx, p->len)) {
		bpf_wg_peer_put(peer);
		return pass(BPFWG_PASS_UNSUPPORTED);
	}
	ret = wg_decrypt(p->ctx, xdp, p->l3off, peer);

	/* Errors that leave the message untouched, but a replay. */
	switch (ret) {
	case 0:
		v = drop(BPFWG_DROP_KEEPALIVE);
		break;
	case -EINVAL:
	case -ENOKEY:
	case -EPERM:
	case -EOPNOTSUPP:
	case -ENETDOWN:
		v = pass(decrypt_err(ret));
		break;
	case -EFAULT:
		v = drop(BPFWG_DROP_ERROR);
		break;
	default:
		if (ret < 0)
			v = drop(BPFWG_DROP_INVALID);
		else
			v = deliver(p, xdp, off + WG_DATA_HLEN, ret, peer,
				    wg_ifindex);
	}
	bpf_wg_peer_put(peer);
	return v;
}

static __always_inline enum verdict bpfwg(void *ctx, bool xdp, bool rx_vlan,
					  __u32 *ifindex)
{
	struct pkt p = { .ctx = ctx };
	struct bpfwg_dev *dev;
	bool is_wg = false;
	enum verdict v;
	int tag_len;
	__u32 mode;

	if (xdp)
		p.ifindex = ((struct xdp_md *)ctx)->ingress_ifindex;
	else
		p.ifindex = ((struct __sk_buff *)ctx)->ingress_ifindex;
	p.len = pkt_len(ctx, xdp);
	/* One load: the value is opaque to the compiler from here on. */
	mode = bpfwg_mode;
	barrier_var(mode);
	p.mode = mode;
	dev = bpf_map_lookup_elem(&bpfwg_devs, &p.ifindex);
	if (dev && (dev->flags & BPFWG_DEV_NO_RX))
		return pass(BPFWG_PASS_INGRESS);
	tag_len = dsa_rcv(&p, xdp);
	if (tag_len < 0)
		return pass(BPFWG_PASS_DSA_PORT);
	/* A DSA user port's own ingress. */
	if (tag_len) {
		dev = bpf_map_lookup_elem(&bpfwg_devs, &p.ifindex);
		if (dev && (dev->flags & BPFWG_DEV_NO_RX))
			return pass(BPFWG_PASS_INGRESS);
	}
	if (parse_l2(&p, xdp, rx_vlan, tag_len, dev))
		return V_PASS;
	v = receive(&p, xdp, &is_wg);
	if (!is_wg)
		v = forward(&p, xdp);
	*ifindex = p.out_ifindex;
	return v;
}

static __always_inline int xdp_verdict(enum verdict v, __u32 ifindex)
{
	if (v == V_REDIRECT && config()->xdp_tx_ports)
		return bpf_redirect_map(&bpfwg_tx_ports, ifindex, 0);
	if (v == V_REDIRECT)
		return bpf_redirect(ifindex, 0);
	return v == V_DROP || v == V_CONSUMED ? XDP_DROP : XDP_PASS;
}

/*
 * Section and program names are stable: "xdp.frags" / xdp_wg and "tc" /
 * tc_wg are what "ip link set dev DEV xdp obj bpfwg.bpf.o sec xdp.frags"
 * and "tc filter add dev DEV ingress bpf da obj bpfwg.bpf.o sec tc" find.
 */
SEC("xdp.frags")
int xdp_wg(struct xdp_md *ctx)
{
	__u32 ifindex;
	enum verdict v = bpfwg(ctx, true, false, &ifindex);

	return xdp_verdict(v, ifindex);
}

/* xdp_wg for one device whose driver tells XDP the VLAN tags it took out
 * of the frames (xdp-rx-metadata-features vlan-tag: veth, mlx5, ice): the
 * loader binds it to that device (BPF_F_XDP_DEV_BOUND_ONLY), native XDP.
 * Defined after xdp_wg, which iproute2 finds first in the section.
 */
SEC("xdp.frags")
int xdp_wg_dev(struct xdp_md *ctx)
{
	__u32 ifindex;
	enum verdict v = bpfwg(ctx, true, true, &ifindex);

	return xdp_verdict(v, ifindex);
}

/* For the cpumap entries the RSS programs (rss.bpf.c) redirect into:
 * frags-aware as well, as the programs of a cpumap and the ones redirecting
 * into it have to agree on that.
 */
SEC("xdp.frags/cpumap")
int xdp_wg_cpumap(struct xdp_md *ctx)
{
	__u32 key = 0, ifindex;
	__u64 *rx = bpf_map_lookup_elem(&bpfwg_cpumap_rx, &key);
	enum verdict v;

	if (rx)
		*rx += 1;
	v = bpfwg(ctx, true, false, &ifindex);
	return xdp_verdict(v, ifindex);
}

SEC("tc")
int tc_wg(struct __sk_buff *ctx)
{
	__u32 ifindex;
	enum verdict v = bpfwg(ctx, false, false, &ifindex);

	if (v == V_REDIRECT)
		return bpf_redirect(ifindex, 0);
	if (v == V_INGRESS) {
		__u32 key = 0, *last;

		/* For bpfwg_tc_redirect(), as count() does for the others. */
		last = bpf_map_lookup_elem(&bpfwg_last_redirect, &key);
		if (last)
			*last = BPFWG_DECRYPTED_PASS;
		return bpf_redirect(ifindex, BPF_F_INGRESS);
	}
	return v == V_DROP ? TC_ACT_SHOT : TC_ACT_OK;
}

/*
 * TC: skb_do_redirect() carries out the redirect tc_wg() asked for right
 * after it returns, on the same CPU, and drops what fails. An error
 * (no such device, device down, recursion) is a failed redirect: the
 * packet moves from the counter tc_wg() counted it in to
 * BPFWG_DROP_REDIRECT, as failed XDP redirects do. A positive result is
 * dev_queue_xmit()'s NET_XMIT_DROP, or netif_rx()'s NET_RX_DROP into wg0:
 * the egress device, its queue or filters dropped it, BPFWG_DROP_XMIT.
 * NET_XMIT_CN queued it (and may have dropped another). The loader
 * attaches this with tc only; the per-CPU slot is set by tc_wg() for each
 * redirect and cleared here, so other programs' redirects find it empty.
 */
SEC("fexit/skb_do_redirect")
int BPF_PROG(bpfwg_tc_redirect, struct sk_buff *skb, int ret)
{
	__u32 key = 0, *last, stat;

	last = bpf_map_lookup_elem(&bpfwg_last_redirect, &key);
	if (!last)
		return 0;
	stat = *last;
	*last = BPFWG_STAT_MAX;
	if (stat != BPFWG_ENCRYPTED && stat != BPFWG_DECRYPTED &&
	    stat != BPFWG_DECRYPTED_PASS)
		return 0;
	if (ret == NET_XMIT_DROP || (ret < 0 && ret != -EAGAIN)) {
		count_n(stat, -1);
		count_n(ret < 0 ? BPFWG_DROP_REDIRECT : BPFWG_DROP_XMIT, 1);
	}
	return 0;
}

/*
 * Redirects the kernel could not carry out, from its tracepoints, so that
 * the counters say what was sent. The loader attaches these with XDP only
 * and fills in what tells bpfwg's redirects from others': the ids of its
 * XDP programs, the interfaces it runs on, its network namespace (interface
 * indexes are per namespace, the tracepoints are not) and the id of its
 * cpumap.
 */
__u32 bpfwg_cpumap_id;
__u64 bpfwg_netns_cookie;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 66);	/* xdp_wg, xdp_wg_cpumap, xdp_wg_dev */
	__type(key, __u32);
	__type(value, __u8);
} bpfwg_progs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u8);
} bpfwg_ifaces SEC(".maps");

/* The redirect failed at once (no ndo_xdp_xmit, device down, ...): the
 * packet counted as encrypted or decrypted was dropped instead.
 */
SEC("tp_btf/xdp_redirect_err")
int BPF_PROG(bpfwg_redirect_err, const struct net_device *dev,
	     const struct bpf_prog *xdp, const void *tgt, int err,
	     enum bpf_map_type map_type, u32 map_id, u32 index)
{
	__u32 id = xdp->aux->id, key = 0, *last;

	if (!bpf_map_lookup_elem(&bpfwg_progs, &id))
		return 0;
	last = bpf_map_lookup_elem(&bpfwg_last_redirect, &key);
	if (last && (*last == BPFWG_ENCRYPTED || *last == BPFWG_DECRYPTED)) {
		count_n(*last, -1);
		*last = BPFWG_STAT_MAX;
	}
	count_n(BPFWG_DROP_REDIRECT, 1);
	return 0;
}

/* Frames queued for a device that its ndo_xdp_xmit() then refused (a full
 * ring, a veth peer without NAPI), from the interfaces bpfwg runs on.
 */
SEC("tp_btf/xdp_devmap_xmit")
int BPF_PROG(bpfwg_devmap_xmit, const struct net_device *from_dev,
	     const struct net_device *to_dev, int sent, int drops, int err)
{
	__u32 ifindex = from_dev->ifindex;

	if (drops <= 0 || !bpf_map_lookup_elem(&bpfwg_ifaces, &ifindex))
		return 0;
	/* Without CONFIG_NET_NS there is one namespace. */
	if (bpf_core_field_exists(from_dev->nd_net.net) &&
	    BPF_CORE_READ(from_dev, nd_net.net, net_cookie) != bpfwg_netns_cookie)
		return 0;
	count_n(BPFWG_DROP_XMIT, drops);
	return 0;
}

/* --rss: packets bpfwg's cpumap could not queue for their CPU. */
SEC("tp_btf/xdp_cpumap_enqueue")
int BPF_PROG(bpfwg_cpumap_enqueue, int map_id, unsigned int processed,
	     unsigned int drops, int to_cpu)
{
	if (drops && map_id == bpfwg_cpumap_id)
		count_n(BPFWG_DROP_CPUMAP, drops);
	return 0;
}

char _license[] SEC("license") = "GPL";
