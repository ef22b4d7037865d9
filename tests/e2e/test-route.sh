#!/usr/bin/env bash
# A routed topology in four namespaces: axnet (A) on a link L with two
# kernel routers, R1 (holding L's bridge) and R2; a host H behind both
# (net M through R1, net K through R2). axnet reaches H through its default
# gateway R1 (--gw) and H's K address through R2 (--route K via R2); a
# destination with no route gives ENETUNREACH; `axnet route --json` is
# exact; H's UDP to a closed port draws port unreachables back through
# the gateway, rate-limited per destination. Both families: pings through
# each router, TCP through R1, ENETUNREACH; an RA from R1 makes it IPv6's
# default router (proto ra, expires).
. "$(dirname "$0")/lib.sh"

NS_R1=$NS_B
NS_R2="axt${ID}r"
NS_H="axt${ID}h"
X=$((ID % 250))
L4=10.201.$X   L6=fd20:$X:   # the link: R1 .1, axnet .2, R2 .3
M4=10.202.$X   M6=fd21:$X:   # R1 .1 -- H .2
K4=10.203.$X   K6=fd22:$X:   # R2 .1 -- H .2
NOROUTE4=10.204.$X.2

trap 'rc=$?; ip netns del "$NS_R2" 2>/dev/null; ip netns del "$NS_H" 2>/dev/null; (exit $rc); cleanup' EXIT

# veth NSX IFX NSY IFY: a veth pair, both ends up, TX checksum offload off
# (partial checksums, README "Platform notes").
veth() {
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3" || fail "veth $2"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
	ip netns exec "$1" ethtool -K "$2" tx off >/dev/null 2>&1
	ip netns exec "$3" ethtool -K "$4" tx off >/dev/null 2>&1
}

for ns in "$NS_A" "$NS_R1" "$NS_R2" "$NS_H"; do
	ip netns add "$ns" || fail "netns add $ns"
	ip -n "$ns" link set lo up
done
# axnet's namespace: the kernel there holds no address and speaks no IPv6.
ip netns exec "$NS_A" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
	net.ipv6.conf.default.disable_ipv6=1
for ns in "$NS_R1" "$NS_R2"; do
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
done
# Link L: a bridge in R1 joining axnet's veth and R2's.
ip -n "$NS_R1" link add br0 type bridge || fail "bridge"
ip -n "$NS_R1" link set br0 up
veth "$NS_A" "$IF_A" "$NS_R1" "$IF_B"
veth "$NS_R2" r2l "$NS_R1" r1r2
ip -n "$NS_R1" link set "$IF_B" master br0
ip -n "$NS_R1" link set r1r2 master br0
ip netns exec "$NS_R1" ethtool -K br0 tx off >/dev/null 2>&1
ip -n "$NS_R1" addr add "$L4.1/24" dev br0
ip -n "$NS_R1" addr add "${L6}:1/64" dev br0 nodad
ip -n "$NS_R2" addr add "$L4.3/24" dev r2l
ip -n "$NS_R2" addr add "${L6}:3/64" dev r2l nodad
# H behind R1 (M) and R2 (K); what H sends from its K address goes back
# through R2 (a rule), so each path is symmetric.
veth "$NS_R1" r1h "$NS_H" hr1
veth "$NS_R2" r2h "$NS_H" hr2
ip -n "$NS_R1" addr add "$M4.1/24" dev r1h
ip -n "$NS_R1" addr add "${M6}:1/64" dev r1h nodad
ip -n "$NS_R2" addr add "$K4.1/24" dev r2h
ip -n "$NS_R2" addr add "${K6}:1/64" dev r2h nodad
ip -n "$NS_H" addr add "$M4.2/24" dev hr1
ip -n "$NS_H" addr add "${M6}:2/64" dev hr1 nodad
ip -n "$NS_H" addr add "$K4.2/24" dev hr2
ip -n "$NS_H" addr add "${K6}:2/64" dev hr2 nodad
ip -n "$NS_H" route add default via "$M4.1"
ip -n "$NS_H" -6 route add default via "${M6}:1"
ip -n "$NS_H" rule add from "$K4.2" lookup 100
ip -n "$NS_H" route add default via "$K4.1" table 100
ip -n "$NS_H" -6 rule add from "${K6}:2" lookup 100
ip -n "$NS_H" -6 route add default via "${K6}:1" table 100
# The routers know L; R1 knows nothing of K (a packet for K sent to R1
# would come back as net unreachable).
ip -n "$NS_R2" route add "$M4.0/24" via "$L4.1"

