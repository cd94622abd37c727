// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_xdp_csum() and bpf_skb_csum(): sums over linear, multi-buffer XDP and
 * paged skb data checked against a reference computed here, bad arguments,
 * a UDP checksum written by BPF that the receiving kernel accepts, and a
 * comparison with bpf_csum_diff() over 1420 bytes.
 */
#include <net/if.h>
#include "test_progs.h"
#include "network_helpers.h"

/* As in progs/csum_kfunc.c: one range to sum, and the kfunc's result. */
struct csum_range {
	__u32 off;
	__u32 len;
	__u32 seed;
	__s64 res;
};

#include "csum_kfunc.skel.h"
#include "csum_kfunc_fail.skel.h"

#define NR_RANGES	64
#define NS_A		"csum_kfunc_a"
#define NS_B		"csum_kfunc_b"
#define UDP_PORT	7777

/* One's complement sum modulo 0xffff: 0 and 0xffff are the same number. */
static __u32 csum_canon(__u64 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff ? 0 : sum;
}

/* The reference: 16-bit words in host order from the start of the range. */
static __u32 ref_csum(const __u8 *p, __u32 len, __u32 seed)
{
	__u64 sum = seed;
	__u16 w;
	__u32 i;

	for (i = 0; i + 1 < len; i += 2) {
		memcpy(&w, p + i, 2);
		sum += w;
	}
	if (len & 1) {
		w = 0;
		memcpy(&w, p + len - 1, 1);
		sum += w;
	}
	return csum_canon(sum);
}

static void fill_random(void *buf, size_t len)
{
	__u8 *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = rand();
}

/* Edge cases first, then random ranges inside a packet of @size bytes. */
static int make_ranges(struct csum_kfunc *skel, __u32 size)
{
	const __u32 fixed[][2] = {
		{ 0, 0 }, { 0, 1 }, { 1, 1 }, { 1, 2 }, { 3, 7 }, { 0, size },
		{ 1, size - 1 }, { size - 1, 1 }, { size, 0 }, { 0, size - 1 },
		{ size / 2 - 1, 3 }, { 4095, 2 }, { 4096 - 14, 64 },
	};
	int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(fixed); i++) {
		if (fixed[i][0] + fixed[i][1] > size)
			continue;
		skel->bss->ranges[n].off = fixed[i][0];
		skel->bss->ranges[n].len = fixed[i][1];
		skel->bss->ranges[n].seed = rand();
		n++;
	}
	for (; n < NR_RANGES; n++) {
		__u32 off = rand() % (size + 1);

		skel->bss->ranges[n].off = off;
		skel->bss->ranges[n].len = rand() % (size - off + 1);
		skel->bss->ranges[n].seed = rand() & 0xffff;
	}
	skel->bss->nr_ranges = NR_RANGES;
	return n;
}

static void check_ranges(struct csum_kfunc *skel, const __u8 *pkt, const char *what)
{
	char name[96];
	int i;

	for (i = 0; i < skel->bss->nr_ranges; i++) {
		struct csum_range *r = &skel->bss->ranges[i];

		snprintf(name, sizeof(name), "%s off %u len %u", what, r->off, r->len);
		if (!ASSERT_GE(r->res, 0, name))
			continue;
		ASSERT_EQ(csum_canon(r->res), ref_csum(pkt + r->off, r->len, r->seed), name);
	}
}

static void run_prog(struct bpf_program *prog, void *pkt, __u32 size)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = pkt, .data_size_in = size,
		    .repeat = 1);

	ASSERT_OK(bpf_prog_test_run_opts(bpf_program__fd(prog), &topts), "test_run");
}

static void test_sums(struct csum_kfunc *skel, __u32 size, bool xdp, bool skb)
{
	__s64 xdp_res[NR_RANGES];
	__u8 *pkt;
	int i;

	pkt = malloc(size);
	if (!ASSERT_OK_PTR(pkt, "malloc"))
		return;
	fill_random(pkt, size);
	make_ranges(skel, size);
	if (xdp) {
		run_prog(skel->progs.xdp_csum, pkt, size);
		if (size > 4096)
			ASSERT_LT(skel->bss->xdp_linear, size, "multi-buffer frame");
		check_ranges(skel, pkt, "xdp");
		for (i = 0; i < NR_RANGES; i++)
			xdp_res[i] = skel->bss->ranges[i].res;
	}
	if (skb) {
		run_prog(skel->progs.tc_csum, pkt, size);
		check_ranges(skel, pkt, "skb");
	}
	for (i = 0; xdp && skb && i < NR_RANGES; i++)
		ASSERT_EQ(csum_canon(xdp_res[i]), csum_canon(skel->bss->ranges[i].res),
			  "xdp == skb");
	free(pkt);
}

