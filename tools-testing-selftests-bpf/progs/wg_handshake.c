// SPDX-License-Identifier: GPL-2.0
/*
 * Holds WireGuard's handshake initiation sender right after the send, until
 * the handshake it started has completed (or HOLD_NS), and counts
 * initiations, and the handshakes the held initiator completed.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* sizeof(struct message_handshake_initiation): no other message has it */
#define INITIATION_LEN	148
#define HOLD_NS		(3ULL * 1000 * 1000 * 1000)

struct wg_peer;

int hold;			/* user space: hold the next initiation */
__u64 initiations;
__u64 initiator;		/* the peer whose initiation was held */
__u64 completions;		/* of handshakes, by the initiator */
__u64 held;			/* initiations held */
__u64 completed_while_held;	/* completions seen when the hold ended */
__u64 released_at;		/* bpf_ktime_get_ns() then */

static int wait_cb(__u64 i, void *ctx)
{
	__u64 *deadline = ctx;

	/* A call each time: the load is not hoisted out of the loop. */
	return completions || bpf_ktime_get_ns() > *deadline;
}

/* Before the send: the response may be processed before it returns. */
SEC("fentry/wg_socket_send_buffer_to_peer")
int BPF_PROG(before_send, struct wg_peer *peer, void *buffer, size_t len)
{
	if (len == INITIATION_LEN && hold && !initiator)
		initiator = (__u64)peer;
	return 0;
}

SEC("fexit/wg_socket_send_buffer_to_peer")
int BPF_PROG(after_send, struct wg_peer *peer, void *buffer, size_t len, u8 ds,
	     int ret)
{
	__u64 deadline;

	if (len != INITIATION_LEN)
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
int BPF_PROG(complete, struct wg_peer *peer)
{
	/* The responder's end completes on the first data message. */
	if ((__u64)peer == initiator)
		__sync_fetch_and_add(&completions, 1);
	return 0;
}

char _license[] SEC("license") = "GPL";
