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
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_tables_compat.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/xt_connmark.h>

#include "log.h"
#include "nf.h"
#include "nl.h"

/* Above the highest attribute type of the messages and expressions read. */
#define NF_ATTR_MAX	31
/*
 * The registers, in 32-bit slots as the kernel keeps them: the verdict's
 * four, then NFT_REG32_00 to _15, which NFT_REG_1 to _4 (16 bytes each)
 * overlay (nft_parse_register()).
 */
#define NF_REG_SLOTS	(NFT_REG_SIZE / NFT_REG32_SIZE * (NFT_REG_4 + 1))

/* TCP flags that conntrack mode always leaves to the stack. */
#define TCP_FIN		0x01
#define TCP_SYN		0x02
#define TCP_RST		0x04

/*
 * The paths of the fast path's packets that cross a chain: that of a
 * forwarded packet (prerouting, forward, postrouting), and that of the
 * outer WireGuard UDP the fast path sends for it, which the stack
 * generates (output, and postrouting again).
 */
#define PATH_FORWARD	0x1
#define PATH_OUTPUT	0x2

/* A chain, what its rules do, and where they jump. */
struct chain {
	__u8 family;
	__u8 skipped;		/* a base chain the fast path skips: PATH_* */
	__u8 reached;		/* ... or one they may jump to */
	bool vmap;		/* jumps through a verdict map */
	char table[256];	/* NFT_TABLE_MAXNAMELEN */
	char name[256];		/* NFT_CHAIN_MAXNAMELEN */
	struct nf_effects all, est, out;	/* as rule_state's */
};

struct jump {
	int from;		/* index in scan.chains */
	int to;			/* ..., -1 if none: to_name came later */
	char to_name[256];	/* a chain of the same table */
};

struct scan {
	struct nf_ruleset *r;
	struct chain *chains;
	int n_chains, max_chains;
	struct jump *jumps;
	int n_jumps, max_jumps;
	int last;		/* the chain of the last rule */
	int genid;		/* of the dumps' messages, -1 before */
	bool genid_changed;	/* the ruleset changed between them */
	int err;		/* -ENOMEM */
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
	case NFPROTO_NETDEV:
		return "netdev";
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

/* The nested attributes of @a, or NULL (and @tb empty) if it has none. */
static bool attr_nested(const struct nlattr *a, const struct nlattr **tb)
{
	return a && mnl_attr_parse_nested(a, attr_cb, tb) == MNL_CB_OK;
}

/* The string attribute @a, or NULL. */
static const char *attr_str(const struct nlattr *a)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
		return NULL;
	return mnl_attr_get_str(a);
}

/* The value of nft_data attribute @a into @v (zero-padded): its length. */
static int attr_data(const struct nlattr *a, void *v, size_t size)
{
	const struct nlattr *d[NF_ATTR_MAX + 1] = {};
	size_t len;

	memset(v, 0, size);
	if (!attr_nested(a, d) || !d[NFTA_DATA_VALUE])
		return -1;
	len = mnl_attr_get_payload_len(d[NFTA_DATA_VALUE]);
	memcpy(v, mnl_attr_get_payload(d[NFTA_DATA_VALUE]),
	       len < size ? len : size);
	return len;
}

static void *grow(struct scan *s, void *array, int *max, size_t size)
{
	int n = *max ? 2 * *max : 64;
	void *p = realloc(array, n * size);

	if (!p) {
		s->err = -ENOMEM;
		return NULL;
	}
	*max = n;
	return p;
}

static bool chain_is(const struct chain *c, __u8 family, const char *table,
		     const char *name)
{
	return c->family == family && !strcmp(c->table, table) &&
	       !strcmp(c->name, name);
}

static int find_chain(const struct scan *s, __u8 family, const char *table,
		      const char *name)
{
	int i;

	for (i = 0; i < s->n_chains; i++)
		if (chain_is(&s->chains[i], family, table, name))
			return i;
	return -1;
}

/*
 * Whether the message @nlh is of the generation of the ruleset the dumps
 * started with: one dump is retried if the ruleset changed during it
 * (NLM_F_DUMP_INTR), this catches a change between the chains' and the
 * rules' dumps.
 */
