// SPDX-License-Identifier: GPL-2.0
/*
 * The WireGuard kfuncs in ns per operation, timed in BPF: two WireGuard
 * devices in a network namespace of the benchmark's own, peered over
 * loopback, the handshake done by the kernel; then XDP test runs of
 *   wg-lookup:    device by ifindex and peer by AllowedIPs, both put;
 *   wg-encrypt:   the same lookups, encryption of --wg-len bytes of inner
 *                 packet and the outer header update;
 *   wg-roundtrip: wg-encrypt, then decryption by the other device (device
 *                 by ifindex, peer by receiver index);
 *   wg-encrypt-frags, wg-roundtrip-frags: the same on a multi-buffer frame,
 *                 the message header and the first 16 bytes of plaintext
 *                 in its linear part, the rest in a frag.
 * The same AEAD work without the kfuncs is the benchmark of the library's
 * KUnit test (lib/crypto/tests, CONFIG_CRYPTO_LIB_BENCHMARK).
 * A failed iteration fails the benchmark. Their side effects are the
 * native path's: B's new handshake 15 s into a wg-encrypt run that A did
 * not answer, A's keepalives every 10 s, a roam of A's endpoint on the
 * first decryption.
 */
#include <argp.h>
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <net/if.h>
#include "bench.h"
#include "bench_bpf_timing.h"
#include "bpf_util.h"
#include "network_helpers.h"
#include "wg_bench.skel.h"

#define WG_HDR_LEN	16
#define WG_TAG_LEN	16
#define WG_MTU		1420
#define PORT_A		51820
#define PORT_B		51821

static struct wg_ctx {
	struct wg_bench *skel;
	struct bpf_bench_timing timing;
	int prog_fd;
	__u8 *frame;
	__u32 frame_len;
	__u32 linear_len;	/* of a multi-buffer frame; 0: linear */
} ctx;

static struct wg_args {
	__u32 len;
} args = {
	.len = 64,
};

enum {
	ARG_WG_LEN = 9000,
};

static const struct argp_option opts[] = {
	{ "wg-len", ARG_WG_LEN, "BYTES", 0,
	  "Inner packet length, 20 to the WireGuard MTU (1420; default 64)" },
	{},
};

static error_t wg_parse_arg(int key, char *arg, struct argp_state *state)
{
	char *end;

	switch (key) {
	case ARG_WG_LEN:
		errno = 0;
		args.len = strtoul(arg, &end, 10);
		if (errno || *end || args.len < sizeof(struct iphdr) || args.len > WG_MTU) {
			fprintf(stderr, "--wg-len: %s is not a length from %zu to %d\n",
				arg, sizeof(struct iphdr), WG_MTU);
			argp_usage(state);
		}
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp bench_wg_argp = {
	.options = opts,
	.parser = wg_parse_arg,
};

static void wg_validate(void)
{
	if (env.consumer_cnt != 0) {
		fprintf(stderr, "the WireGuard benchmarks take no consumers\n");
		exit(1);
	}
	if (bpf_num_possible_cpus() > BENCH_NR_CPUS) {
		fprintf(stderr, "too many CPUs (%d > %d), increase BENCH_NR_CPUS\n",
			bpf_num_possible_cpus(), BENCH_NR_CPUS);
		exit(1);
	}
}

static void run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd)) {
		fprintf(stderr, "failed: %s\n", cmd);
		exit(1);
	}
}

/* wg(8) for device wgN: its port, its key and the peer's, AllowedIPs, endpoint */
#define WG_SET \
	"wg set wg%d listen-port %d private-key %s/%c peer $(wg pubkey < %s/%c) allowed-ips %s endpoint 127.0.0.1:%d"

#define KEYDIR		"/tmp/bench_wg.XXXXXX"
static char keydir[sizeof(KEYDIR)];

static void wg_remove_keys(void)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", keydir);
	if (system(cmd))
		fprintf(stderr, "failed: %s\n", cmd);
}

