// SPDX-License-Identifier: GPL-2.0
/*
 * The skb tail after bpf_xdp_adjust_tail() in generic XDP.
 *
 * A TCP stream over veth: the sender appends a trailer to each packet past
 * the IP total length, generic XDP on the receiver trims it. TCP coalesces
 * the small segments queued at the receiver by copying each one into the
 * tailroom of the one before (skb_try_coalesce()), so if the trim left the
 * tail pointer anywhere but at the end of the data, the stream the socket
 * reads is not the one that was written.
 */
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <netinet/tcp.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include "test_progs.h"
#include "network_helpers.h"
#include "xdp_generic_tail.skel.h"

#define NS_TX		"xdp_generic_tail_tx"
#define NS_RX		"xdp_generic_tail_rx"
#define ADDR_RX		"10.11.0.2"
#define CHUNK		64
#define CHUNKS		256
#define STREAM_LEN	(CHUNK * CHUNKS)

static int setup(void)
{
	SYS(fail, "ip netns add %s", NS_TX);
	SYS(fail, "ip netns add %s", NS_RX);
	SYS(fail, "ip -n %s link add veth0 type veth peer name veth0 netns %s",
	    NS_TX, NS_RX);
	SYS(fail, "ip -n %s addr add 10.11.0.1/24 dev veth0", NS_TX);
	SYS(fail, "ip -n %s addr add %s/24 dev veth0", NS_RX, ADDR_RX);
	SYS(fail, "ip -n %s link set veth0 up", NS_TX);
	SYS(fail, "ip -n %s link set veth0 up", NS_RX);
	/* Each segment acknowledged at once: the sender waits for it. */
	SYS(fail, "ip -n %s route change 10.11.0.0/24 dev veth0 quickack 1", NS_RX);
	return 0;
fail:
	return -1;
}

/* Until the peer has acknowledged all that @fd sent, so that the next
 * write is a segment of its own, not merged with this one.
 */
static int wait_acked(int fd)
{
	int i, outq = -1;

	for (i = 0; i < 3000; i++) {
		if (ioctl(fd, SIOCOUTQ, &outq) || !outq)
			break;
		usleep(1000);
	}
	return outq;
}

/* Sends the stream a segment at a time, then reads it back whole: no byte
 * is read before all were sent, so the segments queue up and are coalesced
 * at the receiver.
 */
static void stream(int srv, struct nstoken **tok, const __u8 *sent, __u8 *got)
{
	int one = 1, cli = -1, conn = -1, i, n, len = 0;

	*tok = open_netns(NS_TX);
	if (!ASSERT_OK_PTR(*tok, "open_netns tx"))
		return;
	cli = connect_to_fd(srv, 3000);
	close_netns(*tok);
	*tok = NULL;
	if (!ASSERT_OK_FD(cli, "connect_to_fd"))
		return;
	if (!ASSERT_OK(setsockopt(cli, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)),
		       "TCP_NODELAY"))
		goto out;
	conn = accept(srv, NULL, NULL);
	if (!ASSERT_OK_FD(conn, "accept"))
		goto out;
	for (i = 0; i < CHUNKS; i++) {
		n = send(cli, sent + i * CHUNK, CHUNK, 0);
		if (!ASSERT_EQ(n, CHUNK, "send"))
			goto out;
		if (!ASSERT_EQ(wait_acked(cli), 0, "segment acknowledged"))
			goto out;
	}
	if (!ASSERT_OK(shutdown(cli, SHUT_WR), "shutdown"))
		goto out;
	while (len < STREAM_LEN) {
		n = recv(conn, got + len, STREAM_LEN - len, 0);
		if (n <= 0)
			break;
		len += n;
	}
	ASSERT_EQ(len, STREAM_LEN, "bytes received");
	for (i = 0; i < len && got[i] == sent[i]; i++)
		;
	ASSERT_EQ(i, STREAM_LEN, "first corrupted byte");
out:
	if (conn >= 0)
		close(conn);
	close(cli);
}

/* Fixed namespace names: serial. */
void serial_test_xdp_generic_tail(void)
{
	int rcvbuf = 4 << 20, srv = -1, ifindex, err, i;
	struct xdp_generic_tail *skel = NULL;
	__u8 sent[STREAM_LEN], got[STREAM_LEN];
	struct bpf_link *link = NULL;
	struct nstoken *tok = NULL;

	if (!ASSERT_OK(setup(), "setup"))
		goto out;
	skel = xdp_generic_tail__open_and_load();
	if (!ASSERT_OK_PTR(skel, "skel_open_and_load"))
		goto out;

	tok = open_netns(NS_TX);
	if (!ASSERT_OK_PTR(tok, "open_netns tx"))
		goto out;
	ifindex = if_nametoindex("veth0");
	link = bpf_program__attach_tcx(skel->progs.append_trailer, ifindex, NULL);
	if (!ASSERT_OK_PTR(link, "attach_tcx"))
		goto out;
	close_netns(tok);

	tok = open_netns(NS_RX);
	if (!ASSERT_OK_PTR(tok, "open_netns rx"))
		goto out;
	ifindex = if_nametoindex("veth0");
	err = bpf_xdp_attach(ifindex, bpf_program__fd(skel->progs.trim_trailer),
			     XDP_FLAGS_SKB_MODE, NULL);
	if (!ASSERT_OK(err, "bpf_xdp_attach generic"))
		goto out;
	srv = start_server(AF_INET, SOCK_STREAM, ADDR_RX, 0, 3000);
	if (!ASSERT_OK_FD(srv, "start_server"))
		goto out;
	/* Room for every segment uncoalesced: the sender never blocks. */
	if (!ASSERT_OK(setsockopt(srv, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
				  sizeof(rcvbuf)), "SO_RCVBUFFORCE"))
		goto out;
	close_netns(tok);
	tok = NULL;

	/* Never the trailer's 0xa5. */
	for (i = 0; i < STREAM_LEN; i++)
		sent[i] = i % 127;
	memset(got, 0, sizeof(got));
	stream(srv, &tok, sent, got);

	ASSERT_EQ(skel->bss->append_failed, 0, "append_failed");
	ASSERT_GE(skel->bss->appended, CHUNKS, "packets with a trailer");
	ASSERT_EQ(skel->bss->trimmed, skel->bss->appended, "trailers trimmed");
out:
	if (tok)
		close_netns(tok);
	if (srv >= 0)
		close(srv);
	bpf_link__destroy(link);
	xdp_generic_tail__destroy(skel);
	SYS_NOFAIL("ip netns del %s", NS_TX);
	SYS_NOFAIL("ip netns del %s", NS_RX);
}
