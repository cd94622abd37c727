// SPDX-License-Identifier: GPL-2.0
/*
 * The DSA mtk mode of the bpfwg datapath, with BPF_PROG_TEST_RUN on crafted
 * frames: tags read on receive and pushed on send, byte for byte as
 * net/dsa/tag_mtk.c has them.
 *
 * Runs in the end-to-end topology (scripts/guest/topology.sh), once gwa and
 * gwb have a WireGuard session, with a dummy "sw0" in gwa and gwb standing
 * for the conduit of a switch. bpfwg.bpf.o is loaded once, in DSA mode, and
 * its maps filled here as the loader would for that switch. In gwa, frames
 * come in from switch ports and get encrypted for gwb; in gwb, gwa's output
 * comes in from a switch port and gets decrypted and forwarded to srv
 * through a user port. The expected tags and headers are written out from
 * the format of tag_mtk.c; only what is random or secret (IP ID, receiver
 * index, counter, ciphertext) is left out of the comparisons.
 *
 * Usage: test_mtk (as root, the namespaces cli, gwa, gwb, srv up)
 * Prints one line per check, exits 1 if one failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include "../kernel/bpfwg.h"
#include "bpfwg.skel.h"

#define XDP_DROP	1
#define XDP_PASS	2
#define XDP_REDIRECT	4
#define ANY		-1	/* expected byte that is not checked */
#define FRAME_MAX	512

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

struct frame {
	unsigned char b[FRAME_MAX];
	int len;
};

/* The interfaces of one namespace. */
struct ns {
	const char *name;
	unsigned int sw0, a0, u0, b0;
	unsigned int a0_100;	/* gwa: VLAN 100 on a0 */
	unsigned char u0_mac[ETH_ALEN], b0_mac[ETH_ALEN];
};

static struct bpfwg *skel;
static int failures, prog_fd;
static unsigned char c0_mac[ETH_ALEN], s0_mac[ETH_ALEN];
static unsigned char a0_mac[ETH_ALEN];

static void check(bool ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAIL", what);
	failures += !ok;
}

static int enter(const char *ns)
{
	char path[64];
	int fd, ret;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = setns(fd, CLONE_NEWNET);
	close(fd);
	return ret;
}

static int get_mac(const char *ifname, unsigned char *mac)
{
	struct ifreq ifr = {};
	int fd, ret;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ret = ioctl(fd, SIOCGIFHWADDR, &ifr);
	close(fd);
	if (!ret)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	return ret;
}

/* RFC 1071, the reference for the IPv4 header checksums. */
static unsigned short ip_csum(const unsigned char *p, int len)
{
	unsigned int sum = 0;
	int i;

	for (i = 0; i < len; i += 2)
		sum += p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

static void put(struct frame *f, const void *p, int len)
{
	memcpy(f->b + f->len, p, len);
	f->len += len;
}

#define PUT(f, ...) do {						\
	const unsigned char __b[] = { __VA_ARGS__ };			\
	put(f, __b, sizeof(__b));					\
} while (0)

/*
 * The inner packet cli sends: IPv4 UDP 10.1.0.2:1000 -> 10.2.0.@dst:2000,
 * ID 0x1234, DF, 18 bytes of payload, no UDP checksum. 46 bytes.
 */
static void put_inner(struct frame *f, unsigned char dst, unsigned char ttl)
{
	unsigned char *ip = f->b + f->len;
	unsigned short sum;

	PUT(f, 0x45, 0x00, 0x00, 46, 0x12, 0x34, 0x40, 0x00, ttl, 17, 0, 0,
	    10, 1, 0, 2, 10, 2, 0, dst);
	PUT(f, 0x03, 0xe8, 0x07, 0xd0, 0x00, 26, 0x00, 0x00);
	put(f, "bpfwg dsa mtk test", 18);
	sum = ip_csum(ip, 20);
	ip[10] = sum >> 8;
	ip[11] = sum;
}

/* A frame cli sends to gwa, as the switch delivers it from @port. */
static void cli_frame(struct frame *f, int port, bool vlan)
{
	f->len = 0;
	put(f, a0_mac, ETH_ALEN);
	put(f, c0_mac, ETH_ALEN);
	/* Bits the tag carries besides the port, which do not matter. */
	PUT(f, 0xa5, 0xf8 | port, 0x5a, 0xc3);
	if (vlan)
		PUT(f, 0x81, 0x00, 0x00, 0x64);
	PUT(f, 0x08, 0x00);
	put_inner(f, 2, 64);
}

