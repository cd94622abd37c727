/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __BPFWG_NF_H
#define __BPFWG_NF_H

#include <stddef.h>

/* What the ruleset does to the packet mark before routing or forwarding. */
enum nf_marks {
	NF_MARKS_NONE,
	NF_MARKS_RESTORE,	/* only copies conntrack's mark to the packet */
	NF_MARKS_SET,		/* sets marks the fast path cannot know */
};

/* The parts of the netns' ruleset that the fast path would bypass. */
struct nf_ruleset {
	int fw;			/* NAT, or a filter on the forward hook */
	char fw_what[256];	/* the first one found, for messages */
	enum nf_marks marks;	/* in a table with a prerouting or forward
				 * base chain, or the iptables mangle table
				 */
	char marks_what[256];
};

/* Reads the ruleset into @r: 0, or -errno if nftables could not be read. */
int nf_ruleset_scan(struct nf_ruleset *r);

#endif /* __BPFWG_NF_H */
