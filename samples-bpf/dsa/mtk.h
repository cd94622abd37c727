/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The MediaTek switch tag of net/dsa/tag_mtk.c, for XDP on a DSA conduit:
 * 4 bytes between the source MAC address and the EtherType.
 *
 * Received frames: the switch port they came in on is in bits 0-2 of the
 * second byte; the kernel strips all 4 bytes and ignores the others.
 *
 * Sent frames: the first byte says whether an 802.1Q or 802.1ad header
 * follows the tag, and the second has the bit of the destination port.
 * The tag of a VLAN-tagged frame replaces the TPID of its VLAN header,
 * whose TCI stays in the last two bytes; an untagged frame gets a tag with
 * the last two bytes zero, in front of its EtherType.
 */
#ifndef __BPFWG_DSA_MTK_H
#define __BPFWG_DSA_MTK_H

#define MTK_HDR_LEN			4
#define MTK_HDR_XMIT_UNTAGGED		0
#define MTK_HDR_XMIT_TAGGED_TPID_8100	1
#define MTK_HDR_XMIT_TAGGED_TPID_88A8	2
#define MTK_HDR_RECV_SOURCE_PORT_MASK	0x07
#define MTK_HDR_XMIT_DP_BIT_MASK	0x3f
#define MTK_HDR_OFF			12	/* after the MAC addresses */

/* The source port of a frame received on the conduit, or -1. */
static __always_inline int mtk_rcv_port(struct xdp_md *ctx)
{
	__u8 tag[MTK_HDR_LEN];

	if (bpf_xdp_load_bytes(ctx, MTK_HDR_OFF, tag, sizeof(tag)))
		return -1;
	return tag[1] & MTK_HDR_RECV_SOURCE_PORT_MASK;
}

/*
 * Tags a frame with a bare Ethernet header for @port, as mtk_tag_xmit()
 * does with what the user port sends (@vlan BPFWG_DSA_UNTAGGED), or what a
 * VLAN device of ID @vid on it sends: such a device would put its 802.1Q or
 * 802.1ad header (priority 0) after the MAC addresses, and the tag would
 * then replace its TPID. Either way, 4 bytes go in after the addresses.
 */
static __always_inline int mtk_xmit(struct xdp_md *ctx, __u8 port,
				    enum bpfwg_dsa_vlan vlan, __u16 vid)
{
	__u8 hdr[MTK_HDR_OFF + MTK_HDR_LEN];
	__u8 *tag = hdr + MTK_HDR_OFF;

	if (port > 5 || bpf_xdp_adjust_head(ctx, -MTK_HDR_LEN))
		return -1;
	if (bpf_xdp_load_bytes(ctx, MTK_HDR_LEN, hdr, MTK_HDR_OFF))
		return -1;
	switch (vlan) {
	case BPFWG_DSA_8021Q:
		tag[0] = MTK_HDR_XMIT_TAGGED_TPID_8100;
		break;
	case BPFWG_DSA_8021AD:
		tag[0] = MTK_HDR_XMIT_TAGGED_TPID_88A8;
		break;
	default:
		tag[0] = MTK_HDR_XMIT_UNTAGGED;
		vid = 0;
	}
	tag[1] = (1 << port) & MTK_HDR_XMIT_DP_BIT_MASK;
	tag[2] = vid >> 8;
	tag[3] = vid;
	return bpf_xdp_store_bytes(ctx, 0, hdr, sizeof(hdr));
}

#endif /* __BPFWG_DSA_MTK_H */
