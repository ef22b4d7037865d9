#!/usr/bin/env bash
# TCP over IPv6 between axnet and the kernel, end to end, through the
# impairment relay (forwarding untouched first, then with loss):
#  - the kernel's client through axnet's echo service over IPv6, SHA-256
#    of what went out equal to what came back; `axnet nc` to a kernel echo
#    server over IPv6, SHA-256 both ways; the sockets as [addr]:port in
#    `axnet conns` and its JSON;
#  - a policy with IPv6 prefixes: one peer allowed, another denied (its
#    SYN unanswered, XDP drops the retries: flow_denied, a deny verdict
#    keyed by the 16-byte addresses), the reject entry naming both IPv6
#    addresses; an outbound connection the policy does not allow fails with
#    EACCES;
#  - a dual-stack listener (`axnet nc -l`, an AF_INET6 socket on [::])
#    takes an IPv4 and an IPv6 peer; a V6ONLY one (-6) refuses IPv4;
#  - stock programs under `axnet exec` with IPv6 sockets: python's
#    http.server -b :: serving a kernel curl -6 and curl -4, curl -6 fetching
#    from a kernel http.server;
#  - UDP over IPv6: the kernel through axnet's udp-echo ([::], both
#    families), `axnet nc -u` to a kernel UDP server (the library's IPv6
#    datagram records both ways);
#  - getaddrinfo under axnet exec, for a name with an A and an AAAA record
#    both reachable through axnet: IPv6 first, as glibc orders them;
#  - the echo over IPv6 with 2% loss each way: intact, retransmissions
#    counted;
#  - `axnet log verify` passes on the result.
#
#   axnet (NS_A, AF_XDP on IF_A) -- relay (NS_M) -- kernel (NS_B, IF_B)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/libaxnet.sh"
. "$(dirname "$0")/exec_progs.sh"

IMPAIR=${IMPAIR:-build/tests/impair}
SEED=${SEED:-11}
MB=${TCP6_TEST_MB:-16}
NS_M="axt${ID}m"
IF_MA="axma${ID}"
IF_MB="axmb${ID}"
CLIENT="python3 tests/tools/tcp_echo_client.py"
CURL=$(readlink -f /usr/bin/curl)
PYTHON=$(readlink -f /usr/bin/python3)
# A /64 inside fd00:200::/32 picked from the PID, as lib.sh picks the /24.
PFX6="fd00:200:$(printf %x $((ID % 65536)))::"
KERNEL_B6="${PFX6}1"   # the peer the policy allows
AXNET_IP6="${PFX6}2"   # axnet
DENIED_B6="${PFX6}99"  # the peer it denies (same host, a second address)
[ -x "$IMPAIR" ] || fail "no $IMPAIR (make $IMPAIR)"

tcp6_cleanup() {
	local rc=$? ns
	[ -z "$RELAY_PID" ] || stop_pid "$RELAY_PID"
	if [ $rc -ne 0 ] && [ -s "$WORK/relay.err" ]; then
		echo "--- relay log ---" >&2
		tail -20 "$WORK/relay.err" >&2
	fi
	for ns in $RELAY_NETNS; do ip netns del "$ns" 2>/dev/null; done
	(exit $rc)
	libaxnet_cleanup
}
trap tcp6_cleanup EXIT

relay_topology "$NS_A" "$IF_A" "$NS_M" "$IF_MA" "$IF_MB" "$NS_B" "$IF_B"
# relay_topology turns IPv6 off everywhere; the peer needs it back (the
# kernel of axnet's namespace and the relay's stay without).
ip netns exec "$NS_B" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 \
	net.ipv6.conf.default.disable_ipv6=0 net.ipv6.conf."$IF_B".disable_ipv6=0 ||
	fail "IPv6 on in $NS_B"
