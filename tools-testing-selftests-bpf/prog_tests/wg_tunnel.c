// SPDX-License-Identifier: GPL-2.0
/*
 * Two WireGuard devices in network namespaces, peered over veth, the
 * handshake done by the kernel. The baseline: the underlay carries WireGuard
 * messages, which an XDP program on B's side counts by type. Then the
 * WireGuard kfuncs against the stock driver: frames encrypted by BPF on A
 * are decrypted by B's kernel, B's messages are decrypted by BPF on A, with
 * every error the kfuncs document, across a rekey, with the netns rules of
 * the device lookups, and while devices and peers go away.
 */
#include <endian.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <netinet/udp.h>
#include "test_progs.h"
#include "network_helpers.h"
#include "wg_tunnel.skel.h"
#include "wg_kfuncs.skel.h"
#include "wg_kfuncs_fail.skel.h"

#define NS_A		"wg_tunnel_a"
#define NS_B		"wg_tunnel_b"
#define WG_PORT		51820
#define WG_MTU		1420
#define PINGS		3
#define INNER_PORT	4242
#define NO_DEVICE	1000
#define NO_PEER		1001
#define FRAME_MAX	8192
#define PULL_NONE	0xffffffff
#define PULL_HEADERS	128

enum { WG_INIT = 1, WG_RESP = 2, WG_COOKIE = 3, WG_DATA = 4 };
enum { DEC_DECRYPT, DEC_CAPTURE, DEC_PASS, DEC_DELIVER };

static const __u8 mac_a[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x0a };
static const __u8 mac_b[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x0b };

struct addrs {
	int family;
	const char *a, *b;	/* textual, of A and B */
};

static const struct addrs under4 = { AF_INET, "192.0.2.1", "192.0.2.2" };
static const struct addrs under6 = { AF_INET6, "2001:db8::1", "2001:db8::2" };
static const struct addrs over4 = { AF_INET, "10.0.0.1", "10.0.0.2" };
static const struct addrs over6 = { AF_INET6, "fd00::1", "fd00::2" };

#define KEYDIR		"/tmp/wg_tunnel.XXXXXX"
static char keydir[sizeof(KEYDIR)];

/* @addr and @port as wg(8) takes an endpoint, in @buf */
static const char *endpoint_str(char *buf, size_t size, const char *addr, int port)
{
	bool v6 = strchr(addr, ':');

	snprintf(buf, size, "%s%s%s:%d", v6 ? "[" : "", addr, v6 ? "]" : "", port);
	return buf;
}

/* wg0 of @ns: private key @self, one peer with public key @peer. */
static int wg_set(const char *ns, char self, char peer, const char *allowed_ips,
		  const char *endpoint)
{
	char ep[INET6_ADDRSTRLEN + 8];

	SYS(fail,
	    "ip netns exec %s wg set wg0 listen-port %d private-key %s/%c peer $(cat %s/%c.pub) allowed-ips %s endpoint %s",
	    ns, WG_PORT, keydir, self, keydir, peer, allowed_ips,
	    endpoint_str(ep, sizeof(ep), endpoint, WG_PORT));
	return 0;
fail:
	return -1;
}

/* wg0 of @ns forgets its peer @peer: keypairs, endpoint and allowed IPs. */
static int wg_remove_peer(const char *ns, char peer)
{
	SYS(fail, "ip netns exec %s wg set wg0 peer $(cat %s/%c.pub) remove", ns, keydir, peer);
	return 0;
fail:
	return -1;
}

static int wg_set_peer_b(const char *endpoint)
{
	return wg_set(NS_A, 'a', 'b', "10.0.0.2/32,fd00::2/128", endpoint);
}

static int wg_set_peer_a(const char *endpoint)
{
	return wg_set(NS_B, 'b', 'a', "10.0.0.1/32,fd00::1/128", endpoint);
}

/* A's endpoint for B alone: @addr, port @port. */
static int wg_endpoint_b(const char *addr, int port)
{
	char ep[INET6_ADDRSTRLEN + 8];

	SYS(fail, "ip netns exec %s wg set wg0 peer $(cat %s/b.pub) endpoint %s",
	    NS_A, keydir, endpoint_str(ep, sizeof(ep), addr, port));
	return 0;
fail:
	return -1;
}

/*
 * B removes peer A and adds it again with @endpoint: B has no keypair for
 * A, and its next message to A comes after a new handshake.
 */
static int b_forgets_keypairs(const char *endpoint)
{
	if (wg_remove_peer(NS_B, 'a'))
		return -1;
	return wg_set_peer_a(endpoint);
}

/*
 * Underlay (v4 and v6) over veth, overlay (v4 and v6) over wg0. A also has a
 * peer C that never shows up, for the peer/index mismatch.
 */
static int setup_topology(void)
{
	SYS(fail,
	    "ip -n %s link add veth0 address 02:00:00:00:00:0a type veth peer name veth0 address 02:00:00:00:00:0b netns %s",
	    NS_A, NS_B);
	SYS(fail, "ip -n %s addr add 192.0.2.1/24 dev veth0", NS_A);
	SYS(fail, "ip -n %s addr add 192.0.2.2/24 dev veth0", NS_B);
	SYS(fail, "ip -n %s addr add 2001:db8::1/64 dev veth0 nodad", NS_A);
	SYS(fail, "ip -n %s addr add 2001:db8::2/64 dev veth0 nodad", NS_B);
	SYS(fail,
	    "cd %s && umask 077 && for k in a b c; do wg genkey > $k && wg pubkey < $k > $k.pub; done",
	    keydir);
	SYS(fail, "ip -n %s link add wg0 type wireguard", NS_A);
	SYS(fail, "ip -n %s link add wg0 type wireguard", NS_B);
	if (wg_set_peer_b("192.0.2.2") || wg_set_peer_a("192.0.2.1"))
		goto fail;
	SYS(fail, "ip netns exec %s wg set wg0 peer $(cat %s/c.pub) allowed-ips 10.0.0.3/32",
	    NS_A, keydir);
	SYS(fail, "ip -n %s addr add 10.0.0.1/24 dev wg0", NS_A);
	SYS(fail, "ip -n %s addr add 10.0.0.2/24 dev wg0", NS_B);
	SYS(fail, "ip -n %s addr add fd00::1/64 dev wg0 nodad", NS_A);
	SYS(fail, "ip -n %s addr add fd00::2/64 dev wg0 nodad", NS_B);
	SYS(fail, "ip -n %s link set veth0 up && ip -n %s link set wg0 up", NS_A, NS_A);
	SYS(fail, "ip -n %s link set veth0 up && ip -n %s link set wg0 up", NS_B, NS_B);
	return 0;
fail:
	return -1;
}

static int ifindex_in(const char *ns, const char *ifname)
{
	struct nstoken *tok = open_netns(ns);
	int ifindex;

	if (!ASSERT_OK_PTR(tok, "open_netns"))
		return -1;
	ifindex = if_nametoindex(ifname);
	close_netns(tok);
	return ifindex;
}

static int attach_xdp(const char *ns, struct bpf_program *prog)
{
	int ifindex = ifindex_in(ns, "veth0");
	struct nstoken *tok;
	int err;

	if (!ASSERT_GT(ifindex, 0, "veth0"))
		return -1;
	tok = open_netns(ns);
	if (!ASSERT_OK_PTR(tok, "open_netns"))
		return -1;
	err = bpf_xdp_attach(ifindex, bpf_program__fd(prog), 0, NULL);
	close_netns(tok);
	return ASSERT_OK(err, "bpf_xdp_attach") ? 0 : -1;
}

/* @prog on TC ingress of veth0 in @ns instead of XDP. */
static int xdp_to_tc(const char *ns, struct bpf_program *prog)
{
	struct nstoken *tok = open_netns(ns);
	int err = -1;

	if (!ASSERT_OK_PTR(tok, "open_netns"))
		return -1;
	if (ASSERT_OK(bpf_xdp_detach(if_nametoindex("veth0"), 0, NULL), "bpf_xdp_detach"))
		err = tc_prog_attach("veth0", bpf_program__fd(prog), -1);
	close_netns(tok);
	return err;
}

static void ping_through(struct wg_tunnel *skel, const char *addr)
{
	__u64 data = skel->bss->msgs[WG_DATA];

	SYS(out, "ip netns exec %s ping -q -c %d -i 0.2 -W 5 %s >/dev/null", NS_A, PINGS, addr);
	/* Every echo request crossed the underlay as a data message. */
	ASSERT_GE(skel->bss->msgs[WG_DATA] - data, PINGS, "data messages");
out:
	return;
}

/*
 * A forgets B (the peer removed and added again): the next ping starts a
 * handshake, whose initiation B sees; no cookie is needed without load.
 */
static void test_handshake(struct wg_tunnel *skel)
{
	__u64 init = skel->bss->msgs[WG_INIT];
	__u64 cookie = skel->bss->msgs[WG_COOKIE];
	__u64 bad = skel->bss->msgs[0];

	if (!ASSERT_OK(wg_remove_peer(NS_A, 'b'), "remove peer") ||
	    !ASSERT_OK(wg_set_peer_b(under4.b), "re-add peer"))
		return;
	ping_through(skel, "10.0.0.2");
	ASSERT_GE(skel->bss->msgs[WG_INIT] - init, 1, "initiations");
	ASSERT_EQ(skel->bss->msgs[WG_COOKIE] - cookie, 0, "cookie replies");
	ASSERT_EQ(skel->bss->msgs[0] - bad, 0, "malformed");
}

/* Checksums, to build the frames B's kernel must accept. */
static __u32 csum_add(__u32 sum, const void *buf, size_t len)
{
	const __u8 *p = buf;

	for (; len > 1; p += 2, len -= 2)
		sum += p[0] << 8 | p[1];
	if (len)
		sum += p[0] << 8;
	return sum;
}

