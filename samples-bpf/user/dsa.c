// SPDX-License-Identifier: GPL-2.0
/*
 * DSA: find the user ports of switches, their conduits and taggers, and
 * the VLAN devices on user ports. rtnetlink lists links of kind "dsa" with
 * their conduit (IFLA_DSA_CONDUIT, or IFLA_LINK) and port ("pN" as
 * phys_port_name); the tagger is in /sys/class/net/<conduit>/dsa/tagging.
 *
 * XDP runs on the conduit, which receives the frames of all the ports of
 * the switch with a tag saying which port they came from, and sends frames
 * tagged with the port they go out of. TC runs on the user ports, after the
 * kernel's tagger: it needs nothing DSA specific.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "../kernel/bpfwg.h"
#include "dsa.h"
#include "log.h"
#include "nl.h"

#define DSA_TAGGER	"mtk"

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct dsa_topology *topo = data;
	struct link_attrs a;
	struct dsa_link *l;
	int n;

	nl_link_attrs(nlh, &a);
	if (!a.name || !a.kind ||
	    (strcmp(a.kind, "dsa") && strcmp(a.kind, "vlan")))
		return MNL_CB_OK;
	if (topo->n_links == DSA_MAX_LINKS) {
		pr_warn("more than %d DSA user ports and VLAN devices: %s and later ones are ignored\n",
			DSA_MAX_LINKS, a.name);
		return MNL_CB_OK;
	}

	l = &topo->links[topo->n_links++];
	memset(l, 0, sizeof(*l));
	l->ifindex = ifi->ifi_index;
	snprintf(l->name, sizeof(l->name), "%s", a.name);
	l->port = -1;
	if (!strcmp(a.kind, "vlan")) {
		l->lower = a.link;
		l->vid = a.vid;
		l->vlan = a.vlan_proto == htons(ETH_P_8021AD) ?
			  BPFWG_DSA_8021AD : BPFWG_DSA_8021Q;
		return MNL_CB_OK;
	}
	/* IFLA_DSA_CONDUIT since 6.1; the conduit is the user port's link. */
	l->conduit = a.conduit ?: a.link;
	if (a.port_name && sscanf(a.port_name, "p%d%n", &l->port, &n) == 1 &&
	    (a.port_name[n] || l->port < 0))
		l->port = -1;
	return MNL_CB_OK;
}

static struct dsa_link *user_port(struct dsa_topology *topo,
				  unsigned int ifindex)
{
	int i;

	for (i = 0; i < topo->n_links; i++)
		if (topo->links[i].ifindex == ifindex && !topo->links[i].lower)
			return &topo->links[i];
	return NULL;
}

static struct dsa_conduit *conduit(struct dsa_topology *topo,
				   unsigned int ifindex)
{
	int i;

	for (i = 0; i < topo->n_conduits; i++)
		if (topo->conduits[i].ifindex == ifindex)
			return &topo->conduits[i];
	return NULL;
}

static void read_tagger(struct dsa_conduit *c)
{
	char path[64 + IF_NAMESIZE];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/dsa/tagging", c->name);
	f = fopen(path, "r");
	if (!f || !fgets(c->tagger, sizeof(c->tagger), f))
		snprintf(c->tagger, sizeof(c->tagger), "unknown");
	c->tagger[strcspn(c->tagger, "\n")] = '\0';
	if (f)
		fclose(f);
}

/* VLAN devices on user ports take their port; the others go. */
static void resolve_vlans(struct dsa_topology *topo)
{
	struct dsa_link *l, *lower;
	int i, n = 0;

	for (i = 0; i < topo->n_links; i++) {
		l = &topo->links[i];
		if (l->lower) {
			lower = user_port(topo, l->lower);
			if (!lower)
				continue;
			l->conduit = lower->conduit;
			l->port = lower->port;
		}
		topo->links[n++] = *l;
	}
	topo->n_links = n;
}

int dsa_discover(struct dsa_topology *topo)
{
	struct dsa_conduit *c;
	struct dsa_link *l;
	int ret, i;

	memset(topo, 0, sizeof(*topo));
	ret = nl_dump_links(link_cb, topo);
	if (ret)
		return ret;
	resolve_vlans(topo);
	for (i = 0; i < topo->n_links; i++) {
		l = &topo->links[i];
		if (l->lower || conduit(topo, l->conduit))
			continue;
		if (topo->n_conduits == DSA_MAX_CONDUITS)
			return -E2BIG;
		c = &topo->conduits[topo->n_conduits++];
		c->ifindex = l->conduit;
		/* Gone or in another netns: the conduit of nothing here. */
		if (!if_indextoname(c->ifindex, c->name)) {
			snprintf(c->name, sizeof(c->name), "#%u", c->ifindex);
			snprintf(c->tagger, sizeof(c->tagger), "unknown");
			continue;
		}
		read_tagger(c);
	}
	return 0;
}

