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

/*
 * Context confusion: in a TC program struct xdp_md is plain memory, and in an
 * XDP program so is struct __sk_buff. A kfunc that takes the other program
 * type's context would follow what the program wrote there, so it must not
 * even be callable.
 */
SEC("tc")
__failure __msg("calling kernel function bpf_xdp_wg_device_get_by_index is not allowed")
int tc_forged_xdp_md_by_index(struct __sk_buff *ctx)
{
	struct xdp_md md = {};
	struct bpf_wg_device *wg = bpf_xdp_wg_device_get_by_index(&md, 1);

	if (wg)
		bpf_wg_device_put(wg);
	return 0;
}

SEC("tc")
__failure __msg("calling kernel function bpf_xdp_wg_device_get_by_port is not allowed")
int tc_forged_xdp_md_by_port(struct __sk_buff *ctx)
{
	struct xdp_md md = {};
	struct bpf_wg_device *wg = bpf_xdp_wg_device_get_by_port(&md, 51820);

	if (wg)
		bpf_wg_device_put(wg);
	return 0;
}

/* A real peer, found through the program's own context with GET_BY_PORT. */
#define WITH_PEER(get_by_port, ctx, stmt)					\
({										\
	struct bpf_wg_device *__wg = get_by_port(ctx, 51820);			\
	struct bpf_wg_peer *peer;						\
										\
	if (__wg) {								\
		peer = bpf_wg_peer_hashtable_lookup(__wg, 1);			\
		if (peer) {							\
			stmt;							\
			bpf_wg_peer_put(peer);					\
		}								\
		bpf_wg_device_put(__wg);					\
	}									\
})
#define WITH_TC_PEER(ctx, stmt) WITH_PEER(bpf_skb_wg_device_get_by_port, ctx, stmt)
#define WITH_XDP_PEER(ctx, stmt) WITH_PEER(bpf_xdp_wg_device_get_by_port, ctx, stmt)

SEC("tc")
__failure __msg("calling kernel function bpf_xdp_wg_encrypt is not allowed")
int tc_forged_xdp_md_encrypt(struct __sk_buff *ctx)
{
	struct xdp_md md = {};

	WITH_TC_PEER(ctx, bpf_xdp_wg_encrypt(&md, 0, 64, peer));
	return 0;
}

SEC("tc")
__failure __msg("calling kernel function bpf_xdp_wg_decrypt is not allowed")
int tc_forged_xdp_md_decrypt(struct __sk_buff *ctx)
{
	struct xdp_md md = {};

	WITH_TC_PEER(ctx, bpf_xdp_wg_decrypt(&md, 14, peer));
	return 0;
}

SEC("tc")
__failure __msg("calling kernel function bpf_xdp_wg_deliver is not allowed")
int tc_forged_xdp_md_deliver(struct __sk_buff *ctx)
{
	struct xdp_md md = {};

	WITH_TC_PEER(ctx, bpf_xdp_wg_deliver(&md, 42, peer));
	return 0;
}

SEC("xdp")
__failure __msg("calling kernel function bpf_skb_wg_device_get_by_index is not allowed")
int xdp_forged_skb_by_index(struct xdp_md *ctx)
{
	struct __sk_buff skb = {};
	struct bpf_wg_device *wg = bpf_skb_wg_device_get_by_index(&skb, 1);

	if (wg)
		bpf_wg_device_put(wg);
	return XDP_PASS;
}

SEC("xdp")
__failure __msg("calling kernel function bpf_skb_wg_device_get_by_port is not allowed")
int xdp_forged_skb_by_port(struct xdp_md *ctx)
{
	struct __sk_buff skb = {};
	struct bpf_wg_device *wg = bpf_skb_wg_device_get_by_port(&skb, 51820);

	if (wg)
		bpf_wg_device_put(wg);
	return XDP_PASS;
}

SEC("xdp")
__failure __msg("calling kernel function bpf_skb_wg_encrypt is not allowed")
int xdp_forged_skb_encrypt(struct xdp_md *ctx)
{
	struct __sk_buff skb = {};

	WITH_XDP_PEER(ctx, bpf_skb_wg_encrypt(&skb, 0, 64, peer));
	return XDP_PASS;
}

SEC("xdp")
__failure __msg("calling kernel function bpf_skb_wg_decrypt is not allowed")
int xdp_forged_skb_decrypt(struct xdp_md *ctx)
{
	struct __sk_buff skb = {};

	WITH_XDP_PEER(ctx, bpf_skb_wg_decrypt(&skb, 14, peer));
	return XDP_PASS;
}

/* The context of the program's own type is required, not a copy of it. */
SEC("xdp")
__failure __msg("R1 expected pointer to ctx, but got fp")
int xdp_stack_xdp_md(struct xdp_md *ctx)
{
	struct xdp_md md = {};

	WITH_XDP_PEER(ctx, bpf_xdp_wg_encrypt(&md, 0, 64, peer));
	return XDP_PASS;
}

/* A device where a peer is expected, and the reverse. */
SEC("xdp")
__failure __msg("STRUCT bpf_wg_peer but R1 has a pointer to STRUCT bpf_wg_device")
int device_as_peer(struct xdp_md *ctx)
{
	struct bpf_wg_device *wg = bpf_xdp_wg_device_get_by_index(ctx, 1);

	if (wg)
		bpf_wg_peer_put((struct bpf_wg_peer *)wg);
	return XDP_PASS;
}

