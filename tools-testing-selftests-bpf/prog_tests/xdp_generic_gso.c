// SPDX-License-Identifier: GPL-2.0
/*
 * Generic XDP and the GSO skbs only their frag_list can segment.
 *
 * An SCTP association over veth, forwarded by a netns with generic XDP on
 * its receiving veth. The sender's veth takes SCTP GSO, so a message of
 * many packets leaves it as GSO_BY_FRAGS skbs, their packets in the
 * frag_list. The forwarder's egress veth does not (tx-sctp-segmentation
 * off): the skbs are segmented on their way out. Generic XDP used to
 * flatten such an skb and keep its GSO state, and that segmentation then
 * crashed in skb_segment(), which found no frag_list to split. The program
 * must see segments no larger than the MTU, and the message must arrive
 * whole. Both copies generic XDP makes are tried: into a linear skb for a
 * program without frags, into page frags for an xdp.frags program. So are
 * both ways into the receive path: the backlog, and with GRO on the
 * forwarder's veth (which then runs NAPI), the list receive.
 */
#include <linux/if_link.h>
#include <net/if.h>
#include "test_progs.h"
#include "network_helpers.h"
#include "xdp_generic_gso.skel.h"

#define NS_TX		"xdp_generic_gso_tx"
#define NS_FWD		"xdp_generic_gso_fwd"
#define NS_RX		"xdp_generic_gso_rx"
#define ADDR_RX		"10.12.1.2"
#define PORT		7000
#define MSG_LEN		(64 * 1024)
#define MTU		1500
#define TIMEOUT_MS	10000

static int setup(void)
{
	SYS(fail, "ip netns add %s", NS_TX);
	SYS(fail, "ip netns add %s", NS_FWD);
	SYS(fail, "ip netns add %s", NS_RX);
	SYS(fail, "ip -n %s link add veth0 type veth peer name veth0 netns %s",
	    NS_TX, NS_FWD);
	SYS(fail, "ip -n %s link add veth1 type veth peer name veth1 netns %s",
	    NS_FWD, NS_RX);
	SYS(fail, "ip -n %s addr add 10.12.0.1/24 dev veth0", NS_TX);
	SYS(fail, "ip -n %s addr add 10.12.0.2/24 dev veth0", NS_FWD);
	SYS(fail, "ip -n %s addr add 10.12.1.1/24 dev veth1", NS_FWD);
	SYS(fail, "ip -n %s addr add %s/24 dev veth1", NS_RX, ADDR_RX);
	SYS(fail, "ip -n %s link set veth0 up", NS_TX);
	SYS(fail, "ip -n %s link set veth0 up", NS_FWD);
	SYS(fail, "ip -n %s link set veth1 up", NS_FWD);
	SYS(fail, "ip -n %s link set veth1 up", NS_RX);
	SYS(fail, "ip -n %s route add default via 10.12.0.2", NS_TX);
	SYS(fail, "ip -n %s route add default via 10.12.1.1", NS_RX);
	SYS(fail, "ip netns exec %s sysctl -qw net.ipv4.ip_forward=1", NS_FWD);
	SYS(fail, "ip netns exec %s ethtool -K veth1 tx-sctp-segmentation off", NS_FWD);
	return 0;
fail:
	return -1;
}

/* An SCTP one-to-one socket in @ns, listening on ADDR_RX if @listening. */
static int sctp_socket(const char *ns, bool listening, struct sockaddr_storage *ss,
		       socklen_t sslen)
{
	struct nstoken *tok = open_netns(ns);
	int fd;

	if (!ASSERT_OK_PTR(tok, "open_netns"))
		return -1;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_SCTP);
	close_netns(tok);
	if (fd < 0)
		return -errno;
	/* A broken kernel must fail the test, not leave it to retransmit. */
	if (settimeo(fd, TIMEOUT_MS)) {
		close(fd);
		return -errno;
	}
	if (listening && (bind(fd, (void *)ss, sslen) || listen(fd, 1))) {
		close(fd);
		return -errno;
	}
	return fd;
}

static int attach_xdp(struct bpf_program *prog)
{
	struct nstoken *tok = open_netns(NS_FWD);
	int err;

	if (!ASSERT_OK_PTR(tok, "open_netns fwd"))
		return -1;
	err = bpf_xdp_attach(if_nametoindex("veth0"),
			     bpf_program__fd(prog),
			     XDP_FLAGS_SKB_MODE, NULL);
	close_netns(tok);
	return err;
}

