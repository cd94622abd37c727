// SPDX-License-Identifier: GPL-2.0
/* Command line: bpfwg [options] <hook> <ifname> [ifname...] */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"

static const char * const hook_names[] = {
	[HOOK_TC] = "tc",
	[HOOK_XDP] = "xdp",
	[HOOK_XDP_GENERIC] = "xdpgeneric",
	[HOOK_XDP_NATIVE] = "xdpnative",
	[HOOK_XDP_OFFLOAD] = "xdpoffload",
};

static const char * const rss_names[] = {
	[RSS_ROUND_ROBIN] = "round_robin",
	[RSS_MATCH_PORT] = "match_port",
	[RSS_TUPLE_STEERING] = "tuple_steering",
	[RSS_RX_HASH] = "rx_hash",
};

const char *hook_name(enum hook hook)
{
	return hook_names[hook];
}

static const char usage_text[] =
	"Usage: bpfwg [options] <hook> <ifname> [ifname...]\n"
	"\n"
	"WireGuard datapath in XDP or TC for a gateway: packets routed into a\n"
	"WireGuard device are encrypted and sent to the peer's endpoint, and data\n"
	"messages arriving for a local WireGuard port are decrypted and forwarded,\n"
	"without going through the network stack. The WireGuard devices stay\n"
	"configured as usual (ip, wg, wg-quick): the kernel keeps doing the\n"
	"handshakes, timers and rekeying, and everything the datapath cannot carry\n"
	"(handshakes, the first packet before a key exists, packets too big or\n"
	"with an expiring TTL, unresolved neighbours, GSO packets) goes through the\n"
	"stack unchanged.\n"
	"\n"
	"Attach to every interface packets arrive on: the LAN side, where they get\n"
	"encrypted, and the underlay (WAN) side, where they get decrypted. bpfwg\n"
	"stays in the foreground, prints counters every second at info level and\n"
	"detaches on Ctrl-C or SIGTERM.\n"
	"\n"
	"Hooks:\n"
	"  tc          TC ingress (tcx). Works on any device. Often faster than\n"
	"              xdpgeneric: generic XDP reallocates every skb with less than\n"
	"              256 bytes of headroom.\n"
	"  xdp         XDP, native mode if the driver has it, generic otherwise\n"
	"  xdpnative   XDP in the driver; fails if the driver does not support it.\n"
	"              Frames are redirected with ndo_xdp_xmit, which VLAN devices,\n"
	"              bridges and most virtual devices lack (a veth needs an XDP\n"
	"              program or GRO on its peer): with xdp and xdpnative, only\n"
	"              the interfaces given are egress devices of the fast path,\n"
	"              packets routed elsewhere take the stack (pass:egress).\n"
	"  xdpgeneric  XDP on skbs (generic/SKB mode), for any device\n"
	"  xdpoffload  XDP offloaded to the NIC (no NIC can run the kfuncs: fails)\n"
	"\n"
	"Options:\n"
	"  -c, --conntrack        only carry flows conntrack has seen replies for;\n"
	"                         new flows take the stack (and its firewall) until\n"
	"                         established. Needs conntrack active in the netns\n"
	"                         (a ruleset that uses it)\n"
	"  -d, --dsa              DSA switch ports with the mtk tag (see DSA below);\n"
	"                         automatic when an interface is a DSA user port\n"
	"                         or conduit, -d makes it an error if none is\n"
	"  -e, --exclude-cpus LIST  CPUs RSS does not steer to, e.g. 0,1,4-7\n"
	"                         (only with --rss)\n"
	"  -h, -?, --help         this help\n"
	"  -l, --log-level LEVEL  error, warning, info (default), debug or verbose\n"
	"                         (verbose includes libbpf's and the verifier's log)\n"
	"  -o, --object PATH      BPF object (default: bpfwg.bpf.o next to bpfwg,\n"
	"                         bpfwg.be.bpf.o on big-endian CPUs)\n"
	"  -r, --rss PROGRAM      spread decryption over CPUs with a cpumap:\n"
	"                         round_robin, match_port, tuple_steering or rx_hash\n"
	"                         (not available yet)\n"
	"  -u, --udp              no UDP checksum on IPv4 outer packets (IPv6 always\n"
	"                         has one); the native path always sets it\n"
	"\n"
	"DSA (MediaTek routers: switch ports lan1, wan... behind a conduit eth0):\n"
	"  With the XDP hooks, bpfwg attaches to the conduit, not to the user\n"
	"  ports: the conduit receives the frames of every port with the 4-byte\n"
	"  mtk tag naming the port they came in on, and sends frames tagged with\n"
	"  the port they go out of. bpfwg reads the tag and handles the frame as\n"
	"  arriving on that user port; what it sends through a user port, or\n"
	"  through a VLAN device on one (802.1Q or 802.1ad, priority 0), leaves\n"
	"  through the conduit tagged for that port. Naming user ports serves\n"
	"  those ports, naming the conduit all of them. Frames from other ports,\n"
	"  and all that bpfwg does not carry, go to the stack with their tag, for\n"
	"  the kernel's tagger. Only the mtk tagger is supported in XDP (see\n"
	"  /sys/class/net/CONDUIT/dsa/tagging); ports 6 and 7 are served on\n"
	"  receive only, the tag cannot address them. With tc, bpfwg attaches to\n"
	"  the user ports themselves: tc runs after the kernel's tagger and works\n"
	"  with any tagger, and refuses the conduit. -l debug shows the ports\n"
	"  found.\n"
	"\n"
	"Examples:\n"
	"  # LAN on eth0, WireGuard underlay on eth1, native XDP:\n"
	"  bpfwg xdpnative eth0 eth1\n"
	"  # Same in TC, carrying only established flows:\n"
	"  bpfwg -c tc eth0 eth1\n"
	"  # MediaTek router, LAN ports lan1-lan4 and WAN port wan of the switch\n"
	"  # behind eth0 (XDP goes on eth0, frames of other ports are not served):\n"
	"  bpfwg xdp lan1 lan2 lan3 lan4 wan\n"
	"  # Same in TC, on the user ports themselves:\n"
	"  bpfwg tc lan1 lan2 lan3 lan4 wan\n"
	"  # Debug a failing load (verifier log):\n"
	"  bpfwg -l verbose xdp eth0\n"
	"\n"
	"The routing decides what is encrypted: a packet whose route goes through a\n"
	"WireGuard device is encrypted for the peer AllowedIPs select. IP forwarding\n"
	"must be enabled (bpfwg checks and tells, it does not change sysctls).\n"
	"The WireGuard module must be loaded before bpfwg starts.\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