static __u16 csum_fold16(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

/* The pseudo-header sum of the UDP datagram at @udp, under IP header @ip. */
static __u32 udp_pseudo(void *ip, int family, struct udphdr *udp)
{
	__u32 sum = IPPROTO_UDP + ntohs(udp->len);

	if (family == AF_INET) {
		struct iphdr *iph = ip;

		return csum_add(sum, &iph->saddr, 8);
	}
	return csum_add(sum, &((struct ipv6hdr *)ip)->saddr, 32);
}

/* UDP checksum of the datagram at @udp, under IP header @ip. */
static void udp_csum(void *ip, int family, struct udphdr *udp)
{
	__u32 sum = udp_pseudo(ip, family, udp);

	udp->check = 0;
	udp->check = csum_fold16(csum_add(sum, udp, ntohs(udp->len))) ?: 0xffff;
}

/* An IP + UDP header from @src to @dst with @payload bytes after them. */
static size_t put_ip_udp(__u8 *p, const struct addrs *ad, bool from_a, __u16 sport,
			 __u16 dport, size_t payload)
{
	const char *src = from_a ? ad->a : ad->b, *dst = from_a ? ad->b : ad->a;
	size_t iplen = ad->family == AF_INET ? sizeof(struct iphdr) : sizeof(struct ipv6hdr);
	struct udphdr *udp = (void *)(p + iplen);

	if (ad->family == AF_INET) {
		struct iphdr *iph = (void *)p;

		*iph = (struct iphdr){ .version = 4, .ihl = 5, .ttl = 64,
				       .protocol = IPPROTO_UDP,
				       .tot_len = htons(iplen + sizeof(*udp) + payload) };
		inet_pton(AF_INET, src, &iph->saddr);
		inet_pton(AF_INET, dst, &iph->daddr);
		iph->check = csum_fold16(csum_add(0, iph, sizeof(*iph)));
	} else {
		struct ipv6hdr *ip6h = (void *)p;

		*ip6h = (struct ipv6hdr){ .version = 6, .hop_limit = 64,
					  .nexthdr = IPPROTO_UDP,
					  .payload_len = htons(sizeof(*udp) + payload) };
		inet_pton(AF_INET6, src, &ip6h->saddr);
		inet_pton(AF_INET6, dst, &ip6h->daddr);
	}
	*udp = (struct udphdr){ .source = htons(sport), .dest = htons(dport),
				.len = htons(sizeof(*udp) + payload) };
	return iplen + sizeof(*udp);
}

static void fill_payload(__u8 *p, size_t len, __u8 seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = seed + i;
}

/* WireGuard's padding: to a multiple of 16, never beyond the MTU. */
/* The MTU of both wg0 devices: WG_MTU, or 8000 with jumbo(). */
static size_t wg_mtu = WG_MTU;

/* The padded length of a plaintext, as calculate_skb_padding() has it. */
static size_t padded_len(size_t len)
{
	size_t padded = (len + 15) & ~15;

	return len > wg_mtu ? len : padded > wg_mtu ? wg_mtu : padded;
}

struct frame {
	__u8 buf[FRAME_MAX];
	size_t len;
	__u32 msg_off, msg_len, inner_len;
	const struct addrs *outer;
};

/*
 * A frame from A to B as the datapath builds it before encrypting: outer
 * headers, room for the WireGuard header, the inner UDP datagram of @payload
 * bytes from A to B's INNER_PORT, zero padding, room for the tag.
 */
static void build_frame(struct frame *f, const struct addrs *outer,
			const struct addrs *inner, size_t payload)
{
	struct ethhdr *eth = (void *)f->buf;
	__u8 *p = f->buf + sizeof(*eth), *in;
	size_t hdr, in_hdr;

	memset(f, 0, sizeof(*f));
	f->outer = outer;
	memcpy(eth->h_dest, mac_b, ETH_ALEN);
	memcpy(eth->h_source, mac_a, ETH_ALEN);
	eth->h_proto = htons(outer->family == AF_INET ? ETH_P_IP : ETH_P_IPV6);
	in_hdr = inner->family == AF_INET ? sizeof(struct iphdr) : sizeof(struct ipv6hdr);
	f->inner_len = in_hdr + sizeof(struct udphdr) + payload;
	f->msg_len = 16 + padded_len(f->inner_len) + 16;
	hdr = put_ip_udp(p, outer, true, WG_PORT, WG_PORT, f->msg_len);
	f->msg_off = sizeof(*eth) + hdr;
	in = f->buf + f->msg_off + 16;
	put_ip_udp(in, inner, true, 1234, INNER_PORT, payload);
	fill_payload(in + in_hdr + sizeof(struct udphdr), payload, payload);
	udp_csum(in, inner->family, (void *)(in + in_hdr));
	f->len = f->msg_off + f->msg_len;
}

static bool all_zero(const __u8 *p, size_t len)
{
	while (len--)
		if (*p++)
			return false;
	return true;
}

/* The outer UDP checksum, once the payload is final (IPv4 may leave it 0). */
static void finish_frame(struct frame *f)
{
	__u8 *ip = f->buf + sizeof(struct ethhdr);

	if (f->outer->family == AF_INET6)
		udp_csum(ip, AF_INET6, (void *)(ip + sizeof(struct ipv6hdr)));
}

/*
 * Send @len bytes of @buf out of veth0 of @ns, as is or, with @vh, with the
 * offload state of that virtio_net header (PACKET_VNET_HDR, as QEMU and tap
 * users hand frames over).
 */
static int inject_vnet(const char *ns, const struct virtio_net_hdr *vh,
		       const void *buf, size_t len)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_halen = ETH_ALEN };
	struct iovec iov[2] = { { (void *)vh, sizeof(*vh) }, { (void *)buf, len } };
	struct msghdr msg = { .msg_name = &sll, .msg_namelen = sizeof(sll),
			      .msg_iov = vh ? iov : iov + 1, .msg_iovlen = vh ? 2 : 1 };
	size_t want = len + (vh ? sizeof(*vh) : 0);
	struct nstoken *tok = open_netns(ns);
	int fd, one = 1, ret = -1;

	if (!ASSERT_OK_PTR(tok, "open_netns"))
		return -1;
	sll.sll_ifindex = if_nametoindex("veth0");
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (ASSERT_GE(fd, 0, "packet socket")) {
		if (!vh || ASSERT_OK(setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one,
						sizeof(one)), "PACKET_VNET_HDR"))
			ret = sendmsg(fd, &msg, 0) == want ? 0 : -1;
		ASSERT_OK(ret, "sendmsg");
		close(fd);
	}
	close_netns(tok);
	return ret;
}

/* Send @len bytes of @buf as is out of veth0 of @ns. */
static int inject(const char *ns, const void *buf, size_t len)
{
	return inject_vnet(ns, NULL, buf, len);
}

/*
 * Frames beyond a page: jumbo frames on the underlay, WireGuard MTUs to
 * match; or back to the defaults.
 */
static int jumbo(bool on)
{
	int veth = on ? 9000 : 1500, wg = on ? 8000 : WG_MTU;

	SYS(fail, "ip -n %s link set veth0 mtu %d && ip -n %s link set veth0 mtu %d",
	    NS_A, veth, NS_B, veth);
	SYS(fail, "ip -n %s link set wg0 mtu %d && ip -n %s link set wg0 mtu %d",
	    NS_A, wg, NS_B, wg);
	wg_mtu = wg;
	return 0;
fail:
	return -1;
}

/*
 * A packet socket on @ifname of @ns: while it is open, every skb the device
 * receives reaches TC as a clone of the skb queued to the socket.
 */
static int tap_open(const char *ns, const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	struct nstoken *tok = open_netns(ns);
	int fd;

	if (!ASSERT_OK_PTR(tok, "open_netns"))
		return -1;
	sll.sll_ifindex = if_nametoindex(ifname);
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (ASSERT_GE(fd, 0, "tap socket") &&
	    !ASSERT_OK(bind(fd, (void *)&sll, sizeof(sll)), "tap bind")) {
		close(fd);
		fd = -1;
	}
	close_netns(tok);
	return fd;
}

/*
 * Whether the tap queued a frame equal to @buf (its copy was not touched);
 * drains the queue.
 */
static bool tap_got(int fd, const void *buf, size_t len)
{
	static __u8 got[FRAME_MAX];
	bool found = false;
	ssize_t n;

	while ((n = recv(fd, got, sizeof(got), MSG_DONTWAIT)) >= 0)
		if (buf && n == len && !memcmp(got, buf, len))
			found = true;
	return found;
}

static void tap_drain(int fd)
{
	tap_got(fd, NULL, 0);
}

/* Wait until a program moved the counter at @count from @old. */
static bool moved(__u32 *count, __u32 old)
{
	int i;

	for (i = 0; i < 200 && *count == old; i++)
		usleep(10000);
	return ASSERT_NEQ(*count, old, "message seen");
}

/* A UDP socket of @ns on INNER_PORT of @addr. */
static int inner_server(const char *ns, const struct addrs *ad, bool on_a)
{
	struct nstoken *tok = open_netns(ns);
	int fd;

	if (!ASSERT_OK_PTR(tok, "open_netns"))
		return -1;
	fd = start_server(ad->family, SOCK_DGRAM, on_a ? ad->a : ad->b, INNER_PORT, 2000);
	close_netns(tok);
	ASSERT_GE(fd, 0, "inner server");
	return fd;
}

/* Send @payload bytes through the tunnel, from @ns to @addr:INNER_PORT. */
/* The TOS (IPv4) or traffic class (IPv6) send_inner() sends with, if not 0. */
static int inner_tos;

/* Send @n datagrams of @payload bytes through the tunnel, from @ns. */
static int send_inner_n(const char *ns, const struct addrs *ad, bool from_a, size_t payload,
			int n)
{
	static __u8 buf[FRAME_MAX];
	struct sockaddr_storage ss;
	socklen_t sslen;
	int fd, ret = 0;

	if (make_sockaddr(ad->family, from_a ? ad->b : ad->a, INNER_PORT, &ss, &sslen))
		return -1;
	fill_payload(buf, payload, payload);
	{
		struct nstoken *tok = open_netns(ns);

		if (!ASSERT_OK_PTR(tok, "open_netns"))
			return -1;
		fd = socket(ad->family, SOCK_DGRAM, 0);
		close_netns(tok);
	}
	if (!ASSERT_GE(fd, 0, "socket"))
		return -1;
	if (inner_tos &&
	    !ASSERT_OK(setsockopt(fd, ad->family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6,
				  ad->family == AF_INET ? IP_TOS : IPV6_TCLASS,
				  &inner_tos, sizeof(inner_tos)), "tos")) {
		close(fd);
		return -1;
	}
	while (n-- && !ret)
		ret = sendto(fd, buf, payload, 0, (void *)&ss, sslen) == payload ? 0 : -1;
	close(fd);
	return ret;
}

static int send_inner(const char *ns, const struct addrs *ad, bool from_a, size_t payload)
{
	return send_inner_n(ns, ad, from_a, payload, 1);
}

static bool recv_payload(int fd, size_t payload)
{
	static __u8 buf[FRAME_MAX], want[FRAME_MAX];
	ssize_t n;

	n = recv(fd, buf, sizeof(buf), 0);
	fill_payload(want, payload, payload);
	return n == payload && !memcmp(buf, want, payload);
}

/*
 * What `wg show wg0 @what` in @ns says of the peer whose key is @peer's:
 * the rest of its line, in @buf.
 */
static int wg_show(const char *ns, char peer, const char *what, char *buf, size_t size)
{
	char cmd[256], pub[64] = {}, line[256];
	int ret = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "cat %s/%c.pub", keydir, peer);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	if (!fgets(pub, sizeof(pub), f))
		pub[0] = 0;
	pclose(f);
	pub[strcspn(pub, "\n")] = 0;
	snprintf(cmd, sizeof(cmd), "ip netns exec %s wg show wg0 %s", ns, what);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(pub);

		if (n && !strncmp(line, pub, n) && line[n] == '\t') {
			snprintf(buf, size, "%s", line + n + 1);
			buf[strcspn(buf, "\n")] = 0;
			ret = 0;
		}
	}
	pclose(f);
	return ret;
}

/* rx and tx bytes of the peer with key @peer on wg0 of @ns. */
static int wg_transfer(const char *ns, char peer, __u64 *rx, __u64 *tx)
{
	unsigned long long r, t;
	char buf[128];

	if (wg_show(ns, peer, "transfer", buf, sizeof(buf)) ||
	    sscanf(buf, "%llu %llu", &r, &t) != 2)
		return -1;
	*rx = r;
	*tx = t;
	return 0;
}

/* ping @args in @ns in the background, its output discarded: the pid of
 * the child, to stop and reap with stop_child(), or -1.
 */
static pid_t spawn_ping(const char *ns, const char *interval, const char *count,
			const char *size, const char *daddr)
{
	pid_t pid = fork();
	int fd;

	if (pid)
		return pid;
	fd = open("/dev/null", O_WRONLY);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
	}
	execlp("ip", "ip", "netns", "exec", ns, "ping", "-q", "-i", interval, "-c", count,
	       "-s", size, "-W", "1", daddr, NULL);
	_exit(127);
}

/* Waits up to @timeout_ms for the child to exit, then kills it. Whether it
 * had exited on its own.
 */
static bool stop_child(pid_t pid, int timeout_ms)
{
	int status, i;

	if (pid <= 0)
		return false;
	for (i = 0; i < timeout_ms / 10; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return true;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return false;
}

/* The device run_encrypt() passes, when not A's wg0, and its namespace. */
static int encrypt_ifindex;
static const char *encrypt_ns = NS_A;

static int run_encrypt(struct wg_kfuncs *k, bool xdp, struct frame *f,
		       const struct addrs *inner, __u8 *out, __u32 *out_len)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = f->buf, .data_size_in = f->len,
		    .data_out = out, .data_size_out = sizeof(f->buf), .repeat = 1);
	struct bpf_program *prog = xdp ? k->progs.xdp_encrypt : k->progs.tc_encrypt;
	struct nstoken *tok;
	int err;

	k->bss->wg_ifindex = encrypt_ifindex ?: ifindex_in(NS_A, "wg0");
	inet_pton(inner->family, inner->b, k->bss->inner_daddr);
	k->bss->inner_daddr_len = inner->family == AF_INET ? 4 : 16;
	k->bss->msg_off = f->msg_off;
	k->bss->inner_len = f->inner_len;
	tok = open_netns(encrypt_ns);
	if (!ASSERT_OK_PTR(tok, "open_netns"))
		return -1;
	err = bpf_prog_test_run_opts(bpf_program__fd(prog), &topts);
	close_netns(tok);
	*out_len = topts.data_size_out;
	return ASSERT_OK(err, "test_run") ? 0 : -1;
}

