// SPDX-License-Identifier: GPL-2.0
/* The BPF side: open the object through its skeleton, configure, load,
 * attach to the interfaces with links (which go away with the process),
 * read the counters and keep the fwmarks in sync.
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <arpa/inet.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/netdev.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "bpf.h"
#include "bpfwg.skel.h"
#include "dsa.h"
#include "log.h"
#include "nl.h"
#include "rss.h"
#include "wg.h"

static const char * const stat_names[BPFWG_STAT_MAX] = {
	[BPFWG_ENCRYPTED] = "encrypted",
	[BPFWG_DECRYPTED] = "decrypted",
	[BPFWG_DECRYPTED_PASS] = "decrypted-to-stack",
	[BPFWG_PASS_NO_KEY] = "pass:no-key",
	[BPFWG_PASS_HANDSHAKE] = "pass:handshake",
	[BPFWG_PASS_NO_PEER] = "pass:no-peer",
	[BPFWG_PASS_NO_ENDPOINT] = "pass:no-endpoint",
	[BPFWG_PASS_MTU] = "pass:mtu",
	[BPFWG_PASS_TTL] = "pass:ttl",
	[BPFWG_PASS_NO_NEIGH] = "pass:no-neigh",
	[BPFWG_PASS_FIB] = "pass:fib",
	[BPFWG_PASS_EGRESS] = "pass:egress",
	[BPFWG_PASS_CT] = "pass:conntrack",
	[BPFWG_PASS_NAT] = "pass:nat",
	[BPFWG_PASS_UNSUPPORTED] = "pass:unsupported",
	[BPFWG_PASS_NO_ROOM] = "pass:no-room",
	[BPFWG_PASS_ERROR] = "pass:error",
	[BPFWG_PASS_DSA_PORT] = "pass:dsa-port",
	[BPFWG_PASS_VLAN] = "pass:vlan",
	[BPFWG_PASS_CSUM] = "pass:csum",
	[BPFWG_PASS_RPF] = "pass:rpf",
	[BPFWG_PASS_MARTIAN] = "pass:martian",
	[BPFWG_PASS_MARK] = "pass:mark",
	[BPFWG_PASS_MANGLE] = "pass:mangle",
	[BPFWG_PASS_INGRESS] = "pass:ingress",
	[BPFWG_PASS_OUTER_CT] = "pass:outer-conntrack",
	[BPFWG_PASS_OUTER_NAT] = "pass:outer-nat",
	[BPFWG_DROP_KEEPALIVE] = "drop:keepalive",
	[BPFWG_DROP_INVALID] = "drop:invalid",
	[BPFWG_DROP_ERROR] = "drop:error",
	[BPFWG_DROP_REDIRECT] = "drop:redirect",
	[BPFWG_DROP_XMIT] = "drop:xmit",
	[BPFWG_DROP_CPUMAP] = "drop:cpumap",
	[BPFWG_DEC_LOCAL] = "decrypted-to-stack:local",
	[BPFWG_DEC_FIB] = "decrypted-to-stack:fib",
	[BPFWG_DEC_NO_NEIGH] = "decrypted-to-stack:no-neigh",
	[BPFWG_DEC_MTU] = "decrypted-to-stack:mtu",
	[BPFWG_DEC_TUNNEL] = "decrypted-to-stack:tunnel",
	[BPFWG_DEC_EGRESS] = "decrypted-to-stack:egress",
	[BPFWG_DEC_TTL] = "decrypted-to-stack:ttl",
	[BPFWG_DEC_MARTIAN] = "decrypted-to-stack:martian",
	[BPFWG_DEC_UNSUPPORTED] = "decrypted-to-stack:unsupported",
	[BPFWG_DEC_RPF] = "decrypted-to-stack:rpf",
	[BPFWG_DEC_CT] = "decrypted-to-stack:conntrack",
	[BPFWG_DEC_NAT] = "decrypted-to-stack:nat",
	[BPFWG_DEC_MARK] = "decrypted-to-stack:mark",
	[BPFWG_DEC_MANGLE] = "decrypted-to-stack:mangle",
};

const char *stat_name(enum bpfwg_stat stat)
{
	return stat_names[stat];
}

static bool btf_has_func(const struct btf *btf, const char *name)
{
	return btf && btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) > 0;
}

/*
 * A clear message instead of libbpf's when the kernel lacks the kfuncs,
 * and what else the datapath can use, from the kernel's BTF and its
 * modules' loaded by then: conntrack mode can carry TCP with the conntrack
 * kfuncs and bpf_ct_change_tcp_be_liberal(); TC redirects are followed up
 * where skb_do_redirect() can be traced.
 */
static int check_kernel(struct datapath *dp)
{
	struct btf *vmlinux, *wg = NULL, *ct = NULL;
	int ret = -1;

	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux) {
		pr_err("this kernel has no BTF (CONFIG_DEBUG_INFO_BTF): cannot load the datapath\n");
		return -1;
	}
	if (!btf_has_func(vmlinux, "bpf_xdp_csum")) {
		pr_err("this kernel has no bpf_xdp_csum() kfunc: it lacks the checksum kfuncs bpfwg needs\n");
		goto out;
	}
	if (!btf_has_func(vmlinux, "bpf_xdp_wg_encrypt")) {
		wg = btf__load_module_btf("wireguard", vmlinux);
		if (!wg) {
			pr_err("no WireGuard kfuncs: load the module first (modprobe wireguard), or the kernel lacks them\n");
			goto out;
		}
		if (!btf_has_func(wg, "bpf_xdp_wg_encrypt")) {
			pr_err("this kernel's WireGuard has no BPF kfuncs: it needs CONFIG_WIREGUARD_BPF=y\n");
			goto out;
		}
	}
	dp->ct_kfuncs = btf_has_func(vmlinux, "bpf_ct_change_tcp_be_liberal");
	if (!dp->ct_kfuncs) {
		ct = btf__load_module_btf("nf_conntrack", vmlinux);
		dp->ct_kfuncs = btf_has_func(ct, "bpf_ct_change_tcp_be_liberal");
	}
	dp->tc_redirect_traced = btf_has_func(vmlinux, "skb_do_redirect");
	ret = 0;
out:
	btf__free(ct);
	btf__free(wg);
	btf__free(vmlinux);
	return ret;
}

