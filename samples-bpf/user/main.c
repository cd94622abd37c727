// SPDX-License-Identifier: GPL-2.0
/* bpfwg: load the WireGuard datapath, attach it to the given interfaces,
 * print its counters until SIGINT, SIGTERM, SIGHUP or SIGPIPE, detach.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>

#include "args.h"
#include "bpf.h"
#include "dsa.h"
#include "log.h"
#include "nf.h"
#include "rss.h"

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

/*
 * The capabilities loading and attaching need, checked first so that their
 * lack is named rather than reported as a failure further on.
 */
static int check_privileges(void)
{
	static const struct {
		int cap;
		const char *name;
	} need[] = {
		{ CAP_NET_ADMIN, "CAP_NET_ADMIN" },
		{ CAP_BPF, "CAP_BPF" },
		{ CAP_PERFMON, "CAP_PERFMON" },
	};
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
	size_t i;

	if (syscall(SYS_capget, &hdr, data))
		return 0;	/* the kernel will tell */
	for (i = 0; i < ARRAY_SIZE(need); i++) {
		int cap = need[i].cap;

		/* CAP_SYS_ADMIN stands for CAP_BPF and CAP_PERFMON. */
		if (!(data[cap / 32].effective & (1U << (cap % 32))) &&
		    (cap == CAP_NET_ADMIN ||
		     !(data[0].effective & (1U << CAP_SYS_ADMIN)))) {
			pr_err("bpfwg needs %s: run it as root\n", need[i].name);
			return -1;
		}
	}
	return 0;
}

/*
 * The datapath's rules mode (BPFWG_RULES_*): what the chains the fast path
 * skips do to the packets it would carry, with conntrack mode on or off.
 * Its packets are unmarked: packet marks set before routing send
 * forwarded traffic to the stack; in conntrack mode, a ruleset that only
 * restores the conntrack mark sends only the flows with a conntrack mark,
 * unless a rule may set that mark on a packet the fast path carries. So
 * do rules that rewrite or queue packets.
 */
static __u32 rules_mode(const struct nf_ruleset *r, bool conntrack)
{
	const struct nf_effects *e = conntrack ? &r->est : &r->all;

	if (e->mangle)
		return BPFWG_RULES_MANGLE;
	if (e->marks == NF_MARKS_SET ||
	    (e->marks == NF_MARKS_RESTORE && (!conntrack || e->ct_mark)))
		return BPFWG_RULES_MARK;
	if (e->marks == NF_MARKS_RESTORE)
		return BPFWG_RULES_CT_MARK;
	return BPFWG_RULES_NONE;
}

/*
 * Conntrack mode, when it follows the ruleset: on for NAT or a forwarding
 * filter, and when it lets the fast path carry what the rules would
 * otherwise send to the stack (a conntrack mark restored; marks set or
 * headers rewritten on new connections only, TCP MSS clamping). Also on
 * if the ruleset cannot be read (@err). NULL, or why.
 */
static const char *conntrack_why(const struct nf_ruleset *r, int err,
				 char *buf, size_t size)
{
	const struct nf_effects *e = &r->all;

	if (err)
		snprintf(buf, size, "the ruleset cannot be read (%s)",
			 strerror(-err));
	else if (r->fw)
		snprintf(buf, size, "this network namespace has an %s",
			 r->fw_what);
	else if (rules_mode(r, true) >= rules_mode(r, false))
		return NULL;
	else if (e->mangle && !r->est.mangle)
		snprintf(buf, size, "the %s rewrites or queues packets of new connections only",
			 e->mangle_what);
	else if (e->marks == NF_MARKS_RESTORE)
		snprintf(buf, size, "the %s restores the conntrack mark",
			 e->marks_what);
	else
		snprintf(buf, size, "the %s sets marks on new connections only",
			 e->marks_what);
	return buf;
}

static void tell_rules(const struct nf_ruleset *r, bool conntrack, __u32 mode)
{
	const struct nf_effects *e = conntrack ? &r->est : &r->all;

	switch (mode) {
	case BPFWG_RULES_MANGLE:
		pr_info("rules: the %s rewrites or queues packets the fast path would carry: forwarded traffic takes the stack (pass:mangle)\n",
			e->mangle_what);
		break;
	case BPFWG_RULES_MARK:
		if (!e->marks_what[0])
			pr_info("packet marks: the ruleset cannot be read: forwarded traffic takes the stack (pass:mark)\n");
		else if (e->marks == NF_MARKS_SET)
			pr_info("packet marks: the %s sets marks before routing, which the fast path cannot know: forwarded traffic takes the stack (pass:mark)\n",
				e->marks_what);
		else if (e->ct_mark)
			pr_info("packet marks: the %s restores the conntrack mark, and the %s may set it on packets the fast path carries: forwarded traffic takes the stack (pass:mark)\n",
				e->marks_what, e->ct_mark_what);
		else
			pr_info("packet marks: the %s restores the conntrack mark, which only conntrack mode can check: forwarded traffic takes the stack (pass:mark)\n",
				e->marks_what);
		break;
	case BPFWG_RULES_CT_MARK:
		pr_info("packet marks: the %s restores the conntrack mark: flows with a conntrack mark take the stack (pass:mark)\n",
			e->marks_what);
		break;
	default:
		pr_info("rules: none left that the fast path cannot apply\n");
	}
}