/* The endpoint of A's peer B: B's underlay address and WireGuard port. */
static void check_tuple(struct wg_kfuncs *k, const struct addrs *outer)
{
	struct bpf_sock_tuple *t = &k->bss->tuple;
	__u8 addr[16];

	inet_pton(outer->family, outer->b, addr);
	ASSERT_EQ(k->bss->tuple_ret, outer->family, "endpoint family");
	if (outer->family == AF_INET) {
		ASSERT_OK(memcmp(&t->ipv4.daddr, addr, 4), "endpoint address");
		ASSERT_EQ(t->ipv4.dport, htons(WG_PORT), "endpoint port");
		ASSERT_EQ(t->ipv4.sport, htons(WG_PORT), "listen port");
	} else {
		ASSERT_OK(memcmp(t->ipv6.daddr, addr, 16), "endpoint address");
		ASSERT_EQ(t->ipv6.dport, htons(WG_PORT), "endpoint port");
		ASSERT_EQ(t->ipv6.sport, htons(WG_PORT), "listen port");
	}
}

/* BPF encrypts on A, B's kernel decrypts and delivers the inner datagram. */
static void test_encrypt(struct wg_tunnel *skel, struct wg_kfuncs *k, bool xdp,
			 const struct addrs *outer, const struct addrs *inner)
{
	static struct frame f;
	__u64 rx0, tx0, rx1, tx1;
	static __u8 out[FRAME_MAX];
	__u32 out_len;
	int srv;

	/*
	 * Both ends on the outer family: B's messages over the other one would
	 * make A roam back to it (seen on a debug kernel).
	 */
	if (!ASSERT_OK(wg_set_peer_a(outer->a), "B's endpoint for A") ||
	    !ASSERT_OK(wg_set_peer_b(outer->b), "A's endpoint for B"))
		return;
	ping_through(skel, "10.0.0.2");	/* a current keypair on both sides */
	srv = inner_server(NS_B, inner, false);
	if (srv < 0)
		return;
	build_frame(&f, outer, inner, 100);
	if (!ASSERT_OK(wg_transfer(NS_A, 'b', &rx0, &tx0), "wg show"))
		goto out;
	if (run_encrypt(k, xdp, &f, inner, out, &out_len))
		goto out;
	ASSERT_EQ(k->bss->encrypt_ret, f.msg_len, "encrypt");
	check_tuple(k, outer);
	if (!ASSERT_EQ(out_len, f.len, "length unchanged") || k->bss->encrypt_ret != f.msg_len)
		goto out;
	ASSERT_EQ(out[f.msg_off], WG_DATA, "message type");
	ASSERT_OK(wg_transfer(NS_A, 'b', &rx1, &tx1), "wg show");
	ASSERT_EQ(tx1 - tx0, f.msg_len, "tx bytes");
	memcpy(f.buf, out, out_len);
	finish_frame(&f);
	if (inject(NS_A, f.buf, f.len))
		goto out;
	ASSERT_TRUE(recv_payload(srv, 100), "B got the inner datagram");
out:
	close(srv);
}

/*
 * BPF and the native path update the same peer counters from different CPUs:
 * A's tx counter must account for every message of both, that is for the
 * BPF messages plus what B's rx counter saw of the native ones. Native
 * traffic must have flowed while the program ran (B's rx counter moved
 * across the run, which starts once native traffic is seen), or the test
 * would not show that two writers overlapped. It shows that both are
 * counted while they overlap; an update lost between two CPUs is a race
 * it may not hit in a given run, so it is named for what it checks.
 */
static void test_counters(struct wg_tunnel *skel, struct wg_kfuncs *k)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts, .repeat = 100000);
	__u64 a_rx0, a_tx0, a_rx1, a_tx1, b_rx0, b_tx0, b_rx1, b_tx1;
	__u64 b_rx_run0, b_rx_run1, b_tx_run;
	static struct frame f;
	struct nstoken *tok;
	pid_t ping = -1;
	int i;

	ping_through(skel, "10.0.0.2");
	build_frame(&f, &under4, &over4, 100);
	k->bss->wg_ifindex = ifindex_in(NS_A, "wg0");
	inet_pton(AF_INET, over4.b, k->bss->inner_daddr);
	k->bss->inner_daddr_len = 4;
	k->bss->msg_off = f.msg_off;
	k->bss->inner_len = f.inner_len;
	topts.data_in = f.buf;
	topts.data_size_in = f.len;
	if (!ASSERT_OK(wg_transfer(NS_A, 'b', &a_rx0, &a_tx0), "wg show A") ||
	    !ASSERT_OK(wg_transfer(NS_B, 'a', &b_rx0, &b_tx0), "wg show B"))
		return;
	ping = spawn_ping(NS_A, "0.002", "2000", "1000", "10.0.0.2");
	if (!ASSERT_GT(ping, 0, "fork ping"))
		return;
	for (i = 0; i < 100; i++) {
		if (!ASSERT_OK(wg_transfer(NS_B, 'a', &b_rx_run0, &b_tx_run), "wg show B"))
			goto out;
		if (b_rx_run0 > b_rx0)
			break;
		usleep(20000);
	}
	if (!ASSERT_GT(b_rx_run0, b_rx0, "native traffic started"))
		goto out;
	tok = open_netns(NS_A);
	if (!ASSERT_OK_PTR(tok, "open_netns"))
		goto out;
	ASSERT_OK(bpf_prog_test_run_opts(bpf_program__fd(k->progs.xdp_encrypt), &topts),
		  "test_run");
	close_netns(tok);
	ASSERT_EQ(k->bss->encrypt_ret, f.msg_len, "encrypt");
	if (!ASSERT_OK(wg_transfer(NS_B, 'a', &b_rx_run1, &b_tx_run), "wg show B"))
		goto out;
	ASSERT_GT(b_rx_run1, b_rx_run0, "native traffic during the BPF run");
	/* 2000 pings at 2 ms: about 4 s, more on a slow machine. */
	ASSERT_TRUE(stop_child(ping, 60000), "ping done");
	ping = -1;
	usleep(1000000);
	if (ASSERT_OK(wg_transfer(NS_A, 'b', &a_rx1, &a_tx1), "wg show A") &&
	    ASSERT_OK(wg_transfer(NS_B, 'a', &b_rx1, &b_tx1), "wg show B"))
		ASSERT_EQ(a_tx1 - a_tx0, 100000ULL * f.msg_len + (b_rx1 - b_rx0),
			  "A tx = BPF + native");
out:
	stop_child(ping, 0);
}

/*
 * The message length the kfunc produces for an inner packet equals the
 * native path's for the same inner packet, MTU edge included, whatever
 * room the program left; beyond the MTU the kfunc leaves the packet to the
 * stack.
 */
static void test_padding(struct wg_tunnel *skel, struct wg_kfuncs *k)
{
	const size_t payloads[] = { 20, 21, 100, WG_MTU - 28 - 2, WG_MTU - 28 };
	static struct frame f;
	static __u8 out[FRAME_MAX];
	__u32 out_len;
	int i, srv;

	ping_through(skel, "10.0.0.2");
	srv = inner_server(NS_B, &over4, false);
	if (srv < 0)
		return;
	for (i = 0; i < ARRAY_SIZE(payloads); i++) {
		skel->bss->last_data_len = 0;
		if (!ASSERT_OK(send_inner(NS_A, &over4, true, payloads[i]), "native send") ||
		    !ASSERT_TRUE(recv_payload(srv, payloads[i]), "native delivered"))
			break;
		build_frame(&f, &under4, &over4, payloads[i]);
		/* Room for a whole padding unit more than needed. */
		f.len += 16;
		if (run_encrypt(k, true, &f, &over4, out, &out_len))
			break;
		ASSERT_GT(skel->bss->last_data_len, 0, "native length");
		ASSERT_EQ(k->bss->encrypt_ret, skel->bss->last_data_len, "same length as native");
	}
	/* One byte over the MTU: -EMSGSIZE, the stack sends the ICMP error. */
	build_frame(&f, &under4, &over4, WG_MTU - 28 + 1);
	if (!run_encrypt(k, true, &f, &over4, out, &out_len))
		ASSERT_EQ(k->bss->encrypt_ret, -EMSGSIZE, "over the MTU");
	close(srv);
}

/*
 * Whatever the program left in the room after the inner packet, the kernel
 * pads with zeroes: B decrypts A's message with BPF and sees them.
 */
static void test_padding_zeroes(struct wg_tunnel *skel, struct wg_kfuncs *k)
{
	static struct frame f;
	static __u8 out[FRAME_MAX];
	struct wg_kfuncs *kb;
	__u32 out_len, count, pad_off, pad_len;

	kb = wg_kfuncs__open_and_load();
	if (!ASSERT_OK_PTR(kb, "kfuncs skel for B"))
		return;
	if (!ASSERT_OK(wg_set_peer_b(under4.b), "endpoint"))
		goto out;
	ping_through(skel, "10.0.0.2");
	build_frame(&f, &under4, &over4, 101);	/* 129 bytes, 15 of padding */
	pad_off = f.msg_off + 16 + f.inner_len;
	pad_len = f.msg_len - 32 - f.inner_len;
	if (!ASSERT_EQ(pad_len, 15, "padding length") ||
	    !ASSERT_LE(f.len, sizeof(kb->bss->post), "frame fits post[]"))
		goto out;
	memset(f.buf + pad_off, 0xa5, pad_len + 16);
	if (run_encrypt(k, true, &f, &over4, out, &out_len) ||
	    !ASSERT_EQ(k->bss->encrypt_ret, f.msg_len, "encrypt"))
		goto out;
	memcpy(f.buf, out, out_len);
	finish_frame(&f);
	if (attach_xdp(NS_B, kb->progs.xdp_decrypt))
		goto out;
	count = kb->bss->dec_count;
	if (!inject(NS_A, f.buf, f.len) &&
	    ASSERT_TRUE(moved(&kb->bss->dec_count, count), "B's program ran")) {
		ASSERT_EQ(kb->bss->dec_ret, f.inner_len, "B decrypted");
		ASSERT_TRUE(all_zero(kb->bss->post + pad_off, pad_len), "zero padding");
	}
	attach_xdp(NS_B, skel->progs.wg_count);
out:
	wg_kfuncs__destroy(kb);
}

/*
 * A device that is down is not found, and nothing starts a handshake on it;
 * once it is up again, encrypting works.
 */
static void test_device_down(struct wg_tunnel *skel, struct wg_kfuncs *k)
{
	static struct frame f;
	static __u8 out[FRAME_MAX];
	__u32 out_len;
	__u64 inits;
	int xdp;

	ping_through(skel, "10.0.0.2");
	build_frame(&f, &under4, &over4, 100);
	/* Keep the IPv6 addresses of wg0 for the subtests after this one. */
	SYS(out, "ip netns exec %s sysctl -qw net.ipv6.conf.wg0.keep_addr_on_down=1", NS_A);
	SYS(out, "ip -n %s link set wg0 down", NS_A);
	inits = skel->bss->msgs[WG_INIT];
	for (xdp = 0; xdp < 2; xdp++) {
		if (run_encrypt(k, xdp, &f, &over4, out, &out_len))
			continue;
		ASSERT_EQ(k->bss->encrypt_ret, NO_DEVICE, "down: not found");
		ASSERT_OK(memcmp(out, f.buf, f.len), "packet untouched");
	}
	usleep(200000);
	ASSERT_EQ(skel->bss->msgs[WG_INIT], inits, "no handshake");
	SYS(out, "ip -n %s link set wg0 up", NS_A);
	ping_through(skel, "10.0.0.2");
	if (!run_encrypt(k, true, &f, &over4, out, &out_len))
		ASSERT_EQ(k->bss->encrypt_ret, f.msg_len, "up again");
out:
	SYS_NOFAIL("ip -n %s link set wg0 up", NS_A);
}

/*
 * Bad offsets and no room for the padding and the tag, for both program
 * types: refused, the packet left as it was.
 */
static void test_encrypt_bounds(struct wg_kfuncs *k)
{
	static struct frame f;
	static __u8 out[FRAME_MAX];
	__u32 out_len;
	int xdp;

	for (xdp = 0; xdp < 2; xdp++) {
		build_frame(&f, &under4, &over4, 101);	/* 11 bytes of padding */
		f.len -= 1;				/* one byte short */
		if (!run_encrypt(k, xdp, &f, &over4, out, &out_len)) {
			ASSERT_EQ(k->bss->encrypt_ret, -ENOSPC, "no room");
			ASSERT_OK(memcmp(out, f.buf, f.len), "packet untouched");
		}
		f.msg_off = f.len + 1;			/* beyond the packet */
		if (!run_encrypt(k, xdp, &f, &over4, out, &out_len))
			ASSERT_EQ(k->bss->encrypt_ret, -EINVAL, "past the end");
		f.msg_off = 0xfffffff0;			/* offset + length wraps */
		if (!run_encrypt(k, xdp, &f, &over4, out, &out_len))
			ASSERT_EQ(k->bss->encrypt_ret, -EINVAL, "wrapping");
	}
}

