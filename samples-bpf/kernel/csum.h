/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pending checksums in XDP, for the datapath (bpfwg.bpf.c) and the RSS
 * programs (rss.bpf.c). Include after vmlinux.h and the libbpf headers.
 *
 * XDP on skbs (generic XDP, a veth's native XDP) gets the frames of local
 * senders with their TCP or UDP checksum pending (CHECKSUM_PARTIAL): the
 * checksum field holds the folded pseudo-header sum and the rest is left to
 * a device, which XDP cannot tell. Such a frame must not leave the skb
 * behind it with the checksum still pending: encrypted, or rebuilt into a
 * new skb by a cpumap (CHECKSUM_NONE), it would never be completed.
 */
#ifndef __BPFWG_CSUM_H
#define __BPFWG_CSUM_H

extern s64 bpf_xdp_csum(struct xdp_md *ctx, u32 offset, u32 len,
			__wsum seed) __ksym;

static __always_inline __u16 csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/*
 * The TCP or UDP checksum of the segment of @l4len bytes at @l4off
 * completed, as skb_checksum_help() would, if its field holds exactly the
 * folded pseudo-header sum (@addrs: the sum of the source and destination
 * addresses' 32-bit words) and the checksum does not verify as it is (a
 * complete one that happens to equal it). The skb still says the checksum
 * is pending: a caller that leaves the frame to it (XDP_PASS) restores the
 * field (*@orig at @at). 1 if completed, 0 if left alone, -1 if unreadable.
 */
static __always_inline int xdp_complete_l4_csum(struct xdp_md *ctx,
						__u32 l4off, __u32 l4len,
						__u8 l4proto, __u64 addrs,
						__u16 *orig, __u32 *at)
{
	__u64 pseudo = addrs + bpf_htons(l4proto) + bpf_htons(l4len);
	__u32 csum_off;
	__u16 check;
	s64 sum;

	if (l4proto == IPPROTO_TCP)
		csum_off = offsetof(struct tcphdr, check);
	else if (l4proto == IPPROTO_UDP)
		csum_off = offsetof(struct udphdr, check);
	else
		return 0;
	if (l4len < csum_off + 2 ||
	    bpf_xdp_load_bytes(ctx, l4off + csum_off, &check, 2))
		return 0;
	if (check != (__u16)~csum_fold(pseudo))
		return 0;
	sum = bpf_xdp_csum(ctx, l4off, l4len, pseudo);
	if (sum < 0)
		return -1;
	if (!csum_fold(sum))
		return 0;	/* it verifies: complete already */
	sum = bpf_xdp_csum(ctx, l4off, l4len, 0);
	if (sum < 0)
		return -1;
	*orig = check;
	*at = l4off + csum_off;
	check = csum_fold(sum);
	if (l4proto == IPPROTO_UDP && !check)
		check = 0xffff;
	return bpf_xdp_store_bytes(ctx, *at, &check, 2) ? -1 : 1;
}

/*
 * Whether the SCTP packet at @l4off has its CRC32c left to offload (the
 * skb's CHECKSUM_PARTIAL with csum_not_inet): a zero checksum field. There
 * is no CRC32c kfunc to complete it; the stack, which does, is to handle
 * the packet. A sender's own CRC32c is zero once in 2^32 packets, which
 * then take the stack too. An unreadable field counts as pending.
 */
static __always_inline bool xdp_sctp_crc_pending(struct xdp_md *ctx,
						 __u32 l4off)
{
	__u32 crc;

	/* The checksum is the 4 bytes after the ports and verification tag. */
	if (bpf_xdp_load_bytes(ctx, l4off + 8, &crc, sizeof(crc)))
		return true;
	return !crc;
}

#endif /* __BPFWG_CSUM_H */
