// SPDX-License-Identifier: GPL-2.0
/*
 * Two WireGuard devices in network namespaces, peered over veth, the
 * handshake done by the kernel: the underlay carries WireGuard messages,
 * which an XDP program on the receiving side counts by type.
 */
#include <net/if.h>
#include "test_progs.h"
#include "network_helpers.h"
#include "wg_tunnel.skel.h"

#define NS_A	"wg_tunnel_a"
#define NS_B	"wg_tunnel_b"
#define WG_PORT	51820
#define PINGS	3

enum { WG_INIT = 1, WG_RESP = 2, WG_COOKIE = 3, WG_DATA = 4 };

/* wg0 of @ns: private key @self, one peer with public key @peer. */
static int wg_set(const char *ns, const char *dir, char self, char peer,
		  const char *allowed_ips, const char *endpoint)
{
	SYS(fail,
	    "ip netns exec %s wg set wg0 listen-port %d private-key %s/%c peer $(cat %s/%c.pub) allowed-ips %s endpoint %s:%d",
	    ns, WG_PORT, dir, self, dir, peer, allowed_ips, endpoint, WG_PORT);
	return 0;
fail:
	return -1;
}

/* Underlay (v4 and v6) over veth, overlay (v4 and v6) over wg0. */
static int setup_topology(const char *dir)
{
	SYS(fail, "ip -n %s link add veth0 type veth peer name veth0 netns %s", NS_A, NS_B);
	SYS(fail, "ip -n %s addr add 192.0.2.1/24 dev veth0", NS_A);
	SYS(fail, "ip -n %s addr add 192.0.2.2/24 dev veth0", NS_B);
	SYS(fail, "ip -n %s addr add 2001:db8::1/64 dev veth0 nodad", NS_A);
	SYS(fail, "ip -n %s addr add 2001:db8::2/64 dev veth0 nodad", NS_B);
	SYS(fail, "umask 077; wg genkey > %s/a && wg genkey > %s/b", dir, dir);
	SYS(fail, "wg pubkey < %s/a > %s/a.pub && wg pubkey < %s/b > %s/b.pub",
	    dir, dir, dir, dir);
	SYS(fail, "ip -n %s link add wg0 type wireguard", NS_A);
	SYS(fail, "ip -n %s link add wg0 type wireguard", NS_B);
	if (wg_set(NS_A, dir, 'a', 'b', "10.0.0.2/32,fd00::2/128", "192.0.2.2") ||
	    wg_set(NS_B, dir, 'b', 'a', "10.0.0.1/32,fd00::1/128", "192.0.2.1"))
		goto fail;
	SYS(fail, "ip -n %s addr add 10.0.0.1/24 dev wg0", NS_A);
	SYS(fail, "ip -n %s addr add 10.0.0.2/24 dev wg0", NS_B);
	SYS(fail, "ip -n %s addr add fd00::1/64 dev wg0 nodad", NS_A);
	SYS(fail, "ip -n %s addr add fd00::2/64 dev wg0 nodad", NS_B);
	SYS(fail, "ip -n %s link set veth0 up && ip -n %s link set wg0 up", NS_A, NS_A);
	SYS(fail, "ip -n %s link set veth0 up && ip -n %s link set wg0 up", NS_B, NS_B);
	return 0;
fail:
	return -1;
}

static void ping_through(struct wg_tunnel *skel, const char *addr)
{
	__u64 data = skel->bss->msgs[WG_DATA];

	SYS(out, "ip netns exec %s ping -q -c %d -i 0.2 -W 5 %s >/dev/null", NS_A, PINGS, addr);
	/* Every echo request crossed the underlay as a data message. */
	ASSERT_GE(skel->bss->msgs[WG_DATA] - data, PINGS, "data messages");
out:
	return;
}

void test_wg_tunnel(void)
{
	struct netns_obj *ns_a = NULL, *ns_b = NULL;
	char dir[] = "/tmp/wg_tunnel.XXXXXX";
	struct nstoken *tok = NULL;
	struct wg_tunnel *skel;
	int ifindex;

	if (!ASSERT_OK_PTR(mkdtemp(dir), "mkdtemp"))
		return;
	skel = wg_tunnel__open_and_load();
	if (!ASSERT_OK_PTR(skel, "skel"))
		goto out;
	ns_a = netns_new(NS_A, false);
	ns_b = netns_new(NS_B, false);
	if (!ASSERT_OK_PTR(ns_a, NS_A) || !ASSERT_OK_PTR(ns_b, NS_B))
		goto out;
	if (!ASSERT_OK(setup_topology(dir), "topology"))
		goto out;

	tok = open_netns(NS_B);
	if (!ASSERT_OK_PTR(tok, "open_netns"))
		goto out;
	ifindex = if_nametoindex("veth0");
	if (!ASSERT_GT(ifindex, 0, "veth0") ||
	    !ASSERT_OK(bpf_xdp_attach(ifindex, bpf_program__fd(skel->progs.wg_count), 0, NULL),
		       "xdp attach"))
		goto out;

	if (test__start_subtest("ipv4"))
		ping_through(skel, "10.0.0.2");
	if (test__start_subtest("ipv6"))
		ping_through(skel, "fd00::2");
	if (test__start_subtest("handshake")) {
		/* B saw A's initiation; no cookie was needed without load. */
		ping_through(skel, "10.0.0.2");
		ASSERT_GE(skel->bss->msgs[WG_INIT], 1, "initiations");
		ASSERT_EQ(skel->bss->msgs[WG_COOKIE], 0, "cookie replies");
		ASSERT_EQ(skel->bss->msgs[0], 0, "malformed");
	}
out:
	close_netns(tok);
	netns_free(ns_b);
	netns_free(ns_a);
	wg_tunnel__destroy(skel);
	SYS_NOFAIL("rm -rf %s", dir);
}
