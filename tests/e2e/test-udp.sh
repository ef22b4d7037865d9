#!/usr/bin/env bash
# axnet's UDP (the socket layer's udp-echo service) against the Linux
# kernel's: datagrams of every size echoed byte-exact with their
# boundaries, a datagram without a checksum (SO_NO_CHECK) accepted, a
# datagram to a closed port answered by an ICMP port unreachable that the
# kernel's connected socket reports as ECONNREFUSED, those answers
# rate-limited per source, and `axnet run --ports` checked.
. "$(dirname "$0")/lib.sh"

# --ports is checked before anything is touched.
"$AXNET" run --ifname none --addr 10.0.0.1/24 --ports 5-3 >/dev/null 2>&1
expect_eq "axnet run --ports 5-3 exit status" "$?" 2
"$AXNET" run --ifname none --addr 10.0.0.1/24 --ports 1-65536 >/dev/null 2>&1
expect_eq "axnet run --ports 1-65536 exit status" "$?" 2

make_pair
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" --serve udp-echo:7 \
	--ports 40000-40100

# udp_kernel MODE: the kernel's side, in its namespace; prints its result.
udp_kernel() {
	ip netns exec "$NS_B" python3 - "$AXNET_IP" "$1" <<'EOF'
import os, socket, sys, time
host, mode = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2.0)
if mode == "echo":
    # Every size from 0 to 1472 (the MTU's payload), one datagram each,
    # each back whole and alone.
    s.connect((host, 7))
    ok = 0
    for n in range(0, 1473):
        msg = os.urandom(n)
        s.send(msg)
        try:
            if s.recv(4096) == msg:
                ok += 1
        except socket.timeout:
            pass
    print(ok)
elif mode == "nocsum":
    s.setsockopt(socket.SOL_SOCKET, 11, 1)  # SO_NO_CHECK: checksum 0
    s.connect((host, 7))
    s.send(b"no checksum")
    print(s.recv(100).decode())
elif mode == "refused":
    s.connect((host, 9))
    s.send(b"anyone?")
    try:
        s.recv(100)
        print("answered")
    except ConnectionRefusedError:
        print("ECONNREFUSED")
    except socket.timeout:
        print("timeout")
elif mode == "burst":
    for i in range(20):
        s.sendto(b"x", (host, 9))
    print("sent")
EOF
}

expect_eq "datagrams of 0..1472 bytes echoed whole" "$(udp_kernel echo)" 1473
expect_eq "a datagram without a checksum (SO_NO_CHECK) echoed" "$(udp_kernel nocsum)" "no checksum"
expect_eq "bad UDP checksums" "$(stat engine udp_bad_csum)" 0
expect_eq "the kernel's connected socket on a closed port gets" "$(udp_kernel refused)" ECONNREFUSED
expect_eq "ICMP port unreachables sent" "$(stat engine udp_unreach_tx)" 1
udp_kernel burst >/dev/null
sleep 0.3
tx=$(stat engine udp_unreach_tx)
limited=$(stat engine udp_unreach_limited)
expect_eq "port unreachables sent + held back for 21 datagrams" "$((tx + limited))" 21
# A source gets a burst of 6 (Linux's icmp_ratelimit), then one a second.
[ "$tx" -ge 6 ] && [ "$tx" -le 8 ] || fail "port unreachables sent: $tx, want 6 (a burst) .. 8"
pass "port unreachables rate-limited: $tx sent, $limited held back"
stop_axnet
exit 0
