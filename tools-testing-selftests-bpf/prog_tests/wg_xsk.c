// SPDX-License-Identifier: GPL-2.0
/*
 * The WireGuard kfuncs refuse frames in AF_XDP zero-copy memory (UMEM):
 * user space can rewrite it at any time, between the tag check and the
 * decryption included, so a message is neither decrypted nor encrypted
 * there, and the frame reaches the socket as it was sent. In copy mode, on
 * the same device, the same frame goes past that check to the key lookup:
 * the control that shows the refusal is the zero-copy one.
 *
 * Zero-copy needs a driver that has it: two such network devices connected
 * to each other, named in WG_XSK_IFACES ("RX TX"; for example two virtio-net
 * devices on one QEMU hub, with VIRTIO_F_ACCESS_PLATFORM:
 * "-netdev hubport,id=n0,hubid=1
 *  -device virtio-net-pci,netdev=n0,disable-legacy=on,iommu_platform=on",
 * the same again for n1). They are moved to namespaces of their own for the
 * test, and come back to the initial one after it. Skipped without them.
 */
#include <net/if.h>
#include <poll.h>
#include <sys/mman.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/ip.h>
#include <netinet/udp.h>
#include "test_progs.h"
#include "network_helpers.h"
#include "xsk.h"
#include "wg_xsk.skel.h"

#define NS_RX		"wg_xsk_rx"
#define NS_TX		"wg_xsk_tx"
#define KEYDIR		"/tmp/wg_xsk.XXXXXX"
#define WG_PORT		51820
#define NO_DEVICE	1000
#define NO_PEER		1001
#define UMEM_NUM	16
#define UMEM_SIZE	(XSK_UMEM__DEFAULT_FRAME_SIZE * UMEM_NUM)
/* A data message with 32 bytes of (would-be) ciphertext and its tag */
#define MSG_LEN		(16 + 32 + 16)
#define FRAME_LEN	(ETH_HLEN + sizeof(struct iphdr) + sizeof(struct udphdr) + MSG_LEN)

struct xsk {
	void *umem_area;
	struct xsk_umem *umem;
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp;
	struct xsk_ring_prod tx;
	struct xsk_ring_cons rx;
	struct xsk_socket *socket;
};

static void close_xsk(struct xsk *xsk)
{
	if (xsk->socket)
		xsk_socket__delete(xsk->socket);
	if (xsk->umem)
		xsk_umem__delete(xsk->umem);
	if (xsk->umem_area && xsk->umem_area != MAP_FAILED)
		munmap(xsk->umem_area, UMEM_SIZE);
	memset(xsk, 0, sizeof(*xsk));
}

/*
 * A socket on queue 0 of @ifindex. The fill ring is full before the bind,
 * so that a zero-copy driver has UMEM frames to receive into from the start.
 */
static int open_xsk(struct xsk *xsk, int ifindex, __u16 bind_flags)
{
	const struct xsk_socket_config cfg = {
		.rx_size = XSK_RING_CONS__DEFAULT_NUM_DESCS,
		.tx_size = XSK_RING_PROD__DEFAULT_NUM_DESCS,
		.bind_flags = bind_flags,
	};
	__u32 idx, i;
	int ret;

	xsk->umem_area = mmap(NULL, UMEM_SIZE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!ASSERT_NEQ(xsk->umem_area, MAP_FAILED, "mmap"))
		return -1;
	ret = xsk_umem__create(&xsk->umem, xsk->umem_area, UMEM_SIZE,
			       &xsk->fill, &xsk->comp, NULL);
	if (!ASSERT_OK(ret, "xsk_umem__create"))
		return -1;
	if (!ASSERT_EQ(xsk_ring_prod__reserve(&xsk->fill, UMEM_NUM, &idx),
		       UMEM_NUM, "fill reserve"))
		return -1;
	for (i = 0; i < UMEM_NUM; i++)
		*xsk_ring_prod__fill_addr(&xsk->fill, idx + i) =
			i * XSK_UMEM__DEFAULT_FRAME_SIZE;
	xsk_ring_prod__submit(&xsk->fill, UMEM_NUM);
	/*
	 * The previous subtest's socket leaves the queue from a workqueue
	 * (xp_release_deferred()): until then the bind fails with -EBUSY.
	 */
	for (i = 0; i < 50; i++) {
		ret = xsk_socket__create(&xsk->socket, ifindex, 0, xsk->umem,
					 &xsk->rx, &xsk->tx, &cfg);
		if (ret != -EBUSY)
			break;
		usleep(100000);
	}
	if (!ASSERT_OK(ret, "xsk_socket__create"))
		return -1;
	return 0;
}

