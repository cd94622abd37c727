// SPDX-License-Identifier: GPL-2.0
/* bpfwg: load the WireGuard datapath, attach it to the given interfaces,
 * print its counters until SIGINT or SIGTERM, detach.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "bpf.h"
#include "dsa.h"
#include "log.h"

/* The datapath object for this CPU's byte order. */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define OBJECT_NAME	"bpfwg.be.bpf.o"
#else
#define OBJECT_NAME	"bpfwg.bpf.o"
#endif
#define INTERVAL_SEC	1

/* OBJECT_NAME next to the executable (symbolic links resolved). */
static const char *default_object(char *buf, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return OBJECT_NAME;
	exe[n] = '\0';
	snprintf(buf, size, "%s/%s", dirname(exe), OBJECT_NAME);
	return buf;
}

static int read_int(const char *path)
{
	FILE *f = fopen(path, "r");
	int val = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &val) != 1)
		val = -1;
	fclose(f);
	return val;
}

/* Tell, do not change: the sysctls are the administrator's. */
static void check_sysctls(const struct args *args)
{
	if (read_int("/proc/sys/net/ipv4/ip_forward") == 0)
		pr_warn("IPv4 forwarding is off: IPv4 is not carried (sysctl -w net.ipv4.ip_forward=1 to enable it)\n");
	if (read_int("/proc/sys/net/ipv6/conf/all/forwarding") == 0)
		pr_warn("IPv6 forwarding is off: IPv6 is not carried (sysctl -w net.ipv6.conf.all.forwarding=1 to enable it)\n");
	if (args->conntrack &&
	    access("/proc/sys/net/netfilter/nf_conntrack_count", F_OK))
		pr_warn("--conntrack: conntrack is not loaded in this network namespace, so every flow takes the stack path (a ruleset using conntrack loads it)\n");
}

static void print_stats(const __u64 *now, const __u64 *before, double secs)
{
	char line[1024];
	int len = 0, i;

	for (i = 0; i < BPFWG_STAT_MAX; i++) {
		if (now[i] == before[i])
			continue;
		len += snprintf(line + len, sizeof(line) - len, "%s%s %.0f/s",
				len ? ", " : "", stat_name(i),
				(now[i] - before[i]) / secs);
		if (len >= (int)sizeof(line))
			break;
	}
	if (len)
		pr_info("%s\n", line);
}

static void print_totals(const __u64 *totals)
{
	int i;

	pr_info("totals:\n");
	for (i = 0; i < BPFWG_STAT_MAX; i++)
		if (totals[i])
			pr_info("  %-20s %llu\n", stat_name(i), totals[i]);
}

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int read_stats(struct datapath *dp, __u64 *stats)
{
	int err = datapath_stats(dp, stats);

	if (err)
		pr_err("reading the counters failed: %s\n", strerror(-err));
	return err;
}

/* Until SIGINT or SIGTERM (blocked, so taken here), one round a second. */
static int run(struct datapath *dp, const sigset_t *sigs)
{
	const struct timespec interval = { .tv_sec = INTERVAL_SEC };
	__u64 a[BPFWG_STAT_MAX] = {}, b[BPFWG_STAT_MAX];
	__u64 *now = a, *before = b, *tmp;
	double t, last = now_sec();
	int sig;

	for (;;) {
		sig = sigtimedwait(sigs, NULL, &interval);
		if (sig == SIGINT || sig == SIGTERM)
			break;
		if (sig < 0 && errno != EAGAIN && errno != EINTR) {
			pr_err("waiting for signals failed: %s\n",
			       strerror(errno));
			return -1;
		}
		tmp = before;
		before = now;
		now = tmp;
		if (read_stats(dp, now))
			return -1;
		t = now_sec();
		print_stats(now, before, t - last);
		last = t;
		if (datapath_sync_fwmarks(dp))
			return -1;
	}
	/* What came in since the last round counts too. */
	if (read_stats(dp, now))
		return -1;
	print_totals(now);
	return 0;
}

int main(int argc, char **argv)
{
	static struct dsa_topology dsa;
	char object_buf[PATH_MAX];
	sigset_t sigs;
	const char *object;
	struct datapath dp = {};
	struct args args;
	int ret, i;

	ret = args_parse(&args, argc, argv);
	if (ret)
		return ret < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
	log_setup(args.log_level);
	object = args.object ?: default_object(object_buf, sizeof(object_buf));

	/* Taken synchronously by run(), and detach on the way out. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	check_sysctls(&args);

	ret = EXIT_FAILURE;
	if (dsa_setup(&args, &dsa) ||
	    datapath_open(&dp, &args, object) ||
	    (args.dsa && datapath_set_dsa(&dp, &dsa)) ||
	    datapath_attach(&dp, &args))
		goto out;
	for (i = 0; i < args.n_ifaces; i++)
		pr_info("%s%s", i ? " " : "bpfwg: attached (", args.ifnames[i]);
	pr_info(") with %s%s%s%s, Ctrl-C to stop\n", hook_name(args.hook),
		args.dsa ? ", DSA mtk tags" : "",
		args.conntrack ? ", conntrack mode" : "",
		args.udp_csum_off ? ", no IPv4 UDP checksum" : "");
	if (!run(&dp, &sigs))
		ret = EXIT_SUCCESS;
out:
	/* Closing the links detaches the programs. */
	datapath_close(&dp);
	if (ret == EXIT_SUCCESS)
		pr_info("bpfwg: detached\n");
	return ret;
}