static void check_genid(struct scan *s, const struct nlmsghdr *nlh)
{
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	int genid = ntohs(nfg->res_id);

	if (s->genid < 0)
		s->genid = genid;
	else if (genid != s->genid)
		s->genid_changed = true;
}

static void hook_dev(struct nf_hook_devs *d, const char *name, bool prefix)
{
	if (!name)
		return;
	if (d->n == NF_MAX_HOOK_DEVS) {
		d->full = true;
		return;
	}
	snprintf(d->name[d->n], sizeof(d->name[0]), "%s", name);
	d->prefix[d->n++] = prefix;
}

/*
 * The devices of a netdev or inet ingress or egress chain's @hook: the
 * list, where the kernel gives one (a single device is also given alone),
 * names and wildcards (NFTA_DEVICE_PREFIX, Linux 6.16, not in every
 * libc's headers yet).
 */
#define NFTA_DEVICE_PREFIX_	2

static void hook_devs(struct nf_hook_devs *d, const struct nlattr **hook)
{
	const struct nlattr *a;

	if (!hook[NFTA_HOOK_DEVS]) {
		hook_dev(d, attr_str(hook[NFTA_HOOK_DEV]), false);
		return;
	}
	mnl_attr_for_each_nested(a, hook[NFTA_HOOK_DEVS]) {
		if (mnl_attr_get_type(a) == NFTA_DEVICE_NAME)
			hook_dev(d, attr_str(a), false);
		else if (mnl_attr_get_type(a) == NFTA_DEVICE_PREFIX_)
			hook_dev(d, attr_str(a), true);
	}
}

bool nf_hook_dev(const struct nf_hook_devs *d, const char *name)
{
	int i;

	if (d->full)
		return true;
	for (i = 0; i < d->n; i++)
		if (d->prefix[i] ? !strncmp(name, d->name[i], strlen(d->name[i])) :
				   !strcmp(name, d->name[i]))
			return true;
	return false;
}

/*
 * Every chain, noting the base chains the fast path skips: of IP, on the
 * prerouting, forward and postrouting hooks, and on the output hook,
 * which the outer UDP of what the fast path encrypts would have crossed;
 * and NAT, or a filter on the forward hook. The devices of ingress and egress chains: what arrives
 * there, or leaves there by XDP, the fast path would take past them.
 */
static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[NF_ATTR_MAX + 1] = {};
	const struct nlattr *hook[NF_ATTR_MAX + 1] = {};
	const char *table, *name, *type, *family;
	__u8 f = nfg->nfgen_family;
	struct scan *s = data;
	struct nf_ruleset *r = s->r;
	struct chain *c;
	__u32 hooknum;

	check_genid(s, nlh);
	family = family_name(f);
	if (!family ||
	    mnl_attr_parse(nlh, sizeof(*nfg), attr_cb, tb) != MNL_CB_OK)
		return MNL_CB_OK;
	table = attr_str(tb[NFTA_CHAIN_TABLE]);
	name = attr_str(tb[NFTA_CHAIN_NAME]);
	if (!table || !name)
		return MNL_CB_OK;
	if (s->n_chains == s->max_chains) {
		c = grow(s, s->chains, &s->max_chains, sizeof(*c));
		if (!c)
			return MNL_CB_ERROR;
		s->chains = c;
	}
	c = &s->chains[s->n_chains++];
	memset(c, 0, sizeof(*c));
	c->family = f;
	snprintf(c->table, sizeof(c->table), "%s", table);
	snprintf(c->name, sizeof(c->name), "%s", name);
	type = attr_str(tb[NFTA_CHAIN_TYPE]);
	if (!type || !attr_nested(tb[NFTA_CHAIN_HOOK], hook))
		return MNL_CB_OK;	/* not a base chain */
	hooknum = attr_u32(hook[NFTA_HOOK_HOOKNUM], ~0U);
	if (f == NFPROTO_NETDEV && hooknum == NF_NETDEV_INGRESS)
		hook_devs(&r->ingress, hook);
	else if (f == NFPROTO_NETDEV && hooknum == NF_NETDEV_EGRESS)
		hook_devs(&r->egress, hook);
	else if (f == NFPROTO_INET && hooknum == NF_INET_INGRESS)
		hook_devs(&r->ingress, hook);
	if (f == NFPROTO_NETDEV)
		return MNL_CB_OK;
	if (hooknum == NF_INET_PRE_ROUTING || hooknum == NF_INET_FORWARD)
		c->skipped = PATH_FORWARD;
	else if (hooknum == NF_INET_POST_ROUTING)
		c->skipped = PATH_FORWARD | PATH_OUTPUT;
	else if (hooknum == NF_INET_LOCAL_OUT)
		c->skipped = PATH_OUTPUT;
	if (!strcmp(type, "nat")) {
		r->nat4 |= f != NFPROTO_IPV6;
		r->nat6 |= f != NFPROTO_IPV4;
	}
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

