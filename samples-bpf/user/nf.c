// SPDX-License-Identifier: GPL-2.0
/*
 * Netfilter rulesets of the netns that a fast path skips: nftables chains
 * and rules (dumped over nfnetlink with libmnl) and legacy iptables tables.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_tables_compat.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/xt_connmark.h>

#include "nf.h"
#include "nl.h"

/* The tables whose rules run before routing or on forwarding. */
#define MAX_TABLES	64
/* Above the highest attribute type of the messages and expressions read. */
#define NF_ATTR_MAX	31

struct scan {
	struct nf_ruleset *r;
	int n_tables;		/* -1: more than MAX_TABLES */
	struct {
		__u8 family;
		char name[256];	/* NFT_TABLE_MAXNAMELEN */
	} tables[MAX_TABLES];
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

/* Every attribute of a nested attribute or message, by type. */
static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (type <= NF_ATTR_MAX)
		tb[type] = attr;
	return MNL_CB_OK;
}

/* The big-endian u32 attribute @a, or @none without it. */
static __u32 attr_u32(const struct nlattr *a, __u32 none)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_U32))
		return none;
	return ntohl(mnl_attr_get_u32(a));
}

static void note_table(struct scan *s, __u8 family, const char *name)
{
	int i;

	if (s->n_tables < 0)
		return;
	for (i = 0; i < s->n_tables; i++)
		if (s->tables[i].family == family &&
		    !strcmp(s->tables[i].name, name))
			return;
	if (s->n_tables == MAX_TABLES) {
		s->n_tables = -1;
		return;
	}
	s->tables[i].family = family;
	snprintf(s->tables[i].name, sizeof(s->tables[i].name), "%s", name);
	s->n_tables++;
}

static bool table_noted(const struct scan *s, __u8 family, const char *name)
{
	int i;

	if (s->n_tables < 0)
		return true;
	for (i = 0; i < s->n_tables; i++)
		if (s->tables[i].family == family &&
		    !strcmp(s->tables[i].name, name))
			return true;
	return false;
}

/*
 * A base chain of type nat, or a filter on the forward hook, of IP; and
 * the tables with a base chain on the prerouting or forward hook, whose
 * rules are read for packet marks.
 */
static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[NF_ATTR_MAX + 1] = {};
	const struct nlattr *hook[NF_ATTR_MAX + 1] = {};
	const char *table, *name, *type, *family;
	struct nf_ruleset *r = ((struct scan *)data)->r;
	__u32 hooknum;

	family = family_name(nfg->nfgen_family);
	if (!family ||
	    mnl_attr_parse(nlh, sizeof(*nfg), attr_cb, tb) != MNL_CB_OK ||
	    !tb[NFTA_CHAIN_TABLE] || !tb[NFTA_CHAIN_NAME] ||
	    !tb[NFTA_CHAIN_TYPE] || !tb[NFTA_CHAIN_HOOK] ||
	    mnl_attr_parse_nested(tb[NFTA_CHAIN_HOOK], attr_cb, hook) !=
	    MNL_CB_OK)
		return MNL_CB_OK;	/* not a base chain */
	table = mnl_attr_get_str(tb[NFTA_CHAIN_TABLE]);
	name = mnl_attr_get_str(tb[NFTA_CHAIN_NAME]);
	type = mnl_attr_get_str(tb[NFTA_CHAIN_TYPE]);
	hooknum = attr_u32(hook[NFTA_HOOK_HOOKNUM], NF_INET_NUMHOOKS);
	if (hooknum == NF_INET_PRE_ROUTING || hooknum == NF_INET_FORWARD)
		note_table(data, nfg->nfgen_family, table);
	if (!r->fw && (!strcmp(type, "nat") ||
		       (!strcmp(type, "filter") &&
			hooknum == NF_INET_FORWARD))) {
		snprintf(r->fw_what, sizeof(r->fw_what),
			 "nftables %s chain %s %s %s", type, family, table,
			 name);
		r->fw = 1;
	}
	return MNL_CB_OK;
}

/* What a rule's expressions do to the packet mark. */
struct mark_state {
	int ct_reg;		/* register holding the conntrack mark, or -1 */
	enum nf_marks marks;
};

/* xt's CONNMARK --restore-mark copies the conntrack mark to the packet's;
 * its other modes change only the conntrack mark.
 */