static void test_bad_args(struct csum_kfunc *skel)
{
	const __u32 size = 1000;
	const __u32 bad[][2] = {
		{ size + 1, 0 }, { size, 1 }, { 1, size }, { 0, size + 1 },
		{ 0xffffffff, 2 }, { 2, 0xffffffff }, { 0x80000000, 0x80000000 },
	};
	__u8 pkt[1000] = {};
	int i, p;

	for (p = 0; p < 2; p++) {
		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			skel->bss->ranges[i].off = bad[i][0];
			skel->bss->ranges[i].len = bad[i][1];
			skel->bss->ranges[i].res = 0;
		}
		skel->bss->nr_ranges = ARRAY_SIZE(bad);
		run_prog(p ? skel->progs.tc_csum : skel->progs.xdp_csum, pkt, size);
		for (i = 0; i < ARRAY_SIZE(bad); i++)
			ASSERT_EQ(skel->bss->ranges[i].res, -EINVAL, p ? "skb" : "xdp");
	}
}

static int veth_pair(void)
{
	SYS(fail, "ip -n %s link add veth0 type veth peer name veth0 netns %s", NS_A, NS_B);
	SYS(fail, "ip -n %s addr add 192.0.2.1/24 dev veth0", NS_A);
	SYS(fail, "ip -n %s addr add 192.0.2.2/24 dev veth0", NS_B);
	SYS(fail, "ip -n %s addr add 2001:db8::1/64 dev veth0 nodad", NS_A);
	SYS(fail, "ip -n %s addr add 2001:db8::2/64 dev veth0 nodad", NS_B);
	SYS(fail, "ip -n %s link set veth0 up", NS_A);
	SYS(fail, "ip -n %s link set veth0 up", NS_B);
	return 0;
fail:
	return -1;
}

/* @prog on TC ingress or egress of veth0 in @ns. */
static int attach_tc(struct bpf_program *prog, const char *ns, bool ingress)
{
	struct nstoken *tok = open_netns(ns);
	int fd = bpf_program__fd(prog), err;

	if (!ASSERT_OK_PTR(tok, "open_netns"))
		return -1;
	err = tc_prog_attach("veth0", ingress ? fd : -1, ingress ? -1 : fd);
	close_netns(tok);
	return err;
}

/* The SNMP counter @name of network namespace @ns, from nstat. */
static long snmp_counter(const char *ns, const char *name)
{
	char cmd[256], line[2048];
	long val = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ip netns exec %s nstat -asz %s 2>/dev/null", ns, name);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char key[128];
		long v;

		if (sscanf(line, "%127s %ld", key, &v) == 2 && !strcmp(key, name))
			val = v;
	}
	pclose(f);
	return val;
}

/* A server socket of @ns, as start_server() makes it. */
static int server_in(const char *ns, int family, int type, const char *addr, int port)
{
	struct nstoken *tok = open_netns(ns);
	int fd;

	if (!ASSERT_OK_PTR(tok, "open_netns"))
		return -1;
	fd = start_server(family, type, addr, port, 1000);
	close_netns(tok);
	ASSERT_GE(fd, 0, "start_server");
	return fd;
}

/* A socket of @ns connected to @srv. */
static int client_in(const char *ns, int srv)
{
	struct nstoken *tok = open_netns(ns);
	int fd;

	if (!ASSERT_OK_PTR(tok, "open_netns"))
		return -1;
	fd = connect_to_fd(srv, 1000);
	close_netns(tok);
	ASSERT_GE(fd, 0, "connect_to_fd");
	return fd;
}

/*
 * With checksum offload off on both ends, the sender's stack computes the
 * UDP checksum in software and the receiver verifies it in software. The
 * egress program replaces it with its own: it must equal the stack's, and
 * the receiver must deliver the datagram and count no checksum error.
 */