/*
 * Without a keypair, encrypting fails with -ENOKEY, leaves the packet as it
 * was and starts a handshake, after which encrypting works.
 */
static void test_no_keypair(struct wg_tunnel *skel, struct wg_kfuncs *k)
{
	static struct frame f;
	__u64 inits = skel->bss->msgs[WG_INIT];
	static __u8 out[FRAME_MAX];
	__u32 out_len;
	int i;

	if (!ASSERT_OK(wg_remove_peer(NS_A, 'b'), "remove peer") ||
	    !ASSERT_OK(wg_set_peer_b("192.0.2.2"), "re-add peer"))
		goto out;
	build_frame(&f, &under4, &over4, 100);
	if (run_encrypt(k, true, &f, &over4, out, &out_len))
		goto out;
	ASSERT_EQ(k->bss->encrypt_ret, -ENOKEY, "no keypair");
	ASSERT_EQ(out_len, f.len, "length");
	ASSERT_OK(memcmp(out, f.buf, f.len), "packet untouched");
	for (i = 0; i < 100 && skel->bss->msgs[WG_INIT] == inits; i++)
		usleep(20000);
	ASSERT_GT(skel->bss->msgs[WG_INIT], inits, "handshake started");
	for (i = 0; i < 100; i++) {
		if (run_encrypt(k, true, &f, &over4, out, &out_len) || k->bss->encrypt_ret > 0)
			break;
		usleep(20000);
	}
	ASSERT_EQ(k->bss->encrypt_ret, f.msg_len, "encrypt after the handshake");
out:
	return;
}

/*
 * What the lookups and the endpoint give when there is nothing to find: an
 * inner address no peer may use, an interface that is no WireGuard device,
 * a peer without an endpoint (nor a keypair: no handshake can go out), a
 * tuple with room for IPv4 only and an IPv6 endpoint. And once the device
 * has sent to the endpoint, the source address it used.
 */
static void test_misses(struct wg_tunnel *skel, struct wg_kfuncs *k)
{
	const struct addrs nowhere = { AF_INET, "10.0.0.1", "10.0.0.99" };
	const struct addrs peer_c = { AF_INET, "10.0.0.1", "10.0.0.3" };
	static __u8 out[FRAME_MAX];
	static struct frame f;
	__u32 out_len;
	__u8 addr[4];

	build_frame(&f, &under4, &over4, 100);
	if (!run_encrypt(k, true, &f, &nowhere, out, &out_len))
		ASSERT_EQ(k->bss->encrypt_ret, NO_PEER, "no peer for 10.0.0.99");
	encrypt_ifindex = ifindex_in(NS_A, "veth0");
	if (!run_encrypt(k, true, &f, &over4, out, &out_len))
		ASSERT_EQ(k->bss->encrypt_ret, NO_DEVICE, "veth0 is no WireGuard device");
	encrypt_ifindex = 0;
	if (!run_encrypt(k, true, &f, &peer_c, out, &out_len)) {
		ASSERT_EQ(k->bss->tuple_ret, -ENOENT, "peer C: no endpoint");
		ASSERT_EQ(k->bss->encrypt_ret, -ENOKEY, "peer C: no keypair");
		ASSERT_OK(memcmp(out, f.buf, f.len), "packet untouched");
	}

	/* A new endpoint has no source address until A sends to it. */
	if (!ASSERT_OK(wg_set_peer_b("192.0.2.2"), "endpoint"))
		return;
	if (!run_encrypt(k, true, &f, &over4, out, &out_len)) {
		ASSERT_EQ(k->bss->tuple_ret, AF_INET, "endpoint family");
		ASSERT_EQ(k->bss->tuple.ipv4.saddr, 0, "no source address yet");
	}
	ping_through(skel, "10.0.0.2");
	inet_pton(AF_INET, under4.a, addr);
	if (!run_encrypt(k, true, &f, &over4, out, &out_len))
		ASSERT_OK(memcmp(&k->bss->tuple.ipv4.saddr, addr, 4), "source address A used");

	if (!ASSERT_OK(wg_set_peer_b("2001:db8::2"), "IPv6 endpoint"))
		return;
	k->bss->tuple_ipv4_only = 1;
	if (!run_encrypt(k, true, &f, &over4, out, &out_len))
		ASSERT_EQ(k->bss->tuple_ret, -EINVAL, "no room for an IPv6 endpoint");
	k->bss->tuple_ipv4_only = 0;
	ASSERT_OK(wg_set_peer_b("192.0.2.2"), "endpoint back");
}

/* Wait until the decrypting program has seen a message after @count. */
static bool dec_wait(struct wg_kfuncs *k, __u32 count)
{
	return moved(&k->bss->dec_count, count);
}

/*
 * Offset of the WireGuard message in the frame @buf of @len bytes: Ethernet,
 * IPv4 or IPv6 (no extension headers), UDP.
 */
static size_t msg_off(const __u8 *buf, size_t len)
{
	const __u8 *ip = buf + sizeof(struct ethhdr);

	if (len > sizeof(struct ethhdr) && ip[0] >> 4 == 6)
		return sizeof(struct ethhdr) + sizeof(struct ipv6hdr) + sizeof(struct udphdr);
	return sizeof(struct ethhdr) + sizeof(struct iphdr) + sizeof(struct udphdr);
}

/* What A's program left of the frame dec_inject_raw() injected last. */
static __u8 inj_post[sizeof(((struct wg_kfuncs *)0)->bss->post)];

/*
 * The frame in @buf injected on B's veth0, for A's program, which takes
 * this message alone (by its receiver index and nonce, where it has them):
 * its result, and what the program left of the frame in inj_post[], copied
 * before messages B may still have in flight are taken again.
 */
static int dec_inject_raw(struct wg_kfuncs *k, const void *buf, size_t len)
{
	size_t off = msg_off(buf, len) + 4;
	__u32 count;
	int ret = -1;

	k->bss->want_idx = 0;
	k->bss->want_nonce = 0;
	if (len >= off + 12) {
		memcpy(&k->bss->want_idx, (const __u8 *)buf + off, sizeof(k->bss->want_idx));
		memcpy(&k->bss->want_nonce, (const __u8 *)buf + off + 4,
		       sizeof(k->bss->want_nonce));
	}
	memset(inj_post, 0, sizeof(inj_post));
	k->bss->match_nonce = 1;
	count = k->bss->dec_count;
	if (!inject(NS_B, buf, len) && dec_wait(k, count)) {
		ret = k->bss->dec_ret;
		memcpy(inj_post, k->bss->post, sizeof(inj_post));
	}
	k->bss->match_nonce = 0;
	return ret;
}

/*
 * The outer UDP checksum of the frame in @buf made whole. Captured on veth,
 * B's frames carry the pending one (the pseudo-header sum) that TX checksum
 * offload left, which TC would refuse once injected.
 */
static void fix_outer_udp_csum(__u8 *buf, size_t len)
{
	__u8 *ip = buf + sizeof(struct ethhdr);
	int family = ip[0] >> 4 == 4 ? AF_INET : AF_INET6;
	size_t iplen = family == AF_INET ? (ip[0] & 0xf) * 4 : sizeof(struct ipv6hdr);
	struct udphdr *udp = (void *)(ip + iplen);

	if (len >= sizeof(struct ethhdr) + iplen + sizeof(*udp) &&
	    ntohs(udp->len) <= len - sizeof(struct ethhdr) - iplen)
		udp_csum(ip, family, udp);
}

/* Until B's messages stop: none for 500 ms (at most 10 s). */
static void dec_drain(struct wg_kfuncs *k)
{
	__u32 count;
	int i;

	for (i = 0; i < 20; i++) {
		count = k->bss->dec_count;
		usleep(500000);
		if (k->bss->dec_count == count)
			return;
	}
}

/* dec_inject_raw() of @buf with its outer UDP checksum made whole first. */
static int dec_inject(struct wg_kfuncs *k, void *buf, size_t len)
{
	fix_outer_udp_csum(buf, len);
	return dec_inject_raw(k, buf, len);
}

/* Statistic @name of device @dev in @ns (/sys/class/net/DEV/statistics). */
static int dev_stat(const char *ns, const char *dev, const char *name, __u64 *v)
{
	unsigned long long n;
	char cmd[256];
	int ret = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ip netns exec %s cat /sys/class/net/%s/statistics/%s",
		 ns, dev, name);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%llu", &n) == 1) {
		*v = n;
		ret = 0;
	}
	pclose(f);
	return ret;
}

/* B's kernel sends an inner datagram of @payload bytes; xdp_decrypt on A. */
static int dec_native(struct wg_kfuncs *k, const struct addrs *inner, size_t payload)
{
	__u32 count = k->bss->dec_count;

	if (!ASSERT_OK(send_inner(NS_B, inner, false, payload), "send from B") ||
	    !dec_wait(k, count))
		return -1;
	return k->bss->dec_ret;
}

/*
 * B's message with an inner datagram of @payload bytes, captured on A
 * before anything decrypted it, copied to @buf: its length, 0 if none.
 * The program captures one message (the first after the switch: one
 * still in flight from B may come before it), which later ones do not
 * overwrite: a copy taken while another arrived was torn, a header and
 * a ciphertext of two messages, and failed to authenticate (seen once,
 * decrypt_window on the debug kernel, -EBADMSG). xdp_decrypt decrypts
 * again afterwards.
 */
static __u32 dec_capture(struct wg_kfuncs *k, const struct addrs *inner, size_t payload,
			 __u8 *buf, size_t size)
{
	__u32 len = 0;

	k->bss->captured = 0;
	k->bss->dec_mode = DEC_CAPTURE;
	k->bss->dec_ret = 0;	/* capturing leaves it as it is */
	if (ASSERT_GE(dec_native(k, inner, payload), 0, "capture") &&
	    ASSERT_LE(k->bss->frame_len, size, "captured length")) {
		len = k->bss->frame_len;
		memcpy(buf, k->bss->frame, len);
	}
	k->bss->dec_mode = DEC_DECRYPT;
	return len;
}

/*
 * B's endpoint for A set to @endpoint, xdp_decrypt decrypting, and a first
 * message of @payload bytes from B, which brings the session up if it was
 * not: whether all of it worked.
 */
static bool dec_session(struct wg_kfuncs *k, const char *endpoint,
			const struct addrs *inner, size_t payload)
{
	if (!ASSERT_OK(wg_set_peer_a(endpoint), "endpoint"))
		return false;
	k->bss->dec_mode = DEC_DECRYPT;
	return ASSERT_GT(dec_native(k, inner, payload), 0, "session");
}

/* The plaintext xdp_decrypt left: an inner UDP datagram from B to A. */
static void check_plain(struct wg_kfuncs *k, const struct addrs *inner, size_t payload)
{
	size_t iplen = inner->family == AF_INET ? sizeof(struct iphdr) : sizeof(struct ipv6hdr);
	__u8 want[128];

	ASSERT_EQ(k->bss->plain[0] >> 4, inner->family == AF_INET ? 4 : 6, "inner version");
	fill_payload(want, payload, payload);
	ASSERT_OK(memcmp(k->bss->plain + iplen + sizeof(struct udphdr), want, payload),
		  "inner payload");
}

static void fix_ipv4_csum(__u8 *frame)
{
	struct iphdr *iph = (void *)(frame + sizeof(struct ethhdr));

	iph->check = 0;
	iph->check = csum_fold16(csum_add(0, iph, sizeof(*iph)));
}

/* Whether the decrypting program is tc_decrypt, not xdp_decrypt. */
static bool dec_tc;

/*
 * TC: the outer UDP checksum is verified where the device did not, as the
 * native path's UDP socket does before WireGuard sees the datagram. A wrong
 * one, or none over IPv6, is -EINVAL before anything else, the packet left
 * as it was; none over IPv4 is allowed.
 */
