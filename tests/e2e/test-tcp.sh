#!/usr/bin/env bash
# axnet's TCP against the Linux kernel's, over AF_XDP on a veth pair:
# 64 MiB through the echo service with SHA-256 compared, 64 MiB into the
# discard service with byte counters exact, 64 MiB from the chargen service
# with its pattern checked, the options negotiated on the SYN/SYN-ACK read
# from a capture, and a RST for a closed port.
. "$(dirname "$0")/lib.sh"

CLIENT="python3 tests/tools/tcp_echo_client.py"
MB=${TCP_TEST_MB:-64}
make_pair
ip netns exec "$NS_B" tcpdump -i "$IF_B" -n -v -c 2 -w "$AXNET_LOG.pcap" \
	"tcp[tcpflags] & tcp-syn != 0" >/dev/null 2>&1 &
DUMP=$!
sleep 0.5
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" --serve echo:7,discard:9,chargen:19

out=$(ip netns exec "$NS_B" timeout 120 $CLIENT "$AXNET_IP" 7 --bytes $((MB << 20)) --seed "$ID") ||
	{ echo "$out"; fail "echo transfer"; }
echo "$out"
pass "echo: $MB MiB out and back, SHA-256 equal"

# The SYN and SYN-ACK of that connection: options on both sides.
for _ in $(seq 50); do kill -0 $DUMP 2>/dev/null || break; sleep 0.1; done
kill $DUMP 2>/dev/null; wait $DUMP 2>/dev/null
syns=$(tcpdump -r "$AXNET_LOG.pcap" -n -v 2>/dev/null)
rm -f "$AXNET_LOG.pcap"
synack=$(echo "$syns" | grep -A1 "$AXNET_IP.7 >" | tr -d '\n')
echo "SYN-ACK: $(echo "$synack" | grep -o 'Flags.*')"
echo "$synack" | grep -q "Flags \[S\.\]" || fail "no SYN-ACK from axnet in the capture"
for opt in "mss 1460" "sackOK" "TS val" "wscale 7"; do
	echo "$synack" | grep -q "$opt" || fail "SYN-ACK lacks '$opt'"
done
pass "SYN-ACK carries mss 1460, sackOK, timestamps, wscale 7"

before=$(stat engine tcp_rx_bytes)
out=$(ip netns exec "$NS_B" timeout 120 $CLIENT "$AXNET_IP" 9 --bytes $((MB << 20)) --discard) ||
	{ echo "$out"; fail "discard transfer"; }
echo "$out"
sleep 0.2
expect_eq "discard: engine tcp_rx_bytes grew by" "$(( $(stat engine tcp_rx_bytes) - before ))" $((MB << 20))

# Nothing listens on 5555: the kernel's connect is refused by our RST.
rst0=$(stat engine tcp_rst_tx)
msg=$(ip netns exec "$NS_B" timeout 5 nc -z -w 2 "$AXNET_IP" 5555 2>&1) && fail "connect to a closed port succeeded"
expect_eq "RSTs sent for the closed port" "$(( $(stat engine tcp_rst_tx) - rst0 ))" 1

# Chargen: its pattern, as fast as TCP takes it; our close with unread data
# is a RST from the kernel, and that ends the service's connection.
out=$(ip netns exec "$NS_B" timeout 120 $CLIENT "$AXNET_IP" 19 --bytes $((MB << 20)) --recv --chargen) ||
	{ echo "$out"; fail "chargen transfer"; }
echo "$out"
for _ in $(seq 50); do
	"$AXNET" conns --state-dir "$STATE" -t | grep -q "ESTABLISHED .* $AXNET_IP:19 " || break
	sleep 0.1
done
expect_eq "chargen connections left after the reader closed" \
	"$("$AXNET" conns --state-dir "$STATE" -t | grep -c " $AXNET_IP:19 .*$KERNEL_B:")" 0

# axnet as the client: `axnet nc` to a kernel echo server, SHA-256 both ways.
ip netns exec "$NS_B" timeout 60 python3 tests/tools/tcp_echo_server.py "$KERNEL_B" 5001 >/dev/null 2>&1 &
SRV=$!
for _ in $(seq 50); do ip netns exec "$NS_B" ss -ltn | grep -q ":5001 " && break; sleep 0.1; done
head -c $((16 << 20)) /dev/urandom > "$AXNET_LOG.in"
timeout 60 "$AXNET" nc --state-dir "$STATE" "$KERNEL_B" 5001 < "$AXNET_LOG.in" > "$AXNET_LOG.out" ||
	fail "axnet nc exited non-zero"
wait $SRV
a=$(sha256sum < "$AXNET_LOG.in" | cut -c1-64); b=$(sha256sum < "$AXNET_LOG.out" | cut -c1-64)
rm -f "$AXNET_LOG.in" "$AXNET_LOG.out"
expect_eq "axnet nc -> kernel echo server: SHA-256 of 16 MiB back" "$b" "$a"
expect_eq "our side of the closed connection" "$("$AXNET" conns --state-dir "$STATE" | grep -c "TIME_WAIT .* $KERNEL_B:5001 ")" 1
msg=$(timeout 10 "$AXNET" nc --state-dir "$STATE" "$KERNEL_B" 5999 < /dev/null 2>&1) && fail "nc to a closed port succeeded"
echo "$msg" | grep -q "Connection refused" || fail "nc to a closed port says: $msg"
pass "axnet nc to a closed kernel port: Connection refused"

snapshot
echo "engine: tcp_rx $(snap engine tcp_rx) tcp_tx $(snap engine tcp_tx) retransmits $(snap engine tcp_retransmits) ooo $(snap engine tcp_ooo_segs)"
# All closed but the one in TIME_WAIT (2*MSL on our side, as the active closer).
expect_eq "connections left (one in TIME_WAIT)" "$(( $(snap engine tcp_conns_opened) - $(snap engine tcp_conns_closed) ))" 1
expect_eq "TCP segments with bad checksums" "$(snap engine tcp_bad_csum)" 0
stop_axnet
exit 0
