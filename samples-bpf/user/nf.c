// SPDX-License-Identifier: GPL-2.0
/*
 * Netfilter rulesets of the netns that a fast path skips: nftables chains
 * (dumped over nfnetlink with libmnl) and legacy iptables tables.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "nf.h"
#include "nl.h"

struct scan {
	char *what;
	size_t size;
	int found;
};

static const char *family_name(int family)
{
	switch (family) {
	case NFPROTO_INET:
		return "inet";
	case NFPROTO_IPV4:
		return "ip";
	case NFPROTO_IPV6:
		return "ip6";
	default:
		return NULL;
	}
}

static int hook_cb(const struct nlattr *attr, void *data)
{
	__u32 *hooknum = data;

	if (mnl_attr_get_type(attr) == NFTA_HOOK_HOOKNUM &&
	    !mnl_attr_validate(attr, MNL_TYPE_U32))
		*hooknum = ntohl(mnl_attr_get_u32(attr));
	return MNL_CB_OK;
}

/* A base chain of type nat, or a filter on the forward hook, of IP. */
static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	const char *table = "?", *name = "?", *type = NULL, *family;
	__u32 hooknum = NF_INET_NUMHOOKS;
	struct scan *s = data;
	struct nlattr *attr;

	family = family_name(nfg->nfgen_family);
	if (s->found || !family)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(*nfg)) {
		switch (mnl_attr_get_type(attr)) {
		case NFTA_CHAIN_TABLE:
			table = mnl_attr_get_str(attr);
			break;
		case NFTA_CHAIN_NAME:
			name = mnl_attr_get_str(attr);
			break;
		case NFTA_CHAIN_TYPE:
			type = mnl_attr_get_str(attr);
			break;
		case NFTA_CHAIN_HOOK:
			mnl_attr_parse_nested(attr, hook_cb, &hooknum);
			break;
		}
	}
	if (!type || hooknum == NF_INET_NUMHOOKS)
		return MNL_CB_OK;	/* not a base chain */
	if (!strcmp(type, "nat") ||
	    (!strcmp(type, "filter") && hooknum == NF_INET_FORWARD)) {
		snprintf(s->what, s->size, "nftables %s chain %s %s %s",
			 type, family, table, name);
		s->found = 1;
	}
	return MNL_CB_OK;
}

static int nft_scan(struct scan *s)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	int ret;

	nl = nl_open(NETLINK_NETFILTER);
	if (!nl)
		return errno == EPROTONOSUPPORT ? 0 : -errno;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETCHAIN;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = time(NULL);
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = NFPROTO_UNSPEC;
	nfg->version = NFNETLINK_V0;
	ret = nl_talk(nl, nlh, chain_cb, s);
	mnl_socket_close(nl);
	/* No nfnetlink, or no nf_tables subsystem in it: no nftables
	 * ruleset either.
	 */
	return ret == -EPROTONOSUPPORT || ret == -EOPNOTSUPP || ret == -EINVAL ?
	       0 : ret;
}

/*
 * Legacy iptables: the tables registered in the netns. Whether the filter
 * table's FORWARD chain has rules is not looked at: its presence counts.
 */
static void xt_scan(struct scan *s, const char *path, const char *cmd)
{
	char table[64];
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return;
	while (!s->found && fscanf(f, "%63s", table) == 1) {
		if (!strcmp(table, "nat") || !strcmp(table, "filter")) {
			snprintf(s->what, s->size, "%s table %s", cmd, table);
			s->found = 1;
		}
	}
	fclose(f);
}

int nf_ruleset_scan(char *what, size_t size)
{
	struct scan s = { .what = what, .size = size };
	int ret;

	ret = nft_scan(&s);
	if (ret)
		return ret;
	xt_scan(&s, "/proc/net/ip_tables_names", "iptables-legacy");
	xt_scan(&s, "/proc/net/ip6_tables_names", "ip6tables-legacy");
	return s.found;
}