/* What a register holds, as far as the scan follows it. */
enum reg_kind {
	REG_OTHER,
	REG_CT_MARK,		/* the conntrack mark, or a part of it */
	REG_META_MARK,		/* the packet mark */
	REG_CT_STATE,		/* the conntrack state bits, masked */
	REG_TCP_FLAGS,		/* TCP's flags byte, masked */
	REG_L4PROTO,		/* the transport protocol */
};

struct reg {
	enum reg_kind kind;
	__u32 mask;
};

/* The state of a rule's expressions, in order. */
struct rule_state {
	__u8 family;
	struct reg regs[NF_REG_SLOTS];
	bool tcp;		/* matched TCP */
	/* The rule went on only for packets that conntrack mode leaves to
	 * the stack: its actions do not matter in that mode.
	 */
	bool stack_only;
	struct nf_effects effects;	/* what the rule does to any packet */
	struct nf_effects est;		/* ... to established flows' */
	struct nf_effects out;		/* ... to the outer WireGuard UDP */
};

/* The first slot of register attribute @a, or -1. */
static int reg_slot(const struct nlattr *a)
{
	__u32 n = attr_u32(a, ~0U);

	if (n <= NFT_REG_4)
		return n * (NFT_REG_SIZE / NFT_REG32_SIZE);
	if (n >= NFT_REG32_00 && n <= NFT_REG32_15)
		return n - NFT_REG32_00 + NFT_REG_SIZE / NFT_REG32_SIZE;
	return -1;
}

static struct reg *reg(struct rule_state *st, const struct nlattr *a)
{
	int n = reg_slot(a);

	return n >= 0 ? &st->regs[n] : NULL;
}

/*
 * A load of @len bytes into register @a (@len 0: unknown, up to the last
 * slot), of @kind: the slots it covers hold nothing the scan follows,
 * their first @kind unmasked.
 */
static void load_reg(struct rule_state *st, const struct nlattr *a,
		     enum reg_kind kind, __u32 len)
{
	int n = reg_slot(a), i, end;

	if (n < 0)
		return;
	end = len ? n + (len + NFT_REG32_SIZE - 1) / NFT_REG32_SIZE :
		    NF_REG_SLOTS;
	for (i = n; i < end && i < NF_REG_SLOTS; i++)
		st->regs[i].kind = REG_OTHER;
	st->regs[n].kind = kind;
	st->regs[n].mask = ~0U;
}

static enum reg_kind reg_kind(struct rule_state *st, const struct nlattr *a)
{
	struct reg *r = reg(st, a);

	return r ? r->kind : REG_OTHER;
}

/* A register's masked value, of @len bytes: a u8, or a u32 in host order. */
static bool reg_value(const struct nlattr *a, int len, __u32 *v)
{
	__u8 b;

	if (len == 1 && attr_data(a, &b, 1) == 1) {
		*v = b;
		return true;
	}
	return len == 4 && attr_data(a, v, 4) == 4;
}

static int reg_len(enum reg_kind kind)
{
	return kind == REG_CT_STATE ? 4 : 1;
}

/* A comparison: does it leave only packets conntrack mode sends to the
 * stack (new connections; TCP SYN, FIN or RST)? Not those conntrack finds
 * invalid, nor untracked ones: in a chain that runs before conntrack
 * (priority raw), every packet is invalid.
 */