static void print_topology(const struct dsa_topology *topo)
{
	const struct dsa_link *l;
	int i, j;

	for (i = 0; i < topo->n_conduits; i++) {
		pr_debug("dsa: conduit %s, tagger %s\n",
			 topo->conduits[i].name, topo->conduits[i].tagger);
		for (j = 0; j < topo->n_links; j++) {
			l = &topo->links[j];
			if (l->conduit != topo->conduits[i].ifindex)
				continue;
			if (!l->lower)
				pr_debug("dsa:   %s: port %d\n", l->name, l->port);
			else
				pr_debug("dsa:   %s: port %d, %s VLAN %u\n",
					 l->name, l->port,
					 l->vlan == BPFWG_DSA_8021AD ?
					 "802.1ad" : "802.1Q", l->vid);
		}
	}
}

/* What tc cannot do: the conduit's frames are tagged, not IP. */
static int dsa_setup_tc(const struct args *args, struct dsa_topology *topo)
{
	char ports[256] = "";
	const struct dsa_conduit *c;
	size_t len = 0;
	int i, j;

	for (i = 0; i < args->n_ifaces; i++) {
		c = conduit(topo, args->ifindexes[i]);
		if (!c)
			continue;
		for (j = 0; j < topo->n_links && len < sizeof(ports); j++)
			if (topo->links[j].conduit == c->ifindex &&
			    !topo->links[j].lower)
				len += snprintf(ports + len, sizeof(ports) - len,
						" %s", topo->links[j].name);
		pr_err("%s is a DSA conduit: tc there sees the tagged frames of all its ports; attach tc to its user ports instead:%s\n",
		       c->name, ports);
		return -1;
	}
	pr_debug("dsa: tc runs on the user ports after the kernel's tagger\n");
	return 0;
}

/* Replaces the user ports by their conduits, each once. */
static int attach_to_conduits(struct args *args, struct dsa_topology *topo)
{
	const struct dsa_link *l;
	struct dsa_conduit *c;
	int i, j, n = 0, port;

	for (i = 0; i < args->n_ifaces; i++) {
		c = conduit(topo, args->ifindexes[i]);
		l = user_port(topo, args->ifindexes[i]);
		if (l) {
			if (l->port < 0 || l->port >= DSA_RX_PORTS) {
				pr_err("%s: DSA user port without a port number 0-%d as phys_port_name\n",
				       l->name, DSA_RX_PORTS - 1);
				return -1;
			}
			c = conduit(topo, l->conduit);
			c->served[l->port] = true;
		} else if (c) {
			for (j = 0; j < topo->n_links; j++) {
				port = topo->links[j].port;
				if (topo->links[j].conduit == c->ifindex &&
				    port >= 0 && port < DSA_RX_PORTS)
					c->served[port] = true;
			}
		}
		if (c) {
			if (c->used)
				continue;
			c->used = true;
			args->ifindexes[n] = c->ifindex;
			args->ifnames[n++] = c->name;
			continue;
		}
		for (j = 0; j < n && args->ifindexes[j] != args->ifindexes[i]; j++)
			;
		if (j == n) {
			args->ifindexes[n] = args->ifindexes[i];
			args->ifnames[n++] = args->ifnames[i];
		}
	}
	args->n_ifaces = n;
	return 0;
}

int dsa_setup(struct args *args, struct dsa_topology *topo)
{
	const struct dsa_link *l;
	struct dsa_conduit *c;
	bool found = false;
	int ret, i, j;

	ret = dsa_discover(topo);
	if (ret) {
		pr_err("listing the DSA ports failed: %s\n", strerror(-ret));
		return -1;
	}
	for (i = 0; i < args->n_ifaces; i++)
		found |= conduit(topo, args->ifindexes[i]) ||
			 user_port(topo, args->ifindexes[i]);
	if (!found) {
		if (args->dsa) {
			pr_err("--dsa: none of the interfaces is a DSA user port or conduit\n");
			return -1;
		}
		return 0;
	}
	print_topology(topo);
	if (args->hook == HOOK_TC) {
		args->dsa = false;
		return dsa_setup_tc(args, topo);
	}
	if (attach_to_conduits(args, topo))
		return -1;

	for (i = 0; i < topo->n_conduits; i++) {
		c = &topo->conduits[i];
		if (!c->used)
			continue;
		if (strcmp(c->tagger, DSA_TAGGER)) {
			pr_err("DSA conduit %s uses the '%s' tagger: bpfwg handles only '%s' in XDP (tc on the user ports works with any tagger)\n",
			       c->name, c->tagger, DSA_TAGGER);
			return -1;
		}
		for (j = 0; j < topo->n_links; j++) {
			l = &topo->links[j];
			if (l->conduit != c->ifindex)
				continue;
			if (l->port < 0 || l->port >= DSA_TX_PORTS)
				pr_warn("%s: port %d cannot be addressed with the %s tag: the stack sends its frames\n",
					l->name, l->port, DSA_TAGGER);
			else if (!l->lower && c->served[l->port])
				pr_info("%s: DSA port %d, served through %s\n",
					l->name, l->port, c->name);
		}
	}
	args->dsa = true;
	return 0;
}