/* Conntrack and rules modes, from -c or -C, else from the netns' ruleset
 * (usage), which @r gets.
 */
static int resolve_conntrack(struct args *args, struct nf_ruleset *r)
{
	int ret = nf_ruleset_scan(r);
	char buf[512];
	const char *why;

	if (ret < 0 && args->ct_mode == CT_AUTO) {
		pr_err("cannot read the nftables ruleset of this network namespace (%s): pass -c for conntrack mode, or -C\n",
		       strerror(-ret));
		return -1;
	}
	switch (args->ct_mode) {
	case CT_ON:
		args->conntrack = true;
		break;
	case CT_OFF:
		if (r->fw)
			pr_warn("--no-conntrack: the fast path bypasses the %s: it carries what the forward hook would drop, and NAT flows untranslated\n",
				r->fw_what);
		break;
	case CT_AUTO:
		why = conntrack_why(r, ret, buf, sizeof(buf));
		args->conntrack = why;
		if (why)
			pr_info("conntrack mode: %s (-C to turn it off)\n", why);
		break;
	}
	args->rules = rules_mode(r, args->conntrack);
	if (args->rules != BPFWG_RULES_NONE)
		tell_rules(r, args->conntrack, args->rules);
	return 0;
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

struct counters {
	__u64 stats[BPFWG_STAT_MAX];
	/* --rss */
	__u64 rss[BPFWG_RSS_STAT_MAX];
	__u64 cpu_rx[MAX_CPUS];	/* packets the datapath ran on, per CPU */
};

struct line {
	char buf[1024];
	int len;
};

static void add_rate(struct line *l, const char *name, __u64 now,
		     __u64 before, double secs)
{
	if (now == before || l->len >= (int)sizeof(l->buf))
		return;
	l->len += snprintf(l->buf + l->len, sizeof(l->buf) - l->len,
			   "%s%s %.0f/s", l->len ? ", " : "", name,
			   (now - before) / secs);
}

static void print_stats(const struct datapath *dp, const struct counters *now,
			const struct counters *before, double secs)
{
	struct line l = {};
	char name[16];
	int i;

	for (i = 0; i < BPFWG_STAT_MAX; i++)
		add_rate(&l, stat_name(i), now->stats[i], before->stats[i],
			 secs);
	if (l.len)
		pr_info("%s\n", l.buf);
	if (!dp->n_rss)
		return;
	l.len = 0;
	for (i = 0; i < BPFWG_RSS_STAT_MAX; i++)
		add_rate(&l, rss_stat_name(i), now->rss[i], before->rss[i],
			 secs);
	for (i = 0; i < dp->n_cpus; i++) {
		snprintf(name, sizeof(name), "cpu%d", i);
		add_rate(&l, name, now->cpu_rx[i], before->cpu_rx[i], secs);
	}
	if (l.len)
		pr_info("%s\n", l.buf);
}

static void print_totals(const struct datapath *dp, const struct counters *c)
{
	char name[16];
	int i;

	pr_info("totals:\n");
	for (i = 0; i < BPFWG_STAT_MAX; i++)
		if (c->stats[i])
			pr_info("  %-30s %llu\n", stat_name(i), c->stats[i]);
	if (!dp->n_rss)
		return;
	for (i = 0; i < BPFWG_RSS_STAT_MAX; i++)
		if (c->rss[i])
			pr_info("  %-20s %llu\n", rss_stat_name(i), c->rss[i]);
	/* Where the datapath ran, by CPU. */
	for (i = 0; i < dp->n_cpus; i++) {
		snprintf(name, sizeof(name), "cpu%d", i);
		if (c->cpu_rx[i])
			pr_info("  %-20s %llu\n", name, c->cpu_rx[i]);
	}
}

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int read_stats(struct datapath *dp, struct counters *c)
{
	int err = datapath_stats(dp, c->stats);

	if (!err && dp->n_rss)
		err = rss_stats(dp, c->rss, c->cpu_rx);
	if (err)
		pr_err("reading the counters failed: %s\n", strerror(-err));
	return err;
}

/*
 * Without -c or -C, conntrack mode follows the ruleset, read again each
 * round into @r: NAT or a forwarding filter added after the start (a
 * firewall started later, a wg-quick PostUp rule) turns it on within a
 * second, and their removal turns it off. A ruleset that cannot be read
 * turns it on, and sends forwarded traffic to the stack. The rules mode,
 * and the devices with ingress or egress chains, follow it always.
 */
static void follow_ruleset(struct datapath *dp, struct args *args,
			   struct nf_ruleset *r)
{
	int ret = nf_ruleset_scan(r);
	bool on = args->conntrack;
	const char *why;
	char buf[512];
	__u32 rules;

	/* Changing as it was read: as it was, until the next round. */
	if (ret == -EINTR)
		return;

	if (args->ct_mode == CT_AUTO) {
		why = conntrack_why(r, ret, buf, sizeof(buf));
		on = why;
		if (on && !args->conntrack)
			pr_info("conntrack mode on: %s\n", why);
		else if (!on && args->conntrack)
			pr_info("conntrack mode off: no NAT, forwarding filter or rule that needs it left in this network namespace\n");
	}
	rules = rules_mode(r, on);
	/* NAT, which the modes have too, may have come or gone. */
	datapath_set_modes(dp, on, rules);
	if (on == args->conntrack && rules == args->rules)
		return;
	if (on && !args->conntrack)
		datapath_warn_conntrack(dp);
	args->conntrack = on;
	if (rules != args->rules)
		tell_rules(r, on, rules);
	args->rules = rules;
}

/* Until SIGINT, SIGTERM, SIGHUP or SIGPIPE (blocked, so taken here), one round a second. */
static int run(struct datapath *dp, struct args *args, struct nf_ruleset *r,
	       const sigset_t *sigs)
{
	const struct timespec interval = { .tv_sec = INTERVAL_SEC };
	static struct counters a, b;
	struct counters *now = &a, *before = &b, *tmp;
	double t, last = now_sec();
	int sig;

	for (;;) {
		sig = sigtimedwait(sigs, NULL, &interval);
		if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP ||
		    sig == SIGPIPE)
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
		print_stats(dp, now, before, t - last);
		last = t;
		if (!args->rss_only)
			follow_ruleset(dp, args, r);
		if (datapath_sync_fwmarks(dp) || datapath_sync_links(dp) ||
		    datapath_sync_rp_filter(dp))
			return -1;
	}
	/* What came in since the last round counts too. */
	if (read_stats(dp, now))
		return -1;
	print_totals(dp, now);
	return 0;
}