static void check_outer_csum(struct wg_kfuncs *k, const struct addrs *inner, int family,
			     __u32 len)
{
	size_t iplen = family == AF_INET ? sizeof(struct iphdr) : sizeof(struct ipv6hdr);
	__u8 msg[256], bad[256];
	struct udphdr *udp = (void *)(bad + sizeof(struct ethhdr) + iplen);

	if (!ASSERT_EQ(dec_capture(k, inner, 40, msg, sizeof(msg)), len, "same length"))
		return;
	fix_outer_udp_csum(msg, len);
	memcpy(bad, msg, len);
	udp->check = htons(ntohs(udp->check) == 0x1234 ? 0x4321 : 0x1234);
	ASSERT_EQ(dec_inject_raw(k, bad, len), -EINVAL, "wrong UDP checksum");
	ASSERT_OK(memcmp(inj_post, bad, len), "wrong checksum: left as it was");
	udp->check = 0;
	if (family == AF_INET) {
		ASSERT_GT(dec_inject_raw(k, bad, len), 0, "no UDP checksum over IPv4");
		return;
	}
	ASSERT_EQ(dec_inject_raw(k, bad, len), -EINVAL, "no UDP checksum over IPv6");
	ASSERT_OK(memcmp(inj_post, bad, len), "no checksum: left as it was");
	ASSERT_GT(dec_inject_raw(k, msg, len), 0, "right UDP checksum");
}

/*
 * B's kernel encrypts, BPF on A decrypts. Then the errors: replay, tampered
 * tag, truncated message, unknown receiver index, index of another peer,
 * a message of another type, length beyond the packet.
 */
static void test_decrypt(struct wg_kfuncs *k, const struct addrs *outer,
			 const struct addrs *inner)
{
	size_t iplen = outer->family == AF_INET ? sizeof(struct iphdr) : sizeof(struct ipv6hdr);
	size_t udp_off = sizeof(struct ethhdr) + iplen, msg_off = udp_off + 8;
	char want[64], endpoint[64];
	__u64 rx0, tx0, rx1, tx1;
	__u8 frame[256], bad[256], fresh[256];
	struct udphdr *udp;
	__u32 len;
	int ret;

	/*
	 * On a fresh keypair, which B does not replace for REKEY_AFTER_TIME
	 * (120 s): a rekey in the middle adds B's initiation and keepalive to
	 * the rx bytes counted below (seen on the arm64 guest: 180 more).
	 */
	if (!ASSERT_OK(b_forgets_keypairs(outer->a), "B forgets its keypairs") ||
	    !dec_session(k, outer->a, inner, 39))
		return;
	/*
	 * A's endpoint for B moved to a port B does not listen on: the
	 * message decrypted next, by BPF, is what brings it back. Whatever A
	 * sends meanwhile (a keepalive) is lost, and B stays where it was.
	 */
	endpoint_str(want, sizeof(want), outer->b, WG_PORT);
	if (!ASSERT_OK(wg_endpoint_b(outer->b, WG_PORT + 1), "endpoint elsewhere") ||
	    !ASSERT_OK(wg_show(NS_A, 'b', "endpoints", endpoint, sizeof(endpoint)), "endpoint") ||
	    !ASSERT_NEQ(strcmp(endpoint, want), 0, "not there yet"))
		return;
	ASSERT_OK(wg_transfer(NS_A, 'b', &rx0, &tx0), "wg show");
	ret = dec_native(k, inner, 40);
	if (!ASSERT_GT(ret, 0, "decrypt"))
		return;
	check_plain(k, inner, 40);
	ASSERT_OK(wg_transfer(NS_A, 'b', &rx1, &tx1), "wg show");
	len = k->bss->frame_len;
	ASSERT_EQ(rx1 - rx0, len - msg_off, "rx bytes");
	/* A follows B to the address the message came from. */
	if (ASSERT_OK(wg_show(NS_A, 'b', "endpoints", endpoint, sizeof(endpoint)), "endpoint"))
		ASSERT_STREQ(endpoint, want, "roamed");
	memcpy(frame, k->bss->frame, len);

	/* Refused before decryption: nothing is written. */
	ASSERT_EQ(dec_inject(k, frame, len), -EALREADY, "replay");
	ASSERT_OK(memcmp(inj_post, frame, len), "replay left as it was");

	/* A message with a nonce not seen yet, tampered with: wiped. */
	if (!ASSERT_EQ(dec_capture(k, inner, 40, fresh, sizeof(fresh)), len, "same length"))
		return;
	memcpy(bad, fresh, len);
	bad[len - 1] ^= 1;
	ASSERT_EQ(dec_inject(k, bad, len), -EBADMSG, "tampered tag");
	ASSERT_TRUE(all_zero(inj_post + msg_off, len - msg_off), "tampered message wiped");
	ASSERT_OK(memcmp(inj_post, bad, msg_off), "headers left as they were");
	/* The refused message did not take its nonce from the window. */
	ASSERT_GT(dec_inject(k, fresh, len), 0, "same nonce, untampered");

	if (dec_tc)
		check_outer_csum(k, inner, outer->family, len);

	memcpy(bad, frame, len);
	udp = (void *)(bad + udp_off);
	udp->len = htons(8 + 24);
	if (outer->family == AF_INET) {
		((struct iphdr *)(bad + sizeof(struct ethhdr)))->tot_len = htons(iplen + 8 + 24);
		fix_ipv4_csum(bad);
	} else {
		((struct ipv6hdr *)(bad + sizeof(struct ethhdr)))->payload_len = htons(8 + 24);
	}
	ASSERT_EQ(dec_inject(k, bad, msg_off + 24), -EINVAL, "truncated");

	memcpy(bad, frame, len);
	bad[msg_off + 4] ^= 0xff;
	ASSERT_EQ(dec_inject(k, bad, len), NO_PEER, "unknown index: no peer");
	k->bss->peer_by_addr = 1;
	inet_pton(AF_INET, "10.0.0.2", k->bss->peer_addr);
	ASSERT_EQ(dec_inject(k, bad, len), -ENOKEY, "unknown index");
	inet_pton(AF_INET, "10.0.0.3", k->bss->peer_addr);
	ASSERT_EQ(dec_inject(k, frame, len), -EPERM, "index of another peer");
	k->bss->peer_by_addr = 0;

	/* Not a data message: refused, and left as it was. */
	memcpy(bad, frame, len);
	bad[msg_off] = 1;	/* type: handshake initiation */
	k->bss->any_type = 1;
	ASSERT_EQ(dec_inject(k, bad, len), -EINVAL, "not a data message");
	k->bss->any_type = 0;
	ASSERT_OK(memcmp(inj_post, bad, len), "other type left as it was");

	/* The outer header is where the program says, not guessed. */
	k->bss->nh_delta = 1;
	ASSERT_EQ(dec_inject(k, frame, len), -EINVAL, "no IP header there");
	k->bss->nh_delta = 1000;
	ASSERT_EQ(dec_inject(k, frame, len), -EINVAL, "beyond the packet");
	k->bss->nh_delta = 0;

	/* Nothing above broke the session. */
	ret = dec_native(k, inner, 41);
	if (ASSERT_GT(ret, 0, "decrypt after the errors"))
		check_plain(k, inner, 41);
}

/*
 * The payload of a datagram @fd receives within 2 s, with the index of the
 * interface it came in on; -1 if none.
 */
static ssize_t recv_pktinfo(int fd, __u8 *buf, size_t size, int *ifindex)
{
	char cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct cmsghdr *c;
	ssize_t n;

	*ifindex = 0;
	if (poll(&pfd, 1, 2000) != 1)
		return -1;
	n = recvmsg(fd, &msg, 0);
	for (c = CMSG_FIRSTHDR(&msg); n >= 0 && c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
			*ifindex = ((struct in_pktinfo *)CMSG_DATA(c))->ipi_ifindex;
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO)
			*ifindex = ((struct in6_pktinfo *)CMSG_DATA(c))->ipi6_ifindex;
	}
	return n;
}

/*
 * XDP: what a program decrypted but does not forward goes to A's stack as
 * wg0's traffic, not veth0's: a socket on A's inner address gets it, with
 * wg0 as the interface it came in on. Refused, and not delivered: a packet
 * whose source the program rewrote after decryption to one B may not use,
 * and an offset where no IP packet is.
 */
static void test_deliver(struct wg_kfuncs *k, const struct addrs *inner)
{
	int fd, ifindex, wg0 = ifindex_in(NS_A, "wg0"), on = 1;
	__u8 buf[128], want[128];
	ssize_t n;

	if (!ASSERT_OK(wg_set_peer_a(under4.a), "endpoint"))
		return;
	fd = inner_server(NS_A, inner, true);
	if (fd < 0)
		return;
	if (!ASSERT_OK(inner->family == AF_INET ?
		       setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) :
		       setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)),
		       "pktinfo"))
		goto out;
	k->bss->dec_mode = DEC_DELIVER;
	k->bss->deliver_ret = NO_PEER;
	if (!ASSERT_GT(dec_native(k, inner, 40), 0, "decrypt"))
		goto out;
	ASSERT_EQ(k->bss->deliver_ret, 0, "deliver");
	ASSERT_EQ(k->bss->dev_ifindex, wg0, "bpf_wg_device_ifindex");
	n = recv_pktinfo(fd, buf, sizeof(buf), &ifindex);
	fill_payload(want, 40, 40);
	ASSERT_EQ(n, 40, "delivered");
	ASSERT_OK(memcmp(buf, want, 40), "payload");
	ASSERT_EQ(ifindex, wg0, "received by wg0");

	k->bss->deliver_spoof = 1;
	ASSERT_GT(dec_native(k, inner, 41), 0, "decrypt");
	ASSERT_EQ(k->bss->deliver_ret, -EACCES, "source rewritten after decryption");
	k->bss->deliver_spoof = 0;
	k->bss->deliver_delta = 1;
	ASSERT_GT(dec_native(k, inner, 42), 0, "decrypt");
	ASSERT_EQ(k->bss->deliver_ret, -EINVAL, "no IP header there");
	k->bss->deliver_delta = 10000;
	ASSERT_GT(dec_native(k, inner, 43), 0, "decrypt");
	ASSERT_EQ(k->bss->deliver_ret, -EINVAL, "beyond the packet");
	k->bss->deliver_delta = 0;
	ASSERT_LT(recv_pktinfo(fd, buf, sizeof(buf), &ifindex), 0, "refused ones not delivered");
out:
	k->bss->deliver_spoof = 0;
	k->bss->deliver_delta = 0;
	k->bss->dec_mode = DEC_DECRYPT;
	close(fd);
}

/*
 * TC: B's message of several pages, captured, then injected from B, which
 * makes it a paged skb. With only its headers pulled, it is refused and
 * left as it was: pulled whole, the same message decrypts.
 */
static void test_decrypt_tc_paged(struct wg_kfuncs *k)
{
	const size_t payload = 5000;
	static __u8 msg[FRAME_MAX];
	__u8 want[64];
	__u32 len;
	int ret;

	if (!ASSERT_OK(wg_set_peer_a("192.0.2.1"), "endpoint") ||
	    !ASSERT_OK(jumbo(true), "jumbo frames"))
		goto out;
	k->bss->dec_mode = DEC_DECRYPT;
	if (!ASSERT_GT(dec_native(k, &over4, 20), 0, "session"))
		goto out;
	len = dec_capture(k, &over4, payload, msg, sizeof(msg));
	if (!ASSERT_GT(len, 4096, "beyond a page"))
		goto out;

	k->bss->pull_len = PULL_HEADERS;
	ret = dec_inject(k, msg, len);
	ASSERT_TRUE(k->bss->dec_nonlinear, "paged");
	ASSERT_EQ(ret, -EOPNOTSUPP, "message in the pages");

	k->bss->pull_len = 0;
	ret = dec_inject(k, msg, len);
	ASSERT_FALSE(k->bss->dec_nonlinear, "pulled");
	if (ASSERT_GT(ret, 0, "decrypt")) {
		fill_payload(want, sizeof(want), payload);
		ASSERT_OK(memcmp(k->bss->plain + sizeof(struct iphdr) + sizeof(struct udphdr),
				 want, sizeof(want)), "inner payload");
	}
out:
	k->bss->pull_len = 0;
	jumbo(false);
}

/*
 * TC: B's message queued to a packet socket too, so that the skb reaches TC
 * as a clone. Unpulled, its data is the clone's: refused, left as it was.
 * Pulled, it is private: it decrypts, the clone keeps the ciphertext.
 */
