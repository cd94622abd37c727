/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __BPFWG_NL_H
#define __BPFWG_NL_H

#include <libmnl/libmnl.h>

/* Sends @nlh and feeds every answer to @cb until done: 0 or -errno. */
int nl_talk(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb,
	    void *data);
/* Feeds every link of the netns (RTM_NEWLINK) to @cb: 0 or -errno. */
int nl_dump_links(mnl_cb_t cb, void *data);

#endif /* __BPFWG_NL_H */