/*
 * A (wg0, 10.0.0.1) and B (wg1, 10.0.0.2), in a network namespace of the
 * benchmark's own. A's ping starts the handshake, and its echo request
 * confirms B's keypair, so that B can send.
 */
static void wg_topology(void)
{
	const char *dir = keydir;

	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "unshare(CLONE_NEWNET): %s\n", strerror(errno));
		exit(1);
	}
	memcpy(keydir, KEYDIR, sizeof(KEYDIR));
	if (!mkdtemp(keydir)) {
		fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
		exit(1);
	}
	atexit(wg_remove_keys);
	run("cd %s && umask 077 && wg genkey > a && wg genkey > b", dir);
	run("ip link set lo up");
	run("ip link add wg0 type wireguard && ip link add wg1 type wireguard");
	run(WG_SET, 0, PORT_A, dir, 'a', dir, 'b', "10.0.0.2/32", PORT_B);
	run(WG_SET, 1, PORT_B, dir, 'b', dir, 'a', "10.0.0.1/32", PORT_A);
	run("ip addr add 10.0.0.1/24 dev wg0 && ip link set wg0 up && ip link set wg1 up");
	/* No reply: 10.0.0.2 is no address of this namespace. */
	run("ping -q -c 1 -W 1 10.0.0.2 >/dev/null; true");
}

/*
 * Ethernet, IPv4 from B's to A's port on loopback, UDP, room for the
 * message header, the inner packet (IPv4 from B to A) padded to 16 bytes,
 * and the tag. The kfuncs and the program write the rest.
 */
static void wg_frame(void)
{
	__u32 padded = (args.len + 15) & ~15U;
	struct iphdr *outer, *inner;
	struct udphdr *udp;

	ctx.frame_len = ETH_HLEN + sizeof(*outer) + sizeof(*udp) + WG_HDR_LEN +
			padded + WG_TAG_LEN;
	ctx.frame = calloc(1, ctx.frame_len);
	if (!ctx.frame) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	((struct ethhdr *)ctx.frame)->h_proto = htons(ETH_P_IP);
	outer = (void *)ctx.frame + ETH_HLEN;
	outer->version = 4;
	outer->ihl = 5;
	outer->ttl = 64;
	outer->protocol = IPPROTO_UDP;
	outer->saddr = htonl(INADDR_LOOPBACK);
	outer->daddr = htonl(INADDR_LOOPBACK);
	udp = (void *)(outer + 1);
	udp->source = htons(PORT_B);
	udp->dest = htons(PORT_A);

	inner = (void *)(udp + 1) + WG_HDR_LEN;
	inner->version = 4;
	inner->ihl = 5;
	inner->ttl = 64;
	inner->protocol = IPPROTO_UDP;
	inner->tot_len = htons(args.len);
	memcpy(&inner->saddr, ctx.skel->bss->addr_b, 4);
	memcpy(&inner->daddr, ctx.skel->bss->addr_a, 4);
	inner->check = build_ip_csum(inner);
}

static int wg_run(void)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts,
		    .data_in = ctx.frame,
		    .data_size_in = ctx.frame_len,
		    .repeat = 1);
	struct xdp_md md = { .data_end = ctx.linear_len };
	int err;

	if (ctx.linear_len) {
		topts.ctx_in = &md;
		topts.ctx_size_in = sizeof(md);
	}

	err = bpf_prog_test_run_opts(ctx.prog_fd, &topts);
	return err ?: (int)topts.retval;
}

static void wg_run_once(void *unused __always_unused)
{
	if (wg_run())
		__atomic_add_fetch(&ctx.skel->bss->errors, 1, __ATOMIC_RELAXED);
}