static struct bpf_link *attach_tc(struct xdp_generic_gso *skel)
{
	struct nstoken *tok = open_netns(NS_TX);
	struct bpf_link *link;

	if (!ASSERT_OK_PTR(tok, "open_netns tx"))
		return NULL;
	link = bpf_program__attach_tcx(skel->progs.count_gso, if_nametoindex("veth0"), NULL);
	close_netns(tok);
	return link;
}

static void test_gso(bool frags, bool gro)
{
	static __u8 sent[MSG_LEN], got[MSG_LEN];
	struct xdp_generic_gso *skel = NULL;
	int srv = -1, cli = -1, conn = -1;
	struct bpf_link *link = NULL;
	struct sockaddr_storage ss;
	struct bpf_program *prog;
	int i, n, len = 0;
	socklen_t sslen;

	if (!ASSERT_OK(setup(), "setup") ||
	    !ASSERT_OK(make_sockaddr(AF_INET, ADDR_RX, PORT, &ss, &sslen), "make_sockaddr"))
		goto out;
	if (gro)
		SYS(out, "ip netns exec %s ethtool -K veth0 gro on", NS_FWD);
	srv = sctp_socket(NS_RX, true, &ss, sslen);
	if (srv == -EPROTONOSUPPORT || srv == -ESOCKTNOSUPPORT) {
		printf("%s:SKIP:no SCTP (CONFIG_IP_SCTP)\n", __func__);
		test__skip();
		goto out;
	}
	if (!ASSERT_OK_FD(srv, "SCTP server"))
		goto out;
	skel = xdp_generic_gso__open();
	if (!ASSERT_OK_PTR(skel, "skel_open"))
		goto out;
	prog = frags ? skel->progs.count_frames_frags : skel->progs.count_frames;
	bpf_program__set_autoload(frags ? skel->progs.count_frames :
				  skel->progs.count_frames_frags, false);
	if (!ASSERT_OK(xdp_generic_gso__load(skel), "skel_load") ||
	    !ASSERT_OK(attach_xdp(prog), "bpf_xdp_attach generic"))
		goto out;
	link = attach_tc(skel);
	if (!ASSERT_OK_PTR(link, "attach_tcx"))
		goto out;

	cli = sctp_socket(NS_TX, false, NULL, 0);
	if (!ASSERT_OK_FD(cli, "SCTP client") ||
	    !ASSERT_OK(connect(cli, (void *)&ss, sslen), "connect"))
		goto out;
	conn = accept(srv, NULL, NULL);
	if (!ASSERT_OK_FD(conn, "accept") ||
	    !ASSERT_OK(settimeo(conn, TIMEOUT_MS), "settimeo"))
		goto out;

	for (i = 0; i < MSG_LEN; i++)
		sent[i] = i % 251;
	/* One message of many packets, sent in GSO skbs. */
	n = send(cli, sent, MSG_LEN, 0);
	if (!ASSERT_EQ(n, MSG_LEN, "send"))
		goto out;
	while (len < MSG_LEN) {
		n = recv(conn, got + len, MSG_LEN - len, 0);
		if (n <= 0)
			break;
		len += n;
	}
	ASSERT_EQ(len, MSG_LEN, "bytes received");
	ASSERT_OK(memcmp(got, sent, MSG_LEN), "message intact");
	ASSERT_GT(skel->bss->gso_by_frags, 0, "GSO_BY_FRAGS skbs sent");
	ASSERT_GE(skel->bss->frames, MSG_LEN / MTU, "frames seen by XDP");
	ASSERT_LE(skel->bss->max_len, MTU + ETH_HLEN, "largest frame seen by XDP");
out:
	if (conn >= 0)
		close(conn);
	if (cli >= 0)
		close(cli);
	if (srv >= 0)
		close(srv);
	bpf_link__destroy(link);
	xdp_generic_gso__destroy(skel);
	SYS_NOFAIL("ip netns del %s", NS_TX);
	SYS_NOFAIL("ip netns del %s", NS_FWD);
	SYS_NOFAIL("ip netns del %s", NS_RX);
}

/* Fixed namespace names: serial. */
void serial_test_xdp_generic_gso(void)
{
	if (test__start_subtest("linear"))
		test_gso(false, false);
	if (test__start_subtest("frags"))
		test_gso(true, false);
	if (test__start_subtest("list"))
		test_gso(false, true);
}