ip -n "$NS_B" addr add "$KERNEL_B/24" dev "$IF_B"
ip -n "$NS_B" addr add "$KERNEL_B6/64" dev "$IF_B" nodad
# Deprecated (preferred_lft 0): never the kernel's own choice of source
# (RFC 6724 rule 3), only when a client binds it.
ip -n "$NS_B" addr add "$DENIED_B6/64" dev "$IF_B" nodad preferred_lft 0
# The kernel peer knows axnet's MAC: no ARP or ND of its own to lose.
MAC_A=$(mac_of "$NS_A" "$IF_A")
ip -n "$NS_B" neigh replace "$AXNET_IP" lladdr "$MAC_A" dev "$IF_B" nud permanent
ip -n "$NS_B" -6 neigh replace "$AXNET_IP6" lladdr "$MAC_A" dev "$IF_B" nud permanent

cat >"$WORK/p.pol" <<EOF
# test-tcp6: IPv6 prefixes allow one peer and deny the other
default deny
allow in icmp
allow in tcp from $KERNEL_B6/128, $KERNEL_B/32 to port 7,6000-6010,8080
allow out tcp to ${PFX6}0/120 port 5001,8081
allow in udp from $KERNEL_B6/128, $KERNEL_B/32 to port 7
allow out udp to ${PFX6}0/120 port 5003
allow out udp to $KERNEL_B port 53
EOF
"$AXNET" policy check "$WORK/p.pol" >/dev/null || fail "policy check"

start_relay() { relay_start "$IF_MA" "$IF_MB" --seed "$SEED" "$@"; }
stop_relay() {
	kill -TERM "$RELAY_PID"
	wait "$RELAY_PID" || fail "relay exited non-zero"
	RELAY_PID=
}
relay_sum() { # NAME: l2r_NAME + r2l_NAME
	awk -v n="$1" '$1 == "l2r_" n || $1 == "r2l_" n { s += $2 } END { print s + 0 }' "$WORK/relay.out"
}

start_relay
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --addr "$AXNET_IP6/64" --netns "$NS_A" \
	--serve echo:7,udp-echo:7 --policy "$WORK/p.pol"
# The IPv6 address is ours once DAD has passed (RFC 4862: 1 s).
addr_state() {
	"$AXNET" addr --state-dir "$STATE" --json | /usr/bin/python3 -c '
import json, sys
print(" ".join(a["state"] for a in json.load(sys.stdin) if a["local"] == sys.argv[1]))' "$1"
}
for _ in $(seq 50); do [ "$(addr_state "$AXNET_IP6")" = preferred ] && break; sleep 0.1; done
expect_eq "$AXNET_IP6 after DAD" "$(addr_state "$AXNET_IP6")" preferred

# --- the kernel through axnet's echo service over IPv6 ------------------------------
out=$(ip netns exec "$NS_B" timeout 120 $CLIENT "$AXNET_IP6" 7 --bytes $((MB << 20)) --seed "$ID") ||
	{ echo "$out"; fail "echo over IPv6"; }
echo "$out"
pass "echo over IPv6: $MB MiB out and back, SHA-256 equal"
"$AXNET" log --state-dir "$STATE" |
	grep -qE "connection-authorize dir=in proto=tcp local=\[$AXNET_IP6\]:7 remote=\[$KERNEL_B6\]:[0-9]+ " ||
	fail "no authorize entry naming [$AXNET_IP6]:7 and [$KERNEL_B6]"

# --- axnet nc to a kernel echo server over IPv6 -------------------------------------
bare ks ip netns exec "$NS_B" timeout 60 python3 tests/tools/tcp_echo_server.py "$KERNEL_B6" 5001
wait_for ks '^listening'
random_file "$WORK/nc.in" $((8 << 20))
timeout 60 "$AXNET" nc --state-dir "$STATE" "$KERNEL_B6" 5001 <"$WORK/nc.in" >"$WORK/nc.back" ||
	fail "axnet nc [$KERNEL_B6]:5001 exited with $?"
done_ok ks
expect_eq "axnet nc -> kernel echo server over IPv6: SHA-256 of 8 MiB back" \
	"$(sha "$WORK/nc.back")" "$(sha "$WORK/nc.in")"
