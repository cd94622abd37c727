// SPDX-License-Identifier: GPL-2.0
/* The WireGuard devices and their fwmark, which BPF programs cannot read:
 * rtnetlink lists the links of kind "wireguard", WireGuard's generic
 * netlink family (WG_CMD_GET_DEVICE) gives their fwmark.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/wireguard.h>

#include "nl.h"
#include "wg.h"

struct wg_list {
	struct wg_dev *devs;
	int n, max;
	int family;
	__u32 fwmark;
};

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct wg_list *list = data;
	struct nlattr *attr, *info;

	mnl_attr_for_each(attr, nlh, sizeof(*ifi)) {
		if (mnl_attr_get_type(attr) != IFLA_LINKINFO)
			continue;
		mnl_attr_for_each_nested(info, attr) {
			if (mnl_attr_get_type(info) == IFLA_INFO_KIND &&
			    !strcmp(mnl_attr_get_str(info), "wireguard") &&
			    list->n < list->max)
				list->devs[list->n++].ifindex = ifi->ifi_index;
		}
	}
	return MNL_CB_OK;
}

static int device_cb(const struct nlmsghdr *nlh, void *data)
{
	struct wg_list *list = data;
	struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(attr) == WGDEVICE_A_FWMARK)
			list->fwmark = mnl_attr_get_u32(attr);
	}
	return MNL_CB_OK;
}

static int get_fwmarks(struct wg_list *list)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	int ret = 0, i;

	nl = nl_open(NETLINK_GENERIC);
	if (!nl)
		return -errno;
	list->family = genl_family(nl, WG_GENL_NAME);
	if (list->family < 0) {
		ret = list->family;
		goto out;
	}
	for (i = 0; i < list->n; i++) {
		nlh = genl_msg(buf, list->family, NLM_F_DUMP,
			       WG_CMD_GET_DEVICE, WG_GENL_VERSION);
		mnl_attr_put_u32(nlh, WGDEVICE_A_IFINDEX, list->devs[i].ifindex);
		list->fwmark = 0;
		ret = nl_talk(nl, nlh, device_cb, list);
		/* Gone in the meantime: not a WireGuard device any more. */
		if (ret == -ENODEV) {
			list->devs[i--] = list->devs[--list->n];
			continue;
		}
		if (ret)
			goto out;
		list->devs[i].fwmark = list->fwmark;
	}
out:
	mnl_socket_close(nl);
	return ret;
}

int wg_devices(struct wg_dev *devs, int max)
{
	struct wg_list list = { .devs = devs, .max = max };
	int ret;

	ret = nl_dump_links(link_cb, &list);
	if (!ret && list.n)
		ret = get_fwmarks(&list);
	return ret ? ret : list.n;
}
