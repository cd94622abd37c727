/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __BPFWG_BPF_H
#define __BPFWG_BPF_H

#include <linux/types.h>

#include "args.h"
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
	bool check_bypass;	/* keep bpfwg_no_rx and bpfwg_no_tx (sync) */
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
		  const char *object);
int datapath_attach(struct datapath *dp, const struct args *args);
int datapath_set_dsa(struct datapath *dp, const struct dsa_topology *topo);
void datapath_set_conntrack(struct datapath *dp, bool on);
void datapath_set_marks(struct datapath *dp, __u32 mode);
void datapath_warn_conntrack(const struct datapath *dp);
int datapath_sync_fwmarks(struct datapath *dp);
int datapath_sync_rp_filter(struct datapath *dp);
int datapath_sync_links(struct datapath *dp);
int datapath_stats(struct datapath *dp, __u64 totals[BPFWG_STAT_MAX]);
void datapath_close(struct datapath *dp);

#endif /* __BPFWG_BPF_H */
