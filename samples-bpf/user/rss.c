// SPDX-License-Identifier: GPL-2.0
/* --rss: the programs of rss.bpf.c (embedded in the loader) run on the
 * interfaces and redirect into a cpumap whose entries run xdp_wg_cpumap.
 *
 * kernel/bpf/core.c has the rules. A cpumap has one owner (program type,
 * JIT, frags flag): the first RSS program loaded with it claims it, and
 * every other program redirecting into it or run by its entries must match
 * (__bpf_prog_map_compatible()), hence frags-aware programs everywhere.
 * The entries' program cannot be device-bound (bpf_prog_map_compatible()),
 * but a device-bound program, rx_hash's, may redirect into a cpumap: its
 * maps are checked at load without the device-bound refusal
 * (bpf_check_tail_call()).
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/netdev.h>

#include "log.h"
#include "nl.h"
#include "rss.h"
#include "bpfwg.skel.h"
#include "rss.skel.h"

static_assert(BPFWG_RSS_MAX_CPUS >= MAX_CPUS, "CPU table too small");

static const char * const rss_stat_names[BPFWG_RSS_STAT_MAX] = {
	[BPFWG_RSS_REDIRECTED] = "rss:redirected",
	[BPFWG_RSS_PASS] = "rss:pass",
	[BPFWG_RSS_SW_HASH] = "rss:sw-hash",
	[BPFWG_RSS_PASS_CSUM] = "rss:pass-csum",
	[BPFWG_RSS_PASS_VLAN] = "rss:pass-vlan",
};

const char *rss_stat_name(enum bpfwg_rss_stat stat)
{
	return rss_stat_names[stat];
}

static struct bpf_program *rss_program(struct rss *skel, enum rss_prog rss)
{
	switch (rss) {
	case RSS_ROUND_ROBIN:
		return skel->progs.rss_round_robin;
	case RSS_MATCH_PORT:
		return skel->progs.rss_match_port;
	case RSS_TUPLE_STEERING:
		return skel->progs.rss_tuple_steering;
	default:
		return skel->progs.rss_rx_hash;
	}
}

/* The CPU table: online CPUs, less the excluded ones. */
static int allowed_cpus(struct bpfwg_rss_config *cfg, const struct args *args,
			int n_cpus)
{
	static const char path[] = "/sys/devices/system/cpu/online";
	bool online[MAX_CPUS] = {};
	char line[4096];
	int cpu, ret = -1;
	FILE *f;

	f = fopen(path, "r");
	if (f && fgets(line, sizeof(line), f))
		ret = cpu_list_parse(line, online, MAX_CPUS);
	if (f)
		fclose(f);
	if (ret < 0) {
		pr_err("cannot read the online CPUs from %s\n", path);
		return -1;
	}
	cfg->n_cpus = 0;
	for (cpu = 0; cpu < n_cpus && cpu < MAX_CPUS; cpu++)
		if (online[cpu] && !args->exclude_cpus[cpu])
			cfg->cpus[cfg->n_cpus++] = cpu;
	if (!cfg->n_cpus) {
		pr_err("--exclude-cpus leaves no online CPU for --rss\n");
		return -1;
	}
	return 0;
}

/*
 * Without the driver's xmo_rx_hash, bpf_xdp_metadata_rx_hash() resolves to
 * the generic kfunc, which fails on every packet: ask the netdev netlink
 * family which drivers have it, before loading anything. Which ones give
 * the VLAN tags they take out of frames (@vlan) is asked at the same time:
 * the RSS programs of those interfaces are bound to them to read the tag.
 */
static int check_rx_metadata(const struct args *args, bool *vlan)
{
	__u64 features[MAX_IFACES];
	int ret, i;

	ret = nl_xdp_rx_metadata(args->ifindexes, args->n_ifaces, features);
	if (ret && args->rss != RSS_RX_HASH) {
		/* bpf.c warns that stripped tags cannot be seen. */
		memset(vlan, 0, sizeof(*vlan) * args->n_ifaces);
		return 0;
	}
	if (ret) {
		pr_err("--rss rx_hash: asking the drivers about the XDP RX hash (netdev netlink family) failed: %s\n",
		       strerror(-ret));
		return -1;
	}
	for (i = 0; i < args->n_ifaces; i++)
		vlan[i] = features[i] & NETDEV_XDP_RX_METADATA_VLAN_TAG;
	for (i = 0; i < args->n_ifaces && args->rss == RSS_RX_HASH; i++) {
		if (!(features[i] & NETDEV_XDP_RX_METADATA_HASH)) {
			pr_err("--rss rx_hash: the driver of %s gives XDP programs no RX hash: use round_robin, match_port or tuple_steering\n",
			       args->ifnames[i]);
			return -1;
		}
	}
	return 0;
}

/* One RSS object; with @bound, bound to interface @i (rx_hash, VLAN tags).
 * All share the maps of the first one.
 */
