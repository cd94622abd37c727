/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __BPFWG_ARGS_H
#define __BPFWG_ARGS_H

#include <stdbool.h>

#include "log.h"

#define MAX_IFACES	64
#define MAX_CPUS	1024

/* cpumap queue per CPU: as xdp-tools' xdp-redirect-cpu; cpumap's limit */
#define DEFAULT_QUEUE_SIZE	2048
#define MAX_QUEUE_SIZE		16384

enum hook {
	HOOK_TC,
	HOOK_XDP,
	HOOK_XDP_GENERIC,
	HOOK_XDP_NATIVE,
	HOOK_XDP_OFFLOAD,
};

enum rss_prog {
	RSS_NONE,
	RSS_ROUND_ROBIN,
	RSS_MATCH_PORT,
	RSS_TUPLE_STEERING,
	RSS_RX_HASH,
};

/* Conntrack mode: -c on, -C off, automatic by default (see usage). */
enum ct_mode {
	CT_AUTO,
	CT_ON,
	CT_OFF,
};

struct args {
	enum hook hook;
	const char *ifnames[MAX_IFACES];
	unsigned int ifindexes[MAX_IFACES];
	int n_ifaces;
	enum ct_mode ct_mode;
	bool conntrack;		/* the mode, resolved (main.c) */
	__u32 rules;		/* BPFWG_RULES_*, from the ruleset (main.c) */
	bool dsa;
	bool udp_csum_off;
	bool exclude_cpus[MAX_CPUS];
	int n_excluded;
	enum log_level log_level;
	const char *object;
	enum rss_prog rss;
	bool rss_only;		/* -R: RSS to the stack, no datapath */
	unsigned int queue_size;
};

const char *hook_name(enum hook hook);
const char *rss_name(enum rss_prog rss);
int args_parse(struct args *args, int argc, char **argv);
/* "0,1,4-7" (a newline ends it) into @cpus: how many are set, or -1 when
 * invalid or a CPU is @max or above.
 */
int cpu_list_parse(const char *list, bool *cpus, int max);

#endif /* __BPFWG_ARGS_H */