static void test_decrypt_tc_cloned(struct wg_kfuncs *k)
{
	__u8 msg[256];
	int ret, tap;
	__u32 len;

	if (!ASSERT_OK(wg_set_peer_a("192.0.2.1"), "endpoint"))
		return;
	tap = tap_open(NS_A, "veth0");
	if (tap < 0)
		return;
	k->bss->dec_mode = DEC_DECRYPT;
	if (!ASSERT_GT(dec_native(k, &over4, 20), 0, "session"))
		goto out;
	len = dec_capture(k, &over4, 42, msg, sizeof(msg));
	if (!len)
		goto out;

	k->bss->pull_len = PULL_NONE;
	tap_drain(tap);
	ret = dec_inject(k, msg, len);
	ASSERT_TRUE(k->bss->dec_cloned, "cloned");
	ASSERT_EQ(ret, -EOPNOTSUPP, "data of the clone");
	ASSERT_TRUE(tap_got(tap, msg, len), "clone untouched");

	k->bss->pull_len = 0;
	tap_drain(tap);
	ret = dec_inject(k, msg, len);
	ASSERT_TRUE(k->bss->dec_cloned, "cloned");
	if (ASSERT_GT(ret, 0, "decrypt"))
		check_plain(k, &over4, 42);
	ASSERT_TRUE(tap_got(tap, msg, len), "clone untouched");
out:
	k->bss->pull_len = 0;
	close(tap);
}

/*
 * A keepalive decrypts to 0; a message whose inner source B may not use
 * fails with -EACCES, as the native path drops it.
 */
static void test_keepalive_allowedips(struct wg_kfuncs *k)
{
	int i;

	if (!dec_session(k, under4.a, &over4, 20))
		return;
	k->bss->keepalives = 0;
	k->bss->take_keepalives = 1;
	SYS(out, "ip netns exec %s wg set wg0 peer $(cat %s/a.pub) persistent-keepalive 1",
	    NS_B, keydir);
	for (i = 0; i < 300 && !k->bss->keepalives; i++)
		usleep(10000);
	k->bss->take_keepalives = 0;
	ASSERT_GT(k->bss->keepalives, 0, "keepalive decrypted to 0");
	SYS(out, "ip netns exec %s wg set wg0 peer $(cat %s/a.pub) persistent-keepalive 0",
	    NS_B, keydir);

	/*
	 * B's wg0 may send from 10.9.9.9, A does not allow it for B: counted
	 * on A's wg0 as rx_errors and rx_frame_errors, as natively.
	 */
	SYS(out, "ip -n %s addr add 10.9.9.9/32 dev wg0", NS_B);
	{
		__u32 count = k->bss->dec_count;
		__u64 err0, err1, frm0, frm1;

		if (!ASSERT_OK(dev_stat(NS_A, "wg0", "rx_errors", &err0), "rx_errors") ||
		    !ASSERT_OK(dev_stat(NS_A, "wg0", "rx_frame_errors", &frm0), "rx_frame_errors"))
			goto out;
		SYS(out,
		    "ip netns exec %s ping -q -c 1 -W 1 -I 10.9.9.9 10.0.0.1 >/dev/null 2>&1 || true",
		    NS_B);
		if (dec_wait(k, count)) {
			size_t off = msg_off(k->bss->post, k->bss->frame_len);

			ASSERT_EQ(k->bss->dec_ret, -EACCES, "inner source not allowed");
			ASSERT_TRUE(all_zero(k->bss->post + off, k->bss->frame_len - off),
				    "refused plaintext wiped");
			if (ASSERT_OK(dev_stat(NS_A, "wg0", "rx_errors", &err1), "rx_errors") &&
			    ASSERT_OK(dev_stat(NS_A, "wg0", "rx_frame_errors", &frm1),
				      "rx_frame_errors")) {
				ASSERT_EQ(err1 - err0, 1, "rx_errors counted");
				ASSERT_EQ(frm1 - frm0, 1, "rx_frame_errors counted");
			}
		}
	}
out:
	SYS_NOFAIL("ip -n %s addr del 10.9.9.9/32 dev wg0", NS_B);
}

/*
 * Multi-buffer XDP: with a WireGuard MTU above a page, the message spans
 * the frame's frags; B's kernel must still get the datagram.
 */
static void test_encrypt_frags(struct wg_tunnel *skel, struct wg_kfuncs *k)
{
	const size_t payload = 6000;
	static struct frame f;
	static __u8 out[FRAME_MAX];
	__u32 out_len;
	int srv;

	if (!ASSERT_OK(jumbo(true), "jumbo frames"))
		goto out;
	ping_through(skel, "10.0.0.2");
	srv = inner_server(NS_B, &over4, false);
	if (srv < 0)
		goto out;
	build_frame(&f, &under4, &over4, payload);
	if (!ASSERT_GT(f.len, 4096, "beyond a page") ||
	    run_encrypt(k, true, &f, &over4, out, &out_len))
		goto close;
	if (!ASSERT_EQ(k->bss->encrypt_ret, f.msg_len, "encrypt") ||
	    !ASSERT_EQ(out_len, f.len, "length"))
		goto close;
	memcpy(f.buf, out, out_len);
	finish_frame(&f);
	if (!inject(NS_A, f.buf, f.len))
		ASSERT_TRUE(recv_payload(srv, payload), "B got the inner datagram");
close:
	close(srv);
out:
	jumbo(false);
}

/*
 * @f, built from A to B, turned into a frame from B's side to A's veth0,
 * where tc_encrypt_fwd, attached here, encrypts it and sends it back.
 */
static int fwd_attach(struct wg_kfuncs *k, struct frame *f)
{
	struct nstoken *tok;
	int err;

	memcpy(f->buf, mac_a, ETH_ALEN);
	memcpy(f->buf + ETH_ALEN, mac_b, ETH_ALEN);
	k->bss->wg_ifindex = ifindex_in(NS_A, "wg0");
	inet_pton(AF_INET, over4.b, k->bss->inner_daddr);
	k->bss->inner_daddr_len = 4;
	k->bss->msg_off = f->msg_off;
	k->bss->inner_len = f->inner_len;
	k->bss->fwd_len = f->len;
	tok = open_netns(NS_A);
	if (!ASSERT_OK_PTR(tok, "open_netns"))
		return -1;
	err = tc_prog_attach("veth0", bpf_program__fd(k->progs.tc_encrypt_fwd), -1);
	close_netns(tok);
	return err;
}

/*
 * TC: a frame of several pages, queued to a packet socket too, so that the
 * skb is both paged and cloned. Encrypted with only its headers pulled, its
 * message would be written in pages the clone shares: the kfunc refuses it
 * and nothing changes. Pulled whole, the skb is linear and private, the
 * frame goes to B encrypted, B delivers it and the clone kept the plaintext.
 */
static void test_encrypt_tc_paged(struct wg_tunnel *skel, struct wg_kfuncs *k)
{
	const size_t payload = 5000;
	static struct frame f;
	int srv = -1, tap = -1;
	__u32 count;

	if (!ASSERT_OK(jumbo(true), "jumbo frames"))
		goto out;
	ping_through(skel, "10.0.0.2");
	srv = inner_server(NS_B, &over4, false);
	tap = tap_open(NS_A, "veth0");
	if (srv < 0 || tap < 0)
		goto out;
	build_frame(&f, &under4, &over4, payload);
	if (fwd_attach(k, &f))
		goto out;

	k->bss->pull_len = PULL_HEADERS;
	tap_drain(tap);
	count = k->bss->fwd_count;
	if (inject(NS_B, f.buf, f.len) || !moved(&k->bss->fwd_count, count))
		goto detach;
	ASSERT_TRUE(k->bss->fwd_cloned, "cloned");
	ASSERT_TRUE(k->bss->fwd_nonlinear, "paged");
	ASSERT_EQ(k->bss->encrypt_ret, -EOPNOTSUPP, "message in shared pages");
	ASSERT_TRUE(tap_got(tap, f.buf, f.len), "clone untouched");

	k->bss->pull_len = 0;
	tap_drain(tap);
	count = k->bss->fwd_count;
	if (inject(NS_B, f.buf, f.len) || !moved(&k->bss->fwd_count, count))
		goto detach;
	ASSERT_TRUE(k->bss->fwd_cloned, "cloned");
	ASSERT_FALSE(k->bss->fwd_nonlinear, "pulled");
	ASSERT_EQ(k->bss->encrypt_ret, f.msg_len, "encrypt");
	ASSERT_TRUE(recv_payload(srv, payload), "B got the inner datagram");
	ASSERT_TRUE(tap_got(tap, f.buf, f.len), "clone untouched");
detach:
	SYS_NOFAIL("tc -n %s qdisc del dev veth0 clsact", NS_A);
out:
	k->bss->fwd_len = 0;
	k->bss->pull_len = 0;
	if (tap >= 0)
		close(tap);
	if (srv >= 0)
		close(srv);
	jumbo(false);
}

/*
 * Whether the tap on a WireGuard device (IPv4 packets, no link header) got
 * an IPv4 UDP packet of @len bytes whose UDP checksum verifies.
 */
static bool tap_udp_csum_ok(int fd, size_t len)
{
	static __u8 got[FRAME_MAX];
	struct udphdr *udp = (void *)(got + sizeof(struct iphdr));
	bool ok = false;
	ssize_t n;

	while ((n = recv(fd, got, sizeof(got), MSG_DONTWAIT)) >= 0)
		if (n == len && got[0] == 0x45 && got[9] == IPPROTO_UDP &&
		    ntohs(udp->len) == len - sizeof(struct iphdr))
			ok = !csum_fold16(csum_add(udp_pseudo(got, AF_INET, udp), udp,
						   ntohs(udp->len)));
	return ok;
}

/* skb->ip_summed: CHECKSUM_NONE and CHECKSUM_PARTIAL of linux/skbuff.h. */
#define SUMMED_NONE	0
#define SUMMED_PARTIAL	3

/*
 * An inner datagram whose UDP checksum is still pending (CHECKSUM_PARTIAL,
 * as veth and tap peers with default offloads hand packets over): the
 * kfunc completes it before encrypting, or nothing could afterwards and the
 * datagram would leave B with a bad checksum. The frame comes from B's
 * packet socket with a virtio_net header that asks for the checksum; veth
 * keeps the state to A's TC ingress, where tc_encrypt_fwd encrypts it and
 * sends it back.
 */
static void test_encrypt_tc_csum_partial(struct wg_tunnel *skel, struct wg_kfuncs *k)
{
	const size_t in_hdr = sizeof(struct iphdr), payload = 100;
	struct virtio_net_hdr vh = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM };
	static struct frame f;
	struct udphdr *udp;
	int srv, tap = -1;
	__u8 *in;
	__u32 count;

	ping_through(skel, "10.0.0.2");
	srv = inner_server(NS_B, &over4, false);
	if (srv < 0)
		return;
	tap = tap_open(NS_B, "wg0");
	if (tap < 0)
		goto out;
	build_frame(&f, &under4, &over4, payload);
	/* The inner checksum as a sender that offloads it leaves it. */
	in = f.buf + f.msg_off + 16;
	udp = (void *)(in + in_hdr);
	udp->check = ~csum_fold16(udp_pseudo(in, AF_INET, udp));
	vh.csum_start = in + in_hdr - f.buf;
	vh.csum_offset = offsetof(struct udphdr, check);
	if (fwd_attach(k, &f))
		goto out;
	count = k->bss->fwd_count;
	if (inject_vnet(NS_B, &vh, f.buf, f.len) || !moved(&k->bss->fwd_count, count))
		goto detach;
	ASSERT_EQ(k->bss->fwd_summed_pre, SUMMED_PARTIAL, "checksum pending at TC");
	ASSERT_EQ(k->bss->encrypt_ret, f.msg_len, "encrypt");
	ASSERT_EQ(k->bss->fwd_summed_post, SUMMED_NONE, "checksum completed");
	/*
	 * B's WireGuard marks what it decrypted CHECKSUM_UNNECESSARY: its
	 * socket would take a bad checksum too. What B's wg0 received must
	 * carry a correct one, as a host behind B would check it.
	 */
	ASSERT_TRUE(recv_payload(srv, payload), "B got the inner datagram");
	ASSERT_TRUE(tap_udp_csum_ok(tap, f.inner_len), "inner UDP checksum");
detach:
	SYS_NOFAIL("tc -n %s qdisc del dev veth0 clsact", NS_A);
