/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __BPFWG_BPF_H
#define __BPFWG_BPF_H

#include <linux/types.h>

#include "args.h"
#include "nf.h"
#include "../kernel/bpfwg.h"

struct bpf_link;

struct bpfwg;
struct dsa_topology;
struct rss;

struct datapath {
	struct bpfwg *skel;
	void *elf;
	size_t elf_size;
	/* Native XDP: xdp_wg_dev bound to the interfaces whose driver gives
	 * the VLAN tags it strips, in objects sharing the maps of skel
	 */
	struct bpfwg *dev[MAX_IFACES];
	bool dev_bound[MAX_IFACES];
	bool ct_kfuncs;		/* conntrack kfuncs resolved at load */
	bool tc_redirect_traced;	/* fexit on skb_do_redirect() loads */
	bool check_bypass;	/* keep BPFWG_DEV_NO_RX and _NO_TX (sync) */
	/* The netns' ruleset, kept read by the caller: the devices of its
	 * ingress and egress chains (with check_bypass)
	 */
	const struct nf_ruleset *nf;
	/* XDP: ports whose stripped VLAN tags the datapath cannot see */
	__u32 blind[MAX_IFACES];
	int n_blind;
	/* --rss: one object, or one per interface for rx_hash (device-bound) */
	struct rss *rss[MAX_IFACES];
	int n_rss;
	int link_fds[MAX_IFACES];
	int n_links;
	int n_cpus;
	int n_wg;		/* WireGuard devices at the last fwmark sync */
	struct bpf_link *tracing[3];	/* failed redirects */
	int n_tracing;
};

const char *stat_name(enum bpfwg_stat stat);
int datapath_open(struct datapath *dp, const struct args *args,
		  const char *object, const struct nf_ruleset *nf);
int datapath_attach(struct datapath *dp, const struct args *args);
int datapath_set_dsa(struct datapath *dp, const struct dsa_topology *topo);
void datapath_set_modes(struct datapath *dp, bool conntrack, __u32 rules);
void datapath_warn_conntrack(const struct datapath *dp);
int datapath_sync_fwmarks(struct datapath *dp);
int datapath_sync_rp_filter(struct datapath *dp);
int datapath_sync_links(struct datapath *dp);
int datapath_stats(struct datapath *dp, __u64 totals[BPFWG_STAT_MAX]);
void datapath_close(struct datapath *dp);

#endif /* __BPFWG_BPF_H */