SEC("tc")
__failure __msg("STRUCT bpf_wg_device but R1 has a pointer to STRUCT bpf_wg_peer")
int peer_as_device(struct __sk_buff *ctx)
{
	WITH_TC_PEER(ctx, bpf_wg_device_put((struct bpf_wg_device *)peer));
	return 0;
}

SEC("xdp")
__failure __msg("STRUCT bpf_wg_device but R1 has a pointer to STRUCT bpf_wg_peer")
int peer_as_device_ifindex(struct xdp_md *ctx)
{
	WITH_XDP_PEER(ctx, bpf_wg_device_ifindex((struct bpf_wg_device *)peer));
	return XDP_PASS;
}

SEC("xdp")
__failure __msg("release kfunc bpf_wg_device_put expects referenced PTR_TO_BTF_ID passed to R1")
int double_put(struct xdp_md *ctx)
{
	struct bpf_wg_device *wg = bpf_xdp_wg_device_get_by_index(ctx, 1);

	if (!wg)
		return XDP_PASS;
	bpf_wg_device_put(wg);
	bpf_wg_device_put(wg);
	return XDP_PASS;
}

SEC("tc")
__failure __msg("R1 is scalar expected STRUCT bpf_wg_peer")
int peer_after_put(struct __sk_buff *ctx)
{
	struct bpf_wg_device *wg = bpf_skb_wg_device_get_by_port(ctx, 51820);
	struct bpf_sock_tuple t;
	struct bpf_wg_peer *peer;

	if (!wg)
		return 0;
	peer = bpf_wg_peer_hashtable_lookup(wg, 1);
	if (peer) {
		bpf_wg_peer_put(peer);
		bpf_wg_endpoint_tuple_get(peer, &t, sizeof(t));
	}
	bpf_wg_device_put(wg);
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} slots SEC(".maps");

SEC("xdp")
__failure __msg("R1 is map_value expected STRUCT bpf_wg_device")
int forged_device_map_value(struct xdp_md *ctx)
{
	__u32 key = 0, addr = 0;
	struct bpf_wg_peer *peer;
	__u64 *val;

	val = bpf_map_lookup_elem(&slots, &key);
	if (!val)
		return XDP_PASS;
	peer = bpf_wg_peer_allowedips_lookup((struct bpf_wg_device *)val, &addr, 4);
	if (peer)
		bpf_wg_peer_put(peer);
	return XDP_PASS;
}

SEC("xdp")
__failure __msg("R1 is pkt expected STRUCT bpf_wg_device")
int forged_device_packet(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct bpf_wg_peer *peer;
	__u32 addr = 0;

	if (data + 64 > data_end)
		return XDP_PASS;
	peer = bpf_wg_peer_allowedips_lookup(data, &addr, 4);
	if (peer)
		bpf_wg_peer_put(peer);
	return XDP_PASS;
}

SEC("xdp")
__failure __msg("R1 is fp expected STRUCT bpf_wg_device")
int forged_device_stack(struct xdp_md *ctx)
{
	__u64 fake[4] = {};
	struct bpf_wg_peer *peer;
	__u32 addr = 0;

	peer = bpf_wg_peer_allowedips_lookup((struct bpf_wg_device *)fake, &addr, 4);
	if (peer)
		bpf_wg_peer_put(peer);
	return XDP_PASS;
}

/*
 * A device stored in a map comes back as a number: a privileged program may
 * store the address, never use it as a device again.
 */
SEC("xdp")
__failure __msg("R1 is scalar expected STRUCT bpf_wg_device")
int device_from_map(struct xdp_md *ctx)
{
	struct bpf_wg_device *wg = bpf_xdp_wg_device_get_by_index(ctx, 1);
	struct bpf_wg_peer *peer;
	__u32 key = 0, addr = 0;
	__u64 *val;

	if (!wg)
		return XDP_PASS;
	val = bpf_map_lookup_elem(&slots, &key);
	if (val)
		*val = (__u64)wg;
	bpf_wg_device_put(wg);
	if (!val)
		return XDP_PASS;
	peer = bpf_wg_peer_allowedips_lookup((struct bpf_wg_device *)*val, &addr, 4);
	if (peer)
		bpf_wg_peer_put(peer);
	return XDP_PASS;
}

/* __sz larger than the memory behind the pointer. */
SEC("xdp")
__failure __msg("invalid read from stack")
int addr_sz_too_large(struct xdp_md *ctx)
{
	struct bpf_wg_device *wg = bpf_xdp_wg_device_get_by_index(ctx, 1);
	struct bpf_wg_peer *peer;
	__u32 addr = 0;

	if (!wg)
		return XDP_PASS;
	peer = bpf_wg_peer_allowedips_lookup(wg, &addr, 16);
	if (peer)
		bpf_wg_peer_put(peer);
	bpf_wg_device_put(wg);
	return XDP_PASS;
}

SEC("tc")
__failure __msg("R2 and R3 memory, len pair leads to invalid memory access")
int tuple_sz_too_large(struct __sk_buff *ctx)
{
	struct bpf_sock_tuple t;

	WITH_TC_PEER(ctx, bpf_wg_endpoint_tuple_get(peer, &t, sizeof(t) + 8));
	return 0;
}

char _license[] SEC("license") = "GPL";
