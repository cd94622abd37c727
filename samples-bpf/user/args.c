// SPDX-License-Identifier: GPL-2.0
/* Command line: bpfwg [options] <hook> <ifname> [ifname...] */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
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

const char *rss_name(enum rss_prog rss)
{
	return rss_names[rss];
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
	"with an expiring TTL, unresolved neighbours, GSO packets, SCTP whose\n"
	"CRC32c a local sender left to offload: pass:csum) goes through the stack\n"
	"unchanged.\n"
	"\n"
	"Forwarded packets are routed as the stack routes them: policy rules on\n"
	"protocols and ports apply; marks, see Rules below.\n"
	"\n"
	"Decrypted packets are wg0's traffic, as with WireGuard alone: they are\n"
	"routed with the WireGuard device as input interface (its policy rules,\n"
	"forwarding setting and IPv4 rp_filter apply; the source is also checked\n"
	"against the peer's AllowedIPs), and those the fast path does not\n"
	"forward (to the gateway itself, routes it cannot take) enter the stack as\n"
	"received by the WireGuard device, never by the underlay\n"
	"(decrypted-to-stack, and decrypted-to-stack:REASON says why: local for\n"
	"the gateway itself or no route, the pass: reasons below for the rest):\n"
	"the input firewall and rp_filter of wg0 see them.\n"
	"IPv4 rp_filter (strict or loose, of any input interface, read every\n"
	"second; off, a source address of the gateway's own): what it would\n"
	"refuse goes to the stack (pass:rpf), which does. So do martian\n"
	"addresses (pass:martian): from or to 0.0.0.0, 127/8, multicast or\n"
	"broadcast, IPv6 from or to ::. IPv4 options and IPv6 extension headers\n"
	"before the transport header go to the stack (pass:unsupported).\n"
	"\n"
	"VLANs (XDP, which sees the tags in the frame): a tagged frame is handled as\n"
	"received by the VLAN device that takes its tag, its input interface; a\n"
	"frame with a tag no VLAN device takes goes to the stack (pass:vlan). A tag\n"
	"a device takes out of the frame (rx-vlan-offload; on a veth, its peer's\n"
	"tx-vlan-offload) is read where the driver tells XDP programs (veth, mlx5,\n"
	"ice): in native XDP, with a program bound to that device; with --rss, the\n"
	"RSS program, bound to it, leaves such frames to the stack (rss:pass-vlan).\n"
	"Elsewhere (generic XDP, other drivers) such a frame looks untagged: bpfwg\n"
	"warns, and refuses to run while such a port has a VLAN device (it stops,\n"
	"detached, when one appears), as that VLAN's frames would be the port's.\n"
	"\n"
	"Attach to every interface packets arrive on: the LAN side, where they get\n"
	"encrypted, and the underlay (WAN) side, where they get decrypted. bpfwg\n"
	"stays in the foreground, prints counters every second at info level and\n"
	"detaches on Ctrl-C, SIGTERM, SIGHUP or SIGPIPE.\n"
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
	"  An XDP redirect leaves through the driver, past the egress device's\n"
	"  qdisc and tc egress programs: packets routed to a device with a qdisc\n"
	"  that shapes or classifies (cake, htb, tbf: SQM), tc or tcx egress\n"
	"  programs, or such a device below it (a VLAN's port, a DSA conduit),\n"
	"  take the stack (pass:egress), checked every second. A tc redirect\n"
	"  crosses those, and only skips nftables egress chains (below).\n"
	"  Both XDP and tc run before a device's tc ingress filters (SQM's ingress\n"
	"  shaping) and other tcx programs: what arrives on a device with those\n"
	"  takes the stack (pass:ingress). The fast path encrypts and decrypts in\n"
	"  the WireGuard device's place: with a shaping qdisc (SQM on wg0), tc\n"
	"  filters, tcx programs or nftables chains on its egress, what is routed\n"
	"  into it takes the stack (pass:egress); with those on its ingress, its\n"
	"  data messages are left to it (pass:ingress).\n"
	"\n"
	"Options:\n"
	"  -c, --conntrack        conntrack mode (see Firewall and NAT below), even\n"
	"                         without a ruleset that needs it\n"
	"  -C, --no-conntrack     no conntrack mode, even with such a ruleset: the\n"
	"                         fast path then carries what the firewall's\n"
	"                         forward hook would drop, and NAT flows\n"
	"                         untranslated (a warning says so)\n"
	"  -d, --dsa              DSA switch ports with the mtk tag (see DSA below);\n"
	"                         automatic when an interface is a DSA user port\n"
	"                         or conduit, -d makes it an error if none is\n"
	"  -e, --exclude-cpus LIST  CPUs --rss never steers packets to, e.g. 0,1,4-7\n"
	"                         (say, the CPUs that take the NIC's interrupts)\n"
	"  -h, -?, --help         this help\n"
	"  -l, --log-level LEVEL  error, warning, info (default), debug or verbose\n"
	"                         (verbose includes libbpf's and the verifier's log)\n"
	"  -o, --object PATH      BPF object (default: bpfwg.bpf.o next to bpfwg,\n"
	"                         bpfwg.be.bpf.o on big-endian CPUs)\n"
	"  -q, --queue-size N     --rss: packets each CPU's cpumap queue holds\n"
	"                         (1-16384, default %d)\n"
	"  -r, --rss PROGRAM      spread the packets over CPUs (see RSS below):\n"
	"                         round_robin, match_port, tuple_steering or rx_hash\n"
	"  -R, --rss-only PROGRAM  only spread the packets over CPUs, for the stack\n"
	"                         to handle there: no datapath (see RSS below)\n"
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
	"Firewall and NAT: the fast path skips netfilter. When the netns has NAT\n"
	"(an nftables chain of type nat, the iptables-legacy nat table) or a\n"
	"forwarding filter (an nftables filter chain on the forward hook, the\n"
	"iptables-legacy filter table), bpfwg runs in conntrack mode: it carries\n"
	"only TCP and UDP flows that conntrack saw replies for (TCP: established),\n"
	"hence accepted by the firewall, and refreshes their conntrack entries as\n"
	"the stack would. New flows, ICMP, TCP SYN, FIN and RST segments and those\n"
	"without ACK, and flows with NAT take the stack (pass:conntrack, pass:nat),\n"
	"which applies the firewall and translates. With NAT, WireGuard's own UDP\n"
	"flows are looked up as well (with -C too): a message on a flow conntrack\n"
	"translates (a nat chain for WireGuard's port), or does not have, takes\n"
	"the stack (pass:outer-nat, pass:outer-conntrack); the others refresh\n"
	"their flow. The window tracking of a TCP flow the fast path\n"
	"carries goes off (as the flowtable's does), so that its FIN and RST are\n"
	"not invalid there. Conntrack mode finds flows only once conntrack\n"
	"is active in the netns (a ruleset that uses it). Without -c or -C, the\n"
	"ruleset is read again every second: conntrack mode follows it, on when\n"
	"NAT or a forwarding filter appears (a firewall started later, a PostUp\n"
	"rule), off when they are gone; flows opened in between may be carried\n"
	"as they were before the change.\n"
	"Rules of the chains the fast path skips: XDP and TC ingress run before\n"
	"the prerouting, forward and postrouting chains (and those they jump\n"
	"to), and the fast path's packets are unmarked; so are the outer\n"
	"WireGuard packets it sends, which the stack would send through the\n"
	"output and postrouting chains (their rules count but those matching\n"
	"TCP, and \"ct state new\" ones too). When a rule there sets the\n"
	"packet mark (pbr, mwan3; or the iptables-legacy mangle table exists),\n"
	"forwarded traffic takes the stack (pass:mark), whose policy rules (ip\n"
	"rule fwmark) and queues see the mark. A ruleset that only restores the\n"
	"conntrack mark (wg-quick's meta mark set ct mark, CONNMARK\n"
	"--restore-mark) turns conntrack mode on instead: only flows with a\n"
	"conntrack mark take the stack, unless a rule may set that mark on a\n"
	"packet of an established flow (any rule that sets it but from the packet\n"
	"mark, on other than \"ct state new\"; \"ct state invalid\" is any packet\n"
	"in a chain that runs before conntrack). When a rule rewrites headers (DSCP,\n"
	"TTL, TCP options, skb priority) or queues, duplicates or diverts\n"
	"packets, forwarded traffic takes the stack (pass:mangle). Rules that act\n"
	"only on packets conntrack mode leaves to the stack (\"ct state new\",\n"
	"\"tcp flags syn\": TCP MSS clamping) turn conntrack mode on instead. -C\n"
	"then sends all forwarded traffic to the stack. Read every second too.\n"
	"Counters, logs, limits and quotas of those chains do not see what the\n"
	"fast path carries. nftables ingress chains (netdev, inet) run after XDP\n"
	"and TC: what arrives on their devices (VLAN devices included) takes the\n"
	"stack (pass:ingress); netdev egress chains are bypassed by XDP and tc\n"
	"redirects alike (pass:egress).\n"
	"\n"
	"RSS (-r): all the traffic of one WireGuard peer is one outer UDP flow, which\n"
	"the NIC's RSS hands to one CPU, and the native path decrypts one peer's\n"
	"packets in order on one CPU at a time. With --rss, an RSS program runs on\n"
	"the interfaces instead of the datapath: it redirects every packet into a\n"
	"cpumap, and the datapath runs on the CPU it picked, out of the online CPUs\n"
	"not excluded with -e (excluded CPUs never get a packet):\n"
	"  round_robin     each packet to the next CPU, kept per receiving CPU (no\n"
	"                  shared state); the only one that spreads a single peer:\n"
	"                  WireGuard's replay window (8128 messages) absorbs the\n"
	"                  reordering, as long as the queues (-q) of all CPUs hold\n"
	"                  fewer packets than that together\n"
	"  match_port      the CPU from the L4 destination port (port modulo the\n"
	"                  number of CPUs): one CPU per WireGuard listen port\n"
	"  tuple_steering  each flow (addresses, protocol, ports) stays on the CPU\n"
	"                  its first packet was given, new flows take turns\n"
	"                  (16384 flows remembered, least recently seen forgotten)\n"
	"  rx_hash         the CPU from the RSS hash the driver computed\n"
	"                  (bpf_xdp_metadata_rx_hash(): one device-bound program\n"
	"                  per interface; the driver must support it, veth does);\n"
	"                  frames the driver has no hash for are hashed by bpfwg\n"
	"Native XDP only (xdp means xdpnative with --rss): with tc and xdpgeneric\n"
	"packets already are skbs, spread them with RPS instead. Everything else\n"
	"the datapath does is unchanged; counters include packets per CPU. All\n"
	"packets go through the cpumap, those for the stack too, which rebuilds\n"
	"their skbs: the RSS program completes the TCP and UDP checksums a veth's\n"
	"local senders left pending, and leaves SCTP with its CRC32c pending to\n"
	"the stack on the receiving CPU (rss:pass-csum).\n"
	"With -R instead of -r, no datapath runs: the cpumap entries have no\n"
	"program and hand every packet to the stack on the CPU picked, as RPS\n"
	"would but before an skb exists (any traffic, WireGuard or not, is\n"
	"spread; the stack decides everything, -c, -C and -u do nothing).\n"
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
	"  # Decrypt one busy peer on CPUs 1-3, leaving CPU 0 to the NIC:\n"
	"  bpfwg -r round_robin -e 0 xdpnative eth0 eth1\n"
	"  # The stack on CPUs 1-3 for each flow of a NIC without RSS:\n"
	"  bpfwg -R tuple_steering -e 0 xdpnative eth0\n"
	"  # Debug a failing load (verifier log):\n"
	"  bpfwg -l verbose xdp eth0\n"
	"\n"
	"The routing decides what is encrypted: a packet whose route goes through a\n"
	"WireGuard device is encrypted for the peer AllowedIPs select. IP forwarding\n"
	"must be enabled (bpfwg checks and tells, it does not change sysctls).\n"
	"The WireGuard module must be loaded before bpfwg starts.\n";

static void usage(FILE *f)
{
	fprintf(f, usage_text, DEFAULT_QUEUE_SIZE);
}

int cpu_list_parse(const char *list, bool *cpus, int max)
{
	char *copy = strdup(list), *tok, *save, *end;
	long first, last, cpu;
	int n = -1;

	if (!copy)
		return -1;
	for (tok = strtok_r(copy, ",\n", &save); tok;
	     tok = strtok_r(NULL, ",\n", &save)) {
		errno = 0;
		first = strtol(tok, &end, 10);
		last = first;
		if (end != tok && *end == '-') {
			tok = end + 1;
			last = strtol(tok, &end, 10);
		}
		if (errno || end == tok || *end || first < 0 || last < first ||
		    last >= max)
			goto out;
		for (cpu = first; cpu <= last; cpu++)
			cpus[cpu] = true;
	}
	for (n = 0, cpu = 0; cpu < max; cpu++)
		n += cpus[cpu];
out:
	free(copy);
	return n;
}

static int parse_cpus(struct args *args, const char *list)
{
	long ncpus = sysconf(_SC_NPROCESSORS_CONF);

	if (ncpus > MAX_CPUS)
		ncpus = MAX_CPUS;
	args->n_excluded = cpu_list_parse(list, args->exclude_cpus, ncpus);
	if (args->n_excluded < 0) {
		pr_err("invalid CPU list '%s': use e.g. 0,1,4-7 with CPUs 0-%ld\n",
		       list, ncpus - 1);
		return -1;
	}
	if (args->n_excluded >= ncpus) {
		pr_err("--exclude-cpus '%s' leaves no CPU\n", list);
		return -1;
	}
	return 0;
}

/*
 * The datapath parses Ethernet frames: an interface of another link type
 * (a WireGuard device itself, loopback, tun) would have every packet
 * misparsed. 0, or -1 after saying why.
 */
static int check_link_type(const char *name)
{
	struct ifreq ifr = {};
	int fd, ret = 0;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		pr_err("cannot read the link type of '%s': %s\n", name,
		       strerror(errno));
		ret = -1;
	} else if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
		pr_err("'%s' is not an Ethernet interface (link type %u): attach bpfwg to the interfaces packets arrive on, LAN and WAN, not to a WireGuard device\n",
		       name, ifr.ifr_hwaddr.sa_family);
		ret = -1;
	}
	if (fd >= 0)
		close(fd);
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
		{ "no-conntrack", no_argument, NULL, 'C' },
		{ "dsa", no_argument, NULL, 'd' },
		{ "exclude-cpus", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "object", required_argument, NULL, 'o' },
		{ "queue-size", required_argument, NULL, 'q' },
		{ "rss", required_argument, NULL, 'r' },
		{ "rss-only", required_argument, NULL, 'R' },
		{ "udp", no_argument, NULL, 'u' },
		{}
	};
	unsigned long val;
	int opt, i;
	char *end;

	memset(args, 0, sizeof(*args));
	args->log_level = LOG_INFO;
	args->queue_size = DEFAULT_QUEUE_SIZE;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "cCde:h?l:o:q:r:R:u", options,
				  NULL)) != -1) {
		switch (opt) {
		case 'c':
			args->ct_mode = CT_ON;
			break;
		case 'C':
			args->ct_mode = CT_OFF;
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
		case 'q':
			errno = 0;
			val = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || !val ||
			    val > MAX_QUEUE_SIZE) {
				pr_err("invalid queue size '%s': use 1 to %d\n",
				       optarg, MAX_QUEUE_SIZE);
				return -1;
			}
			args->queue_size = val;
			break;
		case 'r':
		case 'R':
			i = parse_name(optarg, rss_names, ARRAY_SIZE(rss_names));
			if (i < 0) {
				pr_err("invalid RSS program '%s': use round_robin, match_port, tuple_steering or rx_hash\n",
				       optarg);
				return -1;
			}
			if (args->rss && args->rss_only != (opt == 'R')) {
				pr_err("--rss and --rss-only exclude each other: -r runs the datapath on the CPU picked, -R the stack alone\n");
				return -1;
			}
			args->rss = i;
			args->rss_only = opt == 'R';
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
		if (check_link_type(name))
			return -1;
		for (i = 0; i < args->n_ifaces; i++) {
			if (args->ifindexes[i] ==
			    args->ifindexes[args->n_ifaces]) {
				pr_err("interface '%s' given twice\n", name);
				return -1;
			}
		}
		args->ifnames[args->n_ifaces++] = name;
	}

	if (args->rss_only && (args->ct_mode != CT_AUTO || args->udp_csum_off))
		pr_warn("--conntrack, --no-conntrack and --udp have no effect with --rss-only\n");
	if (args->rss && args->hook != HOOK_XDP &&
	    args->hook != HOOK_XDP_NATIVE) {
		pr_err("%s needs native XDP (xdp or xdpnative), not %s: spread skbs with RPS (/sys/class/net/DEV/queues/rx-N/rps_cpus)\n",
		       args->rss_only ? "--rss-only" : "--rss",
		       hook_name(args->hook));
		return -1;
	}
	if (!args->rss && (args->n_excluded ||
			   args->queue_size != DEFAULT_QUEUE_SIZE))
		pr_warn("--exclude-cpus and --queue-size have no effect without --rss\n");
	return 0;
}