static void cmp_expr(struct rule_state *st, const struct nlattr **tb)
{
	__u32 op = attr_u32(tb[NFTA_CMP_OP], ~0U), v, m;
	struct reg *r = reg(st, tb[NFTA_CMP_SREG]);

	if (!r || r->kind == REG_OTHER || r->kind == REG_CT_MARK ||
	    r->kind == REG_META_MARK ||
	    !reg_value(tb[NFTA_CMP_DATA], reg_len(r->kind), &v))
		return;
	if (r->kind == REG_L4PROTO) {
		st->tcp |= op == NFT_CMP_EQ && v == IPPROTO_TCP;
		return;
	}
	if (r->kind == REG_CT_STATE) {
		m = r->mask & (NF_CT_STATE_BIT(IP_CT_ESTABLISHED) |
			       NF_CT_STATE_BIT(IP_CT_RELATED) |
			       NF_CT_STATE_INVALID_BIT |
			       NF_CT_STATE_UNTRACKED_BIT);
		/* state & mask != 0, with only the new bit in the mask (of
		 * those above); or state & mask == v, a v of none of them.
		 */
		if ((op == NFT_CMP_NEQ && !v && r->mask && !m) ||
		    (op == NFT_CMP_EQ && v && !(v & m) && !(v & ~r->mask)))
			st->stack_only = true;
		return;
	}
	if (r->kind == REG_TCP_FLAGS && st->tcp) {
		m = TCP_FIN | TCP_SYN | TCP_RST;
		if ((op == NFT_CMP_NEQ && !v && r->mask && !(r->mask & ~m)) ||
		    (op == NFT_CMP_EQ && (v & r->mask & m)))
			st->stack_only = true;
	}
}

/* What a payload load reads: TCP's flags, IPv4's protocol, or other. */
static enum reg_kind payload_kind(const struct rule_state *st,
				  const struct nlattr **tb)
{
	__u32 base = attr_u32(tb[NFTA_PAYLOAD_BASE], ~0U);
	__u32 off = attr_u32(tb[NFTA_PAYLOAD_OFFSET], ~0U);

	if (attr_u32(tb[NFTA_PAYLOAD_LEN], ~0U) != 1)
		return REG_OTHER;
	if (base == NFT_PAYLOAD_TRANSPORT_HEADER && off == 13)
		return REG_TCP_FLAGS;
	if (base == NFT_PAYLOAD_NETWORK_HEADER && off == 9 &&
	    st->family == NFPROTO_IPV4)
		return REG_L4PROTO;
	return REG_OTHER;
}

/* A mask and xor of a register: what it holds, masked. */
static void bitwise_expr(struct rule_state *st, const struct nlattr **tb)
{
	__u32 op = attr_u32(tb[NFTA_BITWISE_OP], NFT_BITWISE_MASK_XOR);
	struct reg *src = reg(st, tb[NFTA_BITWISE_SREG]);
	struct reg *dst = reg(st, tb[NFTA_BITWISE_DREG]);
	enum reg_kind kind = src ? src->kind : REG_OTHER;
	__u32 src_mask = src ? src->mask : 0, mask = ~0U, xor = 0;
	__u8 x[16];
	int i, len;

	if (!dst)
		return;
	load_reg(st, tb[NFTA_BITWISE_DREG], REG_OTHER,
		 attr_u32(tb[NFTA_BITWISE_LEN], 0));
	if (op == NFT_BITWISE_MASK_XOR) {
		len = attr_data(tb[NFTA_BITWISE_XOR], x, sizeof(x));
		for (i = 0; i < len && i < (int)sizeof(x); i++)
			xor |= x[i];
	}
	/* A mask or a shift keeps a zero conntrack mark zero. */
	if (kind == REG_CT_MARK && !xor && op <= NFT_BITWISE_RSHIFT)
		dst->kind = REG_CT_MARK;
	if ((kind == REG_CT_STATE || kind == REG_TCP_FLAGS) && !xor &&
	    op == NFT_BITWISE_MASK_XOR &&
	    reg_value(tb[NFTA_BITWISE_MASK], reg_len(kind), &mask)) {
		dst->kind = kind;
		dst->mask = mask & src_mask;
	}
}

