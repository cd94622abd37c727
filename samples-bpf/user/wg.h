/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __BPFWG_WG_H
#define __BPFWG_WG_H

#include <linux/types.h>

#define MAX_WG_DEVICES	256

struct wg_dev {
	unsigned int ifindex;
	__u32 fwmark;
};

/* The WireGuard devices of this netns and their fwmark: count or -errno. */
int wg_devices(struct wg_dev *devs, int max);

#endif /* __BPFWG_WG_H */
