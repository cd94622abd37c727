/* SPDX-License-Identifier: GPL-2.0 */
/* WireGuard kfuncs (drivers/net/wireguard/bpf.c), for the tests' programs. */
#ifndef __WG_KFUNCS_H
#define __WG_KFUNCS_H

/*
 * The kernel hands out struct bpf_wg_device and struct bpf_wg_peer: opaque,
 * size 0, nothing to load through them. They are declared here under local
 * names, so that this builds whether vmlinux.h has them (CONFIG_WIREGUARD=y)
 * or not (=m); libbpf matches kfunc arguments by kind, not by name or
 * members. Includers define BPF_NO_KFUNC_PROTOTYPES before vmlinux.h, whose
 * declarations of the kfuncs (=y) would conflict with these.
 */
#define bpf_wg_device bpf_wg_device___local
#define bpf_wg_peer bpf_wg_peer___local

struct bpf_wg_device {
	int opaque;
};

struct bpf_wg_peer {
	int opaque;
};

struct bpf_wg_device *
bpf_xdp_wg_device_get_by_index(struct xdp_md *ctx, u32 ifindex) __ksym;
struct bpf_wg_device *
bpf_skb_wg_device_get_by_index(struct __sk_buff *ctx, u32 ifindex) __ksym;
struct bpf_wg_device *
bpf_xdp_wg_device_get_by_port(struct xdp_md *ctx, u16 port) __ksym;
struct bpf_wg_device *
bpf_skb_wg_device_get_by_port(struct __sk_buff *ctx, u16 port) __ksym;
void bpf_wg_device_put(struct bpf_wg_device *wg) __ksym;
struct bpf_wg_peer *
bpf_wg_peer_allowedips_lookup(struct bpf_wg_device *wg, const void *addr,
			      u32 addr__sz) __ksym;
struct bpf_wg_peer *
bpf_wg_peer_hashtable_lookup(struct bpf_wg_device *wg, __le32 idx) __ksym;
void bpf_wg_peer_put(struct bpf_wg_peer *peer) __ksym;
int bpf_wg_endpoint_tuple_get(struct bpf_wg_peer *peer,
			      struct bpf_sock_tuple *tuple, u32 tuple__sz) __ksym;
int bpf_xdp_wg_encrypt(struct xdp_md *ctx, u32 offset, u32 inner_len,
		       struct bpf_wg_peer *peer) __ksym;
int bpf_skb_wg_encrypt(struct __sk_buff *ctx, u32 offset, u32 inner_len,
		       struct bpf_wg_peer *peer) __ksym;
int bpf_xdp_wg_decrypt(struct xdp_md *ctx, u32 nh_offset,
		       struct bpf_wg_peer *peer) __ksym;
int bpf_skb_wg_decrypt(struct __sk_buff *ctx, u32 nh_offset,
		       struct bpf_wg_peer *peer) __ksym;
int bpf_xdp_wg_deliver(struct xdp_md *ctx, u32 offset,
		       struct bpf_wg_peer *peer) __ksym;
u32 bpf_wg_device_ifindex(struct bpf_wg_device *wg) __ksym;

#endif /* __WG_KFUNCS_H */