static void effect(struct nf_effects *e, enum nf_marks marks, bool ct_mark,
		   bool mangle, const char *what)
{
	if (marks > e->marks) {
		e->marks = marks;
		snprintf(e->marks_what, sizeof(e->marks_what), "%s", what);
	}
	if (ct_mark && !e->ct_mark) {
		e->ct_mark = true;
		snprintf(e->ct_mark_what, sizeof(e->ct_mark_what), "%s", what);
	}
	if (mangle && !e->mangle) {
		e->mangle = true;
		snprintf(e->mangle_what, sizeof(e->mangle_what), "%s", what);
	}
}

/* @from's effects into @e's, each named by @what, or by @from's own. */
static void merge(struct nf_effects *e, const struct nf_effects *from,
		  const char *what)
{
	effect(e, from->marks, false, false, what ?: from->marks_what);
	effect(e, NF_MARKS_NONE, from->ct_mark, false,
	       what ?: from->ct_mark_what);
	effect(e, NF_MARKS_NONE, false, from->mangle,
	       what ?: from->mangle_what);
}

/* An action of the rule: on any packet; on established flows' unless the
 * rule matched only others so far; on the outer UDP, unless it matched TCP.
 */
static void act(struct rule_state *st, enum nf_marks marks, bool ct_mark,
		bool mangle)
{
	effect(&st->effects, marks, ct_mark, mangle, "");
	if (!st->stack_only)
		effect(&st->est, marks, ct_mark, mangle, "");
	if (!st->tcp)
		effect(&st->out, marks, ct_mark, mangle, "");
}

/* xt's CONNMARK: --restore-mark copies the conntrack mark to the packet's,
 * --save-mark the packet's to the conntrack mark, --set-mark (and the
 * others) sets the conntrack mark.
 */
static void connmark_target(struct rule_state *st, const struct nlattr **tb)
{
	__u32 rev = attr_u32(tb[NFTA_TARGET_REV], ~0U);
	size_t off = rev == 1 ? offsetof(struct xt_connmark_tginfo1, mode) :
		     offsetof(struct xt_connmark_tginfo2, mode);
	const __u8 *info;

	if ((rev != 1 && rev != 2) || !tb[NFTA_TARGET_INFO] ||
	    mnl_attr_get_payload_len(tb[NFTA_TARGET_INFO]) <= off) {
		act(st, NF_MARKS_SET, true, false);
		return;
	}
	info = mnl_attr_get_payload(tb[NFTA_TARGET_INFO]);
	if (info[off] == XT_CONNMARK_RESTORE)
		act(st, NF_MARKS_RESTORE, false, false);
	else if (info[off] != XT_CONNMARK_SAVE)
		act(st, NF_MARKS_NONE, true, false);
}

/* xt targets that rewrite, queue or divert packets. */
static const char * const mangle_targets[] = {
	"DSCP", "TOS", "TTL", "HL", "TCPMSS", "TCPOPTSTRIP", "ECN", "CLASSIFY",
	"NFQUEUE", "QUEUE", "TEE", "CHECKSUM", "DNPT", "SNPT",
};

static void target_expr(struct rule_state *st, const struct nlattr **tb)
{
	const char *name = attr_str(tb[NFTA_TARGET_NAME]);
	size_t i;

	if (!name)
		return;
	if (!strcmp(name, "CONNMARK")) {
		connmark_target(st, tb);
	} else if (!strcmp(name, "MARK") || !strcmp(name, "HMARK") ||
		   !strcmp(name, "TPROXY")) {
		act(st, NF_MARKS_SET, false, false);
	} else {
		for (i = 0; i < ARRAY_SIZE(mangle_targets); i++)
			if (!strcmp(name, mangle_targets[i]))
				act(st, NF_MARKS_NONE, false, true);
	}
}

/* A jump or goto to another chain of the table. */
static void verdict(struct scan *s, int from, const struct nlattr **tb)
{
	const struct nlattr *d[NF_ATTR_MAX + 1] = {};
	const struct nlattr *v[NF_ATTR_MAX + 1] = {};
	const char *to;
	__u32 code;
	struct jump *j;

	if (attr_u32(tb[NFTA_IMMEDIATE_DREG], ~0U) != NFT_REG_VERDICT ||
	    !attr_nested(tb[NFTA_IMMEDIATE_DATA], d) ||
	    !attr_nested(d[NFTA_DATA_VERDICT], v))
		return;
	code = attr_u32(v[NFTA_VERDICT_CODE], 0);
	to = attr_str(v[NFTA_VERDICT_CHAIN]);
	if ((code != (__u32)NFT_JUMP && code != (__u32)NFT_GOTO) || !to)
		return;
	if (s->n_jumps == s->max_jumps) {
		j = grow(s, s->jumps, &s->max_jumps, sizeof(*j));
		if (!j)
			return;
		s->jumps = j;
	}
	j = &s->jumps[s->n_jumps++];
	j->from = from;
	j->to = -1;
	snprintf(j->to_name, sizeof(j->to_name), "%s", to);
}