void datapath_warn_conntrack(const struct datapath *dp)
{
	if (!dp->ct_kfuncs)
		pr_warn("conntrack mode, but bpf_ct_change_tcp_be_liberal() was not there when bpfwg started (nf_conntrack not loaded yet, or a kernel without it): TCP flows take the stack, and every flow without nf_conntrack; start bpfwg again once it is loaded\n");
}

static void *read_file(const char *path, size_t *size)
{
	struct stat st;
	void *buf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !st.st_size) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	buf = malloc(st.st_size);
	if (buf && read(fd, buf, st.st_size) != st.st_size) {
		free(buf);
		buf = NULL;
		errno = EIO;
	}
	close(fd);
	*size = st.st_size;
	return buf;
}

static int read_sysctl(const char *path, int fallback)
{
	FILE *f = fopen(path, "r");
	int val;

	if (!f)
		return fallback;
	if (fscanf(f, "%d", &val) != 1)
		val = fallback;
	fclose(f);
	return val;
}

/* A conntrack timeout sysctl of the netns in ms, or @fallback seconds. */
static __u32 ct_timeout_ms(const char *name, int fallback)
{
	char path[128];
	int secs;

	snprintf(path, sizeof(path), "/proc/sys/net/netfilter/%s", name);
	secs = read_sysctl(path, fallback);
	if (secs <= 0)
		secs = fallback;
	return secs > UINT32_MAX / 1000 ? UINT32_MAX : secs * 1000U;
}

/* The configuration is where the skeleton writes it. */
static int check_rodata(struct bpfwg *skel)
{
	const struct btf *btf = bpf_object__btf(skel->obj);
	const struct btf_var_secinfo *vsi;
	const struct btf_type *sec, *var;
	int id, i;

	id = btf ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC) : -1;
	if (id < 0)
		return -EINVAL;
	sec = btf__type_by_id(btf, id);
	vsi = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vsi++) {
		var = btf__type_by_id(btf, vsi->type);
		if (strcmp(btf__name_by_offset(btf, var->name_off),
			   "bpfwg_config"))
			continue;
		if (vsi->offset != offsetof(struct bpfwg__rodata, bpfwg_config) ||
		    vsi->size != sizeof(struct bpfwg_config))
			return -EINVAL;
		return 0;
	}
	return -EINVAL;
}

/*
 * The skeleton gives typed access to the programs, maps and configuration;
 * its ELF bytes are replaced with those of @object, so that the object can
 * be rebuilt or swapped without rebuilding the loader. An object whose
 * configuration does not have the layout the loader knows is refused.
 */
/* The skeleton of the object in @buf, which must outlive it. */
static struct bpfwg *open_buf(void *buf, size_t size, const char *object)
{
	struct bpfwg *skel;
	int err = -ENOMEM;

	skel = calloc(1, sizeof(*skel));
	if (!skel)
		goto err;
	err = bpfwg__create_skeleton(skel);
	if (err)
		goto err;
	skel->skeleton->data = buf;
	skel->skeleton->data_sz = size;
	err = bpf_object__open_skeleton(skel->skeleton, NULL);
	if (err)
		goto err;
	err = check_rodata(skel);
	if (err)
		goto err;
	return skel;

err:
	bpfwg__destroy(skel);
	pr_err("%s is not a bpfwg datapath object matching this loader (%s)\n",
	       object, strerror(-err));
	return NULL;
}

static struct bpfwg *open_object(const char *object, void **elf,
				 size_t *size)
{
	struct bpfwg *skel;
	void *buf;

	buf = read_file(object, size);
	if (!buf) {
		pr_err("cannot read the BPF object %s: %s (use -o PATH)\n",
		       object, strerror(errno));
		return NULL;
	}
	skel = open_buf(buf, *size, object);
	if (!skel)
		free(buf);
	else
		*elf = buf;
	return skel;
}

/*
 * Whether interface @i gets its own xdp_wg_dev: native XDP (the kernel
 * binds no program in generic mode) without --rss, on a driver that gives
 * XDP the VLAN tags it strips. With --rss on such a driver, the RSS
 * program, bound to the device, passes frames with such a tag to the
 * stack (rss.bpf.c). Elsewhere a tag taken out of the frame before XDP
 * runs makes the frame look untagged: warn where that can happen, on a NIC
 * with rx VLAN offload on and on any veth, whose peer's tx VLAN offload
 * decides.
 */
static bool vlan_meta(const struct args *args, const __u64 *features, int i,
		      int fd, bool *blind)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ethtool_value ev = { .cmd = ETHTOOL_GFLAGS };
	struct ifreq ifr = {};
	bool veth = false, rxvlan = false;
	const char *how;

	if ((args->hook == HOOK_XDP || args->hook == HOOK_XDP_NATIVE) &&
	    (features[i] & NETDEV_XDP_RX_METADATA_VLAN_TAG))
		return !args->rss;
	if (fd < 0)
		return false;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", args->ifnames[i]);
	ifr.ifr_data = (void *)&info;
	if (!ioctl(fd, SIOCETHTOOL, &ifr))
		veth = !strcmp(info.driver, "veth");
	ifr.ifr_data = (void *)&ev;
	if (!ioctl(fd, SIOCETHTOOL, &ifr))
		rxvlan = ev.data & ETH_FLAG_RXVLAN;
	how = args->rss ? "--rss" : hook_name(args->hook);
	*blind = veth || rxvlan;
	if (veth)
		pr_warn("%s can take VLAN tags out of frames (its peer's tx-vlan-offload), and %s cannot see them: such frames look untagged, as the port's own, and bpfwg stops if %s gets a VLAN device. Use xdpnative%s or tc\n",
			args->ifnames[i], how, args->ifnames[i],
			args->rss ? " without --rss" : "");
	else if (rxvlan)
		pr_warn("%s can take VLAN tags out of frames (rx-vlan-offload), and %s cannot see them: such frames look untagged, as the port's own, and bpfwg stops if %s gets a VLAN device. Use tc, or 'ethtool -K %s rxvlan off'\n",
			args->ifnames[i], how, args->ifnames[i], args->ifnames[i]);
	return false;
}

/*
 * Which interfaces get their own xdp_wg_dev (vlan_meta()), in
 * dp->dev_bound: the number of those that do not, which the shared xdp_wg
 * serves.
 */