/*
 * What gwa sends gwb for a 46-byte inner packet, after the MAC addresses
 * and the tag: IPv4 192.0.2.1 -> 192.0.2.2 (TTL 64, no DF), UDP 51820 ->
 * 51820, a data message of 16 + 48 + 16 bytes.
 */
static const short outer4[] = {
	0x08, 0x00,
	0x45, 0x00, 0x00, 0x6c, ANY, ANY, 0x00, 0x00, 0x40, 0x11, ANY, ANY,
	192, 0, 2, 1, 192, 0, 2, 2,
	0xca, 0x6c, 0xca, 0x6c, 0x00, 0x58, ANY, ANY,
	0x04, 0x00, 0x00, 0x00, ANY, ANY, ANY, ANY,
	ANY, ANY, ANY, ANY, ANY, ANY, ANY, ANY,
};

#define MSG_CIPHER_LEN	(48 + 16)

/* Compares @out with @exp, ANY bytes aside; prints the first difference. */
static bool same(const struct frame *out, const short *exp, int len,
		 const char *what)
{
	int i;

	if (out->len != len) {
		printf("  %s: %d bytes, expected %d\n", what, out->len, len);
		return false;
	}
	for (i = 0; i < len; i++) {
		if (exp[i] != ANY && out->b[i] != exp[i]) {
			printf("  %s: byte %d is 0x%02x, expected 0x%02x\n",
			       what, i, out->b[i], exp[i]);
			return false;
		}
	}
	return true;
}

static int expect_bytes(short *exp, const void *p, int len)
{
	const unsigned char *b = p;
	int i;

	for (i = 0; i < len; i++)
		exp[i] = b[i];
	return len;
}

static int run(unsigned int ifindex, const struct frame *in,
	       struct frame *out)
{
	struct xdp_md ctx = { .data_end = in->len, .ingress_ifindex = ifindex };
	struct bpf_test_run_opts opts = {
		.sz = sizeof(opts),
		.data_in = in->b,
		.data_size_in = in->len,
		.data_out = out->b,
		.data_size_out = sizeof(out->b),
		.ctx_in = &ctx,
		.ctx_size_in = sizeof(ctx),
	};

	if (bpf_prog_test_run_opts(prog_fd, &opts)) {
		printf("  BPF_PROG_TEST_RUN: %s\n", strerror(errno));
		return -1;
	}
	out->len = opts.data_size_out;
	return opts.retval;
}

/* gwa's output for a frame from cli: outer headers for gwb, @tag if set. */
static bool gwa_output(const struct ns *gwa, const struct ns *gwb,
		       const struct frame *out, const unsigned char *tag,
		       const char *what)
{
	short exp[FRAME_MAX];
	int n = 0, i;

	n += expect_bytes(exp + n, gwb->u0_mac, ETH_ALEN);
	n += expect_bytes(exp + n, gwa->u0_mac, ETH_ALEN);
	if (tag)
		n += expect_bytes(exp + n, tag, 4);
	for (i = 0; i < (int)ARRAY_SIZE(outer4); i++)
		exp[n++] = outer4[i];
	for (i = 0; i < MSG_CIPHER_LEN; i++)
		exp[n++] = ANY;
	if (!same(out, exp, n, what))
		return false;
	/* The IP header checksum, against the reference. */
	i = 2 * ETH_ALEN + (tag ? 4 : 0) + 2;
	if (ip_csum(out->b + i, 20)) {
		printf("  %s: bad IPv4 header checksum\n", what);
		return false;
	}
	return true;
}

static void set_rx(unsigned int conduit, int port, unsigned int user)
{
	struct bpfwg_dsa_rx_key key = { .conduit = conduit, .port = port };

	bpf_map__update_elem(skel->maps.bpfwg_dsa_rx, &key, sizeof(key),
			     &user, sizeof(user), BPF_ANY);
}

/* The VLAN device @vlan_dev takes 802.1Q tag @vid on @ifindex. */
static void set_vlan(unsigned int ifindex, __u16 vid, unsigned int vlan_dev)
{
	struct bpfwg_vlan_key key = {
		.ifindex = ifindex,
		.vid = vid,
		.proto = htons(ETH_P_8021Q),
	};

	bpf_map__update_elem(skel->maps.bpfwg_vlans, &key, sizeof(key),
			     &vlan_dev, sizeof(vlan_dev), BPF_ANY);
}

static void set_rx_all(unsigned int conduit, unsigned int user)
{
	int port;

	for (port = 0; port < 8; port++)
		set_rx(conduit, port, user);
}

