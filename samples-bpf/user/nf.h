/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __BPFWG_NF_H
#define __BPFWG_NF_H

#include <stdbool.h>
#include <net/if.h>

/* What rules do to the packet mark. */
enum nf_marks {
	NF_MARKS_NONE,
	NF_MARKS_RESTORE,	/* only copies conntrack's mark to the packet */
	NF_MARKS_SET,		/* sets marks the fast path cannot know */
};

/* What the rules of the chains a forwarded packet crosses do to it. */
struct nf_effects {
	enum nf_marks marks;
	char marks_what[256];	/* the first rule found, for messages */
	/* Writes the conntrack mark from anything but the packet's, which a
	 * flow the fast path carries would not have restored.
	 */
	bool ct_mark;
	char ct_mark_what[256];
	/* Rewrites headers (DSCP, TTL, TCP options), or queues, duplicates
	 * or diverts packets.
	 */
	bool mangle;
	char mangle_what[256];
};

#define NF_MAX_HOOK_DEVS	64

/* The devices of nftables chains on an ingress or egress hook. */
struct nf_hook_devs {
	char name[NF_MAX_HOOK_DEVS][IF_NAMESIZE];
	bool prefix[NF_MAX_HOOK_DEVS];	/* a wildcard: name is a prefix */
	int n;
	bool full;		/* more than NF_MAX_HOOK_DEVS: all devices */
};

/* The parts of the netns' ruleset that the fast path would bypass. */
struct nf_ruleset {
	int fw;			/* NAT, or a filter on the forward hook */
	char fw_what[256];	/* the first one found, for messages */
	/* NAT of IPv4, of IPv6, which WireGuard's own UDP may get too. */
	bool nat4, nat6;
	/*
	 * The rules of the chains on the prerouting, forward and
	 * postrouting hooks, and of those they jump to: @all of them, and
	 * @est, those that may act on a packet of an established flow, which
	 * are all that matter in conntrack mode (not "ct state new ...", nor
	 * "tcp flags syn ..."). Both also have the rules on the output and
	 * postrouting hooks that may act on the outer WireGuard UDP, which
	 * the stack would send for what the fast path encrypts (all but those
	 * that match TCP). Both count the iptables-legacy mangle table as
	 * setting marks. A ruleset that cannot be read sets marks, and has
	 * ingress and egress chains on every device.
	 */
	struct nf_effects all, est;
	/* Netdev and inet ingress chains, netdev egress chains. */
	struct nf_hook_devs ingress, egress;
	bool unreadable;	/* the above stand for an unreadable ruleset */
};

/*
 * Reads the ruleset into @r: 0, or -errno if nftables could not be read;
 * -EINTR, @r untouched, if it kept changing while it was read.
 */
int nf_ruleset_scan(struct nf_ruleset *r);

/* Whether device @name is one of @d's. */
bool nf_hook_dev(const struct nf_hook_devs *d, const char *name);

#endif /* __BPFWG_NF_H */