static int pick_devs(struct datapath *dp, const struct args *args)
{
	__u64 features[MAX_IFACES] = {};
	int err, fd, i, shared = 0;

	if (args->hook == HOOK_TC || args->rss_only)
		return args->n_ifaces;
	err = nl_xdp_rx_metadata(args->ifindexes, args->n_ifaces, features);
	if (err)
		pr_warn("asking the drivers about XDP RX metadata (netdev netlink family) failed: %s\n",
			strerror(-err));
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	for (i = 0; i < args->n_ifaces; i++) {
		bool blind = false;

		dp->dev_bound[i] = vlan_meta(args, features, i, fd, &blind);
		shared += !dp->dev_bound[i];
		if (blind)
			dp->blind[dp->n_blind++] = args->ifindexes[i];
	}
	if (fd >= 0)
		close(fd);
	return shared;
}

/* An xdp_wg_dev for interface @i, in a second object sharing every map. */
static int load_dev(struct datapath *dp, const struct args *args,
		    const char *object, int i)
{
	struct bpf_program *prog, *p;
	struct bpf_map *map, *orig;
	struct bpfwg *skel;
	int err = 0;

	/* From the main object's ELF, never a file rebuilt since. Its maps
	 * are the main object's: skel->bss and skel->rodata are not.
	 */
	skel = open_buf(dp->elf, dp->elf_size, object);
	if (!skel)
		return -1;
	dp->dev[i] = skel;
	prog = skel->progs.xdp_wg_dev;
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, p == prog);
	bpf_program__set_ifindex(prog, args->ifindexes[i]);
	bpf_program__set_flags(prog, bpf_program__flags(prog) |
				     BPF_F_XDP_DEV_BOUND_ONLY);
	bpf_object__for_each_map(map, skel->obj) {
		orig = bpf_object__find_map_by_name(dp->skel->obj,
						    bpf_map__name(map));
		err = orig ? bpf_map__reuse_fd(map, bpf_map__fd(orig)) :
			     -ENOENT;
		if (err)
			break;
	}
	err = err ?: bpfwg__load(skel);
	if (err)
		pr_err("loading the datapath for %s failed: %s (run with -l verbose for the verifier log)\n",
		       args->ifnames[i], strerror(-err));
	return err;
}

/* The xdp_wg_dev of the interfaces pick_devs() picked. */
static int load_devs(struct datapath *dp, const struct args *args,
		     const char *object)
{
	int i;

	for (i = 0; i < args->n_ifaces; i++) {
		if (!dp->dev_bound[i])
			continue;
		if (load_dev(dp, args, object, i))
			return -1;
		pr_debug("%s: reads the VLAN tags its driver strips\n",
			 args->ifnames[i]);
	}
	return 0;
}

/* Configures the opened object for @args and loads it: 0 or -errno. */
static int load_object(struct datapath *dp, const struct args *args,
		       int shared)
{
	struct bpfwg_config *cfg;

	cfg = &dp->skel->rodata->bpfwg_config;
	cfg->udp_csum4 = !args->udp_csum_off;
	datapath_set_modes(dp, args->conntrack, args->rules);
	/* The kernel's defaults when conntrack is not loaded yet. */
	cfg->ct_tcp_established =
		ct_timeout_ms("nf_conntrack_tcp_timeout_established", 432000);
	cfg->ct_udp = ct_timeout_ms("nf_conntrack_udp_timeout", 30);
	cfg->ct_udp_stream = ct_timeout_ms("nf_conntrack_udp_timeout_stream",
					   120);
	cfg->dsa = args->dsa;
	/* XDP's checks against the devices the loader keeps in maps. */
	cfg->dst_mac = args->hook != HOOK_TC && !args->rss_only;
	cfg->ttl4 = read_sysctl("/proc/sys/net/ipv4/ip_default_ttl", 64);
	cfg->hop_limit6 =
		read_sysctl("/proc/sys/net/ipv6/conf/default/hop_limit", 64);
	/* Generic XDP and TC can redirect to any device; --rss-only does
	 * not redirect to devices.
	 */
	cfg->xdp_tx_ports = args->hook != HOOK_TC &&
			    args->hook != HOOK_XDP_GENERIC && !args->rss_only;
	bpf_program__set_autoload(dp->skel->progs.tc_wg,
				  args->hook == HOOK_TC);
	/* With --rss, the RSS programs run on the interfaces and the
	 * datapath in the cpumap entries they redirect into; with
	 * --rss-only, no datapath at all. xdp_wg serves the interfaces
	 * without an xdp_wg_dev of their own: verified only if there is one.
	 */
	bpf_program__set_autoload(dp->skel->progs.xdp_wg,
				  args->hook != HOOK_TC && !args->rss && shared);
	bpf_program__set_autoload(dp->skel->progs.xdp_wg_dev, false);
	bpf_program__set_autoload(dp->skel->progs.xdp_wg_cpumap,
				  args->rss && !args->rss_only);
	/* Failed XDP redirects, from the tracepoints (see bpfwg.bpf.c). */
	bpf_program__set_autoload(dp->skel->progs.bpfwg_redirect_err,
				  args->hook != HOOK_TC);
	bpf_program__set_autoload(dp->skel->progs.bpfwg_devmap_xmit,
				  args->hook != HOOK_TC);
	bpf_program__set_autoload(dp->skel->progs.bpfwg_cpumap_enqueue,
				  args->rss);
	/* Failed TC redirects, where the kernel can trace the function. */
	bpf_program__set_autoload(dp->skel->progs.bpfwg_tc_redirect,
				  args->hook == HOOK_TC &&
				  dp->tc_redirect_traced);

	return bpfwg__load(dp->skel);
}