static int parse_cpus(struct args *args, const char *list)
{
	long ncpus = sysconf(_SC_NPROCESSORS_CONF);
	char *copy = strdup(list), *tok, *save, *end;
	long first, last, cpu;
	int ret = -1;

	if (!copy)
		return -1;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		errno = 0;
		first = strtol(tok, &end, 10);
		last = first;
		if (end != tok && *end == '-') {
			tok = end + 1;
			last = strtol(tok, &end, 10);
		}
		if (errno || end == tok || *end || first < 0 || last < first) {
			pr_err("invalid CPU list '%s': use e.g. 0,1,4-7\n", list);
			goto out;
		}
		if (last >= ncpus || last >= MAX_CPUS) {
			pr_err("CPU %ld in '%s' does not exist (CPUs 0-%ld)\n",
			       last, list, ncpus - 1);
			goto out;
		}
		for (cpu = first; cpu <= last; cpu++) {
			args->n_excluded += !args->exclude_cpus[cpu];
			args->exclude_cpus[cpu] = true;
		}
	}
	if (args->n_excluded >= ncpus) {
		pr_err("--exclude-cpus '%s' leaves no CPU\n", list);
		goto out;
	}
	ret = 0;
out:
	free(copy);
	return ret;
}

static int parse_name(const char *name, const char * const *names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (names[i] && !strcmp(name, names[i]))
			return i;
	return -1;
}

/* Returns 0 to go on, 1 when done (help), -1 on error (already reported). */
int args_parse(struct args *args, int argc, char **argv)
{
	static const struct option options[] = {
		{ "conntrack", no_argument, NULL, 'c' },
		{ "dsa", no_argument, NULL, 'd' },
		{ "exclude-cpus", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "object", required_argument, NULL, 'o' },
		{ "rss", required_argument, NULL, 'r' },
		{ "udp", no_argument, NULL, 'u' },
		{}
	};
	int opt, i;

	memset(args, 0, sizeof(*args));
	args->log_level = LOG_INFO;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+cde:h?l:o:r:u", options,
				  NULL)) != -1) {
		switch (opt) {
		case 'c':
			args->conntrack = true;
			break;
		case 'd':
			args->dsa = true;
			break;
		case 'e':
			if (parse_cpus(args, optarg))
				return -1;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'l':
			if (log_level_parse(optarg, &args->log_level)) {
				pr_err("invalid log level '%s': use error, warning, info, debug or verbose\n",
				       optarg);
				return -1;
			}
			break;
		case 'o':
			args->object = optarg;
			break;
		case 'r':
			i = parse_name(optarg, rss_names, ARRAY_SIZE(rss_names));
			if (i < 0) {
				pr_err("invalid RSS program '%s': use round_robin, match_port, tuple_steering or rx_hash\n",
				       optarg);
				return -1;
			}
			args->rss = i;
			break;
		case 'u':
			args->udp_csum_off = true;
			break;
		case '?':
			if (optopt == '?') {
				usage(stdout);
				return 1;
			}
			if (optopt)
				pr_err("option -%c: unknown or missing its argument (see bpfwg --help)\n",
				       optopt);
			else
				pr_err("unknown option '%s' (see bpfwg --help)\n",
				       argv[optind - 1]);
			return -1;
		}
	}

	if (optind >= argc) {
		pr_err("missing hook and interface (see bpfwg --help)\n");
		return -1;
	}
	i = parse_name(argv[optind], hook_names, ARRAY_SIZE(hook_names));
	if (i < 0) {
		pr_err("invalid hook '%s': use tc, xdp, xdpgeneric, xdpnative or xdpoffload\n",
		       argv[optind]);
		return -1;
	}
	args->hook = i;
	if (++optind >= argc) {
		pr_err("missing interface name after '%s' (see bpfwg --help)\n",
		       hook_name(args->hook));
		return -1;
	}
	for (; optind < argc; optind++) {
		const char *name = argv[optind];

		if (args->n_ifaces == MAX_IFACES) {
			pr_err("too many interfaces (at most %d)\n", MAX_IFACES);
			return -1;
		}
		args->ifindexes[args->n_ifaces] = if_nametoindex(name);
		if (!args->ifindexes[args->n_ifaces]) {
			pr_err("no interface '%s' in this network namespace\n",
			       name);
			return -1;
		}
		for (i = 0; i < args->n_ifaces; i++) {
			if (args->ifindexes[i] ==
			    args->ifindexes[args->n_ifaces]) {
				pr_err("interface '%s' given twice\n", name);
				return -1;
			}
		}
		args->ifnames[args->n_ifaces++] = name;
	}

	if (args->rss) {
		pr_err("--rss %s: RSS programs are not available yet in this version of bpfwg\n",
		       rss_names[args->rss]);
		return -1;
	}
	if (args->n_excluded)
		pr_warn("--exclude-cpus has no effect without --rss\n");
	return 0;
}