/* The length of an immediate's value. */
static __u32 immediate_len(const struct nlattr **tb)
{
	__u8 v[NFT_REG32_COUNT * NFT_REG32_SIZE];
	int len = attr_data(tb[NFTA_IMMEDIATE_DATA], v, sizeof(v));

	return len > 0 ? len : 0;
}

/*
 * One expression of a rule of chain @c. The packet mark set from a
 * register that holds the conntrack mark (perhaps through a mask or a
 * shift, which keep a zero zero) is restored: zero for every flow whose
 * conntrack mark is zero, as the fast path's packets are unmarked. Any
 * other mark set is a mark the fast path cannot know. The conntrack mark
 * set from the packet's (wg-quick's save) is one the fast path's packets
 * leave as it is, zero; set from anything else, it may be set on a packet
 * the fast path carries, and not restored on the next.
 */
static void rule_expr(struct scan *s, int c, const struct nlattr *elem,
		      struct rule_state *st)
{
	const struct nlattr *e[NF_ATTR_MAX + 1] = {};
	const struct nlattr *tb[NF_ATTR_MAX + 1] = {};
	const char *name;
	__u32 key;

	if (!attr_nested(elem, e))
		return;
	name = attr_str(e[NFTA_EXPR_NAME]);
	if (!name)
		return;
	if (e[NFTA_EXPR_DATA] && !attr_nested(e[NFTA_EXPR_DATA], tb))
		return;
	if (!strcmp(name, "ct")) {
		key = attr_u32(tb[NFTA_CT_KEY], ~0U);
		if (tb[NFTA_CT_DREG])
			load_reg(st, tb[NFTA_CT_DREG],
				 key == NFT_CT_MARK ? REG_CT_MARK :
				 key == NFT_CT_STATE ? REG_CT_STATE : REG_OTHER,
				 NFT_REG_SIZE);
		else if (key == NFT_CT_MARK &&
			 reg_kind(st, tb[NFTA_CT_SREG]) != REG_META_MARK)
			act(st, NF_MARKS_NONE, true, false);
	} else if (!strcmp(name, "meta")) {
		key = attr_u32(tb[NFTA_META_KEY], ~0U);
		if (tb[NFTA_META_DREG])
			load_reg(st, tb[NFTA_META_DREG],
				 key == NFT_META_MARK ? REG_META_MARK :
				 key == NFT_META_L4PROTO ? REG_L4PROTO :
				 REG_OTHER, NFT_REG_SIZE);
		else if (key == NFT_META_MARK)
			act(st, reg_kind(st, tb[NFTA_META_SREG]) == REG_CT_MARK ?
				NF_MARKS_RESTORE : NF_MARKS_SET, false, false);
		else if (key == NFT_META_PRIORITY || key == NFT_META_PKTTYPE)
			act(st, NF_MARKS_NONE, false, true);
	} else if (!strcmp(name, "payload")) {
		if (tb[NFTA_PAYLOAD_SREG])
			act(st, NF_MARKS_NONE, false, true);
		else
			load_reg(st, tb[NFTA_PAYLOAD_DREG], payload_kind(st, tb),
				 attr_u32(tb[NFTA_PAYLOAD_LEN], 0));
	} else if (!strcmp(name, "exthdr")) {
		/* Written (TCP MSS clamping), or reset. */
		if (tb[NFTA_EXTHDR_DREG])
			load_reg(st, tb[NFTA_EXTHDR_DREG], REG_OTHER,
				 attr_u32(tb[NFTA_EXTHDR_LEN], 0));
		else
			act(st, NF_MARKS_NONE, false, true);
	} else if (!strcmp(name, "bitwise")) {
		bitwise_expr(st, tb);
	} else if (!strcmp(name, "cmp")) {
		cmp_expr(st, tb);
	} else if (!strcmp(name, "queue") || !strcmp(name, "dup") ||
		   !strcmp(name, "fwd") || !strcmp(name, "synproxy")) {
		act(st, NF_MARKS_NONE, false, true);
	} else if (!strcmp(name, "tproxy")) {
		act(st, NF_MARKS_SET, false, false);
	} else if (!strcmp(name, "target")) {
		target_expr(st, tb);
	} else if (!strcmp(name, "immediate")) {
		if (tb[NFTA_IMMEDIATE_DREG] &&
		    attr_u32(tb[NFTA_IMMEDIATE_DREG], ~0U) == NFT_REG_VERDICT)
			verdict(s, c, tb);
		else if (tb[NFTA_IMMEDIATE_DREG])
			load_reg(st, tb[NFTA_IMMEDIATE_DREG], REG_OTHER,
				 immediate_len(tb));
	} else if (!strcmp(name, "lookup")) {
		/* A verdict map: a jump anywhere in the table. */
		if (tb[NFTA_LOOKUP_DREG] &&
		    attr_u32(tb[NFTA_LOOKUP_DREG], ~0U) == NFT_REG_VERDICT)
			s->chains[c].vmap = true;
		else if (tb[NFTA_LOOKUP_DREG])
			load_reg(st, tb[NFTA_LOOKUP_DREG], REG_OTHER, 0);
	} else {
		/* Whatever else may have written a register. */
		memset(st->regs, 0, sizeof(st->regs));
	}
}

