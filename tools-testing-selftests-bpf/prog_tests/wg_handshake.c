// SPDX-License-Identifier: GPL-2.0
/*
 * A WireGuard handshake that completes before its initiator has armed the
 * retransmission timer must not be retried. An fexit program holds the
 * initiator right after it has sent the initiation until the response has
 * been processed, on another CPU: the window in which the handshake used to
 * complete first, and the timer be armed after it, every time. The timer
 * must not be armed after the handshake completed, and no second initiation
 * may follow within REKEY_TIMEOUT.
 */
#include <sys/stat.h>
#include "test_progs.h"
#include "network_helpers.h"
#include "wg_handshake.skel.h"

#define NS_A		"wg_handshake_a"
#define NS_B		"wg_handshake_b"
#define WG_PORT		51820
#define KEYDIR		"/tmp/wg_handshake.XXXXXX"
#define WQ_CPUMASK	"/sys/devices/virtual/workqueue/cpumask"
#define WQ_REQUESTED	"/sys/devices/virtual/workqueue/cpumask_requested"
/*
 * REKEY_TIMEOUT (5 s), its jitter (up to HZ / 3) and the timer wheel's
 * granularity at that range (up to 512 jiffies at HZ=1000), rounded up.
 */
#define RETRY_AFTER_NS	(7500ULL * 1000 * 1000)

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

/* A's wg0, as the programs find it: ifindex and netns inode. */
static int initiator_ids(struct wg_handshake *skel)
{
	struct nstoken *tok = open_netns(NS_A);
	struct stat st;
	int err = -1;

	if (!ASSERT_OK_PTR(tok, "open_netns"))
		return -1;
	skel->bss->ifindex = if_nametoindex("wg0");
	if (ASSERT_GT(skel->bss->ifindex, 0, "wg0") &&
	    ASSERT_OK(stat("/proc/self/ns/net", &st), "netns inode")) {
		skel->bss->netns_ino = st.st_ino;
		err = 0;
	}
	close_netns(tok);
	return err;
}

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return -errno;
	ok = fgets(buf, len, f) && strchr(buf, '\n');
	fclose(f);
	return ok ? 0 : -EINVAL;
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

/*
 * Both ends queue their first received handshake message to the first
 * online CPU. The initiator's unbound handshake worker goes to the last
 * one, so that holding it delays neither, preemptible kernel or not:
 * @mask gets the workqueue cpumask to restore.
 */
static int keep_off_first_cpu(char *mask, size_t len)
{
	char online[4096], *last, buf[4096];
	int cpu, n, i;

	if (read_line("/sys/devices/system/cpu/online", online, sizeof(online)))
		return -ENOENT;
	last = online + strcspn(online, "\n");
	*last = '\0';
	last = strrchr(online, ',') ?: online;
	last = strrchr(last, '-') ?: last;
	cpu = atoi(last + (*last == ',' || *last == '-'));
	if (cpu == atoi(online))
		return -ENODEV;
	if (read_line(WQ_REQUESTED, mask, len) && read_line(WQ_CPUMASK, mask, len))
		return -ENOENT;
	n = snprintf(buf, sizeof(buf), "%x", 1u << (cpu % 32));
	for (i = 0; i < cpu / 32 && n < sizeof(buf); i++)
		n += snprintf(buf + n, sizeof(buf) - n, ",00000000");
	return write_file(WQ_CPUMASK, buf);
}

void serial_test_wg_handshake(void)
{
	struct netns_obj *ns_a = NULL, *ns_b = NULL;
	char keydir[] = KEYDIR, cpumask[4096] = "";
	struct wg_handshake *skel = NULL;
	__u64 deadline, now;
	int err;

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
	if (!ASSERT_OK_PTR(skel, "skel") || initiator_ids(skel) ||
	    !ASSERT_OK(wg_handshake__attach(skel), "attach"))
		goto out;

	err = keep_off_first_cpu(cpumask, sizeof(cpumask));
	if (err) {
		printf("%s:SKIP:cannot keep the initiator off the first CPU (%d)\n",
		       __func__, err);
		test__skip();
		goto out;
	}

	skel->bss->hold = 1;
	SYS(out, "ip netns exec %s ping -q -c 1 -W 10 10.0.0.2 >/dev/null", NS_A);
	for (deadline = get_time_ns() + 5000000000ULL; !skel->bss->released_at;) {
		if (!ASSERT_LT(get_time_ns(), deadline, "hold released"))
			goto out;
		usleep(10000);
	}
	ASSERT_EQ(skel->bss->held, 1, "initiations held");
	ASSERT_EQ(skel->bss->completed_while_held, 1, "handshake completed while held");
	if (ASSERT_OK(write_file(WQ_CPUMASK, cpumask), "restore cpumask"))
		cpumask[0] = '\0';

	/* A retransmission would come REKEY_TIMEOUT after the release. */
	deadline = skel->bss->released_at + RETRY_AFTER_NS;
	for (now = get_time_ns(); now < deadline; now = get_time_ns())
		usleep((deadline - now) / 1000 + 1);
	ASSERT_EQ(skel->bss->armed_after_completion, 0, "timer armed after completion");
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
