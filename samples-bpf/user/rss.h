/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __BPFWG_RSS_H
#define __BPFWG_RSS_H

#include <linux/types.h>

#include "args.h"
#include "bpf.h"

const char *rss_stat_name(enum bpfwg_rss_stat stat);
/* After the datapath is loaded: load the RSS programs, fill the cpumap. */
int rss_load(struct datapath *dp, const struct args *args);
/* The id of the cpumap, or 0. */
__u32 rss_cpumap_id(const struct datapath *dp);
/* The RSS program to attach to interface @i. */
int rss_prog_fd(const struct datapath *dp, int i);
/* The RSS counters and the packets the datapath got per CPU (n_cpus). */
int rss_stats(struct datapath *dp, __u64 stats[BPFWG_RSS_STAT_MAX],
	      __u64 *cpu_rx);
void rss_close(struct datapath *dp);

#endif /* __BPFWG_RSS_H */
