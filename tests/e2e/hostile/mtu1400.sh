#!/usr/bin/env bash
# A link narrower than both ends (RFC 1191 path MTU discovery): the
# impairment relay stands for a router whose far link has an MTU of 1400
# while axnet and the kernel peer both have 1500 (so each offers MSS 1460).
# A DF packet over 1400 bytes is dropped and its sender gets ICMP
# "fragmentation needed" (next-hop MTU 1400) from the router's address.
# 16 MiB echoed through axnet (both directions carry full-sized segments)
# and 16 MiB of chargen from axnet must arrive intact; axnet must have
# lowered its path MTU from a validated message (none rejected) and its
# segments must fit: after the first round trip the relay sees none over
# 1400 from axnet but the few sent before the ICMP came back. Without path
# MTU discovery every full segment from axnet is dropped and the transfer
# times out. In between, a forged frag-needed quoting a live connection but
# a sequence number outside what it has in flight (RFC 5927) changes nothing.
#
#   axnet (NS_A, AF_XDP on IF_A) -- relay, MTU 1400 (NS_M) -- kernel (NS_B)
. "$(dirname "$0")/../lib.sh"

IMPAIR=${IMPAIR:-build/tests/impair}
SEED=${SEED:-1400}
MIB=${MIB:-16}
TIMEOUT=${TIMEOUT:-60}
NS_M="axt${ID}m"
IF_MA="axma${ID}"
IF_MB="axmb${ID}"
ROUTER="$P.254"
CLIENT="python3 tests/tools/tcp_echo_client.py"
WORK=$(mktemp -d /tmp/axnet-mtu1400.XXXXXX)
trap relay_cleanup EXIT
[ -x "$IMPAIR" ] || fail "no $IMPAIR (make $IMPAIR)"

relay_topology "$NS_A" "$IF_A" "$NS_M" "$IF_MA" "$IF_MB" "$NS_B" "$IF_B"
ip -n "$NS_B" addr add "$KERNEL_B/24" dev "$IF_B"
ip -n "$NS_B" link set lo up # scapy wants an address on lo
ip -n "$NS_B" neigh replace "$AXNET_IP" lladdr "$(mac_of "$NS_A" "$IF_A")" dev "$IF_B" nud permanent

start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" --serve echo:7,chargen:19

relay_start "$IF_MA" "$IF_MB" --seed "$SEED" --mtu 1400 --router "$ROUTER"

# rs NAME: a counter the relay wrote on SIGUSR1 (or at exit).
rs() { awk -v n="$1" '$1 == n { print $2; f = 1 } END { if (!f) print "missing" }' "$WORK/stats"; }
relay_stats() {
	rm -f "$WORK/stats"
	kill -USR1 "$RELAY_PID"
	for _ in $(seq 50); do [ -f "$WORK/stats" ] && return 0; sleep 0.1; done
	fail "relay wrote no counters"
}
# goodput BYTES LINE: MB/s from the client's "in N.NNs".
goodput() {
	local s
	s=$(echo "$2" | sed -n 's/.* in \([0-9.]*\)s .*/\1/p')
	awk -v b="$1" -v s="$s" 'BEGIN { printf "%.1f MB/s (%.2f s)", b / s / 1e6, s }'
}

BYTES=$((MIB << 20))
# 1. echo: axnet sends full segments back, the kernel sends them out.
out=$(ip netns exec "$NS_B" timeout $((TIMEOUT + 20)) $CLIENT "$AXNET_IP" 7 --bytes "$BYTES" \
	--seed "$SEED" --timeout "$TIMEOUT") || { echo "$out"; fail "echo through the 1400 link: $out"; }
echo "echo: $out"
pass "$MIB MiB echoed intact through a 1400-byte link: $(goodput "$BYTES" "$out") each way"
relay_stats
l2r_big=$(rs l2r_too_big) r2l_big=$(rs r2l_too_big)
[ "$(rs l2r_frag_needed_sent)" -ge 1 ] || fail "the relay sent axnet no frag-needed (l2r too_big $l2r_big)"
[ "$(rs r2l_frag_needed_sent)" -ge 1 ] || fail "the relay sent the kernel no frag-needed (r2l too_big $r2l_big)"
snapshot
expect_eq "frag-needed rejected by axnet" "$(snap engine icmp_frag_needed_rejected)" 0
lowered=$(snap engine tcp_pmtu_lowered)
[ "$lowered" -eq 1 ] || fail "tcp_pmtu_lowered is $lowered, want 1"
pass "axnet lowered its path MTU once from $(snap engine icmp_frag_needed_rx) frag-needed; relay: $l2r_big too big from axnet, $r2l_big from the kernel"

# 2. A forged frag-needed (RFC 5927): it quotes a live connection of axnet's
# but a sequence number outside what axnet has in flight, so it changes
# nothing; the connection's small echo goes on.
out=$(ip netns exec "$NS_B" timeout 30 /usr/bin/python3 - "$AXNET_IP" "$KERNEL_B" "$ROUTER" "$IF_B" <<'PY'
import random, socket, sys
from scapy.all import ICMP, IP, TCP, conf, send
conf.verb = 0
axnet, me, router, iface = sys.argv[1:5]
s = socket.create_connection((axnet, 7), timeout=10)
port = s.getsockname()[1]
quote = IP(src=axnet, dst=me, flags="DF", len=1500) / TCP(sport=7, dport=port,
                                                           seq=random.getrandbits(32))
send(IP(src=router, dst=axnet) / ICMP(type=3, code=4, nexthopmtu=576) / bytes(quote)[:28],
     iface=iface)
s.sendall(b"x" * 100)
got = b""
while len(got) < 100:
    d = s.recv(100)
    if not d:
        break
    got += d
s.close()
print(f"echoed {len(got)} bytes after the forged frag-needed")
sys.exit(0 if got == b"x" * 100 else 1)
PY
) || { echo "$out"; fail "forged frag-needed: $out"; }
echo "$out"
for _ in $(seq 20); do [ "$(stat engine icmp_frag_needed_rejected)" = 1 ] && break; sleep 0.1; done
snapshot
expect_eq "forged frag-needed rejected" "$(snap engine icmp_frag_needed_rejected)" 1
expect_eq "path MTUs lowered, all told" "$(snap engine tcp_pmtu_lowered)" 1

# 3. chargen: axnet sends, nothing but ACKs come back. The path MTU learned
# above is remembered: a new connection starts at the right size, so the
# relay sees no new oversized frame from axnet.
out=$(ip netns exec "$NS_B" timeout $((TIMEOUT + 20)) $CLIENT "$AXNET_IP" 19 --recv --chargen \
	--bytes "$BYTES" --timeout "$TIMEOUT") || { echo "$out"; fail "chargen through the 1400 link: $out"; }
echo "chargen: $out"
pass "$MIB MiB of chargen intact through a 1400-byte link: $(goodput "$BYTES" "$out")"
relay_stats
expect_eq "frames over 1400 from axnet on a new connection" "$(rs l2r_too_big)" "$l2r_big"

kill -TERM "$RELAY_PID"
wait "$RELAY_PID" || fail "relay exited non-zero"
RELAY_PID=
stop_axnet
exit 0
