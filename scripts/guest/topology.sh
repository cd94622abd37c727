# SPDX-License-Identifier: GPL-2.0
# Sourced in the guest: the gateway topology used by the demo and the
# end-to-end tests, log_wait and snmp_stat.
#
#   cli --- gwa ===(WireGuard over veth "u0")=== gwb --- srv
#   10.1.0.2   10.1.0.1 | 192.0.2.1   192.0.2.2 | 10.2.0.1   10.2.0.2
#   fd01::2    fd01::1  | 2001:db8::1 2001:db8::2| fd02::1   fd02::2
#
# topo_up [4|6]: the underlay (outer) family of the WireGuard endpoints.
# shellcheck shell=bash

NSS=(cli gwa gwb srv)

# log_wait FILE PATTERN [PID]: until a line of FILE matches PATTERN, for
# 30 s at most, and only while process PID (if given) lives. Programs say
# when they are ready (bpfwg "attached", tcpdump "listening on"), which
# takes seconds on a busy machine.
log_wait() {
	for _ in $(seq 300); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		[[ -z ${3:-} ]] || kill -0 "$3" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# snmp_stat NS PROTO FIELD [PROTO6]: FIELD of PROTO in NS's /proc/net/snmp
# ("Udp" "InDatagrams"), plus PROTO6FIELD of /proc/net/snmp6 if PROTO6 is
# given ("Icmp" "InEchos" "Icmp6"). Prints nothing and fails if a counter
# is missing: callers check that they read a number.
snmp_stat() {
	# shellcheck disable=SC2016 # awk's fields
	ip netns exec "$1" awk -v p="$2:" -v f="$3" -v f6="${4:+$4$3}" '
		FILENAME ~ /snmp6$/ { if ($1 == f6) { n += $2; found6 = 1 }; next }
		$1 == p && !h { for (i = 2; i <= NF; i++) if ($i == f) c = i; h = 1; next }
		$1 == p && c { n += $c; found = 1 }
		END { if (!found || (f6 != "" && !found6)) exit 1; print n }' \
		/proc/net/snmp /proc/net/snmp6
}

# Each ip or wg command costs a process start, slow under TCG: the
# namespaces are set up with one "ip -batch" each.
topo_down() {
	printf 'netns del %s\n' "${NSS[@]}" | ip -force -batch - 2>/dev/null || true
	return 0
}

topo_up() {
	local outer=${1:-4} ns dir=/tmp/topo-keys ea=192.0.2.1 eb=192.0.2.2
	topo_down
	printf 'netns add %s\n' "${NSS[@]}" | ip -batch -
	ip -n cli -batch - <<-EOF
		link set lo up
		link add c0 type veth peer name a0 netns gwa
		link set c0 up
		addr add 10.1.0.2/24 dev c0
		addr add fd01::2/64 dev c0 nodad
		route add default via 10.1.0.1
		route add default via fd01::1
	EOF
	ip -n gwa -batch - <<-EOF
		link set lo up
		link set a0 up
		link add u0 type veth peer name u0 netns gwb
		link set u0 up
		addr add 10.1.0.1/24 dev a0
		addr add fd01::1/64 dev a0 nodad
		addr add 192.0.2.1/24 dev u0
		addr add 2001:db8::1/64 dev u0 nodad
		link add wg0 type wireguard
		addr add 10.0.0.1/24 dev wg0
		addr add fd00::1/64 dev wg0 nodad
		link set wg0 up
		route add 10.2.0.0/24 dev wg0
		route add fd02::/64 dev wg0
	EOF
	ip -n gwb -batch - <<-EOF
		link set lo up
		link set u0 up
		link add b0 type veth peer name s0 netns srv
		link set b0 up
		addr add 192.0.2.2/24 dev u0
		addr add 2001:db8::2/64 dev u0 nodad
		addr add 10.2.0.1/24 dev b0
		addr add fd02::1/64 dev b0 nodad
		link add wg0 type wireguard
		addr add 10.0.0.2/24 dev wg0
		addr add fd00::2/64 dev wg0 nodad
		link set wg0 up
		route add 10.1.0.0/24 dev wg0
		route add fd01::/64 dev wg0
	EOF
	ip -n srv -batch - <<-EOF
		link set lo up
		link set s0 up
		addr add 10.2.0.2/24 dev s0
		addr add fd02::2/64 dev s0 nodad
		route add default via 10.2.0.1
		route add default via fd02::1
	EOF

	# Keys once per boot.
	if [[ ! -s $dir/b.pub ]]; then
		mkdir -p "$dir" && chmod 700 "$dir"
		(umask 077 && wg genkey >"$dir/a" && wg genkey >"$dir/b")
		wg pubkey <"$dir/a" >"$dir/a.pub" && wg pubkey <"$dir/b" >"$dir/b.pub"
	fi
	[[ $outer == 6 ]] && ea='[2001:db8::1]' eb='[2001:db8::2]'
	for ns in gwa gwb; do
		ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	done
	ip netns exec gwa wg set wg0 listen-port 51820 private-key "$dir/a" \
		peer "$(cat "$dir/b.pub")" endpoint "$eb:51820" allowed-ips 10.0.0.2/32,10.2.0.0/24,fd00::2/128,fd02::/64
	ip netns exec gwb wg set wg0 listen-port 51820 private-key "$dir/b" \
		peer "$(cat "$dir/a.pub")" endpoint "$ea:51820" allowed-ips 10.0.0.1/32,10.1.0.0/24,fd00::1/128,fd01::/64
}