static void set_tx(unsigned int ifindex, unsigned int conduit, int port,
		   enum bpfwg_dsa_vlan vlan, unsigned short vid)
{
	struct bpfwg_dsa_tx tx = {
		.conduit = conduit, .port = port, .vlan = vlan, .vid = vid,
	};

	bpf_map__update_elem(skel->maps.bpfwg_dsa_tx, &ifindex,
			     sizeof(ifindex), &tx, sizeof(tx), BPF_ANY);
}

static void clear_tx(unsigned int ifindex)
{
	bpf_map__delete_elem(skel->maps.bpfwg_dsa_tx, &ifindex,
			     sizeof(ifindex), 0);
}

static __u64 counter(enum bpfwg_stat s)
{
	int n = libbpf_num_possible_cpus(), cpu;
	__u64 values[n], sum = 0;
	__u32 key = s;

	if (bpf_map__lookup_elem(skel->maps.bpfwg_stats, &key, sizeof(key),
				 values, sizeof(values), 0))
		return -1;
	for (cpu = 0; cpu < n; cpu++)
		sum += values[cpu];
	return sum;
}

/* The modes of tag_mtk.c's transmit tag, for gwa's u0 and gwb's b0. */
static const struct {
	const char *name;
	int port;
	enum bpfwg_dsa_vlan vlan;
	unsigned short vid;
	unsigned char tag[4];
} tx_modes[] = {
	/* MTK_HDR_XMIT_UNTAGGED, BIT(port), zeroes */
	{ "untagged", 4, BPFWG_DSA_UNTAGGED, 0, { 0x00, 0x10, 0x00, 0x00 } },
	/* MTK_HDR_XMIT_TAGGED_TPID_8100, BIT(port), TCI */
	{ "802.1Q", 5, BPFWG_DSA_8021Q, 100, { 0x01, 0x20, 0x00, 0x64 } },
	/* MTK_HDR_XMIT_TAGGED_TPID_88A8, BIT(port), TCI */
	{ "802.1ad", 0, BPFWG_DSA_8021AD, 4094, { 0x02, 0x01, 0x0f, 0xfe } },
};

#define N_MODES	ARRAY_SIZE(tx_modes)

/*
 * gwa: frames from each port, served or not, with and without a VLAN
 * header after the tag; then encrypted frames out through u0 as a user
 * port in each mode, kept in @sent for gwb.
 */
static void test_gwa(const struct ns *gwa, const struct ns *gwb,
		     struct frame sent[N_MODES], struct frame *sent_local)
{
	struct frame in, out;
	char what[128];
	int port, from, rc;
	bool ok;
	size_t i;

	set_rx_all(gwa->sw0, 0);
	for (from = 0; from < 8; from++) {
		cli_frame(&in, from, false);
		rc = run(gwa->sw0, &in, &out);
		snprintf(what, sizeof(what),
			 "gwa: port %d not served: XDP_PASS, frame untouched",
			 from);
		check(rc == XDP_PASS && out.len == in.len &&
		      !memcmp(out.b, in.b, in.len), what);
	}

	for (port = 0; port < 8; port++) {
		set_rx_all(gwa->sw0, 0);
		set_rx(gwa->sw0, port, gwa->a0);
		ok = true;
		for (from = 0; from < 8; from++) {
			cli_frame(&in, from, false);
			rc = run(gwa->sw0, &in, &out);
			if (from == port)
				ok &= rc == XDP_REDIRECT &&
				      gwa_output(gwa, gwb, &out, NULL,
						 "encrypted");
			else
				ok &= rc == XDP_PASS && out.len == in.len &&
				      !memcmp(out.b, in.b, in.len);
		}
		snprintf(what, sizeof(what),
			 "gwa: only port %d served (a0): its frame encrypted to u0 untagged, the others untouched",
			 port);
		check(ok, what);
	}

	set_rx_all(gwa->sw0, 0);
	set_rx(gwa->sw0, 3, gwa->a0);
	cli_frame(&in, 3, true);
	rc = run(gwa->sw0, &in, &out);
	check(rc == XDP_PASS && out.len == in.len && !memcmp(out.b, in.b, in.len),
	      "gwa: port 3 with an 802.1Q tag no VLAN device on a0 takes: XDP_PASS, frame untouched");
	set_vlan(gwa->a0, 100, gwa->a0_100);
	rc = run(gwa->sw0, &in, &out);
	check(rc == XDP_REDIRECT && gwa_output(gwa, gwb, &out, NULL, "vlan"),
	      "gwa: port 3 with the 802.1Q tag of a0.100: encrypted");