out:
	k->bss->fwd_len = 0;
	if (tap >= 0)
		close(tap);
	close(srv);
}

/*
 * A message sent on the previous keypair still decrypts after a rekey, and
 * the first message on the next keypair promotes it: A's replies use it.
 */
static void test_rekey(struct wg_kfuncs *k)
{
	__u8 old[256];
	char hs[64];
	time_t t0;
	__u32 len;
	int ret;

	if (!ASSERT_OK(wg_set_peer_a("192.0.2.1"), "endpoint"))
		return;
	k->bss->dec_mode = DEC_DECRYPT;
	if (!ASSERT_GT(dec_native(k, &over4, 30), 0, "current keypair"))
		return;
	len = dec_capture(k, &over4, 31, old, sizeof(old));
	if (!len)
		return;

	/*
	 * B forgets its keypairs: its next message comes after a handshake.
	 * A, the responder, completes the handshake when that message, on the
	 * next keypair, is decrypted: by BPF. wg show has one-second latest
	 * handshakes: the previous one is at least a second older than t0.
	 */
	sleep(1);
	t0 = time(NULL);
	if (!ASSERT_OK(b_forgets_keypairs("192.0.2.1"), "B forgets its keypairs"))
		goto out;
	k->bss->dec_mode = DEC_DECRYPT;
	ret = dec_native(k, &over4, 32);
	if (!ASSERT_GT(ret, 0, "next keypair"))
		goto out;
	check_plain(k, &over4, 32);
	if (ASSERT_OK(wg_show(NS_A, 'b', "latest-handshakes", hs, sizeof(hs)), "wg show"))
		ASSERT_GE(atoll(hs), (long long)t0, "latest handshake");
	ret = dec_inject(k, old, len);
	if (ASSERT_GT(ret, 0, "previous keypair"))
		check_plain(k, &over4, 31);

	/* B only has the new keypair: A reaches B only if it was promoted. */
	k->bss->dec_mode = DEC_PASS;
	SYS(out, "ip netns exec %s ping -q -c 1 -W 2 10.0.0.2 >/dev/null", NS_A);
out:
	k->bss->dec_mode = DEC_DECRYPT;
}

/* Run xdp_lookup and tc_lookup in @ns: found by index, found by port. */
static void lookup_in(struct wg_kfuncs *k, const char *ns, bool by_index, bool by_port)
{
	__u8 pkt[64] = {};
	int p;

	for (p = 0; p < 2; p++) {
		LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = pkt,
			    .data_size_in = sizeof(pkt), .repeat = 1);
		struct bpf_program *prog = p ? k->progs.tc_lookup : k->progs.xdp_lookup;
		struct nstoken *tok = open_netns(ns);

		if (!ASSERT_OK_PTR(tok, "open_netns"))
			return;
		k->bss->found_by_index = -1;
		k->bss->found_by_port = -1;
		ASSERT_OK(bpf_prog_test_run_opts(bpf_program__fd(prog), &topts), "run");
		close_netns(tok);
		ASSERT_EQ(k->bss->found_by_index, by_index, "by index");
		ASSERT_EQ(k->bss->found_by_port, by_port, "by port");
	}
}

/*
 * A device is found where both its interface and its socket are. wg1 is
 * created in A (its socket stays there) and moved to B: found in neither.
 */
static void test_lookup(struct wg_kfuncs *k)
{
	k->bss->lookup_ifindex = ifindex_in(NS_A, "wg0");
	k->bss->lookup_port = WG_PORT;
	lookup_in(k, NS_A, true, true);
	k->bss->lookup_port = 9;	/* no socket there */
	lookup_in(k, NS_A, true, false);

	SYS(out, "ip -n %s link add wg1 index 4242 type wireguard", NS_A);
	SYS(out, "ip netns exec %s wg set wg1 listen-port 51821", NS_A);
	k->bss->lookup_ifindex = 4242;
	k->bss->lookup_port = 51821;
	SYS(out, "ip -n %s link set wg1 up", NS_A);	/* opens the socket */
	lookup_in(k, NS_A, true, true);
	SYS(out, "ip -n %s link set wg1 netns %s", NS_A, NS_B);
	SYS(out, "ip -n %s link set wg1 up", NS_B);	/* the socket, in A */
	lookup_in(k, NS_A, false, false);
	lookup_in(k, NS_B, false, false);
out:
	SYS_NOFAIL("ip -n %s link del wg1", NS_B);
	SYS_NOFAIL("ip -n %s link del wg1", NS_A);
}

/*
 * Peers and devices go away while the program decrypts a flood from B: the
 * lookups start to fail, nothing else happens (the VM fails the run on any
 * kernel warning).
 */
static void test_teardown(struct wg_kfuncs *k)
{
	pid_t ping;
	__u32 count;

	k->bss->dec_mode = DEC_DECRYPT;
	/* Until stopped below: the steps in between are slow on a busy machine. */
	ping = spawn_ping(NS_B, "0.01", "6000", "56", "10.0.0.1");
	if (!ASSERT_GT(ping, 0, "fork ping"))
		return;
	usleep(300000);
	if (!ASSERT_OK(wg_remove_peer(NS_A, 'b'), "remove peer"))
		goto out;
	usleep(300000);
	count = k->bss->dec_count;
	dec_wait(k, count);
	ASSERT_EQ(k->bss->dec_ret, NO_PEER, "peer removed");
	SYS(out, "ip -n %s link del wg0", NS_A);
	count = k->bss->dec_count;
	dec_wait(k, count);
	ASSERT_EQ(k->bss->dec_ret, NO_DEVICE, "device deleted");
out:
	stop_child(ping, 0);
}

/* The ECN field of the IPv4 or IPv6 header at @ip. */
static int ecn_of(const __u8 *ip)
{
	return (ip[0] >> 4) == 4 ? ip[1] & 3 : (ip[1] >> 4) & 3;
}

/*
 * ECN through the tunnel, as the native path does it. B's kernel copies
 * the ECN field of an inner packet to the outer header; a router on the
 * way marks the outer header CE; BPF on A decrypts: an ECT(0) inner
 * packet is now CE, with its IPv4 checksum updated, and a not-ECT one
 * stays not-ECT (INET_ECN_decapsulate(), whose verdict the native path
 * does not act on either).
 */
static void test_decrypt_ecn(struct wg_kfuncs *k, const struct addrs *outer,
			     const struct addrs *inner)
{
	const int ecn[] = { 2 /* ECT(0) */, 0 /* not-ECT */ }, want[] = { 3, 0 };
	__u8 frame[256];
	__u32 len;
	int i;

	if (!dec_session(k, outer->a, inner, 39))
		return;
	for (i = 0; i < ARRAY_SIZE(ecn); i++) {
		inner_tos = ecn[i];
		len = dec_capture(k, inner, 40, frame, sizeof(frame));
		inner_tos = 0;
		if (!len)
			break;
		ASSERT_EQ(ecn_of(frame + ETH_HLEN), ecn[i], "outer ECN from B's kernel");
		/* Congestion experienced on the way. */
		if (outer->family == AF_INET) {
			frame[ETH_HLEN + 1] |= 3;
			fix_ipv4_csum(frame);
		} else {
			frame[ETH_HLEN + 1] |= 3 << 4;
		}
		if (!ASSERT_GT(dec_inject(k, frame, len), 0, "decrypt"))
			break;
		ASSERT_EQ(ecn_of(k->bss->plain), want[i], "inner ECN");
		if (inner->family == AF_INET)
			ASSERT_EQ(csum_fold16(csum_add(0, k->bss->plain, sizeof(struct iphdr))), 0,
				  "inner IPv4 checksum");
	}
	inner_tos = 0;
}

/* Nonces behind the newest one that the replay window still accepts. */
#define COUNTER_WINDOW_SIZE	(8192 - 64)

/*
 * The receiver index of the data message in frame @buf of @len bytes, as it
 * is on the wire (little endian): which keypair it is under.
 */
static __u32 msg_receiver(const __u8 *buf, size_t len)
{
	__u32 idx;

	memcpy(&idx, buf + msg_off(buf, len) + 4, sizeof(idx));
	return idx;
}

/* The nonce of the data message in frame @buf of @len bytes. */
static __u64 msg_nonce(const __u8 *buf, size_t len)
{
	__u64 nonce;

	memcpy(&nonce, buf + msg_off(buf, len) + 8, sizeof(nonce));
	return le64toh(nonce);
}

/*
 * A message with a nonce older than the replay window is refused before
 * decryption, though A never received it: captured, then B sends more
 * than a window's worth of messages, and A accepts the last one. B's
 * kernel drops what it cannot encrypt as fast as the socket sends (its
 * staged queue holds 128 packets) before giving it a nonce, so B sends
 * in rounds until the nonces of the two captured messages are a window
 * apart (on a KASAN kernel, 8192 datagrams took 8094 nonces). Both are
 * under one keypair: the test starts on a fresh one, which B does not
 * replace for REKEY_AFTER_TIME (120 s). An earlier session could be older
 * than that, and a rekey between the two would leave the old message to
 * A's previous keypair, whose window it is in (seen once in CI: the old
 * message decrypted).
 */
static void test_decrypt_window(struct wg_kfuncs *k)
{
	__u8 old[256], last[256];
	__u32 len, last_len = 0;
	__u64 behind = 0;
	int round;

	if (!ASSERT_OK(b_forgets_keypairs(under4.a), "B forgets its keypairs") ||
	    !dec_session(k, under4.a, &over4, 20))
		return;
	len = dec_capture(k, &over4, 21, old, sizeof(old));
	if (!len)
		return;
	for (round = 0; round < 8 && behind <= COUNTER_WINDOW_SIZE; round++) {
		if (!ASSERT_OK(send_inner_n(NS_B, &over4, false, 22, COUNTER_WINDOW_SIZE),
			       "send a window's worth"))
			return;
		last_len = dec_capture(k, &over4, 23, last, sizeof(last));
		if (!last_len)
			return;
		behind = msg_nonce(last, last_len) - msg_nonce(old, len);
	}
	if (!ASSERT_EQ(msg_receiver(last, last_len), msg_receiver(old, len), "one keypair") ||
	    !ASSERT_GT(behind, COUNTER_WINDOW_SIZE, "nonces between the two"))
		return;
	/* B's messages still in flight, taken now, not while injecting. */
	dec_drain(k);
	ASSERT_GT(dec_inject(k, last, last_len), 0, "newest nonce");
	ASSERT_EQ(dec_inject(k, old, len), -EALREADY, "nonce behind the window");
	ASSERT_OK(memcmp(inj_post, old, len), "left as it was");
	/* What B still had queued is not the next subtest's message. */
	dec_drain(k);
}

/*
 * A message that authenticates but holds no valid IP packet: BPF on B
 * encrypts it, BPF on A decrypts it. -EPROTO, the message wiped, and the
 * error counted on A's wg0 as the native path counts it: rx_frame_errors
 * for a packet that is neither IPv4 nor IPv6, rx_length_errors for an
 * IPv4 total length beyond the plaintext.
 */
static void test_decrypt_eproto(struct wg_kfuncs *k)
{
	static const struct addrs b_to_a4 = { AF_INET, "192.0.2.2", "192.0.2.1" };
	static const struct addrs b_to_a_in4 = { AF_INET, "10.0.0.2", "10.0.0.1" };
	static const char * const stat[] = { "rx_frame_errors", "rx_length_errors" };
	__u64 err0, err1, stat0, stat1;
	static __u8 out[FRAME_MAX];
	static struct frame f;
	__u32 out_len;
	__u8 *in;
	int i;

	if (!dec_session(k, under4.a, &over4, 39))
		return;
	encrypt_ns = NS_B;
	encrypt_ifindex = ifindex_in(NS_B, "wg0");
	for (i = 0; i < ARRAY_SIZE(stat); i++) {
		build_frame(&f, &b_to_a4, &b_to_a_in4, 40);
		in = f.buf + f.msg_off + 16;
		if (i == 0)
			in[0] = 0x05;		/* version 0 */
		else
			((struct iphdr *)in)->tot_len = htons(1000);
		if (run_encrypt(k, true, &f, &b_to_a_in4, out, &out_len) ||
		    !ASSERT_EQ(k->bss->encrypt_ret, f.msg_len, "encrypt on B"))
			break;
		if (!ASSERT_OK(dev_stat(NS_A, "wg0", "rx_errors", &err0), "rx_errors") ||
		    !ASSERT_OK(dev_stat(NS_A, "wg0", stat[i], &stat0), stat[i]))
			break;
		if (!ASSERT_EQ(dec_inject(k, out, out_len), -EPROTO, stat[i]))
			break;
		ASSERT_TRUE(all_zero(inj_post + f.msg_off, out_len - f.msg_off),
			    "message wiped");
		if (!ASSERT_OK(dev_stat(NS_A, "wg0", "rx_errors", &err1), "rx_errors") ||
		    !ASSERT_OK(dev_stat(NS_A, "wg0", stat[i], &stat1), stat[i]))
			break;
		ASSERT_EQ(err1 - err0, 1, "rx_errors counted");
		ASSERT_EQ(stat1 - stat0, 1, stat[i]);
	}
	encrypt_ns = NS_A;
	encrypt_ifindex = 0;
	/* The session still works. */
	ASSERT_GT(dec_native(k, &over4, 41), 0, "decrypt after the errors");
}

