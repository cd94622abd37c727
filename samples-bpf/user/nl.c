// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink requests with libmnl: WireGuard, DSA, VLAN and XDP discovery,
 * qdiscs and filters.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/netdev.h>
#include <linux/rtnetlink.h>

#include "nl.h"

int nl_talk(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb,
	    void *data)
{
	char buf[16384];
	unsigned int portid = mnl_socket_get_portid(nl);
	__u32 seq = nlh->nlmsg_seq;
	int ret;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		ret = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (ret < 0)
			return -errno;
		ret = mnl_cb_run(buf, ret, seq, portid, cb, data);
	} while (ret > 0);
	return ret < 0 ? -errno : 0;
}

struct nlmsghdr *genl_msg(char *buf, __u16 type, __u16 flags, __u8 cmd,
			  __u8 version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = time(NULL);
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *attr;
	int *id = data;

	mnl_attr_for_each(attr, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID)
			*id = mnl_attr_get_u16(attr);
	}
	return MNL_CB_OK;
}

int genl_family(struct mnl_socket *nl, const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int id = -ENOENT, ret;

	nlh = genl_msg(buf, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);
	ret = nl_talk(nl, nlh, family_cb, &id);
	return ret ? ret : id;
}

static int rx_meta_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *attr;
	__u64 *features = data;

	mnl_attr_for_each(attr, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(attr) ==
		    NETDEV_A_DEV_XDP_RX_METADATA_FEATURES)
			*features = mnl_attr_get_u64(attr);
	}
	return MNL_CB_OK;
}

int nl_xdp_rx_metadata(const unsigned int *ifindexes, int n, __u64 *features)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	int family, ret = 0, err, i;

	for (i = 0; i < n; i++)
		features[i] = 0;
	nl = nl_open(NETLINK_GENERIC);
	if (!nl)
		return -errno;
	family = genl_family(nl, NETDEV_FAMILY_NAME);
	if (family < 0)
		ret = family;
	/* Each device's answer, whatever became of the others'. */
	for (i = 0; family >= 0 && i < n; i++) {
		nlh = genl_msg(buf, family, 0, NETDEV_CMD_DEV_GET,
			       NETDEV_FAMILY_VERSION);
		mnl_attr_put_u32(nlh, NETDEV_A_DEV_IFINDEX, ifindexes[i]);
		err = nl_talk(nl, nlh, rx_meta_cb, &features[i]);
		if (err) {
			features[i] = 0;
			ret = ret ?: err;
		}
	}
	mnl_socket_close(nl);
	return ret;
}

struct mnl_socket *nl_open(int bus)
{
	struct mnl_socket *nl = mnl_socket_open(bus);
	int err;

	if (nl && mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = errno;
		mnl_socket_close(nl);
		errno = err;
		return NULL;
	}
	return nl;
}

/* An rtnetlink dump of @type, the request's header @hdr of @len bytes. */
static int nl_route_dump(__u16 type, const void *hdr, size_t len, mnl_cb_t cb,
			 void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	int ret;

	nl = nl_open(NETLINK_ROUTE);
	if (!nl)
		return -errno;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = time(NULL);
	memcpy(mnl_nlmsg_put_extra_header(nlh, len), hdr, len);
	ret = nl_talk(nl, nlh, cb, data);
	mnl_socket_close(nl);
	return ret;
}

int nl_dump_links(mnl_cb_t cb, void *data)
{
	struct rtgenmsg rt = { .rtgen_family = AF_UNSPEC };

	return nl_route_dump(RTM_GETLINK, &rt, sizeof(rt), cb, data);
}

int nl_dump_qdiscs(mnl_cb_t cb, void *data)
{
	struct tcmsg tc = { .tcm_family = AF_UNSPEC };

	return nl_route_dump(RTM_GETQDISC, &tc, sizeof(tc), cb, data);
}

int nl_dump_filters(int ifindex, __u32 parent, mnl_cb_t cb, void *data)
{
	struct tcmsg tc = {
		.tcm_family = AF_UNSPEC,
		.tcm_ifindex = ifindex,
		.tcm_parent = parent,
	};

	return nl_route_dump(RTM_GETTFILTER, &tc, sizeof(tc), cb, data);
}

static const char *attr_str(const struct nlattr *attr)
{
	return mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) ? NULL :
	       mnl_attr_get_str(attr);
}

static void parse_info_data(const struct nlattr *data, struct link_attrs *a)
{
	const struct nlattr *attr;
	bool dsa = !strcmp(a->kind, "dsa");

	mnl_attr_for_each_nested(attr, data) {
		int type = mnl_attr_get_type(attr);

		if (dsa && type == IFLA_DSA_CONDUIT &&
		    !mnl_attr_validate(attr, MNL_TYPE_U32))
			a->conduit = mnl_attr_get_u32(attr);
		else if (!dsa && type == IFLA_VLAN_ID &&
			 !mnl_attr_validate(attr, MNL_TYPE_U16))
			a->vid = mnl_attr_get_u16(attr);
		else if (!dsa && type == IFLA_VLAN_PROTOCOL &&
			 !mnl_attr_validate(attr, MNL_TYPE_U16))
			a->vlan_proto = mnl_attr_get_u16(attr);
	}
}

void nl_link_attrs(const struct nlmsghdr *nlh, struct link_attrs *a)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr, *info, *info_data = NULL;

	memset(a, 0, sizeof(*a));
	mnl_attr_for_each(attr, nlh, sizeof(*ifi)) {
		switch (mnl_attr_get_type(attr)) {
		case IFLA_IFNAME:
			a->name = attr_str(attr);
			break;
		case IFLA_LINK:
			if (!mnl_attr_validate(attr, MNL_TYPE_U32))
				a->link = mnl_attr_get_u32(attr);
			break;
		case IFLA_PHYS_PORT_NAME:
			a->port_name = attr_str(attr);
			break;
		case IFLA_ADDRESS:
			a->addr = mnl_attr_get_payload(attr);
			a->addr_len = mnl_attr_get_payload_len(attr);
			break;
		case IFLA_LINKINFO:
			mnl_attr_for_each_nested(info, attr) {
				if (mnl_attr_get_type(info) == IFLA_INFO_KIND)
					a->kind = attr_str(info);
				else if (mnl_attr_get_type(info) == IFLA_INFO_DATA)
					info_data = info;
			}
			break;
		}
	}
	if (a->kind && info_data)
		parse_info_data(info_data, a);
}