	/* ARP: not for bpfwg, to the stack with its tag. */
	in.len = 0;
	put(&in, "\xff\xff\xff\xff\xff\xff", ETH_ALEN);
	put(&in, c0_mac, ETH_ALEN);
	PUT(&in, 0x00, 0x03, 0x00, 0x00, 0x08, 0x06);
	PUT(&in, 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01);
	put(&in, c0_mac, ETH_ALEN);
	PUT(&in, 10, 1, 0, 2, 0, 0, 0, 0, 0, 0, 10, 1, 0, 1);
	rc = run(gwa->sw0, &in, &out);
	check(rc == XDP_PASS && out.len == in.len &&
	      !memcmp(out.b, in.b, in.len),
	      "gwa: ARP from port 3: XDP_PASS, frame untouched");

	for (i = 0; i < N_MODES; i++) {
		set_tx(gwa->u0, gwa->sw0, tx_modes[i].port, tx_modes[i].vlan,
		       tx_modes[i].vid);
		cli_frame(&in, 3, false);
		rc = run(gwa->sw0, &in, &sent[i]);
		snprintf(what, sizeof(what),
			 "gwa: u0 as port %d, %s: encrypted frame tagged %02x %02x %02x %02x",
			 tx_modes[i].port, tx_modes[i].name,
			 tx_modes[i].tag[0], tx_modes[i].tag[1],
			 tx_modes[i].tag[2], tx_modes[i].tag[3]);
		check(rc == XDP_REDIRECT &&
		      gwa_output(gwa, gwb, &sent[i], tx_modes[i].tag,
				 tx_modes[i].name), what);
	}

	/* For gwb itself: decrypted there and handed to its stack. */
	set_tx(gwa->u0, gwa->sw0, tx_modes[0].port, tx_modes[0].vlan, 0);
	in.len = 0;
	put(&in, a0_mac, ETH_ALEN);
	put(&in, c0_mac, ETH_ALEN);
	PUT(&in, 0x00, 0x03, 0x00, 0x00, 0x08, 0x00);
	put_inner(&in, 1, 64);
	rc = run(gwa->sw0, &in, sent_local);
	check(rc == XDP_REDIRECT &&
	      gwa_output(gwa, gwb, sent_local, tx_modes[0].tag, "local"),
	      "gwa: frame for gwb itself encrypted and tagged");
	clear_tx(gwa->u0);
}