# IPv6 addresses are usable once DAD passed (RFC 4862: one solicitation,
# 1 s): wait for it, at most 5 s.
wait_dad() {
	for _ in $(seq 50); do
		"$AXNET" addr --state-dir "$STATE" | grep -q tentative || return 0
		sleep 0.1
	done
	fail "IPv6 addresses still tentative after 5 s: $("$AXNET" addr --state-dir "$STATE")"
}

ROUTE_ARGS=(--addr "$L4.2/24" --addr "${L6}:2/64" --route "$K4.0/24" via "$L4.3"
	    --route "${K6}:/64 via ${L6}:3")

# --- 1. no default gateway: H's M network has no route -----------------------------
start_axnet --ifname "$IF_A" --netns "$NS_A" "${ROUTE_ARGS[@]}"
msg=$(timeout 10 "$AXNET" nc --state-dir "$STATE" "$M4.2" 5000 </dev/null 2>&1) &&
	fail "axnet nc to $M4.2 (no route) succeeded: $msg"
echo "$msg" | grep -q "Network is unreachable" || fail "axnet nc without a route: '$msg'"
pass "connect without a route: ENETUNREACH ($msg)"
msg=$(timeout 10 "$AXNET" nc --state-dir "$STATE" -u -w 1 "$M4.2" 5000 </dev/null 2>&1) &&
	fail "axnet nc -u to $M4.2 (no route) succeeded: $msg"
echo "$msg" | grep -q "Network is unreachable" || fail "axnet nc -u without a route: '$msg'"
pass "UDP connect without a route: ENETUNREACH"
before=$(stat engine route_no_route)
out=$("$AXNET" ping --state-dir "$STATE" -c 2 -i 0.2 "$M4.2" 2>&1)
echo "$out" | grep -q "Network is unreachable" || fail "axnet ping without a route: $out"
expect_eq "engine route_no_route after 2 pings" "$(( $(stat engine route_no_route) - before ))" 2
# The static route through R2 works without a default.
out=$("$AXNET" ping --state-dir "$STATE" -c 3 -i 0.2 "$K4.2") || { echo "$out"; fail "ping via R2"; }
expect_eq "axnet ping $K4.2 through R2 (--route)" "$(echo "$out" | grep -c "bytes from $K4.2: icmp_seq=")" 3
# IPv6 the same, once DAD let our addresses be used (RFC 4862: 1 s).
wait_dad
before=$(stat engine route_no_route)
out=$("$AXNET" ping --state-dir "$STATE" -c 2 -i 0.2 "${M6}:2" 2>&1)
echo "$out" | grep -q "Network is unreachable" || fail "axnet ping ${M6}:2 without a route: $out"
expect_eq "engine route_no_route after 2 IPv6 pings" "$(( $(stat engine route_no_route) - before ))" 2
out=$("$AXNET" ping --state-dir "$STATE" -c 3 -i 0.2 "${K6}:2") || { echo "$out"; fail "ping6 via R2"; }
expect_eq "axnet ping ${K6}:2 through R2 (--route)" "$(echo "$out" | grep -c "bytes from ${K6}:2: icmp_seq=")" 3
msg=$(timeout 10 "$AXNET" nc --state-dir "$STATE" "${M6}:2" 5000 </dev/null 2>&1) &&
	fail "axnet nc to ${M6}:2 (no route) succeeded: $msg"