int main(int argc, char **argv)
{
	static struct dsa_topology dsa;
	static struct nf_ruleset ruleset;
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
	/* A closed terminal, or a closed pipe behind stdout (the write then
	 * fails with EPIPE and the signal stays pending): detach and exit
	 * all the same.
	 */
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGPIPE);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	ret = EXIT_FAILURE;
	if (check_privileges() ||
	    (!args.rss_only && resolve_conntrack(&args, &ruleset)))
		goto out;
	/* With --rss-only the stack does it all. */
	if (!args.rss_only)
		check_sysctls(&args);
	if (dsa_setup(&args, &dsa) ||
	    datapath_open(&dp, &args, object, &ruleset) ||
	    (args.dsa && datapath_set_dsa(&dp, &dsa)) ||
	    datapath_attach(&dp, &args))
		goto out;
	if (args.conntrack)
		datapath_warn_conntrack(&dp);
	for (i = 0; i < args.n_ifaces; i++)
		pr_info("%s%s", i ? " " : "bpfwg: attached (", args.ifnames[i]);
	pr_info(") with %s%s%s%s%s%s, Ctrl-C to stop\n", hook_name(args.hook),
		args.dsa ? ", DSA mtk tags" : "",
		args.conntrack ? ", conntrack mode" : "",
		args.udp_csum_off ? ", no IPv4 UDP checksum" : "",
		args.rss_only ? ", RSS only " : args.rss ? ", RSS " : "",
		args.rss ? rss_name(args.rss) : "");
	if (!run(&dp, &args, &ruleset, &sigs))
		ret = EXIT_SUCCESS;
out:
	/* Closing the links detaches the programs. */
	datapath_close(&dp);
	if (ret == EXIT_SUCCESS)
		pr_info("bpfwg: detached\n");
	return ret;
}