static void test_udp_csum(struct csum_kfunc *skel, int family)
{
	const char *addr = family == AF_INET ? "192.0.2.2" : "2001:db8::2";
	const char *counter = family == AF_INET ? "UdpInCsumErrors" : "Udp6InCsumErrors";
	char buf[1400] = {};
	int srv, cli = -1;
	long errs;

	skel->bss->rewritten = 0;
	srv = server_in(NS_B, family, SOCK_DGRAM, addr, UDP_PORT);
	if (srv < 0)
		return;
	errs = snmp_counter(NS_B, counter);
	ASSERT_GE(errs, 0, counter);
	cli = client_in(NS_A, srv);
	if (cli < 0)
		goto out;
	fill_random(buf, sizeof(buf));
	ASSERT_EQ(send(cli, buf, sizeof(buf), 0), sizeof(buf), "send");
	ASSERT_EQ(recv(srv, buf, sizeof(buf), 0), sizeof(buf), "recv");
	ASSERT_EQ(skel->bss->rewritten, 1, "rewritten");
	ASSERT_NEQ(skel->bss->new_csum, 0, "checksum set");
	ASSERT_EQ(skel->bss->new_csum, skel->bss->orig_csum, "same as the stack's");
	ASSERT_EQ(snmp_counter(NS_B, counter), errs, counter);
out:
	if (cli >= 0)
		close(cli);
	close(srv);
}

static void test_udp(struct csum_kfunc *skel)
{
	SYS(out, "ip netns exec %s ethtool -K veth0 tx off >/dev/null", NS_A);
	SYS(out, "ip netns exec %s ethtool -K veth0 rx off >/dev/null", NS_B);
	skel->bss->udp_port = UDP_PORT;
	if (attach_tc(skel->progs.tc_udp_csum, NS_A, false))
		goto out;
	test_udp_csum(skel, AF_INET);
	test_udp_csum(skel, AF_INET6);
out:
	return;
}

/*
 * TCP over veth with the default offloads hands GSO skbs with the payload
 * in page frags to the peer's TC ingress.
 */
static void test_paged(struct csum_kfunc *skel)
{
	int srv, cli = -1, acc = -1, i;
	static char buf[65536];

	if (attach_tc(skel->progs.tc_csum_paged, NS_B, true))
		return;
	make_ranges(skel, sizeof(skel->bss->captured_buf));
	srv = server_in(NS_B, AF_INET, SOCK_STREAM, "192.0.2.2", 0);
	if (srv < 0)
		return;
	cli = client_in(NS_A, srv);
	if (cli < 0)
		goto out;
	acc = accept(srv, NULL, NULL);
	fill_random(buf, sizeof(buf));
	ASSERT_EQ(send(cli, buf, sizeof(buf), 0), sizeof(buf), "send");
	for (i = 0; i < 100 && !skel->bss->captured_len; i++)
		usleep(10000);
	if (!ASSERT_GT(skel->bss->captured_len, 0, "paged skb seen"))
		goto out;
	ASSERT_LT(skel->bss->captured_linear, skel->bss->captured_len, "non-linear");
	check_ranges(skel, skel->bss->captured_buf, "paged skb");
out:
	if (acc >= 0)
		close(acc);
	if (cli >= 0)
		close(cli);
	close(srv);
}

/* @fn runs with a veth pair between two fresh network namespaces. */
static void with_veth(struct csum_kfunc *skel, void (*fn)(struct csum_kfunc *skel))
{
	struct netns_obj *ns_a, *ns_b = NULL;

	ns_a = netns_new(NS_A, false);
	if (!ASSERT_OK_PTR(ns_a, NS_A))
		return;
	ns_b = netns_new(NS_B, false);
	if (ASSERT_OK_PTR(ns_b, NS_B) && ASSERT_OK(veth_pair(), "veth"))
		fn(skel);
	netns_free(ns_b);
	netns_free(ns_a);
}

/* Fixed namespace names: serial. */
void serial_test_csum_kfunc(void)
{
	const char *env = getenv("CSUM_KFUNC_SEED");
	unsigned int seed = env ? strtoul(env, NULL, 0) : time(NULL);
	struct csum_kfunc *skel;

	/* The ranges are random: a failure repeats with this seed. */
	printf("%s: seed %u (CSUM_KFUNC_SEED=%u repeats the run)\n", __func__, seed, seed);
	srand(seed);
	skel = csum_kfunc__open_and_load();
	if (!ASSERT_OK_PTR(skel, "skel"))
		return;
	if (test__start_subtest("xdp_linear"))
		test_sums(skel, 1500, true, false);
	if (test__start_subtest("xdp_frags"))
		test_sums(skel, 9000, true, false);
	if (test__start_subtest("skb_linear_equals_xdp"))
		test_sums(skel, 1500, true, true);
	if (test__start_subtest("bad_args"))
		test_bad_args(skel);
	if (test__start_subtest("skb_paged"))
		with_veth(skel, test_paged);
	if (test__start_subtest("udp_checksum_accepted"))
		with_veth(skel, test_udp);
	csum_kfunc__destroy(skel);
}

void test_csum_kfunc_verifier(void)
{
	RUN_TESTS(csum_kfunc_fail);
}