echo "$msg" | grep -q "Network is unreachable" || fail "axnet nc ${M6}:2 without a route: '$msg'"
pass "IPv6 connect without a route: ENETUNREACH"
# A router advertisement from R1 (lifetime 1800 s) gives IPv6 a default
# router (proto ra, counting down); H's M network is reachable through it.
R1MAC=$(ip -n "$NS_R1" -o link show br0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
R1LL=$(ip -n "$NS_R1" -6 -o addr show dev br0 scope link | awk '{ print $4 }' | cut -d/ -f1)
[ -n "$R1LL" ] || fail "R1 has no link-local address"
ip netns exec "$NS_R1" /usr/bin/python3 -c "
import logging; logging.getLogger('scapy.runtime').setLevel(logging.ERROR)
from scapy.all import *
sendp(Ether(dst='33:33:00:00:00:01', src='$R1MAC')/IPv6(src='$R1LL', dst='ff02::1', hlim=255)/
      ICMPv6ND_RA(routerlifetime=1800)/ICMPv6NDOptSrcLLAddr(lladdr='$R1MAC'), iface='br0', verbose=0)" ||
	fail "scapy RA"
for _ in $(seq 30); do "$AXNET" route --state-dir "$STATE" | grep -q "proto ra" && break; sleep 0.1; done
got=$("$AXNET" route --state-dir "$STATE" --json | /usr/bin/python3 -c '
import json, sys
r = [x for x in json.load(sys.stdin) if x["protocol"] == "ra"]
print(len(r), r[0]["dst"], r[0]["gateway"], 1790 <= r[0]["expires"] <= 1800 if r else "-")')
expect_eq "the RA default router (count, dst, gateway, expires in 1790..1800)" "$got" "1 default $R1LL True"
line=$("$AXNET" route --state-dir "$STATE" | grep -E "^default via $R1LL proto ra expires 1[78][0-9][0-9]sec$") ||
	fail "axnet route lacks the RA route: $("$AXNET" route --state-dir "$STATE")"
pass "axnet route: $line"
out=$("$AXNET" ping --state-dir "$STATE" -c 3 -i 0.2 "${M6}:2") || { echo "$out"; fail "ping6 via the RA router"; }
expect_eq "axnet ping ${M6}:2 through R1 (RA)" "$(echo "$out" | grep -c "bytes from ${M6}:2: icmp_seq=")" 3
stop_axnet

# --- 2. with both gateways --------------------------------------------------------
start_axnet --ifname "$IF_A" --netns "$NS_A" "${ROUTE_ARGS[@]}" --gw "$L4.1" --gw "${L6}:1"

wait_dad
ll=$("$AXNET" addr --state-dir "$STATE" | awk '$2 ~ /^fe80::/ { sub("/64", "", $2); print $2 }')
[ -n "$ll" ] || fail "no link-local address in axnet addr"
want="[{\"dst\": \"default\", \"gateway\": \"$L4.1\", \"protocol\": \"static\"}, "
want+="{\"dst\": \"$L4.0/24\", \"protocol\": \"kernel\", \"prefsrc\": \"$L4.2\"}, "
want+="{\"dst\": \"$K4.0/24\", \"gateway\": \"$L4.3\", \"protocol\": \"static\"}, "
want+="{\"dst\": \"default\", \"gateway\": \"${L6}:1\", \"protocol\": \"static\"}, "
want+="{\"dst\": \"${L6}:/64\", \"protocol\": \"kernel\", \"prefsrc\": \"${L6}:2\"}, "
want+="{\"dst\": \"${K6}:/64\", \"gateway\": \"${L6}:3\", \"protocol\": \"static\"}, "
want+="{\"dst\": \"fe80::/64\", \"protocol\": \"kernel\", \"prefsrc\": \"$ll\"}]"
got=$("$AXNET" route --state-dir "$STATE" --json) || fail "axnet route --json"
expect_eq "axnet route --json" "$got" "$want"
echo "$got" | /usr/bin/python3 -c 'import json,sys; json.load(sys.stdin)' || fail "route --json is not JSON"
got=$("$AXNET" route --state-dir "$STATE")
want="default via $L4.1 proto static
$L4.0/24 proto kernel scope link src $L4.2
$K4.0/24 via $L4.3 proto static
default via ${L6}:1 proto static
${L6}:/64 proto kernel scope link src ${L6}:2
${K6}:/64 via ${L6}:3 proto static
fe80::/64 proto kernel scope link src $ll"
[ "$got" = "$want" ] || fail "axnet route: got
$got
want
$want"
pass "axnet route prints like ip route"
got=$("$AXNET" addr --state-dir "$STATE" --json) || fail "axnet addr --json"
want="[{\"local\": \"$L4.2\", \"prefixlen\": 24, \"family\": \"inet\", \"state\": \"preferred\", \"flags\": [\"static\"]}, "
want+="{\"local\": \"${L6}:2\", \"prefixlen\": 64, \"family\": \"inet6\", \"state\": \"preferred\", \"flags\": [\"static\"]}, "
want+="{\"local\": \"$ll\", \"prefixlen\": 64, \"family\": \"inet6\", \"state\": \"preferred\", \"flags\": [\"linklocal\"]}]"
expect_eq "axnet addr --json" "$got" "$want"

# XDP's addrs map holds every usable address, both families (and, for
# ND, the IPv6 groups: ff02::1 and solicited-node ones, left aside here).
pin=/sys/fs/bpf/axnet/$IF_A
got=$(bpftool -j map dump pinned "$pin/addrs" | /usr/bin/python3 -c '
import ipaddress, json, sys
out = []
for e in json.load(sys.stdin):
    k = e.get("formatted", e)["key"]
    b = bytes(int(x, 0) if isinstance(x, str) else x for x in k["addr"])
    if k["family"] == 4:
        out.append(str(ipaddress.IPv4Address(b[:4])))
    elif b[0] != 0xff:
        out.append(str(ipaddress.IPv6Address(b)))
print(" ".join(sorted(out)))')
expect_eq "addrs map unicast addresses" "$got" "$(printf '%s\n' "$L4.2" "${L6}:2" "$ll" | sort | tr '\n' ' ' | sed 's/ $//')"

# Through R1 (the default route): ping and a TCP exchange with H.
out=$("$AXNET" ping --state-dir "$STATE" -c 3 -i 0.2 "$M4.2") || { echo "$out"; fail "ping via R1"; }
expect_eq "axnet ping $M4.2 through R1 (--gw)" "$(echo "$out" | grep -c "bytes from $M4.2: icmp_seq=")" 3
ip netns exec "$NS_H" timeout 10 nc -l -p 5001 >"$AXNET_LOG.h" &
for _ in $(seq 50); do ip netns exec "$NS_H" ss -ltn | grep -q ':5001 ' && break; sleep 0.1; done
echo "hello through R1" | timeout 10 "$AXNET" nc --state-dir "$STATE" "$M4.2" 5001 >/dev/null ||
	fail "axnet nc to H through R1"
for _ in $(seq 50); do [ -s "$AXNET_LOG.h" ] && break; sleep 0.1; done
expect_eq "H received over TCP through R1" "$(cat "$AXNET_LOG.h")" "hello through R1"
rm -f "$AXNET_LOG.h"
ip netns exec "$NS_H" timeout 10 nc -6 -l -p 5002 >"$AXNET_LOG.h6" &
for _ in $(seq 50); do ip netns exec "$NS_H" ss -ltn | grep -q ':5002 ' && break; sleep 0.1; done
echo "hello6 through R1" | timeout 10 "$AXNET" nc --state-dir "$STATE" "${M6}:2" 5002 >/dev/null ||
	fail "axnet nc to H over IPv6 through R1"
for _ in $(seq 50); do [ -s "$AXNET_LOG.h6" ] && break; sleep 0.1; done
expect_eq "H received over TCP/IPv6 through R1" "$(cat "$AXNET_LOG.h6")" "hello6 through R1"
rm -f "$AXNET_LOG.h6"
# The MAC axnet sent to for H is R1's: the neighbour cache holds the gateway.
"$AXNET" neigh --state-dir "$STATE" | grep -q "^$L4.1 .*gateway" || fail "R1 not a gateway neighbour"
pass "R1 resolved as a gateway neighbour"

out=$("$AXNET" ping --state-dir "$STATE" -c 3 -i 0.2 "${M6}:2") || { echo "$out"; fail "ping6 via R1"; }
expect_eq "axnet ping ${M6}:2 through R1 (--gw)" "$(echo "$out" | grep -c "bytes from ${M6}:2: icmp_seq=")" 3

# Through R2 (the static route): R2 forwards it, R1 does not.
r2_before=$(ip netns exec "$NS_R2" cat /sys/class/net/r2h/statistics/tx_packets)
out=$("$AXNET" ping --state-dir "$STATE" -c 3 -i 0.2 "$K4.2") || { echo "$out"; fail "ping via R2"; }
expect_eq "axnet ping $K4.2 through R2 (--route)" "$(echo "$out" | grep -c "bytes from $K4.2: icmp_seq=")" 3
out=$("$AXNET" ping --state-dir "$STATE" -c 3 -i 0.2 "${K6}:2") || { echo "$out"; fail "ping6 via R2"; }
expect_eq "axnet ping ${K6}:2 through R2 (--route)" "$(echo "$out" | grep -c "bytes from ${K6}:2: icmp_seq=")" 3
r2=$(( $(ip netns exec "$NS_R2" cat /sys/class/net/r2h/statistics/tx_packets) - r2_before ))
[ "$r2" -ge 6 ] || fail "R2 forwarded $r2 packets to H, want >= 6"
pass "R2 forwarded the --route traffic ($r2 packets)"

# ICMP errors find their way back through the gateway: H's UDP to a port
# axnet does not serve draws a port unreachable (ECONNREFUSED on H's
# connected socket), both families; a burst gets AX_ICMP_ERR_SRC_BURST (6)
# answers, the rest are counted as limited.
snapshot
e4=$(snap engine icmp_err_tx) e6=$(snap engine icmp6_err_tx)
l4=$(snap engine icmp_err_rate_limited) l6=$(snap engine icmp6_err_rate_limited)
got=$(ip netns exec "$NS_H" /usr/bin/python3 - "$L4.2" "${L6}:2" <<'PY'
import select, socket, sys, time
out = []
for fam, dst in ((socket.AF_INET, sys.argv[1]), (socket.AF_INET6, sys.argv[2])):
    # All ten at once (well inside a second: no token comes back), then
    # collect the answers for up to 2 s.
    socks = []
    for i in range(10):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.setblocking(False)
        s.connect((dst, 9999))
        s.send(b"x")
        socks.append(s)
    refused, end = 0, time.monotonic() + 2
    while socks and time.monotonic() < end:
        r, _, _ = select.select(socks, [], [], max(0, end - time.monotonic()))
        for s in r:
            try:
                s.recv(10)
            except ConnectionRefusedError:
                refused += 1
            except OSError:
                pass
            socks.remove(s)
            s.close()
    out.append(str(refused))
print(" ".join(out))
PY
) || fail "UDP from H"
expect_eq "port unreachables H got (IPv4 IPv6) of 10 each" "$got" "6 6"
snapshot
expect_eq "icmp_err_tx, icmp6_err_tx" "$(( $(snap engine icmp_err_tx) - e4 )) $(( $(snap engine icmp6_err_tx) - e6 ))" "6 6"
expect_eq "rate limited (IPv4 IPv6)" \
	"$(( $(snap engine icmp_err_rate_limited) - l4 )) $(( $(snap engine icmp6_err_rate_limited) - l6 ))" "4 4"
stop_axnet

# --- 3. bad values name the option and value --------------------------------------
check_bad() {
	local want=$1; shift
	out=$("$AXNET" run --state-dir "$STATE" --ifname "$IF_A" --netns "$NS_A" \
		--backend tap "$@" 2>&1) && fail "axnet run $* succeeded"
	echo "$out" | grep -qF -- "$want" || fail "axnet run $*: '$out' lacks '$want'"
	pass "axnet run $*: $want"
}
check_bad "--addr wants" --addr 10.1.1.1
check_bad "--addr wants" --addr fd00::1/129
check_bad "--gw wants" --addr "$L4.2/24" --gw bogus
check_bad "one default gateway per family" --addr "$L4.2/24" --gw "$L4.1" --gw "$L4.4"
check_bad "--route wants" --addr "$L4.2/24" --route "$K4.1/24" via "$L4.3"
check_bad "--route wants PREFIX via ADDR" --addr "$L4.2/24" --route "$K4.0/24"
check_bad "the gateway is of the other family" --addr "$L4.2/24" --route "$K4.0/24" via "${L6}:3"
# Checked against the addresses once the stack is up: a gateway off the link.
out=$("$AXNET" run --state-dir "$STATE" --ifname "$IF_A" --netns "$NS_A" --addr "$L4.2/24" \
	--gw "$M4.1" 2>&1) && fail "axnet run with an off-link gateway succeeded"
echo "$out" | grep -qF -- "--gw $M4.1: the gateway is not on the link" || fail "off-link --gw: '$out'"
pass "an off-link --gw is refused, named"
exit 0
