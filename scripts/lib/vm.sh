# SPDX-License-Identifier: GPL-2.0
# vm: the guest root filesystem and QEMU runs of the built kernel.
# shellcheck shell=bash

# The guest root: Debian sid (minbase) for wireguard-tools and iproute2 new
# enough for the 7.3 selftests; host-built binaries run there unchanged.
ROOTFS_PKGS=iproute2,wireguard-tools,wireguard-go,iperf3,iptables,nftables,iputils-ping,ethtool,kmod,procps,libmnl0,libelf1t64,zlib1g,libzstd1,libcap2,libssl3t64,tcpdump,netcat-openbsd,bash,coreutils,util-linux
ROOTFS_STAMP=$ROOTFS/.bpfwg-stamp
VM_TIMEOUT=${VM_TIMEOUT:-3600}

rootfs_want() { printf '%s\n%s\n' "$ROOTFS_PKGS" "$(cat "$TOP/scripts/guest/stub-init")"; }

build_rootfs() {
	[[ $(kbuild_arch) == arm64 ]] && { build_rootfs_arm64; return; }
	[[ -f $ROOTFS_STAMP && $(cat "$ROOTFS_STAMP") == "$(rootfs_want)" ]] && return
	require_tools debootstrap
	local mirror tmp=$ROOTFS.tmp
	mirror=$(apt_mirror)
	rm -rf "$tmp"
	log "creating the guest root filesystem (debootstrap sid)"
	debootstrap --variant=minbase --include="$ROOTFS_PKGS" sid "$tmp" "$mirror" >"$CACHE/debootstrap.log" 2>&1 ||
		die "debootstrap failed, see $CACHE/debootstrap.log"
	# netns.sh: sid's ncat kills its own process group when killed, which
	# kills netns.sh; bookworm's (the host's suite) does not.
	mkdir -p "$tmp/opt/bpfwg/bin" "$tmp/opt/bpfwg/ncat" "$tmp/usr/lib/modules" "$tmp"/{repo,cache,vmrun}
	(cd "$CACHE" && rm -f ./*.deb && apt-get -q download ncat liblua5.3-0 >/dev/null) ||
		die "cannot download bookworm's ncat"
	for deb in "$CACHE"/ncat_*.deb "$CACHE"/liblua5.3-0_*.deb; do dpkg -x "$deb" "$tmp/opt/bpfwg/ncat"; done
	rm -f "$CACHE"/*.deb
	cat >"$tmp/opt/bpfwg/bin/ncat" <<'NCAT'
#!/bin/sh
d=/opt/bpfwg/ncat
LD_LIBRARY_PATH=$d/usr/lib/x86_64-linux-gnu exec $d/usr/bin/ncat "$@"
NCAT
	ln -s /usr/sbin/iptables-legacy "$tmp/opt/bpfwg/bin/iptables"
	ln -s /usr/sbin/ip6tables-legacy "$tmp/opt/bpfwg/bin/ip6tables"
	install -m 0755 "$TOP/scripts/guest/stub-init" "$tmp/sbin/bpfwg-init"
	chmod 0755 "$tmp/opt/bpfwg/bin/ncat"
	rootfs_want >"$tmp/.bpfwg-stamp"
	rm -rf "$ROOTFS" && mv "$tmp" "$ROOTFS"
}

# The arm64 guest's root: the same packages for arm64, unpacked without
# running their maintainer scripts (debootstrap's first stage, then the
# packages it only downloaded). Those would need an arm64 CPU: qemu-user
# in binfmt_misc, which a container may not have, or the arm64 guest,
# whose 9p root cannot hold the device nodes debootstrap insists on. What
# the guest needs of them is done here: the user database (base-passwd,
# and tcpdump's user), /var/run and /var/lock in /run (base-files: "ip
# netns" keeps its names there), and the alternatives the guest scripts
# call (awk, nc, which). Programs find their libraries in the multiarch
# directories ld.so searches without a cache.
ROOTFS_ARM64=$CACHE/rootfs-arm64
build_rootfs_arm64() {
	local stamp=$ROOTFS_ARM64/.bpfwg-stamp tmp=$ROOTFS_ARM64.tmp mirror deb f want
	# This recipe is part of what the root is made of.
	want=$(rootfs_want && declare -f build_rootfs_arm64)
	[[ -f $stamp && $(cat "$stamp") == "$want" ]] && return
	require_tools debootstrap
	mirror=$(apt_mirror)
	rm -rf "$tmp"
	log "creating the arm64 guest root filesystem (debootstrap --foreign sid)"
	debootstrap --foreign --arch=arm64 --variant=minbase --include="$ROOTFS_PKGS" sid "$tmp" "$mirror" \
		>"$CACHE/debootstrap-arm64.log" 2>&1 || die "debootstrap failed, see $CACHE/debootstrap-arm64.log"
	# As dpkg unpacks: the merged-/usr links stay links.
	for deb in "$tmp"/var/cache/apt/archives/*.deb; do
		dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --keep-directory-symlink ||
			die "cannot unpack $deb"
	done
	{
		cp "$tmp/usr/share/base-passwd/passwd.master" "$tmp/etc/passwd" &&
			cp "$tmp/usr/share/base-passwd/group.master" "$tmp/etc/group" &&
			echo 'tcpdump:x:100:101::/nonexistent:/usr/sbin/nologin' >>"$tmp/etc/passwd" &&
			echo 'tcpdump:x:101:' >>"$tmp/etc/group"
	} || die "arm64 guest root: cannot write the user database"
	# debootstrap links /proc to the host's in some containers.
	if [[ -L $tmp/proc ]]; then rm "$tmp/proc" && mkdir "$tmp/proc" || die "arm64 guest root: /proc"; fi
	rm -rf "$tmp/var/run" "$tmp/var/lock"
	ln -s /run "$tmp/var/run" && ln -s /run/lock "$tmp/var/lock" || die "arm64 guest root: /var/run"
	for f in awk:mawk nc:nc.openbsd which:which.debianutils; do
		[[ -x $tmp/usr/bin/${f#*:} ]] || die "arm64 guest root: no /usr/bin/${f#*:}"
		[[ -e $tmp/usr/bin/${f%%:*} ]] || ln -s "${f#*:}" "$tmp/usr/bin/${f%%:*}" ||
			die "arm64 guest root: cannot link /usr/bin/${f%%:*}"
	done
	rm -rf "$tmp/debootstrap" "$tmp"/var/cache/apt/archives/*.deb
	{
		mkdir -p "$tmp/opt/bpfwg/bin" "$tmp/usr/lib/modules" "$tmp"/{repo,cache,vmrun} &&
			ln -s /usr/sbin/iptables-legacy "$tmp/opt/bpfwg/bin/iptables" &&
			ln -s /usr/sbin/ip6tables-legacy "$tmp/opt/bpfwg/bin/ip6tables" &&
			install -m 0755 "$TOP/scripts/guest/stub-init" "$tmp/sbin/bpfwg-init"
	} || die "arm64 guest root: cannot add bpfwg's files"
	printf '%s\n' "$want" >"$tmp/.bpfwg-stamp"
	rm -rf "$ROOTFS_ARM64" && mv "$tmp" "$ROOTFS_ARM64"
}

# KVM when it really boots a guest here, else TCG (probed once, cached).
vm_accel() {
	[[ -n ${BPFWG_ACCEL:-} ]] && { echo "$BPFWG_ACCEL"; return; }
	[[ -f $CACHE/accel ]] && { cat "$CACHE/accel"; return; }
	local accel=tcg
	if [[ -w /dev/kvm ]] && BPFWG_ACCEL=kvm VM_TIMEOUT=60 vm_run true >/dev/null 2>&1; then
		accel=kvm
	fi
	echo "$accel" >"$CACHE/accel"
	echo "$accel"
}

# vm_run CMD...: boot, run CMD (a shell command line) in the guest, print its
# output, return its exit status. A kernel oops/WARN/KASAN report fails it.
VM_RUN_DIR=
vm_run() {
	local run accel cpu rc
	# One directory per run (VM_RUN_DIR), so that several guests may run.
	mkdir -p "$CACHE/vmrun"
	find "$CACHE/vmrun" -mindepth 1 -maxdepth 1 -mmin +240 -exec rm -rf {} +
	run=$(mktemp -d "$CACHE/vmrun/run.XXXXXX")
	VM_RUN_DIR=$run
	local arch kernel
	arch=$(kbuild_arch)
	kernel=$(kernel_image "$KBUILD")
	[[ -f $kernel ]] || die "no kernel in $KBUILD: run 'scripts/bpfwg build'"
	# An arm64 guest on this x86 host is always emulated.
	if [[ $arch == arm64 ]]; then accel=tcg; else accel=$(vm_accel); fi
	build_rootfs
	# A command runs on a snapshot of the repository, so that editing it
	# meanwhile cannot change a script that bash is reading; an interactive
	# shell sees the live tree.
	# The guest caches the 9p shares that do not change while it runs
	# (cache=loose): the root image always, the build for a command. Under
	# TCG each exec then makes no 9p round trips: a process starts in a
	# third less time, "ip netns add" in half.
	local repo=$TOP p9cache=
	if [[ ${1:-} != --interactive ]]; then
		p9cache=loose
		printf '%s\n' "$*" >"$run/cmd"
		repo=$run/repo
		# Not the cache, should it be in the repository.
		local excl=()
		[[ $CACHE == "$TOP"/* ]] && excl=(--exclude="/${CACHE#"$TOP"/}")
		rsync -a --exclude=/.git "${excl[@]}" "$TOP/" "$repo/" ||
			{ log "cannot copy $TOP to $repo"; return 1; }
	fi
	# Quoted: BPFWG_ONLY is a regular expression, spaces and | included.
	local kv
	while IFS= read -r kv; do
		printf 'export %s=%q\n' "${kv%%=*}" "${kv#*=}"
	done < <(env | grep -E '^(BPFWG_[A-Z_]+|CI)=') >"$run/env"
	echo "export BPFWG_KBUILD=/cache/${KBUILD#"$CACHE"/} BPFWG_WT=/cache/${WT#"$CACHE"/}" >>"$run/env"
	cpu=${VM_CPU:-max}
	[[ $accel == kvm && -z ${VM_CPU:-} ]] && cpu=host
	# One CPU per socket: the kernel has no ACPI and finds the CPUs in
	# SeaBIOS's MP table, which lists one per socket (QEMU's default
	# topology, all cores in one socket, leaves the guest with one CPU).
	local ncpus=${VM_CPUS:-2} console=ttyS0 rootfs=$ROOTFS
	# shellcheck disable=SC2054 # commas belong to QEMU's option syntax
	local qemu=(qemu-system-x86_64 -accel "$accel${VM_ACCEL_OPTS:+,$VM_ACCEL_OPTS}" -cpu "$cpu")
	# arm64: the virt machine, and the CPU of MediaTek Filogic routers
	# (Cortex-A53: ARMv8.0, no LSE atomics, so the JIT's LL/SC paths run).
	if [[ $arch == arm64 ]]; then
		console=ttyAMA0 rootfs=$ROOTFS_ARM64
		qemu=(qemu-system-aarch64 -M virt -accel tcg -cpu "${VM_CPU_ARM64:-cortex-a53}")
	fi
	# The kernel log is big enough for a whole run (log_buf_len): the
	# WireGuard object leak checks read every "created" and "destroyed"
	# line back with dmesg, and one lost to a wrapped buffer hides a leak.
	# shellcheck disable=SC2054 # commas belong to QEMU's option syntax
	qemu+=(-m "${VM_MEM:-3G}" -smp "$ncpus,sockets=$ncpus"
		-nographic -no-reboot -kernel "$kernel"
		-fsdev "local,id=root,path=$rootfs,security_model=none,readonly=on,multidevs=remap"
		-device virtio-9p-pci,fsdev=root,mount_tag=/dev/root
		-fsdev "local,id=repo,path=$repo,security_model=none,readonly=on,multidevs=remap"
		-device virtio-9p-pci,fsdev=repo,mount_tag=repo
		-fsdev "local,id=cache,path=$CACHE,security_model=none,readonly=on,multidevs=remap"
		-device virtio-9p-pci,fsdev=cache,mount_tag=cache
		-fsdev "local,id=vmrun,path=$run,security_model=none,multidevs=remap"
		-device virtio-9p-pci,fsdev=vmrun,mount_tag=vmrun
		# Two virtio-net devices on one hub, xsk0 and xsk1 in the guest
		# (run-tests names them by MAC address), for the AF_XDP
		# zero-copy test (wg_xsk): virtio-net has
		# zero-copy when its rings go through the DMA API
		# (iommu_platform, VIRTIO_F_ACCESS_PLATFORM).
		-netdev hubport,id=xsk0,hubid=1
		-device virtio-net-pci,netdev=xsk0,disable-legacy=on,iommu_platform=on,mac=02:00:00:00:51:00
		-netdev hubport,id=xsk1,hubid=1
		-device virtio-net-pci,netdev=xsk1,disable-legacy=on,iommu_platform=on,mac=02:00:00:00:51:01
		-append "console=$console log_buf_len=16M panic=-1 oops=panic panic_on_warn=0 root=/dev/root rootfstype=9p rootflags=version=9p2000.L,trans=virtio,access=any,msize=512000,cache=loose ro init=/sbin/bpfwg-init ${p9cache:+bpfwg_9p_cache=$p9cache} ${VM_APPEND:-}")
	# More QEMU options, words without spaces (bench --insn: its plugin).
	local extra
	read -ra extra <<<"${VM_QEMU_EXTRA:-}"
	qemu+=("${extra[@]}")
	if [[ ${1:-} == --interactive ]]; then
		"${qemu[@]}"
		return
	fi
	timeout --foreground -k 10 "$VM_TIMEOUT" "${qemu[@]}" </dev/null >"$run/console" 2>&1 &
	local qpid=$!
	# Show the guest's output, not the firmware's or the kernel's.
	tail -n +1 -f --pid="$qpid" "$run/console" 2>/dev/null |
		sed -u -n '/^bpfwg-guest: start/,$p' | grep --line-buffered -v '^\[ *[0-9]*\.[0-9]*\] ' || true
	wait "$qpid" || rc=$?
	if [[ ${rc:-0} == 124 ]]; then
		log "VM timed out after $VM_TIMEOUT s"
		return 124
	fi
	vm_kernel_errors "$run/console" && return 125
	[[ -f $run/status ]] || { log "guest did not report an exit status (see $run/console)"; return 126; }
	return "$(cat "$run/status")"
}

# Kernel messages that fail a run whatever the test said.
vm_kernel_errors() {
	local bad
	bad=$(grep -aE '^\[ *[0-9]+\.[0-9]+\] .*(WARNING:|BUG:|Oops|KASAN:|UBSAN:|Kernel panic|general protection fault|kernel BUG at|refcount_t:|unreferenced object|possible recursive locking|circular locking|suspicious RCU usage)' "$1" | head -n 20)
	[[ -n $bad ]] || return 1
	log "kernel reported errors in the guest:"
	printf '%s\n' "$bad" >&2
	return 0
}

cmd_vm() {
	require_tools "$([[ $(kbuild_arch) == arm64 ]] && echo qemu-system-aarch64 || echo qemu-system-x86_64)"
	if (($# == 0)); then
		vm_run --interactive
	else
		vm_run "$@"
	fi
}