int datapath_open(struct datapath *dp, const struct args *args,
		  const char *object, const struct nf_ruleset *nf)
{
	int err, shared;

	memset(dp, 0, sizeof(*dp));
	dp->nf = nf;
	dp->n_cpus = libbpf_num_possible_cpus();
	if (dp->n_cpus < 0) {
		pr_err("cannot count the CPUs: %s\n", strerror(-dp->n_cpus));
		return -1;
	}
	dp->skel = open_object(object, &dp->elf, &dp->elf_size);
	if (!dp->skel || check_kernel(dp))
		return -1;
	shared = pick_devs(dp, args);

	err = load_object(dp, args, shared);
	if (err && err != -EPERM && args->hook == HOOK_TC &&
	    dp->tc_redirect_traced) {
		/* No BPF trampoline (an architecture without one, a kernel
		 * without ftrace): again without bpfwg_tc_redirect, which
		 * attach_tc_tracing() then says.
		 */
		pr_debug("loading with fexit/skb_do_redirect failed (%s): again without it\n",
			 strerror(-err));
		bpfwg__destroy(dp->skel);
		dp->skel = open_buf(dp->elf, dp->elf_size, object);
		if (!dp->skel)
			return -1;
		dp->tc_redirect_traced = false;
		err = load_object(dp, args, shared);
	}
	if (err == -EPERM) {
		pr_err("loading the datapath was not permitted: it needs CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN (run bpfwg as root)\n");
		return -1;
	}
	if (err) {
		pr_err("loading the datapath failed: %s (run with -l verbose for the verifier log)\n",
		       strerror(-err));
		return -1;
	}
	if (load_devs(dp, args, object) || (args->rss && rss_load(dp, args)))
		return -1;
	dp->check_bypass = !args->rss_only;
	err = datapath_sync_fwmarks(dp) ?: datapath_sync_links(dp) ?:
	      datapath_sync_rp_filter(dp);
	if (!err && !dp->n_wg && !args->rss_only)
		pr_warn("no WireGuard device in this network namespace yet: nothing is carried until there is one (ip link add wg0 type wireguard)\n");
	return err;
}

static __u32 xdp_flags(const struct args *args)
{
	switch (args->hook) {
	case HOOK_XDP_GENERIC:
		return XDP_FLAGS_SKB_MODE;
	case HOOK_XDP_NATIVE:
		return XDP_FLAGS_DRV_MODE;
	case HOOK_XDP_OFFLOAD:
		return XDP_FLAGS_HW_MODE;
	default:
		/* No silent fallback to generic XDP, which --rss refuses. */
		return args->rss ? XDP_FLAGS_DRV_MODE : 0;
	}
}

static const char *attach_hint(const struct args *args, int err)
{
	if (args->hook == HOOK_TC)
		return "";
	if (err == EEXIST || err == EBUSY)
		return " (it has an XDP program: 'ip link set dev DEV xdp off' if a leftover)";
	if ((err == EOPNOTSUPP || err == EINVAL) && args->rss)
		return " (--rss needs native XDP, which the driver lacks)";
	if (err == EOPNOTSUPP || err == EINVAL)
		return " (the driver lacks this XDP mode: try xdp, xdpgeneric or tc)";
	return "";
}

static __u32 prog_id(const struct bpf_program *prog)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_program__fd(prog) < 0 ||
	    bpf_prog_get_info_by_fd(bpf_program__fd(prog), &info, &len))
		return 0;
	return info.id;
}

/* Linux 5.14, but not in the tools/include/uapi copy of older trees. */
#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

/* The cookie of the network namespace bpfwg runs in. */
static int netns_cookie(__u64 *cookie)
{
	socklen_t len = sizeof(*cookie);
	int fd, err = 0;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len))
		err = -errno;
	if (fd >= 0)
		close(fd);
	return err;
}

/* XDP: count the redirects the kernel failed to carry out. */
static int attach_tracing(struct datapath *dp, const struct args *args)
{
	struct bpf_program *progs[] = {
		dp->skel->progs.bpfwg_redirect_err,
		dp->skel->progs.bpfwg_devmap_xmit,
		dp->skel->progs.bpfwg_cpumap_enqueue,
	};
	__u32 ids[MAX_IFACES + 2];
	int n_ids = 0;
	__u8 one = 1;
	int err;
	size_t i;

	ids[n_ids++] = prog_id(dp->skel->progs.xdp_wg);
	ids[n_ids++] = prog_id(dp->skel->progs.xdp_wg_cpumap);
	for (i = 0; i < (size_t)args->n_ifaces; i++)
		if (dp->dev[i])
			ids[n_ids++] = prog_id(dp->dev[i]->progs.xdp_wg_dev);
	while (n_ids--) {
		if (ids[n_ids] &&
		    bpf_map_update_elem(bpf_map__fd(dp->skel->maps.bpfwg_progs),
					&ids[n_ids], &one, 0)) {
			pr_err("filling the program map failed: %s\n",
			       strerror(errno));
			return -1;
		}
	}
	if (args->rss)
		dp->skel->bss->bpfwg_cpumap_id = rss_cpumap_id(dp);
	err = netns_cookie(&dp->skel->bss->bpfwg_netns_cookie);
	if (err) {
		pr_err("reading the network namespace cookie failed: %s\n",
		       strerror(-err));
		return -1;
	}
	for (i = 0; i < (size_t)args->n_ifaces; i++) {
		if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.bpfwg_ifaces),
					&args->ifindexes[i], &one, 0)) {
			pr_err("filling the interface map failed: %s\n",
			       strerror(errno));
			return -1;
		}
	}
	for (i = 0; i < ARRAY_SIZE(progs); i++) {
		if (!bpf_program__autoload(progs[i]))
			continue;
		dp->tracing[dp->n_tracing] = bpf_program__attach(progs[i]);
		if (!dp->tracing[dp->n_tracing]) {
			pr_err("attaching %s failed: %s\n",
			       bpf_program__name(progs[i]), strerror(errno));
			return -1;
		}
		dp->n_tracing++;
	}
	return 0;
}

/* TC: count the redirects the kernel failed to carry out. */
static int attach_tc_tracing(struct datapath *dp)
{
	struct bpf_program *prog = dp->skel->progs.bpfwg_tc_redirect;

	if (!bpf_program__autoload(prog)) {
		pr_warn("skb_do_redirect() cannot be traced in this kernel: TC redirects the egress device refuses are not counted\n");
		return 0;
	}
	dp->tracing[dp->n_tracing] = bpf_program__attach(prog);
	if (!dp->tracing[dp->n_tracing]) {
		pr_warn("attaching %s failed (%s): TC redirects the egress device refuses are not counted\n",
			bpf_program__name(prog), strerror(errno));
		return 0;
	}
	dp->n_tracing++;
	return 0;
}

