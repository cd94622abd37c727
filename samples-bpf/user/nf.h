/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __BPFWG_NF_H
#define __BPFWG_NF_H

#include <stddef.h>

/*
 * Whether the netns has a ruleset the fast path would bypass: NAT, or a
 * filter on the forward hook. 1 with @what describing the first one found
 * (e.g. "nftables chain inet fw4 forward"), 0 if none, -errno if the
 * nftables ruleset could not be read.
 */
int nf_ruleset_scan(char *what, size_t size);

#endif /* __BPFWG_NF_H */