static enum nf_marks connmark_target(const struct nlattr **tb)
{
	__u32 rev = attr_u32(tb[NFTA_TARGET_REV], ~0U);
	size_t off = rev == 1 ? offsetof(struct xt_connmark_tginfo1, mode) :
		     offsetof(struct xt_connmark_tginfo2, mode);
	const __u8 *info;

	if ((rev != 1 && rev != 2) || !tb[NFTA_TARGET_INFO] ||
	    mnl_attr_get_payload_len(tb[NFTA_TARGET_INFO]) <= off)
		return NF_MARKS_SET;
	info = mnl_attr_get_payload(tb[NFTA_TARGET_INFO]);
	return info[off] == XT_CONNMARK_RESTORE ? NF_MARKS_RESTORE :
						  NF_MARKS_NONE;
}

/*
 * One expression. The packet mark set from a register that the expression
 * just before loaded with the conntrack mark (perhaps through a mask or a
 * shift, which keep a zero zero) is restored: zero for every flow whose
 * conntrack mark is zero, as the fast path's packets are unmarked. Any
 * other mark set is a mark the fast path cannot know.
 */
static void mark_expr(const struct nlattr *elem, struct mark_state *m)
{
	const struct nlattr *e[NF_ATTR_MAX + 1] = {};
	const struct nlattr *tb[NF_ATTR_MAX + 1] = {};
	int ct_reg = m->ct_reg;
	enum nf_marks got = NF_MARKS_NONE;
	const char *name;

	m->ct_reg = -1;
	if (mnl_attr_parse_nested(elem, attr_cb, e) != MNL_CB_OK ||
	    !e[NFTA_EXPR_NAME])
		return;
	name = mnl_attr_get_str(e[NFTA_EXPR_NAME]);
	if (e[NFTA_EXPR_DATA] &&
	    mnl_attr_parse_nested(e[NFTA_EXPR_DATA], attr_cb, tb) != MNL_CB_OK)
		return;
	if (!strcmp(name, "ct")) {
		if (attr_u32(tb[NFTA_CT_KEY], ~0U) == NFT_CT_MARK &&
		    tb[NFTA_CT_DREG])
			m->ct_reg = attr_u32(tb[NFTA_CT_DREG], ~0U);
	} else if (!strcmp(name, "bitwise")) {
		__u32 op = attr_u32(tb[NFTA_BITWISE_OP], NFT_BITWISE_MASK_XOR);
		const struct nlattr *x[NF_ATTR_MAX + 1] = {};
		bool zero_xor = op != NFT_BITWISE_MASK_XOR;

		if (op == NFT_BITWISE_MASK_XOR && tb[NFTA_BITWISE_XOR] &&
		    mnl_attr_parse_nested(tb[NFTA_BITWISE_XOR], attr_cb, x) ==
		    MNL_CB_OK && x[NFTA_DATA_VALUE]) {
			const __u8 *v = mnl_attr_get_payload(x[NFTA_DATA_VALUE]);
			__u16 i, len = mnl_attr_get_payload_len(x[NFTA_DATA_VALUE]);

			zero_xor = true;
			for (i = 0; i < len; i++)
				zero_xor &= !v[i];
		}
		if (ct_reg >= 0 && zero_xor && op <= NFT_BITWISE_RSHIFT &&
		    attr_u32(tb[NFTA_BITWISE_SREG], ~0U) == (__u32)ct_reg)
			m->ct_reg = attr_u32(tb[NFTA_BITWISE_DREG], ~0U);
	} else if (!strcmp(name, "meta")) {
		if (attr_u32(tb[NFTA_META_KEY], ~0U) == NFT_META_MARK &&
		    tb[NFTA_META_SREG]) {
			got = NF_MARKS_SET;
			if (ct_reg >= 0 &&
			    attr_u32(tb[NFTA_META_SREG], ~0U) == (__u32)ct_reg)
				got = NF_MARKS_RESTORE;
		}
	} else if (!strcmp(name, "target") && tb[NFTA_TARGET_NAME]) {
		name = mnl_attr_get_str(tb[NFTA_TARGET_NAME]);
		if (!strcmp(name, "CONNMARK"))
			got = connmark_target(tb);
		else if (!strcmp(name, "MARK") || !strcmp(name, "HMARK") ||
			 !strcmp(name, "TPROXY"))
			got = NF_MARKS_SET;
	}
	if (got > m->marks)
		m->marks = got;
}