/* A rule: what it does, into its chain's effects. */
static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[NF_ATTR_MAX + 1] = {};
	struct rule_state st = { .family = nfg->nfgen_family };
	struct scan *s = data;
	const struct nlattr *elem;
	const char *table, *chain;
	char what[256 * 3];
	struct chain *ch;
	int c;

	check_genid(s, nlh);
	if (!family_name(nfg->nfgen_family) ||
	    nfg->nfgen_family == NFPROTO_NETDEV ||
	    mnl_attr_parse(nlh, sizeof(*nfg), attr_cb, tb) != MNL_CB_OK ||
	    !tb[NFTA_RULE_EXPRESSIONS])
		return MNL_CB_OK;
	table = attr_str(tb[NFTA_RULE_TABLE]);
	chain = attr_str(tb[NFTA_RULE_CHAIN]);
	if (!table || !chain)
		return MNL_CB_OK;
	/* A chain's rules come one after the other. */
	c = s->last;
	if (c >= s->n_chains ||
	    !chain_is(&s->chains[c], nfg->nfgen_family, table, chain))
		c = find_chain(s, nfg->nfgen_family, table, chain);
	if (c < 0)
		return MNL_CB_OK;	/* check_genid() tells */
	s->last = c;
	mnl_attr_for_each_nested(elem, tb[NFTA_RULE_EXPRESSIONS])
		rule_expr(s, c, elem, &st);
	ch = &s->chains[c];
	snprintf(what, sizeof(what), "nftables rule in chain %s %s %s",
		 family_name(nfg->nfgen_family), table, chain);
	merge(&ch->all, &st.effects, what);
	merge(&ch->est, &st.est, what);
	merge(&ch->out, &st.out, what);
	return s->err ? MNL_CB_ERROR : MNL_CB_OK;
}

static void reach(struct chain *c, __u8 paths, bool *more)
{
	if (paths & ~c->reached) {
		c->reached |= paths;
		*more = true;
	}
}

/*
 * The chains the fast path's packets would cross: the base chains it
 * skips, and those they jump to, or may through a verdict map. Their
 * effects into the ruleset's. The outer UDP the fast path sends has no
 * conntrack state the fast path could go by (its entry may expire while
 * the fast path carries it: the stack's next packet is new): what a rule
 * on its path does to it counts in conntrack mode too.
 */
