/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __BPFWG_DSA_H
#define __BPFWG_DSA_H

#include <stdbool.h>
#include <net/if.h>
#include <linux/types.h>

#include "args.h"

#define DSA_MAX_LINKS		256
#define DSA_MAX_CONDUITS	16
#define DSA_RX_PORTS		8	/* the mtk tag's source port: 3 bits */
#define DSA_TX_PORTS		6	/* its destination ports: 6 bits */

/* A DSA user port, or a VLAN device on one (vlan set). */
struct dsa_link {
	unsigned int ifindex;
	unsigned int conduit;		/* ifindex */
	unsigned int lower;		/* VLAN device: its user port */
	char name[IF_NAMESIZE];
	int port;			/* -1 if unknown */
	__u8 vlan;			/* enum bpfwg_dsa_vlan */
	__u16 vid;
};

struct dsa_conduit {
	unsigned int ifindex;
	char name[IF_NAMESIZE];
	char tagger[32];
	bool used;			/* bpfwg attaches to it */
	bool served[DSA_RX_PORTS];	/* ports whose frames it carries */
};

struct dsa_topology {
	struct dsa_link links[DSA_MAX_LINKS];
	int n_links;
	struct dsa_conduit conduits[DSA_MAX_CONDUITS];
	int n_conduits;
};

/* The DSA user ports, their VLAN devices and conduits: 0 or -errno. */
int dsa_discover(struct dsa_topology *topo);
/*
 * DSA mode if the interfaces to attach to are DSA user ports or conduits
 * (or -d): checks their tagger and, for XDP, attaches to their conduits
 * instead of user ports. Sets args->dsa for the datapath; @topo has to
 * outlive @args. 0 or -1 (reported).
 */
int dsa_setup(struct args *args, struct dsa_topology *topo);

#endif /* __BPFWG_DSA_H */