int datapath_attach(struct datapath *dp, const struct args *args)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	enum bpf_attach_type type = BPF_XDP;
	int prog_fd = bpf_program__fd(dp->skel->progs.xdp_wg);
	int i, fd;

	if (args->hook == HOOK_TC) {
		prog_fd = bpf_program__fd(dp->skel->progs.tc_wg);
		type = BPF_TCX_INGRESS;
		/* Before the first redirect (see bpfwg_tc_redirect). */
		if (attach_tc_tracing(dp))
			return -1;
	} else {
		opts.flags = xdp_flags(args);
	}
	for (i = 0; i < args->n_ifaces; i++) {
		if (dp->skel->rodata->bpfwg_config.xdp_tx_ports &&
		    bpf_map_update_elem(bpf_map__fd(dp->skel->maps.bpfwg_tx_ports),
					&args->ifindexes[i], &args->ifindexes[i], 0)) {
			pr_err("adding %s to the XDP egress interfaces failed: %s\n",
			       args->ifnames[i], strerror(errno));
			return -1;
		}
		if (args->rss)
			prog_fd = rss_prog_fd(dp, i);
		else if (dp->dev[i])
			prog_fd = bpf_program__fd(dp->dev[i]->progs.xdp_wg_dev);
		else if (args->hook != HOOK_TC)
			prog_fd = bpf_program__fd(dp->skel->progs.xdp_wg);
		fd = bpf_link_create(prog_fd, args->ifindexes[i], type, &opts);
		if (fd < 0) {
			pr_err("attaching to %s (%s) failed: %s%s\n",
			       args->ifnames[i], hook_name(args->hook),
			       strerror(errno), attach_hint(args, errno));
			return -1;
		}
		dp->link_fds[dp->n_links++] = fd;
		pr_debug("attached %s to %s\n", hook_name(args->hook),
			 args->ifnames[i]);
	}
	return args->hook == HOOK_TC ? 0 : attach_tracing(dp, args);
}

/* DSA mode: the ports of the conduits bpfwg attaches to (see bpfwg.h). */
int datapath_set_dsa(struct datapath *dp, const struct dsa_topology *topo)
{
	int rx = bpf_map__fd(dp->skel->maps.bpfwg_dsa_rx);
	int tx = bpf_map__fd(dp->skel->maps.bpfwg_dsa_tx);
	const struct dsa_conduit *c;
	const struct dsa_link *l;
	struct bpfwg_dsa_rx_key key;
	struct bpfwg_dsa_tx val;
	__u32 user;
	int i, j;

	for (i = 0; i < topo->n_conduits; i++) {
		c = &topo->conduits[i];
		if (!c->used)
			continue;
		key.conduit = c->ifindex;
		for (key.port = 0; key.port < DSA_RX_PORTS; key.port++) {
			user = 0;
			for (j = 0; j < topo->n_links && c->served[key.port]; j++) {
				l = &topo->links[j];
				if (l->conduit == c->ifindex && !l->lower &&
				    l->port == (int)key.port)
					user = l->ifindex;
			}
			if (bpf_map_update_elem(rx, &key, &user, BPF_ANY))
				goto err;
		}
		for (j = 0; j < topo->n_links; j++) {
			l = &topo->links[j];
			if (l->conduit != c->ifindex || l->port < 0 ||
			    l->port >= DSA_TX_PORTS)
				continue;
			val = (struct bpfwg_dsa_tx){
				.conduit = c->ifindex,
				.vid = l->vid,
				.vlan = l->vlan,
				.port = l->port,
			};
			if (bpf_map_update_elem(tx, &l->ifindex, &val, BPF_ANY))
				goto err;
		}
	}
	return 0;
err:
	pr_err("filling the DSA maps failed: %s\n", strerror(errno));
	return -1;
}

void datapath_set_modes(struct datapath *dp, bool conntrack, __u32 rules)
{
	/* Shared by every object of the datapath (load_dev()); one word,
	 * which each packet reads once.
	 */
	__atomic_store_n(&dp->skel->bss->bpfwg_mode,
			 rules | (conntrack ? BPFWG_MODE_CONNTRACK : 0) |
			 (dp->nf->nat4 ? BPFWG_MODE_OUTER_NAT4 : 0) |
			 (dp->nf->nat6 ? BPFWG_MODE_OUTER_NAT6 : 0),
			 __ATOMIC_RELEASE);
}

/*
 * Deletes the keys of @map (at most 64 bytes each, at most MAX_STALE at a
 * time, the rest at the next sync) that @keep does not keep: listed
 * first, then deleted, as deleting the key a walk stands on makes it
 * start over.
 */
#define MAX_STALE	256

static void map_prune(int map, bool (*keep)(const void *key, const void *data),
		      const void *data)
{
	static __u8 stale[MAX_STALE][64];
	__u8 key[64], next[64];
	void *prev = NULL;
	int n = 0, i;

	while (n < MAX_STALE && !bpf_map_get_next_key(map, prev, next)) {
		if (!keep(next, data))
			memcpy(stale[n++], next, sizeof(next));
		memcpy(key, next, sizeof(key));
		prev = key;
	}
	for (i = 0; i < n; i++)
		bpf_map_delete_elem(map, stale[i]);
}

struct wg_devs {
	struct wg_dev d[MAX_WG_DEVICES];
	int n;
};

static bool wg_listed(const void *key, const void *data)
{
	const struct wg_devs *devs = data;
	int i;

	for (i = 0; i < devs->n; i++)
		if (devs->d[i].ifindex == *(const __u32 *)key)
			return true;
	return false;
}

int datapath_sync_fwmarks(struct datapath *dp)
{
	int map = bpf_map__fd(dp->skel->maps.bpfwg_fwmark);
	static struct wg_devs devs;
	int n, i;

	n = wg_devices(devs.d, MAX_WG_DEVICES);
	if (n < 0) {
		pr_err("listing the WireGuard devices failed: %s\n",
		       strerror(-n));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (bpf_map_update_elem(map, &devs.d[i].ifindex,
					&devs.d[i].fwmark, BPF_ANY)) {
			pr_err("updating the fwmark map failed: %s\n",
			       strerror(errno));
			return -1;
		}
	}
	devs.n = n;
	dp->n_wg = n;
	map_prune(map, wg_listed, &devs);	/* devices that went away */
	return 0;
}

#define MAX_RPF		1024	/* bpfwg_rp_filter's size */

struct u32_list {
	__u32 v[MAX_RPF];
	int n;
};

/* Whether the u32 at @key is one of the @n of @v. */
static bool u32_in(const __u32 *v, int n, const void *key)
{
	int i;

	for (i = 0; i < n; i++)
		if (v[i] == *(const __u32 *)key)
			return true;
	return false;
}

