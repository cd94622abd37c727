// SPDX-License-Identifier: GPL-2.0
/*
 * A WireGuard handshake that completes before its initiator has armed the
 * retransmission timer must not be retried. An fexit program holds the
 * initiator right after it has sent the initiation until the response has
 * been processed, on another CPU: the window in which the handshake used to
 * complete first, and the timer be armed after it, every time. No second
 * initiation may follow within REKEY_TIMEOUT (5 s, plus up to a third of a
 * second of jitter).
 */
#include <time.h>
#include "test_progs.h"
#include "network_helpers.h"
#include "wg_handshake.skel.h"

#define NS_A		"wg_handshake_a"
#define NS_B		"wg_handshake_b"
#define WG_PORT		51820
#define KEYDIR		"/tmp/wg_handshake.XXXXXX"
#define WQ_CPUMASK	"/sys/devices/virtual/workqueue/cpumask"
/* REKEY_TIMEOUT and the jitter, rounded up */
#define RETRY_AFTER_NS	(6ULL * 1000 * 1000 * 1000)

static int setup(const char *keydir)
{
	SYS(fail,
	    "ip -n %s link add veth0 type veth peer name veth0 netns %s",
	    NS_A, NS_B);
	SYS(fail, "ip -n %s addr add 192.0.2.1/24 dev veth0", NS_A);
	SYS(fail, "ip -n %s addr add 192.0.2.2/24 dev veth0", NS_B);
	SYS(fail,
	    "cd %s && umask 077 && for k in a b; do wg genkey > $k && wg pubkey < $k > $k.pub; done",
	    keydir);
	SYS(fail, "ip -n %s link add wg0 type wireguard", NS_A);
	SYS(fail, "ip -n %s link add wg0 type wireguard", NS_B);
	SYS(fail,
	    "ip netns exec %s wg set wg0 listen-port %d private-key %s/a peer $(cat %s/b.pub) allowed-ips 10.0.0.2/32 endpoint 192.0.2.2:%d",
	    NS_A, WG_PORT, keydir, keydir, WG_PORT);
	SYS(fail,
	    "ip netns exec %s wg set wg0 listen-port %d private-key %s/b peer $(cat %s/a.pub) allowed-ips 10.0.0.1/32",
	    NS_B, WG_PORT, keydir, keydir);
	SYS(fail, "ip -n %s addr add 10.0.0.1/24 dev wg0", NS_A);
	SYS(fail, "ip -n %s addr add 10.0.0.2/24 dev wg0", NS_B);
	SYS(fail, "ip -n %s link set veth0 up && ip -n %s link set wg0 up", NS_A, NS_A);
	SYS(fail, "ip -n %s link set veth0 up && ip -n %s link set wg0 up", NS_B, NS_B);
	return 0;
fail:
	return -1;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int write_file(const char *path, const char *buf)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, buf, strlen(buf));
	close(fd);
	return n < 0 ? -errno : 0;
}

void serial_test_wg_handshake(void)
{
	struct netns_obj *ns_a = NULL, *ns_b = NULL;
	char keydir[] = KEYDIR, cpumask[256] = "";
	struct wg_handshake *skel = NULL;
	__u64 deadline, now;
	FILE *f;

	if (system("wg --version >/dev/null 2>&1")) {
		printf("%s:SKIP:wg (wireguard-tools) not found\n", __func__);
		test__skip();
		return;
	}
	if (!ASSERT_OK_PTR(mkdtemp(keydir), "mkdtemp"))
		return;
	ns_a = netns_new(NS_A, false);
	ns_b = netns_new(NS_B, false);
	if (!ASSERT_OK_PTR(ns_a, NS_A) || !ASSERT_OK_PTR(ns_b, NS_B))
		goto out;
	/* Before the skeleton: this loads wireguard.ko, whose BTF it needs. */
	if (!ASSERT_OK(setup(keydir), "setup"))
		goto out;
	skel = wg_handshake__open_and_load();
	if (!ASSERT_OK_PTR(skel, "skel") ||
	    !ASSERT_OK(wg_handshake__attach(skel), "attach"))
		goto out;

	/*
	 * Both ends queue their first received handshake message to the
	 * first online CPU. With the initiator's unbound handshake worker
	 * kept off it, the hold does not delay the response even without
	 * preemption.
	 */
	f = fopen(WQ_CPUMASK, "r");
	if (f && sysconf(_SC_NPROCESSORS_ONLN) > 1) {
		if (!fgets(cpumask, sizeof(cpumask), f))
			cpumask[0] = '\0';
		if (cpumask[0] && !ASSERT_OK(write_file(WQ_CPUMASK, "2"), "workqueue cpumask"))
			cpumask[0] = '\0';
	}
	if (f)
		fclose(f);

	skel->bss->hold = 1;
	SYS(out, "ip netns exec %s ping -q -c 1 -W 10 10.0.0.2 >/dev/null", NS_A);
	for (deadline = now_ns() + 5000000000ULL; !skel->bss->released_at;) {
		if (!ASSERT_LT(now_ns(), deadline, "hold released"))
			goto out;
		usleep(10000);
	}
	ASSERT_EQ(skel->bss->held, 1, "initiations held");
	ASSERT_EQ(skel->bss->completed_while_held, 1, "handshake completed while held");
	if (cpumask[0] && ASSERT_OK(write_file(WQ_CPUMASK, cpumask), "restore cpumask"))
		cpumask[0] = '\0';

	/* A retransmission would come REKEY_TIMEOUT after the release. */
	deadline = skel->bss->released_at + RETRY_AFTER_NS;
	for (now = now_ns(); now < deadline; now = now_ns())
		usleep((deadline - now) / 1000 + 1);
	ASSERT_EQ(skel->bss->initiations, 1, "initiations");
	ASSERT_EQ(skel->bss->completions, 1, "handshakes completed");
out:
	if (cpumask[0])
		write_file(WQ_CPUMASK, cpumask);
	wg_handshake__destroy(skel);
	netns_free(ns_b);
	netns_free(ns_a);
	SYS_NOFAIL("rm -rf %s", keydir);
}