# axnet closed first: its side waits in TIME_WAIT, shown as [addr]:port.
expect_eq "conns: the closed connection as [addr]:port" \
	"$("$AXNET" conns --state-dir "$STATE" -t | grep -c "TIME_WAIT .*\[$AXNET_IP6\]:[0-9]* *\[$KERNEL_B6\]:5001 ")" 1
expect_eq "conns --json: the same, as [addr]:port" \
	"$(conns_owner tcp TIME_WAIT '*' "[$KERNEL_B6]:5001" | wc -l)" 1

# --- the policy's IPv6 prefixes ------------------------------------------------------
denied0=$(stat xdp flow_denied)
out=$(ip netns exec "$NS_B" timeout 10 /usr/bin/python3 - "$DENIED_B6" "$AXNET_IP6" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET6)
s.bind((sys.argv[1], 0))
s.settimeout(3.5)   # the SYN and its retry after 1 s (and 3 s)
try:
    s.connect((sys.argv[2], 7))
    print("connected")
except socket.timeout:
    print("timeout")
except OSError as e:
    print("error", e.errno)
EOF
)
expect_eq "a connection from the denied IPv6 peer" "$out" timeout
[ $(( $(stat xdp flow_denied) - denied0 )) -ge 1 ] || fail "XDP dropped no retried SYN of the denied peer"
pass "the denied IPv6 peer's retries dropped in XDP ($(( $(stat xdp flow_denied) - denied0 )))"
"$AXNET" log --state-dir "$STATE" |
	grep -E "connection-reject dir=in proto=tcp local=\[$AXNET_IP6\]:7 remote=\[$DENIED_B6\]:[0-9]+ " ||
	fail "no reject entry naming [$DENIED_B6]"
# The deny verdict's key: family 6, both 16-byte addresses.
bpftool map dump pinned "/sys/fs/bpf/axnet/$IF_A/flows" | /usr/bin/python3 -c '
import ipaddress, json, sys
want = ipaddress.ip_address(sys.argv[1]).packed
for e in json.load(sys.stdin):
    k, v = e.get("key") or e.get("formatted", {}).get("key"), e.get("value") or e.get("formatted", {}).get("value")
    if isinstance(k, dict) and k["family"] == 6 and bytes(int(x, 0) if isinstance(x, str) else x for x in k["raddr"]) == want \
       and v["verdict"] == 2:
        sys.exit(0)
sys.exit(1)' "$DENIED_B6" || fail "no deny verdict keyed by [$DENIED_B6] in the flows map"
pass "the deny verdict is keyed by family 6 and the peer's 16 bytes"
msg=$(timeout 10 "$AXNET" nc --state-dir "$STATE" "$KERNEL_B6" 5002 </dev/null 2>&1) &&
	fail "an outbound connection the policy does not allow succeeded"
echo "$msg" | grep -q "authorization denied" || fail "nc to a denied port says: $msg"
pass "outbound over IPv6 to a port the policy does not allow: EACCES"

# --- dual stack ----------------------------------------------------------------------
send_to() { # ADDR PORT TEXT: one connection from the kernel, TEXT, then FIN
	ip netns exec "$NS_B" timeout 10 /usr/bin/python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.sendall(sys.argv[3].encode())
s.shutdown(socket.SHUT_WR)
s.recv(1)' "$@"
}
for fam in 4 6; do
	bare nc$fam timeout 20 "$AXNET" nc --state-dir "$STATE" -l 600$fam
	wait_conn tcp LISTEN "[::]:600$fam" '*'
	if [ $fam = 4 ]; then send_to "$AXNET_IP" 6004 "from IPv4"; else send_to "$AXNET_IP6" 6006 "from IPv6"; fi ||
		fail "the kernel's connection to the dual-stack listener (IPv$fam)"