static bool u32_listed(const void *key, const void *data)
{
	const struct u32_list *l = data;

	return u32_in(l->v, l->n, key);
}

/*
 * IPv4: the reverse path filter of every interface of the netns into
 * bpfwg_rp_filter, the greater of conf/all and conf/DEV as the kernel
 * applies them; interfaces without one are left out. The others (new ones
 * until the next sync) get the greater of conf/all and conf/default, and
 * if the map cannot hold every interface, the stack.
 */
int datapath_sync_rp_filter(struct datapath *dp)
{
	static const char conf[] = "/proc/sys/net/ipv4/conf";
	int map = bpf_map__fd(dp->skel->maps.bpfwg_rp_filter);
	static struct u32_list keys;
	__u32 key, val;
	int all, other;
	bool full = false;
	static bool warned;
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;

	d = opendir(conf);
	if (!d)
		return 0;	/* no IPv4, nothing to filter */
	keys.n = 0;
	all = read_sysctl("/proc/sys/net/ipv4/conf/all/rp_filter", 0);
	other = read_sysctl("/proc/sys/net/ipv4/conf/default/rp_filter", 0);
	if (other < all)
		other = all;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "all") ||
		    !strcmp(e->d_name, "default"))
			continue;
		key = if_nametoindex(e->d_name);
		snprintf(path, sizeof(path), "%s/%s/rp_filter", conf, e->d_name);
		val = read_sysctl(path, 0);
		if (val < (__u32)all)
			val = all;
		if (!key || !val)
			continue;
		if (keys.n == MAX_RPF) {
			if (!warned)
				pr_warn("more than %d interfaces with rp_filter: the fast path leaves the others' IPv4 to the stack\n",
					MAX_RPF);
			warned = true;
			full = true;
			break;
		}
		if (bpf_map_update_elem(map, &key, &val, BPF_ANY)) {
			pr_err("updating the rp_filter map failed: %s\n",
			       strerror(errno));
			closedir(d);
			return -1;
		}
		keys.v[keys.n++] = key;
	}
	closedir(d);
	dp->skel->bss->bpfwg_rp_filter_other = full ? BPFWG_RPF_UNKNOWN : other;
	map_prune(map, u32_listed, &keys);	/* gone, or no filter now */
	return 0;
}

#define MAX_VLANS	4096

#define MAX_DEVS	4096	/* bpfwg_devs' size */

/* The devices of the netns, and the VLAN devices' tags. */
struct links {
	struct bpfwg_vlan_key keys[MAX_VLANS];
	__u32 vlan_devs[MAX_VLANS];
	int n_vlans;
	__u32 ifindex[MAX_DEVS];
	__u32 lower[MAX_DEVS];	/* IFLA_LINK: a VLAN's port, a DSA conduit */
	bool wg[MAX_DEVS];	/* a WireGuard device */
	char name[MAX_DEVS][IF_NAMESIZE];
	struct bpfwg_dev devs[MAX_DEVS];	/* addresses, then flags */
	int n;
	bool full;
};

static int links_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct links *v = data;
	struct link_attrs a;
	int i = v->n;

	nl_link_attrs(nlh, &a);
	if (i == MAX_DEVS) {
		v->full = true;
	} else {
		v->ifindex[i] = ifi->ifi_index;
		v->lower[i] = a.link;
		v->wg[i] = a.kind && !strcmp(a.kind, "wireguard");
		snprintf(v->name[i], sizeof(v->name[0]), "%s", a.name ?: "");
		memset(&v->devs[i], 0, sizeof(v->devs[i]));
		if (a.addr && a.addr_len == ETH_ALEN) {
			memcpy(v->devs[i].addr, a.addr, ETH_ALEN);
			v->devs[i].flags = BPFWG_DEV_MAC;
		}
		v->n++;
	}
	/* VID 0 too: a VLAN device takes priority tags from its port. */
	if (!a.kind || strcmp(a.kind, "vlan") || !a.link ||
	    v->n_vlans == MAX_VLANS)
		return MNL_CB_OK;
	v->keys[v->n_vlans] = (struct bpfwg_vlan_key){
		.ifindex = a.link,
		.vid = a.vid,
		.proto = a.vlan_proto ?: htons(ETH_P_8021Q),
	};
	v->vlan_devs[v->n_vlans++] = ifi->ifi_index;
	return MNL_CB_OK;
}

static bool vlan_known(const void *key, const void *data)
{
	const struct links *v = data;
	int i;

	for (i = 0; i < v->n_vlans; i++)
		if (!memcmp(&v->keys[i], key, sizeof(v->keys[i])))
			return true;
	return false;
}

/* A device of @v with an entry in bpfwg_devs. */
static bool dev_known(const void *key, const void *data)
{
	const struct links *v = data;
	int i;

	for (i = 0; i < v->n; i++)
		if (v->ifindex[i] == *(const __u32 *)key)
			return v->devs[i].flags;
	return false;
}

/*
 * A VLAN device (@i of @v) on a port where the datapath cannot see tags the
 * device takes out of frames (vlan_meta()): that VLAN's frames would be
 * routed as the port's own, past what the VLAN device's routes and filters
 * decide. Refuse to start, or stop (detaching hands everything to the
 * stack): whether, with a message.
 */
static bool vlan_blind(const struct datapath *dp, const struct links *v,
		       int i)
{
	char port[IF_NAMESIZE] = "?", vlan[IF_NAMESIZE] = "?";
	int j;

	for (j = 0; j < dp->n_blind; j++) {
		if (dp->blind[j] != v->keys[i].ifindex)
			continue;
		if_indextoname(dp->blind[j], port);
		if_indextoname(v->vlan_devs[i], vlan);
		pr_err("%s has a VLAN device, %s, and can take VLAN tags out of frames where this datapath cannot see them: they would be routed as %s's own. Stopping; use xdpnative on a driver that gives XDP the tags, or tc (on a NIC, or turn rx-vlan-offload off)\n",
		       port, vlan, port);
		return true;
	}
	return false;
}

#define MAX_DEVSET	256	/* devices with ingress or egress bypassed */

/*
 * Qdiscs an XDP redirect may bypass: they neither shape nor classify, and
 * are on every device by default (or queue nothing). The frames of a
 * redirect leave through the driver's own ring, without the device's
 * queue; the rest (cake, htb, tbf, hfsc, netem, prio, fq...) would not
 * apply.
 */
