// SPDX-License-Identifier: GPL-2.0
/*
 * Holds the WireGuard handshake initiator of one device right after it has
 * sent an initiation, until the handshake has completed (or the loop's
 * bound, see after_send()), and records what that device's peer does.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* sizeof(struct message_handshake_initiation): no other message has it */
#define INITIATION_LEN	148
#define HOLD_NS		(3ULL * 1000 * 1000 * 1000)

/* What is read of drivers/net/wireguard's types, from the module's BTF */
struct wg_device___hs {
	struct net_device *dev;
} __attribute__((preserve_access_index));

struct wg_peer___hs {
	struct wg_device___hs *device;
} __attribute__((preserve_access_index));

/* Set by user space: the initiator's device, by ifindex and netns inode. */
int ifindex;
__u32 netns_ino;
int hold;			/* hold its next initiation */

__u64 initiations;
__u64 completions;		/* of handshakes */
__u64 armed_after_completion;	/* retransmission timer armed after one */
__u64 held;			/* initiations held */
__u64 completed_while_held;	/* completions when the hold ended */
__u64 released_at;		/* bpf_ktime_get_ns() then */

static bool initiator(struct wg_peer___hs *peer)
{
	struct net_device *dev = BPF_CORE_READ(peer, device, dev);

	return BPF_CORE_READ(dev, ifindex) == ifindex &&
	       BPF_CORE_READ(dev, nd_net.net, ns.inum) == netns_ino;
}

static int wait_cb(__u64 i, void *ctx)
{
	__u64 *deadline = ctx;

	return completions || bpf_ktime_get_ns() > *deadline;
}

/*
 * The hold ends once the handshake has completed, after HOLD_NS, or after
 * bpf_loop()'s 8M iterations, whichever comes first (under a second on
 * hardware, where the handshake takes a millisecond).
 */
SEC("fexit/wg_socket_send_buffer_to_peer")
int BPF_PROG(after_send, struct wg_peer___hs *peer, void *buffer, size_t len,
	     u8 ds, int ret)
{
	__u64 deadline;

	if (len != INITIATION_LEN || !initiator(peer))
		return 0;
	__sync_fetch_and_add(&initiations, 1);
	if (__sync_val_compare_and_swap(&hold, 1, 0) != 1)
		return 0;
	held++;
	deadline = bpf_ktime_get_ns() + HOLD_NS;
	bpf_loop(1 << 23, wait_cb, &deadline, 0);
	completed_while_held = completions;
	released_at = bpf_ktime_get_ns();
	return 0;
}

SEC("fentry/wg_timers_handshake_complete")
int BPF_PROG(complete, struct wg_peer___hs *peer)
{
	/* The responder completes too, on the first data message. */
	if (initiator(peer))
		__sync_fetch_and_add(&completions, 1);
	return 0;
}

SEC("fentry/wg_timers_handshake_initiated")
int BPF_PROG(initiated, struct wg_peer___hs *peer)
{
	if (initiator(peer) && completions)
		__sync_fetch_and_add(&armed_after_completion, 1);
	return 0;
}

char _license[] SEC("license") = "GPL";