/*
 * XDP multi-buffer: with jumbo frames, B's kernel sends a datagram of 6000
 * bytes, whose message spans several buffers of the frame xdp.frags gets
 * on A. It decrypts in place: the tag, checked over every buffer, shows the
 * ciphertext was read across them, the head and the tail of the plaintext
 * that it was written back across them.
 */
static void test_decrypt_frags(struct wg_kfuncs *k)
{
	const size_t payload = 6000;
	static __u8 want[FRAME_MAX];
	int ret;

	if (!dec_session(k, under4.a, &over4, 39) ||
	    attach_xdp(NS_A, k->progs.xdp_decrypt_frags))
		return;
	if (!ASSERT_OK(jumbo(true), "jumbo frames"))
		goto out;
	ret = dec_native(k, &over4, payload);
	if (!ASSERT_EQ(ret, sizeof(struct iphdr) + sizeof(struct udphdr) + payload, "decrypt"))
		goto out;
	ASSERT_GT(k->bss->buff_len, k->bss->frame_len, "several buffers");
	ASSERT_EQ(k->bss->plain[0] >> 4, 4, "inner version");
	fill_payload(want, payload, payload);
	ASSERT_OK(memcmp(k->bss->plain + sizeof(struct iphdr) + sizeof(struct udphdr), want,
			 sizeof(k->bss->plain) - sizeof(struct iphdr) - sizeof(struct udphdr)),
		  "plaintext head");
	ASSERT_OK(memcmp(k->bss->plain_tail, want + payload - sizeof(k->bss->plain_tail),
			 sizeof(k->bss->plain_tail)), "plaintext tail");
out:
	jumbo(false);
	attach_xdp(NS_A, k->progs.xdp_decrypt);
}

enum a_hook { A_NONE, A_XDP, A_TC };

/*
 * The state every subtest starts from, whatever the one before it did or
 * failed to undo: both wg0 up at the default MTU, each one's endpoint for
 * the other on the IPv4 underlay, no persistent keepalive, B counting
 * messages in XDP, A's veth0 with nothing, xdp_decrypt or tc_decrypt
 * (@hook), decrypting. Keypairs are left as they are: a subtest that needs
 * a handshake or a fresh keypair makes one. The programs' other inputs
 * (.bss) are set by each subtest for itself. teardown deletes A's wg0: it
 * runs last.
 */
static bool fixture(struct wg_tunnel *skel, struct wg_kfuncs *k, enum a_hook hook)
{
	struct nstoken *tok;
	int err;

	k->bss->dec_mode = DEC_DECRYPT;
	k->bss->take_keepalives = 0;
	k->bss->match_nonce = 0;
	encrypt_ns = NS_A;
	encrypt_ifindex = 0;
	inner_tos = 0;
	dec_tc = hook == A_TC;
	if (!ASSERT_OK(jumbo(false), "default MTU"))
		return false;
	SYS(fail, "ip -n %s link set wg0 up && ip -n %s link set wg0 up", NS_A, NS_B);
	SYS(fail, "ip netns exec %s wg set wg0 peer $(cat %s/a.pub) persistent-keepalive 0",
	    NS_B, keydir);
	SYS_NOFAIL("tc -n %s qdisc del dev veth0 clsact", NS_A);
	if (!ASSERT_OK(wg_set_peer_b(under4.b), "A's endpoint for B") ||
	    !ASSERT_OK(wg_set_peer_a(under4.a), "B's endpoint for A") ||
	    attach_xdp(NS_B, skel->progs.wg_count))
		return false;
	switch (hook) {
	case A_XDP:
		return !attach_xdp(NS_A, k->progs.xdp_decrypt);
	case A_TC:
		return !xdp_to_tc(NS_A, k->progs.tc_decrypt);
	default:
		tok = open_netns(NS_A);
		if (!ASSERT_OK_PTR(tok, "open_netns"))
			return false;
		err = bpf_xdp_detach(if_nametoindex("veth0"), 0, NULL);
		close_netns(tok);
		return ASSERT_OK(err, "bpf_xdp_detach");
	}
fail:
	return false;
}

/*
 * Fixed namespace and device names: serial. Each subtest starts from
 * fixture(), and runs alone as well (-t wg_tunnel/NAME).
 */
void serial_test_wg_tunnel(void)
{
	struct netns_obj *ns_a = NULL, *ns_b = NULL;
	struct wg_kfuncs *k = NULL;
	struct wg_tunnel *skel;

	/* The devices are configured with wg(8), as a user would. */
	if (system("wg --version >/dev/null 2>&1")) {
		printf("%s:SKIP:wg (wireguard-tools) not found\n", __func__);
		test__skip();
		return;
	}
	memcpy(keydir, KEYDIR, sizeof(KEYDIR));
	if (!ASSERT_OK_PTR(mkdtemp(keydir), "mkdtemp"))
		return;
	skel = wg_tunnel__open_and_load();
	if (!ASSERT_OK_PTR(skel, "skel"))
		goto out;
	k = wg_kfuncs__open_and_load();
	if (!ASSERT_OK_PTR(k, "kfuncs skel"))
		goto out;
	ns_a = netns_new(NS_A, false);
	ns_b = netns_new(NS_B, false);
	if (!ASSERT_OK_PTR(ns_a, NS_A) || !ASSERT_OK_PTR(ns_b, NS_B))
		goto out;
	if (!ASSERT_OK(setup_topology(), "topology"))
		goto out;

	if (test__start_subtest("ipv4") && fixture(skel, k, A_NONE))
		ping_through(skel, "10.0.0.2");
	if (test__start_subtest("ipv6") && fixture(skel, k, A_NONE))
		ping_through(skel, "fd00::2");
	if (test__start_subtest("handshake") && fixture(skel, k, A_NONE))
		test_handshake(skel);
	if (test__start_subtest("encrypt_xdp_4in4") && fixture(skel, k, A_NONE))
		test_encrypt(skel, k, true, &under4, &over4);
	if (test__start_subtest("encrypt_xdp_6in4") && fixture(skel, k, A_NONE))
		test_encrypt(skel, k, true, &under4, &over6);
	if (test__start_subtest("encrypt_tc_4in4") && fixture(skel, k, A_NONE))
		test_encrypt(skel, k, false, &under4, &over4);
	if (test__start_subtest("encrypt_tc_6in4") && fixture(skel, k, A_NONE))
		test_encrypt(skel, k, false, &under4, &over6);
	if (test__start_subtest("encrypt_xdp_4in6") && fixture(skel, k, A_NONE))
		test_encrypt(skel, k, true, &under6, &over4);
	if (test__start_subtest("encrypt_xdp_6in6") && fixture(skel, k, A_NONE))
		test_encrypt(skel, k, true, &under6, &over6);
	if (test__start_subtest("encrypt_tc_4in6") && fixture(skel, k, A_NONE))
		test_encrypt(skel, k, false, &under6, &over4);
	if (test__start_subtest("encrypt_tc_6in6") && fixture(skel, k, A_NONE))
		test_encrypt(skel, k, false, &under6, &over6);
	if (test__start_subtest("padding") && fixture(skel, k, A_NONE))
		test_padding(skel, k);
	if (test__start_subtest("padding_zeroes") && fixture(skel, k, A_NONE))
		test_padding_zeroes(skel, k);
	if (test__start_subtest("device_down") && fixture(skel, k, A_NONE))
		test_device_down(skel, k);
	if (test__start_subtest("counters_bpf_and_native") && fixture(skel, k, A_NONE))
		test_counters(skel, k);
	if (test__start_subtest("encrypt_xdp_frags") && fixture(skel, k, A_NONE))
		test_encrypt_frags(skel, k);
	if (test__start_subtest("encrypt_tc_paged_cloned") && fixture(skel, k, A_NONE))
		test_encrypt_tc_paged(skel, k);
	if (test__start_subtest("encrypt_tc_csum_partial") && fixture(skel, k, A_NONE))
		test_encrypt_tc_csum_partial(skel, k);
	if (test__start_subtest("encrypt_bounds") && fixture(skel, k, A_NONE))
		test_encrypt_bounds(k);
	if (test__start_subtest("lookup_netns") && fixture(skel, k, A_NONE))
		test_lookup(k);
	if (test__start_subtest("no_keypair") && fixture(skel, k, A_NONE))
		test_no_keypair(skel, k);
	if (test__start_subtest("misses") && fixture(skel, k, A_NONE))
		test_misses(skel, k);
	if (test__start_subtest("decrypt_xdp_4in4") && fixture(skel, k, A_XDP))
		test_decrypt(k, &under4, &over4);
	if (test__start_subtest("decrypt_xdp_6in4") && fixture(skel, k, A_XDP))
		test_decrypt(k, &under4, &over6);
	if (test__start_subtest("decrypt_xdp_4in6") && fixture(skel, k, A_XDP))
		test_decrypt(k, &under6, &over4);
	if (test__start_subtest("decrypt_xdp_6in6") && fixture(skel, k, A_XDP))
		test_decrypt(k, &under6, &over6);
	if (test__start_subtest("decrypt_ecn_4in4") && fixture(skel, k, A_XDP))
		test_decrypt_ecn(k, &under4, &over4);
	if (test__start_subtest("decrypt_ecn_6in6") && fixture(skel, k, A_XDP))
		test_decrypt_ecn(k, &under6, &over6);
	if (test__start_subtest("decrypt_eproto") && fixture(skel, k, A_XDP))
		test_decrypt_eproto(k);
	if (test__start_subtest("decrypt_xdp_frags") && fixture(skel, k, A_XDP))
		test_decrypt_frags(k);
	if (test__start_subtest("decrypt_window") && fixture(skel, k, A_XDP))
		test_decrypt_window(k);
	if (test__start_subtest("deliver_xdp_4in4") && fixture(skel, k, A_XDP))
		test_deliver(k, &over4);
	if (test__start_subtest("deliver_xdp_6in4") && fixture(skel, k, A_XDP))
		test_deliver(k, &over6);
	if (test__start_subtest("decrypt_tc_4in4") && fixture(skel, k, A_TC))
		test_decrypt(k, &under4, &over4);
	if (test__start_subtest("decrypt_tc_6in4") && fixture(skel, k, A_TC))
		test_decrypt(k, &under4, &over6);
	if (test__start_subtest("decrypt_tc_4in6") && fixture(skel, k, A_TC))
		test_decrypt(k, &under6, &over4);
	if (test__start_subtest("decrypt_tc_6in6") && fixture(skel, k, A_TC))
		test_decrypt(k, &under6, &over6);
	if (test__start_subtest("decrypt_tc_paged") && fixture(skel, k, A_TC))
		test_decrypt_tc_paged(k);
	if (test__start_subtest("decrypt_tc_cloned") && fixture(skel, k, A_TC))
		test_decrypt_tc_cloned(k);
	if (test__start_subtest("keepalive_allowedips") && fixture(skel, k, A_TC))
		test_keepalive_allowedips(k);
	if (test__start_subtest("rekey") && fixture(skel, k, A_TC))
		test_rekey(k);
	if (test__start_subtest("teardown") && fixture(skel, k, A_TC))
		test_teardown(k);
out:
	netns_free(ns_b);
	netns_free(ns_a);
	wg_kfuncs__destroy(k);
	wg_tunnel__destroy(skel);
	SYS_NOFAIL("rm -rf %s", keydir);
}

void test_wg_kfuncs_verifier(void)
{
	RUN_TESTS(wg_kfuncs_fail);
}
