/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __BPFWG_NL_H
#define __BPFWG_NL_H

#include <linux/types.h>
#include <libmnl/libmnl.h>

/* Sends @nlh and feeds every answer to @cb until done: 0 or -errno. */
int nl_talk(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb,
	    void *data);
/* A generic netlink request in @buf (MNL_SOCKET_BUFFER_SIZE bytes). */
struct nlmsghdr *genl_msg(char *buf, __u16 type, __u16 flags, __u8 cmd,
			  __u8 version);
/* The id of the generic netlink family @name, or -errno. */
int genl_family(struct mnl_socket *nl, const char *name);
/* A socket bound to @bus, or NULL (errno set). */
struct mnl_socket *nl_open(int bus);
/* The XDP RX metadata (NETDEV_XDP_RX_METADATA_*) the drivers of @n devices
 * give device-bound programs, from the netdev family: 0, or the first
 * -errno (0 in @features for the devices without an answer).
 */
int nl_xdp_rx_metadata(const unsigned int *ifindexes, int n, __u64 *features);
/* Feeds every link of the netns (RTM_NEWLINK) to @cb: 0 or -errno. */
int nl_dump_links(mnl_cb_t cb, void *data);
/* Feeds every qdisc of the netns (RTM_NEWQDISC) to @cb: 0 or -errno. */
int nl_dump_qdiscs(mnl_cb_t cb, void *data);
/* Feeds the filters of @ifindex under @parent (RTM_NEWTFILTER) to @cb. */
int nl_dump_filters(int ifindex, __u32 parent, mnl_cb_t cb, void *data);

/* What an RTM_NEWLINK message says of a device: its address; of a DSA user
 * port or a VLAN device, more.
 */
struct link_attrs {
	const char *name, *kind, *port_name;
	unsigned int link, conduit;
	__u16 vid;
	__u16 vlan_proto;	/* network byte order */
	const __u8 *addr;	/* IFLA_ADDRESS, @addr_len bytes */
	__u16 addr_len;
};

/* Fills @a from @nlh, an RTM_NEWLINK message (strings point into it). */
void nl_link_attrs(const struct nlmsghdr *nlh, struct link_attrs *a);

#endif /* __BPFWG_NL_H */