static const char * const plain_qdiscs[] = {
	"noqueue", "noop", "mq", "pfifo_fast", "pfifo", "bfifo", "fq_codel",
	"sfq", "codel", "pie", "fq_pie", "ingress", "clsact",
};

/* Devices, each with why it is in the set. */
struct devset {
	__u32 dev[MAX_DEVSET];
	char why[MAX_DEVSET][64];
	int n;
};

static bool devset_has(const struct devset *d, __u32 dev)
{
	return u32_in(d->dev, d->n, &dev);
}

static void devset_add(struct devset *d, __u32 dev, const char *why)
{
	if (!dev || devset_has(d, dev))
		return;
	if (d->n == MAX_DEVSET) {
		pr_warn("more than %d devices with their own qdiscs or filters: those past it are not checked\n",
			MAX_DEVSET);
		return;
	}
	d->dev[d->n] = dev;
	snprintf(d->why[d->n++], sizeof(d->why[0]), "%s", why);
}

/* What the datapath would bypass, from the qdiscs and filters. */
struct bypass {
	struct devset tx;	/* egress an XDP redirect would bypass */
	struct devset tx_tc;	/* ... a TC redirect (and encryption) */
	struct devset rx;	/* BPFWG_DEV_NO_RX: ingress bpfwg runs before */
	__u32 filtered[MAX_DEVSET];	/* a clsact or ingress qdisc */
	bool clsact[MAX_DEVSET];
	int n_filtered;
};

static int qdisc_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct tcmsg *tc = mnl_nlmsg_get_payload(nlh);
	struct bypass *b = data;
	const struct nlattr *attr;
	const char *kind = NULL;
	char why[64];
	size_t i;

	mnl_attr_for_each(attr, nlh, sizeof(*tc))
		if (mnl_attr_get_type(attr) == TCA_KIND &&
		    !mnl_attr_validate(attr, MNL_TYPE_NUL_STRING))
			kind = mnl_attr_get_str(attr);
	if (!kind)
		return MNL_CB_OK;
	if ((!strcmp(kind, "clsact") || !strcmp(kind, "ingress")) &&
	    b->n_filtered < MAX_DEVSET) {
		b->clsact[b->n_filtered] = !strcmp(kind, "clsact");
		b->filtered[b->n_filtered++] = tc->tcm_ifindex;
	}
	for (i = 0; i < ARRAY_SIZE(plain_qdiscs); i++)
		if (!strcmp(kind, plain_qdiscs[i]))
			return MNL_CB_OK;
	snprintf(why, sizeof(why), "a %s qdisc", kind);
	devset_add(&b->tx, tc->tcm_ifindex, why);
	return MNL_CB_OK;
}

static int filter_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct tcmsg *tc = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	bool *any = data;

	mnl_attr_for_each(attr, nlh, sizeof(*tc))
		if (mnl_attr_get_type(attr) == TCA_KIND)
			*any = true;
	return MNL_CB_OK;
}

/* Whether @ifindex has tc filters in @dir (TC_H_MIN_INGRESS, _EGRESS):
 * a dump that fails counts as filters.
 */
static bool tc_filters(__u32 ifindex, __u32 dir)
{
	bool any = false;

	return nl_dump_filters(ifindex, TC_H_MAKE(TC_H_CLSACT, dir), filter_cb,
			       &any) || any;
}

/* Whether @ifindex has tcx programs of @type other than @own's. */
static bool tcx_others(__u32 ifindex, enum bpf_attach_type type, __u32 own)
{
	LIBBPF_OPTS(bpf_prog_query_opts, q);
	__u32 ids[64];
	__u32 i;

	q.prog_ids = ids;
	q.count = ARRAY_SIZE(ids);
	if (bpf_prog_query_opts(ifindex, type, &q))
		return errno != ENOENT && errno != EINVAL;
	for (i = 0; i < q.count && i < ARRAY_SIZE(ids); i++)
		if (ids[i] != own)
			return true;
	return false;
}

/* Tells what changed in @now since @told; @now then in @told. */
static void tell_devset(const struct devset *now, struct devset *told,
			const char *came, const char *went)
{
	char name[IF_NAMESIZE];
	int i, j;

	for (i = 0; i < now->n; i++) {
		for (j = 0; j < told->n && told->dev[j] != now->dev[i]; j++)
			;
		if (j < told->n && !strcmp(told->why[j], now->why[i]))
			continue;	/* told already */
		if (!if_indextoname(now->dev[i], name))
			snprintf(name, sizeof(name), "ifindex %u", now->dev[i]);
		pr_info(came, name, now->why[i]);
	}
	for (j = 0; j < told->n; j++)
		if (!devset_has(now, told->dev[j]) &&
		    if_indextoname(told->dev[j], name))
			pr_info(went, name);
	*told = *now;
}

/*
 * What the datapath would bypass on the devices of @v, into their flags.
 * BPFWG_DEV_NO_RX (XDP and TC): devices with tc ingress filters (SQM's
 * ingress shaping, a mirred redirect to an ifb), tcx ingress programs
 * other than bpfwg's, or nftables ingress chains, which run after XDP and
 * after bpfwg's tcx program: packets that arrive there take the stack.
 * BPFWG_DEV_NO_TX: devices whose egress the fast path would bypass. XDP: a
 * qdisc not in plain_qdiscs, tc egress filters, tcx egress programs,
 * nftables egress chains, or a device below with one of those (a VLAN
 * device's port, a DSA user port's conduit, whose queue its frames also
 * cross). TC: nftables egress chains, which dev_queue_xmit() skips for
 * what tc ingress redirects (nf_skip_egress). WireGuard devices, which the
 * fast path stands in for as it encrypts and decrypts: their ingress and
 * egress, as XDP's, in either hook. Tells what changed.
 */
static struct bypass b;