/* A rule of a table noted by chain_cb() that sets the packet mark. */
static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[NF_ATTR_MAX + 1] = {};
	struct mark_state m = { .ct_reg = -1 };
	struct scan *s = data;
	const struct nlattr *elem;
	const char *table, *chain;

	if (!family_name(nfg->nfgen_family) ||
	    mnl_attr_parse(nlh, sizeof(*nfg), attr_cb, tb) != MNL_CB_OK ||
	    !tb[NFTA_RULE_TABLE] || !tb[NFTA_RULE_CHAIN] ||
	    !tb[NFTA_RULE_EXPRESSIONS])
		return MNL_CB_OK;
	table = mnl_attr_get_str(tb[NFTA_RULE_TABLE]);
	chain = mnl_attr_get_str(tb[NFTA_RULE_CHAIN]);
	if (!table_noted(s, nfg->nfgen_family, table))
		return MNL_CB_OK;
	mnl_attr_for_each_nested(elem, tb[NFTA_RULE_EXPRESSIONS])
		mark_expr(elem, &m);
	if (m.marks > s->r->marks) {
		s->r->marks = m.marks;
		snprintf(s->r->marks_what, sizeof(s->r->marks_what),
			 "nftables rule in chain %s %s %s",
			 family_name(nfg->nfgen_family), table, chain);
	}
	return MNL_CB_OK;
}

static int nft_dump(struct mnl_socket *nl, __u8 msg, mnl_cb_t cb,
		    struct scan *s)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | msg;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = time(NULL);
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = NFPROTO_UNSPEC;
	nfg->version = NFNETLINK_V0;
	return nl_talk(nl, nlh, cb, s);
}

static int nft_scan(struct scan *s)
{
	struct mnl_socket *nl;
	int ret, retries = 3;

again:
	nl = nl_open(NETLINK_NETFILTER);
	if (!nl)
		return errno == EPROTONOSUPPORT ? 0 : -errno;
	ret = nft_dump(nl, NFT_MSG_GETCHAIN, chain_cb, s);
	if (!ret && s->n_tables)
		ret = nft_dump(nl, NFT_MSG_GETRULE, rule_cb, s);
	mnl_socket_close(nl);
	/* The ruleset changed during the dump (NLM_F_DUMP_INTR): again. */
	if (ret == -EINTR && retries--) {
		memset(s->r, 0, sizeof(*s->r));
		s->n_tables = 0;
		goto again;
	}
	/* No nfnetlink, or no nf_tables subsystem in it: no nftables
	 * ruleset either.
	 */
	return ret == -EPROTONOSUPPORT || ret == -EOPNOTSUPP || ret == -EINVAL ?
	       0 : ret;
}

/*
 * Legacy iptables: the tables registered in the netns. Whether the filter
 * table's FORWARD chain has rules is not looked at: its presence counts,
 * and the mangle table's counts as setting packet marks.
 */
static void xt_scan(struct nf_ruleset *r, const char *path, const char *cmd)
{
	char table[64];
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return;
	while (fscanf(f, "%63s", table) == 1) {
		if (!r->fw &&
		    (!strcmp(table, "nat") || !strcmp(table, "filter"))) {
			snprintf(r->fw_what, sizeof(r->fw_what),
				 "%s table %s", cmd, table);
			r->fw = 1;
		} else if (r->marks != NF_MARKS_SET &&
			   !strcmp(table, "mangle")) {
			snprintf(r->marks_what, sizeof(r->marks_what),
				 "%s table mangle", cmd);
			r->marks = NF_MARKS_SET;
		}
	}
	fclose(f);
}

int nf_ruleset_scan(struct nf_ruleset *r)
{
	struct scan *s;
	int ret;

	memset(r, 0, sizeof(*r));
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->r = r;
	ret = nft_scan(s);
	free(s);
	if (ret) {
		memset(r, 0, sizeof(*r));	/* nothing half read */
		return ret;
	}
	xt_scan(r, "/proc/net/ip_tables_names", "iptables-legacy");
	xt_scan(r, "/proc/net/ip6_tables_names", "ip6tables-legacy");
	return 0;
}
