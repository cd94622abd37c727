# SPDX-License-Identifier: GPL-2.0
# Sourced in the guest: the gateway topology used by the demo and the
# end-to-end tests.
#
#   cli --- gwa ===(WireGuard over veth "u0")=== gwb --- srv
#   10.1.0.2   10.1.0.1 | 192.0.2.1   192.0.2.2 | 10.2.0.1   10.2.0.2
#   fd01::2    fd01::1  | 2001:db8::1 2001:db8::2| fd02::1   fd02::2
#
# topo_up [4|6]: the underlay (outer) family of the WireGuard endpoints.
# shellcheck shell=bash

NSS=(cli gwa gwb srv)

topo_down() {
	local ns
	for ns in "${NSS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
	return 0
}

topo_link() { # NS1 IF1 NS2 IF2
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

topo_up() {
	local outer=${1:-4} ns dir=/tmp/topo-keys
	topo_down
	for ns in "${NSS[@]}"; do
		ip netns add "$ns"
		ip -n "$ns" link set lo up
	done
	topo_link cli c0 gwa a0
	topo_link gwa u0 gwb u0
	topo_link gwb b0 srv s0
	ip -n cli addr add 10.1.0.2/24 dev c0
	ip -n cli addr add fd01::2/64 dev c0 nodad
	ip -n gwa addr add 10.1.0.1/24 dev a0
	ip -n gwa addr add fd01::1/64 dev a0 nodad
	ip -n gwa addr add 192.0.2.1/24 dev u0
	ip -n gwa addr add 2001:db8::1/64 dev u0 nodad
	ip -n gwb addr add 192.0.2.2/24 dev u0
	ip -n gwb addr add 2001:db8::2/64 dev u0 nodad
	ip -n gwb addr add 10.2.0.1/24 dev b0
	ip -n gwb addr add fd02::1/64 dev b0 nodad
	ip -n srv addr add 10.2.0.2/24 dev s0
	ip -n srv addr add fd02::2/64 dev s0 nodad
	ip -n cli route add default via 10.1.0.1
	ip -n cli -6 route add default via fd01::1
	ip -n srv route add default via 10.2.0.1
	ip -n srv -6 route add default via fd02::1
	for ns in gwa gwb; do
		ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	done

	mkdir -p "$dir" && chmod 700 "$dir"
	(umask 077 && wg genkey >"$dir/a" && wg genkey >"$dir/b")
	wg pubkey <"$dir/a" >"$dir/a.pub" && wg pubkey <"$dir/b" >"$dir/b.pub"
	local ea=192.0.2.1 eb=192.0.2.2
	[[ $outer == 6 ]] && ea='[2001:db8::1]' eb='[2001:db8::2]'
	ip -n gwa link add wg0 type wireguard
	ip -n gwb link add wg0 type wireguard
	ip netns exec gwa wg set wg0 listen-port 51820 private-key "$dir/a" \
		peer "$(cat "$dir/b.pub")" endpoint "$eb:51820" allowed-ips 10.0.0.2/32,10.2.0.0/24,fd00::2/128,fd02::/64
	ip netns exec gwb wg set wg0 listen-port 51820 private-key "$dir/b" \
		peer "$(cat "$dir/a.pub")" endpoint "$ea:51820" allowed-ips 10.0.0.1/32,10.1.0.0/24,fd00::1/128,fd01::/64
	ip -n gwa addr add 10.0.0.1/24 dev wg0
	ip -n gwa addr add fd00::1/64 dev wg0 nodad
	ip -n gwb addr add 10.0.0.2/24 dev wg0
	ip -n gwb addr add fd00::2/64 dev wg0 nodad
	ip -n gwa link set wg0 up
	ip -n gwb link set wg0 up
	ip -n gwa route add 10.2.0.0/24 dev wg0
	ip -n gwa -6 route add fd02::/64 dev wg0
	ip -n gwb route add 10.1.0.0/24 dev wg0
	ip -n gwb -6 route add fd01::/64 dev wg0
}