done
done_ok nc4
done_ok nc6
expect_eq "dual-stack listener: the IPv4 peer's data" "$(cat "$WORK/nc4.out")" "from IPv4"
expect_eq "dual-stack listener: the IPv6 peer's data" "$(cat "$WORK/nc6.out")" "from IPv6"
bare nc6only timeout 20 "$AXNET" nc --state-dir "$STATE" -6 -l 6002
wait_conn tcp LISTEN "[::]:6002" '*'
out=$(ip netns exec "$NS_B" timeout 10 /usr/bin/python3 -c '
import socket, sys
try:
    socket.create_connection((sys.argv[1], 6002), timeout=5)
    print("connected")
except ConnectionRefusedError:
    print("refused")' "$AXNET_IP")
expect_eq "a V6ONLY listener and an IPv4 peer" "$out" refused
send_to "$AXNET_IP6" 6002 "v6only" || fail "the V6ONLY listener's IPv6 peer"
done_ok nc6only
expect_eq "V6ONLY listener: the IPv6 peer's data" "$(cat "$WORK/nc6only.out")" "v6only"

# --- stock programs under axnet exec with IPv6 sockets --------------------------------
mkdir "$WORK/www"
random_file "$WORK/www/big.bin" $((4 << 20))
WANT=$(sha "$WORK/www/big.bin")
bare as axexec /usr/bin/python3 -m http.server -b :: -d "$WORK/www" 8080
wait_conn tcp LISTEN "[::]:8080" '*'
expect_owner "python3 -m http.server -b ::" "$PYTHON" tcp LISTEN "[::]:8080" '*'
for fam in 6 4; do
	url="http://[$AXNET_IP6]:8080/big.bin"
	[ $fam = 4 ] && url="http://$AXNET_IP:8080/big.bin"
	out=$(in_b curl -$fam -sS -o "$WORK/got$fam" -w '%{http_code} %{size_download}' "$url" \
		2>"$WORK/curl$fam.err") || fail "the kernel's curl -$fam: $?"
	expect_eq "http.server -b :: on axnet, curl -$fam: status and size" "$out" "200 $((4 << 20))"
	expect_eq "http.server -b :: on axnet, curl -$fam: SHA-256" "$(sha "$WORK/got$fam")" "$WANT"
done
expect_logged "http.server's IPv6 connection" "$PYTHON" "dir=in proto=tcp local=\\[$AXNET_IP6\\]:8080 "
expect_logged "http.server's IPv4 connection (a mapped peer)" "$PYTHON" "dir=in proto=tcp local=$AXNET_IP:8080 "
kill -TERM "$PID_as"
wait "$PID_as"
bare ks2 in_b /usr/bin/python3 -m http.server -b "$KERNEL_B6" -d "$WORK/www" 8081
kernel_listening tcp 8081
bare curl axexec curl -6 -sS -o "$WORK/got_out" -w '%{http_code} %{size_download}\n' \
	"http://[$KERNEL_B6]:8081/big.bin"
done_ok curl
expect_eq "curl -6 under axnet exec: status and size" "$(cat "$WORK/curl.out")" "200 $((4 << 20))"
expect_eq "curl -6 under axnet exec: SHA-256" "$(sha "$WORK/got_out")" "$WANT"
expect_logged "curl -6" "$CURL" "dir=out proto=tcp .*remote=\\[$KERNEL_B6\\]:8081 "

# --- UDP over IPv6 --------------------------------------------------------------------
udp_echo() { # ADDR N: N datagrams to axnet's udp-echo, each waiting for its echo
	ip netns exec "$NS_B" timeout 30 /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.0)
ok = 0
for i in range(int(sys.argv[2])):
    m = b"datagram %d" % i
    s.sendto(m, (sys.argv[1], 7))
    try:
        d, src = s.recvfrom(2048)
        ok += d == m and src[0] == sys.argv[1]
    except socket.timeout:
        pass
print(ok)' "$@"
}
expect_eq "udp-echo over IPv6: datagrams echoed from [$AXNET_IP6]:7" "$(udp_echo "$AXNET_IP6" 20)" 20
expect_eq "udp-echo on [::], an IPv4 peer: datagrams echoed" "$(udp_echo "$AXNET_IP" 5)" 5
"$AXNET" log --state-dir "$STATE" |
	grep -qE "connection-authorize dir=in proto=udp local=\[$AXNET_IP6\]:7 remote=\[$KERNEL_B6\]:[0-9]+ " ||
	fail "no authorize entry for the IPv6 UDP flow"