/* A packet socket on wg0 of the current namespace, L2 headers left out. */
static int wg0_socket(void)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = if_nametoindex("wg0"),
	};
	int fd;

	fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_ALL));
	if (fd < 0 || !sll.sll_ifindex ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		printf("  packet socket on wg0: %s\n", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Whether wg0 received @f within two seconds (netif_rx() queues it). */
static bool wg0_got(int fd, const struct frame *f)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	unsigned char b[FRAME_MAX];
	ssize_t n;

	while (poll(&pfd, 1, 2000) == 1) {
		n = recv(fd, b, sizeof(b), 0);
		if (n == f->len && !memcmp(b, f->b, n))
			return true;
		printf("  wg0: another packet of %zd bytes\n", n);
	}
	printf("  wg0: the inner packet did not arrive\n");
	return false;
}

/* gwa's frame as gwb's switch delivers it from port 2: its tag swapped. */
static void from_port2(struct frame *f, const struct frame *sent)
{
	f->len = 0;
	put(f, sent->b, 2 * ETH_ALEN);
	PUT(f, 0x3c, 0x02 | 0xf0, 0xff, 0xff);
	put(f, sent->b + 2 * ETH_ALEN + 4, sent->len - 2 * ETH_ALEN - 4);
}

/*
 * gwb: gwa's encrypted frames come in from port 2 (u0), are decrypted and
 * forwarded to srv through b0 as a user port, in each mode; the inner
 * packet, its TTL decremented by gwa and gwb, known to the byte.
 */
static void test_gwb(const struct ns *gwb, const struct frame sent[N_MODES],
		     const struct frame *sent_local)
{
	struct frame in, out, exp_f;
	short exp[FRAME_MAX];
	char what[128];
	int rc, n, wg0;
	size_t i;

	set_rx_all(gwb->sw0, 0);
	set_rx(gwb->sw0, 2, gwb->u0);
	for (i = 0; i < N_MODES; i++) {
		set_tx(gwb->b0, gwb->sw0, tx_modes[i].port, tx_modes[i].vlan,
		       tx_modes[i].vid);
		from_port2(&in, &sent[i]);
		rc = run(gwb->sw0, &in, &out);
		exp_f.len = 0;
		put(&exp_f, s0_mac, ETH_ALEN);
		put(&exp_f, gwb->b0_mac, ETH_ALEN);
		put(&exp_f, tx_modes[i].tag, 4);
		PUT(&exp_f, 0x08, 0x00);
		put_inner(&exp_f, 2, 62);
		n = expect_bytes(exp, exp_f.b, exp_f.len);
		snprintf(what, sizeof(what),
			 "gwb: from port 2, decrypted, to srv through b0 as port %d, %s, tagged %02x %02x %02x %02x",
			 tx_modes[i].port, tx_modes[i].name,
			 tx_modes[i].tag[0], tx_modes[i].tag[1],
			 tx_modes[i].tag[2], tx_modes[i].tag[3]);
		check(rc == XDP_REDIRECT && same(&out, exp, n, "decrypted"),
		      what);
	}
	clear_tx(gwb->b0);

	/* Local: the inner packet to the stack as received by wg0, tag and
	 * all L2 gone; the XDP buffer is dropped.
	 */
	wg0 = wg0_socket();
	from_port2(&in, sent_local);
	rc = run(gwb->sw0, &in, &out);
	exp_f.len = 0;
	put_inner(&exp_f, 1, 63);
	check(rc == XDP_DROP && wg0 >= 0 && wg0_got(wg0, &exp_f),
	      "gwb: from port 2, for gwb itself: decrypted, the inner packet to the stack as received by wg0");
	if (wg0 >= 0)
		close(wg0);
}

static int setup_ns(struct ns *ns, const char *name)
{
	ns->name = name;
	if (enter(name))
		return -1;
	ns->sw0 = if_nametoindex("sw0");
	ns->a0 = if_nametoindex("a0");
	ns->u0 = if_nametoindex("u0");
	ns->b0 = if_nametoindex("b0");
	ns->a0_100 = if_nametoindex("a0.100");
	if (!ns->sw0 || !ns->u0 || get_mac("u0", ns->u0_mac))
		return -1;
	if (ns->b0 && get_mac("b0", ns->b0_mac))
		return -1;
	return 0;
}

int main(void)
{
	struct frame sent[N_MODES], sent_local;
	struct bpf_program *prog;
	struct ns gwa, gwb;
	__u64 dsa_port, vlan, enc, dec, dec_pass;

	if (enter("cli") || get_mac("c0", c0_mac) || enter("srv") ||
	    get_mac("s0", s0_mac) || setup_ns(&gwb, "gwb") ||
	    setup_ns(&gwa, "gwa") || get_mac("a0", a0_mac) || !gwa.a0) {
		fprintf(stderr, "test_mtk: the topology with sw0 in gwa and gwb is missing: %s\n",
			strerror(errno));
		return 1;
	}

	skel = bpfwg__open();
	if (!skel)
		return 1;
	skel->rodata->bpfwg_config.dsa = true;
	skel->rodata->bpfwg_config.udp_csum4 = true;
	skel->rodata->bpfwg_config.ttl4 = 64;
	skel->rodata->bpfwg_config.hop_limit6 = 64;
	/* xdp_wg alone: xdp_wg_dev, for one, loads only bound to a device. */
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, prog == skel->progs.xdp_wg);
	if (bpfwg__load(skel)) {
		fprintf(stderr, "test_mtk: loading bpfwg.bpf.o failed\n");
		return 1;
	}
	prog_fd = bpf_program__fd(skel->progs.xdp_wg);

	test_gwa(&gwa, &gwb, sent, &sent_local);
	if (enter("gwb"))
		return 1;
	test_gwb(&gwb, sent, &sent_local);

	/* 8 + 7 * 8 frames from ports not served, one count each. */
	dsa_port = counter(BPFWG_PASS_DSA_PORT);
	enc = counter(BPFWG_ENCRYPTED);
	dec = counter(BPFWG_DECRYPTED);
	dec_pass = counter(BPFWG_DECRYPTED_PASS);
	vlan = counter(BPFWG_PASS_VLAN);
	printf("counters: pass:dsa-port %llu, pass:vlan %llu, encrypted %llu, ",
	       dsa_port, vlan, enc);
	printf("decrypted %llu, decrypted-to-stack %llu\n", dec, dec_pass);
	check(dsa_port == 8 + 7 * 8 && vlan == 1 &&
	      enc == 8 + 1 + N_MODES + 1 && dec == N_MODES && dec_pass == 1,
	      "counters: every frame counted once, where it belongs");

	bpfwg__destroy(skel);
	return failures ? 1 : 0;
}