/* An Ethernet broadcast frame holding a WireGuard data message over IPv4. */
static void build_frame(__u8 *buf)
{
	struct ethhdr *eth = (void *)buf;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	__u32 *msg = (void *)(udp + 1);
	int i;

	memset(eth->h_dest, 0xff, ETH_ALEN);
	memcpy(eth->h_source, "\x02\x00\x00\x00\x00\x01", ETH_ALEN);
	eth->h_proto = htons(ETH_P_IP);
	*ip = (struct iphdr) {
		.version = 4, .ihl = 5, .ttl = 64, .protocol = IPPROTO_UDP,
		.tot_len = htons(FRAME_LEN - ETH_HLEN),
		.saddr = inet_addr("192.0.2.2"), .daddr = inet_addr("192.0.2.1"),
	};
	ip->check = build_ip_csum(ip);
	*udp = (struct udphdr) {
		.source = htons(WG_PORT), .dest = htons(WG_PORT),
		.len = htons(sizeof(*udp) + MSG_LEN),
	};
	msg[0] = htole32(4);		/* type: data */
	msg[1] = htole32(0x12345678);	/* receiver index: nobody's */
	for (i = 2; i < MSG_LEN / 4; i++)	/* counter, "ciphertext", tag */
		msg[i] = htole32(0x5a5a0000 + i);
}

static int send_frame(int ifindex, const void *buf, size_t len)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET, .sll_ifindex = ifindex,
		.sll_halen = ETH_ALEN,
	};
	int fd, ret;

	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (!ASSERT_GE(fd, 0, "packet socket"))
		return -1;
	ret = sendto(fd, buf, len, 0, (void *)&sll, sizeof(sll));
	close(fd);
	return ASSERT_EQ(ret, len, "sendto") ? 0 : -1;
}

/*
 * Send the frame from @tx_ifindex, receive it on the socket bound to
 * @rx_ifindex in @bind_flags mode; check that it arrived unmodified and
 * return the kfuncs' results.
 */
static int run(struct wg_xsk *skel, int rx_ifindex, int tx_ifindex,
	       __u16 bind_flags, int *enc, int *dec)
{
	struct nstoken *tok = NULL;
	const struct xdp_desc *desc;
	__u8 frame[FRAME_LEN];
	struct xsk xsk = {};
	struct pollfd pfd;
	__u32 idx, fd;
	int ret = -1;
	bool attached = false;

	build_frame(frame);
	skel->bss->frames = 0;
	skel->bss->encrypt_ret = -1;
	skel->bss->decrypt_ret = -1;
	tok = open_netns(NS_RX);
	if (!ASSERT_OK_PTR(tok, "open_netns rx"))
		return -1;
	if (!ASSERT_OK(bpf_xdp_attach(rx_ifindex, bpf_program__fd(skel->progs.xdp_wg_xsk),
				      XDP_FLAGS_DRV_MODE, NULL), "attach"))
		goto out;
	attached = true;
	if (open_xsk(&xsk, rx_ifindex, bind_flags))
		goto out;
	fd = xsk_socket__fd(xsk.socket);
	if (!ASSERT_OK(bpf_map__update_elem(skel->maps.xsk, &(__u32){ 0 }, sizeof(__u32),
					    &fd, sizeof(fd), BPF_ANY), "xskmap"))
		goto out;
	close_netns(tok);
	tok = open_netns(NS_TX);
	if (!ASSERT_OK_PTR(tok, "open_netns tx") ||
	    send_frame(tx_ifindex, frame, sizeof(frame)))
		goto out;

	pfd = (struct pollfd) { .fd = xsk_socket__fd(xsk.socket), .events = POLLIN };
	if (!ASSERT_EQ(poll(&pfd, 1, 10000), 1, "poll") ||
	    !ASSERT_EQ(xsk_ring_cons__peek(&xsk.rx, 1, &idx), 1, "rx peek"))
		goto out;
	desc = xsk_ring_cons__rx_desc(&xsk.rx, idx);
	if (ASSERT_EQ(desc->len, sizeof(frame), "rx len"))
		ASSERT_OK(memcmp(xsk_umem__get_data(xsk.umem_area, desc->addr), frame,
				 sizeof(frame)), "frame untouched");
	xsk_ring_cons__release(&xsk.rx, 1);
	ASSERT_EQ(skel->bss->frames, 1, "frames");
	*enc = skel->bss->encrypt_ret;
	*dec = skel->bss->decrypt_ret;
	ret = 0;
out:
	close_netns(tok);
	tok = open_netns(NS_RX);
	if (ASSERT_OK_PTR(tok, "open_netns rx")) {
		if (attached)
			bpf_xdp_detach(rx_ifindex, XDP_FLAGS_DRV_MODE, NULL);
		close_xsk(&xsk);
		close_netns(tok);
	}
	return ret;
}

