#!/usr/bin/env bash
# A SYN cookie connection's first data, sent by the kernel client right
# after its handshake's ACK (as an HTTP client sends its request), arrives
# while the connection's authorization is still committing to Axiom. It
# is kept unacknowledged and acknowledged at the commit (tcp_cookie.c),
# not dropped: the client never reaches its retransmission timeout (Linux:
# 200 ms at least). With cookies on every SYN (--tcp-syncookies always),
# CONNS sequential connections to the echo service each send a request at
# once and read its echo: every one echoes, within 150 ms, the client's
# kernel retransmits nothing, and the engine counts each connection's
# request held while it waited.
. "$(dirname "$0")/lib.sh"

CONNS=${CONNS:-20}
make_pair
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" --serve echo:7 \
	--tcp-syncookies always

# Segments B's kernel TCP retransmitted (all sockets of its namespace).
peer_retx() {
	ip netns exec "$NS_B" awk '$1 == "Tcp:" { if (!c) { for (i = 1; i <= NF; i++)
		if ($i == "RetransSegs") c = i } else print $c }' /proc/net/snmp
}

retx0=$(peer_retx)
out=$(ip netns exec "$NS_B" timeout 60 /usr/bin/python3 - "$AXNET_IP" "$CONNS" <<'EOF'
import socket, sys, time
host, n = sys.argv[1], int(sys.argv[2])
worst = 0.0
ok = 0
for i in range(n):
    req = (b"GET /%d HTTP/1.0\r\n\r\n" % i) * 8
    t0 = time.monotonic()
    s = socket.create_connection((host, 7), timeout=5)
    s.sendall(req)                      # at once after the handshake's ACK
    got = b""
    while len(got) < len(req):
        b = s.recv(65536)
        if not b:
            break
        got += b
    worst = max(worst, time.monotonic() - t0)
    s.close()
    ok += got == req
print(ok, int(worst * 1000))
EOF
) || fail "client: $out"
retx=$(($(peer_retx) - retx0))
read -r echoed worst_ms <<<"$out"
echo "connections echoed $echoed of $CONNS, slowest ${worst_ms} ms, client retransmits $retx"
snapshot
echo "engine: syncookies_recv $(snap engine tcp_syncookies_recv), admit_held $(snap engine tcp_admit_held)," \
	"admit_held_dropped $(snap engine tcp_admit_held_dropped)"
expect_eq "connections that echoed" "$echoed" "$CONNS"
expect_eq "connections made from a cookie" "$(snap engine tcp_syncookies_recv)" "$CONNS"
expect_eq "segments the client retransmitted" "$retx" 0
[ "$worst_ms" -lt 150 ] || fail "slowest connection took ${worst_ms} ms (a retransmission timeout)"
pass "slowest connection under 150 ms (${worst_ms} ms)"
held=$(snap engine tcp_admit_held)
[ "$held" -ge 1 ] || fail "no request was held while its connection waited for its commit"
pass "requests held while their commit was pending: $held"
expect_eq "held segments dropped" "$(snap engine tcp_admit_held_dropped)" 0
stop_axnet
exit 0