static void wg_setup(struct bpf_program *(*prog)(struct wg_bench *skel), bool frags)
{
	int err, tries;

	setup_libbpf();
	wg_topology();
	ctx.skel = wg_bench__open_and_load();
	if (!ctx.skel) {
		fprintf(stderr, "failed to open and load the skeleton\n");
		exit(1);
	}
	ctx.skel->bss->ifindex_a = if_nametoindex("wg0");
	ctx.skel->bss->ifindex_b = if_nametoindex("wg1");
	memcpy(ctx.skel->bss->addr_a, (__u8[]){ 10, 0, 0, 1 }, 4);
	memcpy(ctx.skel->bss->addr_b, (__u8[]){ 10, 0, 0, 2 }, 4);
	ctx.skel->bss->inner_len = args.len;
	wg_frame();
	if (frags)
		ctx.linear_len = ETH_HLEN + sizeof(struct iphdr) + sizeof(struct udphdr) +
				 WG_HDR_LEN + 16;
	ctx.prog_fd = bpf_program__fd(prog(ctx.skel));

	/* One untimed run must succeed: B's keypair may still be on its way. */
	for (tries = 0; (err = wg_run()) && tries < 50; tries++)
		usleep(100000);
	if (err) {
		fprintf(stderr, "%s: %s (%d)\n", bpf_program__name(prog(ctx.skel)),
			strerror(-err), err);
		exit(1);
	}

	BENCH_TIMING_INIT(&ctx.timing, ctx.skel, 0);
	bpf_bench_calibrate(&ctx.timing, wg_run_once, NULL);
	env.duration_sec = 600;
}

static struct bpf_program *prog_lookup(struct wg_bench *skel)
{
	return skel->progs.wg_lookup;
}

static struct bpf_program *prog_encrypt(struct wg_bench *skel)
{
	return skel->progs.wg_encrypt;
}

static struct bpf_program *prog_roundtrip(struct wg_bench *skel)
{
	return skel->progs.wg_roundtrip;
}

static void wg_setup_lookup(void)
{
	wg_setup(prog_lookup, false);
}

static void wg_setup_encrypt(void)
{
	wg_setup(prog_encrypt, false);
}

static void wg_setup_roundtrip(void)
{
	wg_setup(prog_roundtrip, false);
}

static void wg_setup_encrypt_frags(void)
{
	wg_setup(prog_encrypt, true);
}

static void wg_setup_roundtrip_frags(void)
{
	wg_setup(prog_roundtrip, true);
}

static void *wg_producer(void *unused)
{
	while (true)
		wg_run_once(NULL);
	return NULL;
}

static void wg_measure(struct bench_res *res)
{
	bpf_bench_timing_measure(&ctx.timing, res);
}

static void wg_report_final(struct bench_res res[], int res_cnt)
{
	char name[64];

	if (ctx.skel->bss->errors) {
		fprintf(stderr, "%s: %llu iterations failed, no figures\n", env.bench_name,
			(unsigned long long)ctx.skel->bss->errors);
		exit(1);
	}
	snprintf(name, sizeof(name), "%s len %u", env.bench_name, args.len);
	bpf_bench_timing_report(&ctx.timing, name, NULL);
}

#define WG_BENCH(_name, _setup)				\
	{						\
		.name = _name,				\
		.argp = &bench_wg_argp,			\
		.validate = wg_validate,		\
		.setup = _setup,			\
		.producer_thread = wg_producer,		\
		.measure = wg_measure,			\
		.report_final = wg_report_final,	\
	}

const struct bench bench_wg_lookup = WG_BENCH("wg-lookup", wg_setup_lookup);
const struct bench bench_wg_encrypt = WG_BENCH("wg-encrypt", wg_setup_encrypt);
const struct bench bench_wg_roundtrip = WG_BENCH("wg-roundtrip", wg_setup_roundtrip);
const struct bench bench_wg_encrypt_frags = WG_BENCH("wg-encrypt-frags", wg_setup_encrypt_frags);
const struct bench bench_wg_roundtrip_frags = WG_BENCH("wg-roundtrip-frags",
						       wg_setup_roundtrip_frags);