static int setup(const char *rx, const char *tx, const char *keydir,
		 int *rx_ifindex, int *tx_ifindex, int *wg_ifindex)
{
	struct nstoken *tok;

	SYS(fail, "ip link set %s netns %s", rx, NS_RX);
	SYS(fail, "ip link set %s netns %s", tx, NS_TX);
	SYS(fail, "ip -n %s link set %s up", NS_TX, tx);
	SYS(fail, "ip -n %s link set %s up", NS_RX, rx);
	SYS(fail, "umask 077 && wg genkey > %s/key && wg genkey | wg pubkey > %s/peer",
	    keydir, keydir);
	SYS(fail, "ip -n %s link add wg0 type wireguard", NS_RX);
	/* A peer with an endpoint and no session: nothing to decrypt with. */
	SYS(fail, "ip netns exec %s wg set wg0 private-key %s/key peer $(cat %s/peer) %s",
	    NS_RX, keydir, keydir, "allowed-ips 10.0.0.2/32 endpoint 192.0.2.2:51820");
	SYS(fail, "ip -n %s link set wg0 up", NS_RX);
	tok = open_netns(NS_RX);
	if (!ASSERT_OK_PTR(tok, "open_netns rx"))
		return -1;
	*rx_ifindex = if_nametoindex(rx);
	*wg_ifindex = if_nametoindex("wg0");
	close_netns(tok);
	tok = open_netns(NS_TX);
	if (!ASSERT_OK_PTR(tok, "open_netns tx"))
		return -1;
	*tx_ifindex = if_nametoindex(tx);
	close_netns(tok);
	if (!ASSERT_GT(*rx_ifindex, 0, "rx ifindex") ||
	    !ASSERT_GT(*tx_ifindex, 0, "tx ifindex") ||
	    !ASSERT_GT(*wg_ifindex, 0, "wg ifindex"))
		return -1;
	return 0;
fail:
	return -1;
}

/* Fixed namespace names, and devices of the whole system: serial. */
void serial_test_wg_xsk(void)
{
	struct netns_obj *ns_rx = NULL, *ns_tx = NULL;
	int rx_ifindex, tx_ifindex, wg_ifindex, enc, dec;
	char keydir[sizeof(KEYDIR)] = KEYDIR;
	char rx[IFNAMSIZ], tx[IFNAMSIZ];
	const char *ifaces = getenv("WG_XSK_IFACES");
	struct wg_xsk *skel = NULL;

	if (!ifaces || sscanf(ifaces, "%15s %15s", rx, tx) != 2) {
		printf("%s:SKIP:WG_XSK_IFACES (\"RX TX\": two connected devices %s) not set\n",
		       __func__, "with AF_XDP zero-copy");
		test__skip();
		return;
	}
	if (system("wg --version >/dev/null 2>&1")) {
		printf("%s:SKIP:wg (wireguard-tools) not found\n", __func__);
		test__skip();
		return;
	}
	if (!ASSERT_OK_PTR(mkdtemp(keydir), "mkdtemp"))
		return;
	ns_rx = netns_new(NS_RX, false);
	ns_tx = netns_new(NS_TX, false);
	if (!ASSERT_OK_PTR(ns_rx, NS_RX) || !ASSERT_OK_PTR(ns_tx, NS_TX) ||
	    setup(rx, tx, keydir, &rx_ifindex, &tx_ifindex, &wg_ifindex))
		goto out;
	skel = wg_xsk__open_and_load();
	if (!ASSERT_OK_PTR(skel, "skel"))
		goto out;
	skel->bss->wg_ifindex = wg_ifindex;
	skel->bss->peer_addr = inet_addr("10.0.0.2");

	if (test__start_subtest("copy") &&
	    !run(skel, rx_ifindex, tx_ifindex, XDP_COPY, &enc, &dec)) {
		/* Past the memory check, to the keypair: there is none. */
		ASSERT_EQ(enc, -ENOKEY, "encrypt");
		ASSERT_EQ(dec, -ENOKEY, "decrypt");
	}
	if (test__start_subtest("zerocopy") &&
	    !run(skel, rx_ifindex, tx_ifindex, XDP_ZEROCOPY, &enc, &dec)) {
		ASSERT_EQ(enc, -EOPNOTSUPP, "encrypt");
		ASSERT_EQ(dec, -EOPNOTSUPP, "decrypt");
	}
out:
	wg_xsk__destroy(skel);
	/* The devices return to the initial namespace with the namespaces. */
	netns_free(ns_tx);
	netns_free(ns_rx);
	SYS_NOFAIL("rm -rf %s", keydir);
}
