// SPDX-License-Identifier: GPL-2.0
/* Programs the verifier must reject: reference and type rules of the kfuncs. */
/* wg_kfuncs.h declares the kfuncs, whether vmlinux.h would or not */
#define BPF_NO_KFUNC_PROTOTYPES
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "bpf_misc.h"
#include "wg_kfuncs.h"

SEC("xdp")
__failure __msg("Unreleased reference")
int leak_device(struct xdp_md *ctx)
{
	struct bpf_wg_device *wg = bpf_xdp_wg_device_get_by_index(ctx, 1);

	return wg ? XDP_PASS : XDP_DROP;
}

SEC("tc")
__failure __msg("Unreleased reference")
int leak_peer(struct __sk_buff *ctx)
{
	struct bpf_wg_device *wg = bpf_skb_wg_device_get_by_port(ctx, 51820);
	struct bpf_wg_peer *peer;

	if (!wg)
		return 0;
	peer = bpf_wg_peer_hashtable_lookup(wg, 1);
	bpf_wg_device_put(wg);
	return peer ? 1 : 0;
}

SEC("xdp")
__failure __msg("R1 is scalar expected STRUCT bpf_wg_device")
int use_after_put(struct xdp_md *ctx)
{
	struct bpf_wg_device *wg = bpf_xdp_wg_device_get_by_index(ctx, 1);
	struct bpf_wg_peer *peer;
	__u32 addr = 0;

	if (!wg)
		return XDP_PASS;
	bpf_wg_device_put(wg);
	peer = bpf_wg_peer_allowedips_lookup(wg, &addr, sizeof(addr));
	if (peer)
		bpf_wg_peer_put(peer);
	return XDP_PASS;
}

SEC("xdp")
__failure __msg("Possibly NULL pointer passed to trusted R1")
int no_null_check(struct xdp_md *ctx)
{
	struct bpf_wg_device *wg = bpf_xdp_wg_device_get_by_index(ctx, 1);

	bpf_wg_device_put(wg);
	return XDP_PASS;
}

SEC("xdp")
__failure __msg("access beyond struct")
int deref_device(struct xdp_md *ctx)
{
	struct bpf_wg_device *wg = bpf_xdp_wg_device_get_by_index(ctx, 1);
	int ret;

	if (!wg)
		return XDP_PASS;
	ret = *(int *)wg;
	bpf_wg_device_put(wg);
	return ret;
}

SEC("xdp")
__failure __msg("access beyond struct")
int deref_peer(struct xdp_md *ctx)
{
	struct bpf_wg_device *wg = bpf_xdp_wg_device_get_by_index(ctx, 1);
	struct bpf_wg_peer *peer;
	long ret = XDP_PASS;

	if (!wg)
		return XDP_PASS;
	peer = bpf_wg_peer_hashtable_lookup(wg, 1);
	if (peer) {
		ret = *(long *)peer;
		bpf_wg_peer_put(peer);
	}
	bpf_wg_device_put(wg);
	return ret;
}

SEC("xdp")
__failure __msg("release kfunc bpf_wg_peer_put expects referenced PTR_TO_BTF_ID passed to R1")
int forged_peer(struct xdp_md *ctx)
{
	__u64 fake[4] = {};

	bpf_wg_peer_put((struct bpf_wg_peer *)fake);
	return XDP_PASS;
}

SEC("xdp")
__failure __msg("R4 is fp expected STRUCT bpf_wg_peer")
int forged_encrypt(struct xdp_md *ctx)
{
	__u64 fake[4] = {};

	return bpf_xdp_wg_encrypt(ctx, 0, 64, (struct bpf_wg_peer *)fake);
}

SEC("cgroup_skb/ingress")
__failure __msg("calling kernel function bpf_skb_wg_device_get_by_index is not allowed")
int wrong_prog_type(struct __sk_buff *ctx)
{
	struct bpf_wg_device *wg = bpf_skb_wg_device_get_by_index(ctx, 1);

	if (wg)
		bpf_wg_device_put(wg);
	return 1;
}

char _license[] SEC("license") = "GPL";