static int load_one(struct datapath *dp, const struct args *args,
		    const struct bpfwg_rss_config *cfg, int i, bool bound)
{
	struct rss *skel, *first = dp->n_rss ? dp->rss[0] : NULL;
	struct bpf_program *prog, *p;
	int err;

	skel = rss__open();
	if (!skel) {
		pr_err("opening the RSS programs failed: %s\n", strerror(errno));
		return -1;
	}
	dp->rss[dp->n_rss++] = skel;
	skel->rodata->bpfwg_rss_config = *cfg;
	prog = rss_program(skel, args->rss);
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, p == prog);
	bpf_map__set_autocreate(skel->maps.bpfwg_rss_next,
				args->rss == RSS_ROUND_ROBIN ||
				args->rss == RSS_TUPLE_STEERING);
	bpf_map__set_autocreate(skel->maps.bpfwg_rss_flows,
				args->rss == RSS_TUPLE_STEERING);
	if (bound) {
		bpf_program__set_ifindex(prog, args->ifindexes[i]);
		bpf_program__set_flags(prog, bpf_program__flags(prog) |
					     BPF_F_XDP_DEV_BOUND_ONLY);
	}
	if (first) {
		err = bpf_map__reuse_fd(skel->maps.bpfwg_cpumap,
					bpf_map__fd(first->maps.bpfwg_cpumap));
		err = err ?: bpf_map__reuse_fd(skel->maps.bpfwg_rss_stats,
				bpf_map__fd(first->maps.bpfwg_rss_stats));
	} else {
		err = bpf_map__set_max_entries(skel->maps.bpfwg_cpumap,
					       dp->n_cpus);
	}
	err = err ?: rss__load(skel);
	if (err) {
		pr_err("loading the RSS program %s%s%s failed: %s (run with -l verbose for the verifier log)\n",
		       bpf_program__name(prog), bound ? " for " : "",
		       bound ? args->ifnames[i] : "", strerror(-err));
		return -1;
	}
	return 0;
}

/* Every allowed CPU runs the datapath on what it is given. */
static int fill_cpumap(struct datapath *dp, const struct args *args,
		       const struct bpfwg_rss_config *cfg)
{
	/* --rss-only: no program (fd 0), the cpumap makes skbs for the
	 * stack on the CPU.
	 */
	struct bpf_cpumap_val val = {
		.qsize = args->queue_size,
		.bpf_prog.fd = args->rss_only ? 0 :
			bpf_program__fd(dp->skel->progs.xdp_wg_cpumap),
	};
	static const char frags_hint[] =
		" (xdp_wg_cpumap must be frags-aware, as the RSS programs are)";
	int map = bpf_map__fd(dp->rss[0]->maps.bpfwg_cpumap);
	__u32 i;

	for (i = 0; i < cfg->n_cpus; i++) {
		if (bpf_map_update_elem(map, &cfg->cpus[i], &val, BPF_ANY)) {
			pr_err("adding CPU %u to the cpumap failed: %s%s\n",
			       cfg->cpus[i], strerror(errno),
			       errno == EINVAL ? frags_hint : "");
			return -1;
		}
		pr_debug("cpumap: CPU %u, queue of %u packets\n", cfg->cpus[i],
			 args->queue_size);
	}
	return 0;
}

int rss_load(struct datapath *dp, const struct args *args)
{
	bool rx_hash = args->rss == RSS_RX_HASH, vlan[MAX_IFACES], any = false;
	struct bpfwg_rss_config cfg;
	int i;

	if (dp->n_cpus > MAX_CPUS) {
		pr_err("--rss handles up to %d CPUs, this system has %d\n",
		       MAX_CPUS, dp->n_cpus);
		return -1;
	}
	if (allowed_cpus(&cfg, args, dp->n_cpus))
		return -1;
	if (check_rx_metadata(args, vlan))
		return -1;
	for (i = 0; i < args->n_ifaces; i++)
		any |= vlan[i];
	/* One object for every interface, or one each where one is bound. */
	for (i = 0; i < (rx_hash || any ? args->n_ifaces : 1); i++) {
		cfg.vlan_tag = vlan[i];
		if (load_one(dp, args, &cfg, i, rx_hash || vlan[i]))
			return -1;
	}
	return fill_cpumap(dp, args, &cfg);
}

int rss_prog_fd(const struct datapath *dp, int i)
{
	struct rss *skel = dp->rss[dp->n_rss > 1 ? i : 0];
	struct bpf_program *p;

	bpf_object__for_each_program(p, skel->obj)
		if (bpf_program__autoload(p))
			return bpf_program__fd(p);
	return -ENOENT;
}

int rss_stats(struct datapath *dp, __u64 stats[BPFWG_RSS_STAT_MAX],
	      __u64 *cpu_rx)
{
	int map = bpf_map__fd(dp->rss[0]->maps.bpfwg_rss_stats);
	__u64 values[dp->n_cpus];
	__u32 key;
	int cpu;

	for (key = 0; key < BPFWG_RSS_STAT_MAX; key++) {
		if (bpf_map_lookup_elem(map, &key, values))
			return -errno;
		stats[key] = 0;
		for (cpu = 0; cpu < dp->n_cpus; cpu++)
			stats[key] += values[cpu];
	}
	key = 0;
	map = bpf_map__fd(dp->skel->maps.bpfwg_cpumap_rx);
	if (bpf_map_lookup_elem(map, &key, cpu_rx))
		return -errno;
	return 0;
}

__u32 rss_cpumap_id(const struct datapath *dp)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (!dp->n_rss ||
	    bpf_map_get_info_by_fd(bpf_map__fd(dp->rss[0]->maps.bpfwg_cpumap),
				   &info, &len))
		return 0;
	return info.id;
}

void rss_close(struct datapath *dp)
{
	while (dp->n_rss)
		rss__destroy(dp->rss[--dp->n_rss]);
}