static int find_bypass(struct datapath *dp, struct links *v)
{
	__u32 own = prog_id(dp->skel->progs.tc_wg);
	bool xdp = dp->skel->rodata->bpfwg_config.dst_mac;
	struct devset *tx = xdp ? &b.tx : &b.tx_tc;
	const char *in_why = "nftables ingress chains";
	const char *out_why = "nftables egress chains";
	int ret, i, j, pass;

	if (dp->nf->unreadable) {
		in_why = "an nftables ruleset bpfwg cannot read";
		out_why = in_why;
	}
	b.tx.n = 0;
	b.tx_tc.n = 0;
	b.rx.n = 0;
	b.n_filtered = 0;
	ret = nl_dump_qdiscs(qdisc_cb, &b);
	if (ret) {
		pr_err("listing the qdiscs failed: %s\n", strerror(-ret));
		return -1;
	}
	for (i = 0; i < b.n_filtered; i++) {
		if (tc_filters(b.filtered[i], TC_H_MIN_INGRESS))
			devset_add(&b.rx, b.filtered[i], "tc ingress filters");
		if (b.clsact[i] && tc_filters(b.filtered[i], TC_H_MIN_EGRESS))
			devset_add(&b.tx, b.filtered[i], "tc egress filters");
	}
	for (i = 0; i < v->n; i++) {
		if (tcx_others(v->ifindex[i], BPF_TCX_INGRESS, own))
			devset_add(&b.rx, v->ifindex[i], "tcx ingress programs");
		if (tcx_others(v->ifindex[i], BPF_TCX_EGRESS, 0))
			devset_add(&b.tx, v->ifindex[i], "tcx egress programs");
		if (nf_hook_dev(&dp->nf->ingress, v->name[i]))
			devset_add(&b.rx, v->ifindex[i], in_why);
		if (nf_hook_dev(&dp->nf->egress, v->name[i])) {
			devset_add(&b.tx, v->ifindex[i], out_why);
			devset_add(&b.tx_tc, v->ifindex[i], out_why);
		}
	}
	/* Below a VLAN device on a DSA user port, two levels. */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < v->n; i++)
			if (devset_has(&b.tx, v->lower[i]))
				devset_add(&b.tx, v->ifindex[i],
					   "a device below it that XDP would bypass");
	for (i = 0; i < v->n && !xdp; i++) {
		if (!v->wg[i] || !devset_has(&b.tx, v->ifindex[i]))
			continue;
		for (j = 0; b.tx.dev[j] != v->ifindex[i]; j++)
			;
		devset_add(&b.tx_tc, v->ifindex[i], b.tx.why[j]);
	}
	for (i = 0; i < v->n; i++) {
		if (devset_has(&b.rx, v->ifindex[i]))
			v->devs[i].flags |= BPFWG_DEV_NO_RX;
		if (devset_has(tx, v->ifindex[i]))
			v->devs[i].flags |= BPFWG_DEV_NO_TX;
	}
	return 0;
}

/* What find_bypass() found and changed, once the datapath has it. */
static void tell_bypass(struct datapath *dp)
{
	static struct devset told_tx, told_rx;
	bool xdp = dp->skel->rodata->bpfwg_config.dst_mac;

	tell_devset(&b.rx, &told_rx,
		    "%s has %s, which bpfwg would run before: packets that arrive there take the stack (pass:ingress)\n",
		    "%s: bpfwg carries what arrives there again\n");
	tell_devset(xdp ? &b.tx : &b.tx_tc, &told_tx,
		    "%s has %s, which the fast path would bypass: packets routed there take the stack (pass:egress)\n",
		    "%s: the fast path sends there again\n");
}

/*
 * The VLAN devices of the netns into bpfwg_vlans (XDP), and what the
 * datapath needs of each device into bpfwg_devs (see bpfwg.h): their
 * Ethernet addresses (XDP), and the ingress and egress it would bypass.
 */
int datapath_sync_links(struct datapath *dp)
{
	int vlans = bpf_map__fd(dp->skel->maps.bpfwg_vlans);
	int devs = bpf_map__fd(dp->skel->maps.bpfwg_devs);
	bool xdp = dp->skel->rodata->bpfwg_config.dst_mac;
	static struct links v;
	static bool warned;
	int ret, i;

	v.n_vlans = 0;
	v.n = 0;
	v.full = false;
	ret = nl_dump_links(links_cb, &v);
	if (ret) {
		pr_err("listing the devices failed: %s\n", strerror(-ret));
		return -1;
	}
	if (!xdp)
		for (i = 0; i < v.n; i++)
			v.devs[i].flags = 0;
	if (dp->check_bypass && find_bypass(dp, &v))
		return -1;
	/* Devices that went away, first: room for new ones. */
	map_prune(vlans, vlan_known, &v);
	map_prune(devs, dev_known, &v);
	for (i = 0; i < v.n_vlans; i++) {
		if (vlan_blind(dp, &v, i))
			return -1;
		if (bpf_map_update_elem(vlans, &v.keys[i], &v.vlan_devs[i],
					BPF_ANY)) {
			pr_err("updating the VLAN map failed: %s\n",
			       strerror(errno));
			return -1;
		}
	}
	for (i = 0; i < v.n; i++) {
		if (v.devs[i].flags &&
		    bpf_map_update_elem(devs, &v.ifindex[i], &v.devs[i],
					BPF_ANY)) {
			pr_err("updating the device map failed: %s\n",
			       strerror(errno));
			return -1;
		}
	}
	if (dp->check_bypass)
		tell_bypass(dp);
	if (v.full && !warned)
		pr_warn("more than %d devices: the filters, chains and qdiscs of the others are not checked, and XDP leaves their frames to the stack\n",
			MAX_DEVS);
	warned |= v.full;
	return 0;
}

int datapath_stats(struct datapath *dp, __u64 totals[BPFWG_STAT_MAX])
{
	int map = bpf_map__fd(dp->skel->maps.bpfwg_stats);
	__u64 values[dp->n_cpus];
	__u32 key;
	int cpu;

	for (key = 0; key < BPFWG_STAT_MAX; key++) {
		if (bpf_map_lookup_elem(map, &key, values))
			return -errno;
		totals[key] = 0;
		for (cpu = 0; cpu < dp->n_cpus; cpu++)
			totals[key] += values[cpu];
	}
	return 0;
}

void datapath_close(struct datapath *dp)
{
	int i;

	while (dp->n_links)
		close(dp->link_fds[--dp->n_links]);
	while (dp->n_tracing)
		bpf_link__destroy(dp->tracing[--dp->n_tracing]);
	rss_close(dp);
	for (i = 0; i < MAX_IFACES; i++) {
		bpfwg__destroy(dp->dev[i]);
		dp->dev[i] = NULL;
	}
	bpfwg__destroy(dp->skel);
	free(dp->elf);
	dp->skel = NULL;
	dp->elf = NULL;
}