bare ku ip netns exec "$NS_B" timeout 20 /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 5003))
print("bound", flush=True)
d, src = s.recvfrom(2048)
print("got", d.decode(), "from", src[0], flush=True)
s.sendto(b"back over IPv6", src)' "$KERNEL_B6"
wait_for ku '^bound'
out=$(printf 'udp six' | timeout 10 "$AXNET" nc --state-dir "$STATE" -u -w 1 "$KERNEL_B6" 5003) ||
	fail "axnet nc -u [$KERNEL_B6]:5003 exited with $?"
done_ok ku
expect_eq "axnet nc -u over IPv6: what the kernel got" "$(cat "$WORK/ku.out" | sed -n 2p)" \
	"got udp six from $AXNET_IP6"
expect_eq "axnet nc -u over IPv6: the answer" "$out" "back over IPv6"

# --- getaddrinfo's order under axnet exec ----------------------------------------------
# A name with both records, both reachable through axnet: glibc puts the
# IPv6 one first (RFC 3484 rule 6 with glibc's table); so does the library.
bare dns ip netns exec "$NS_B" timeout -k 5 60 python3 tests/tools/dns_peer.py "$KERNEL_B" 53 \
	both.axnet.test="$KERNEL_B" both.axnet.test="$KERNEL_B6"
wait_for dns '^listening'
printf 'nameserver %s\noptions timeout:1 attempts:2\n' "$KERNEL_B" >"$WORK/resolv.conf"
prog res unshare -m --propagation private sh -c \
	'mount --bind "$1" /etc/resolv.conf && shift && exec env LD_PRELOAD="$0" "$@"' \
	"$(realpath "$AXNET_PRELOAD")" "$WORK/resolv.conf" "$AX_TOOLS_DIR/px_preload" resolve \
	both.axnet.test 4:both.axnet.test 6:both.axnet.test
done_ok res
res() { awk -v n="$1" '$1 == "resolved" && $2 == n { $1 = $2 = ""; sub(/^ +/, ""); print }' "$WORK/res.out"; }
expect_eq "getaddrinfo AF_UNSPEC, both usable: IPv6 first" "$(res both.axnet.test)" \
	"addrs=$KERNEL_B6,$KERNEL_B canon=both.axnet.test"
expect_eq "getaddrinfo AF_INET" "$(res 4:both.axnet.test)" "addrs=$KERNEL_B canon=both.axnet.test"
expect_eq "getaddrinfo AF_INET6" "$(res 6:both.axnet.test)" "addrs=$KERNEL_B6 canon=both.axnet.test"
stop_relay

# --- under loss ----------------------------------------------------------------------
start_relay --loss 2 --delay 1
retx0=$(stat engine tcp_retransmits)
out=$(ip netns exec "$NS_B" timeout 240 $CLIENT "$AXNET_IP6" 7 --bytes $((2 << 20)) \
	--seed "$SEED" --timeout 200) || { echo "$out"; fail "echo over IPv6 with 2% loss"; }
stop_relay
echo "$out"
retx=$(( $(stat engine tcp_retransmits) - retx0 ))
echo "loss2: relay dropped $(relay_sum dropped); axnet retransmitted $retx segments"
[ "$(relay_sum dropped)" -gt 0 ] || fail "loss2: the relay dropped nothing"
[ "$retx" -gt 0 ] || fail "loss2: no retransmissions counted"
pass "echo over IPv6 with 2% loss: 2 MiB intact"

"$AXNET" log verify --state-dir "$STATE" >/dev/null || fail "axnet log verify"
stop_axnet
exit 0