static void follow_jumps(struct scan *s)
{
	struct chain *from, *to;
	bool more = true;
	int i, j, t;

	for (j = 0; j < s->n_jumps; j++) {
		from = &s->chains[s->jumps[j].from];
		s->jumps[j].to = find_chain(s, from->family, from->table,
					    s->jumps[j].to_name);
	}
	for (i = 0; i < s->n_chains; i++)
		s->chains[i].reached = s->chains[i].skipped;
	while (more) {
		more = false;
		for (j = 0; j < s->n_jumps; j++) {
			from = &s->chains[s->jumps[j].from];
			if (from->reached && s->jumps[j].to >= 0)
				reach(&s->chains[s->jumps[j].to],
				      from->reached, &more);
		}
		for (i = 0; i < s->n_chains; i++) {
			from = &s->chains[i];
			if (!from->reached || !from->vmap)
				continue;
			for (t = 0; t < s->n_chains; t++)
				if (s->chains[t].family == from->family &&
				    !strcmp(s->chains[t].table, from->table))
					reach(&s->chains[t], from->reached,
					      &more);
		}
	}
	for (i = 0; i < s->n_chains; i++) {
		to = &s->chains[i];
		if (!to->reached)
			continue;
		if (to->reached & PATH_FORWARD) {
			merge(&s->r->all, &to->all, NULL);
			merge(&s->r->est, &to->est, NULL);
		}
		if (to->reached & PATH_OUTPUT) {
			merge(&s->r->all, &to->out, NULL);
			merge(&s->r->est, &to->out, NULL);
		}
	}
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
	s->genid = -1;
	s->genid_changed = false;
	s->last = 0;
	nl = nl_open(NETLINK_NETFILTER);
	if (!nl)
		return errno == EPROTONOSUPPORT ? 0 : -errno;
	ret = nft_dump(nl, NFT_MSG_GETCHAIN, chain_cb, s);
	if (!ret && s->n_chains)
		ret = nft_dump(nl, NFT_MSG_GETRULE, rule_cb, s);
	mnl_socket_close(nl);
	if (s->err)
		return s->err;
	if (!ret && s->genid_changed)
		ret = -EINTR;
	/* The ruleset changed during a dump (NLM_F_DUMP_INTR), or between
	 * them: again.
	 */
	if (ret == -EINTR && retries--) {
		memset(s->r, 0, sizeof(*s->r));
		s->n_chains = 0;
		s->n_jumps = 0;
		goto again;
	}
	if (!ret)
		follow_jumps(s);
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
static void xt_scan(struct nf_ruleset *r, const char *path, const char *cmd,
		    bool *nat)
{
	char table[64], what[128];
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return;
	while (fscanf(f, "%63s", table) == 1) {
		*nat |= !strcmp(table, "nat");
		if (!r->fw &&
		    (!strcmp(table, "nat") || !strcmp(table, "filter"))) {
			snprintf(r->fw_what, sizeof(r->fw_what),
				 "%s table %s", cmd, table);
			r->fw = 1;
		} else if (!strcmp(table, "mangle")) {
			snprintf(what, sizeof(what), "%s table mangle", cmd);
			effect(&r->all, NF_MARKS_SET, false, false, what);
			effect(&r->est, NF_MARKS_SET, false, false, what);
		}
	}
	fclose(f);
}

int nf_ruleset_scan(struct nf_ruleset *r)
{
	struct nf_ruleset *n;
	struct scan *s;
	int ret;

	s = calloc(1, sizeof(*s));
	n = calloc(1, sizeof(*n));
	if (!s || !n) {
		free(s);
		free(n);
		return -ENOMEM;
	}
	s->r = n;
	ret = nft_scan(s);
	free(s->chains);
	free(s->jumps);
	free(s);
	if (ret == -EINTR) {
		free(n);
		return ret;
	}
	memset(r, 0, sizeof(*r));
	if (ret) {
		/* Nothing half read; marks the fast path cannot know, and
		 * ingress and egress chains on every device.
		 */
		r->all.marks = NF_MARKS_SET;
		r->est.marks = NF_MARKS_SET;
		r->ingress.full = true;
		r->egress.full = true;
		r->unreadable = true;
		r->nat4 = true;
		r->nat6 = true;
		free(n);
		return ret;
	}
	*r = *n;
	free(n);
	xt_scan(r, "/proc/net/ip_tables_names", "iptables-legacy", &r->nat4);
	xt_scan(r, "/proc/net/ip6_tables_names", "ip6tables-legacy", &r->nat6);
	return 0;
}
