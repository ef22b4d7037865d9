#!/usr/bin/env bash
# A SYN flood from the kernel peer (hping3, random spoofed sources, bounded
# in time) while a bulk transfer runs through axnet's echo service: the
# transfer completes intact, new legitimate connections are accepted during
# the flood, and the half-open queue stays at the SYN cookies' threshold:
# the flood's first AX_TCP_SYNCOOKIE_HALFOPEN (16) SYNs made connections
# (their SYN-ACKs have no route, so they stay half-open), every later SYN
# got a cookie, and nothing was evicted.
. "$(dirname "$0")/lib.sh"

CLIENT="python3 tests/tools/tcp_echo_client.py"
FLOOD_S=${FLOOD_S:-6}
command -v hping3 >/dev/null || fail "hping3 missing (make deps)"
make_pair
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" --serve echo:7

# Bulk transfer in the background, then the flood on top of it.
ip netns exec "$NS_B" timeout 120 $CLIENT "$AXNET_IP" 7 --bytes $((32 << 20)) --seed 3 \
	> "$AXNET_LOG.bulk" 2>&1 &
BULK=$!
sleep 0.2
ip netns exec "$NS_B" timeout "$FLOOD_S" hping3 -q -S -p 7 --flood --rand-source "$AXNET_IP" \
	>/dev/null 2>&1 &
FLOOD=$!
sleep 1

# New connections while the flood runs: each must be accepted and echo,
# within two attempts. The ASan engine loses most of the flood at the
# AF_XDP ring, a legitimate SYN or ACK among it, and a real client tries
# again (a lost cookie ACK is made good by the next segment: it carries the
# cookie too).
ok=0 retried=0
for i in 1 2 3 4 5; do
	for attempt in 1 2; do
		if ip netns exec "$NS_B" timeout 10 $CLIENT "$AXNET_IP" 7 --bytes 4096 --seed "$i" \
			--timeout 8 >/dev/null 2>&1; then
			ok=$((ok + 1))
			break
		fi
		retried=$((retried + 1))
	done
done
echo "legitimate connections during the flood: $ok of 5 echoed, $retried retried"
flood_rx=$(stat engine tcp_syncookies_sent)
wait $FLOOD
wait $BULK || { cat "$AXNET_LOG.bulk"; fail "bulk transfer during the flood"; }
cat "$AXNET_LOG.bulk"; rm -f "$AXNET_LOG.bulk"
pass "32 MiB echoed intact through a ${FLOOD_S}s SYN flood"
expect_eq "legitimate connections accepted during the flood" "$ok" 5
snapshot
echo "flood: SYNs taken $(snap engine tcp_passive_opens), cookies $(snap engine tcp_syncookies_sent)," \
	"evicted $(snap engine tcp_syn_evicted), xdp redirected $(snap xdp redirected)," \
	"xsk rx_dropped $(snap xsk rx_dropped)"
[ "$flood_rx" -gt 1000 ] || fail "the flood did not reach axnet ($flood_rx SYN cookies)"
expect_eq "half-open connections evicted" "$(snap engine tcp_syn_evicted)" 0
pending=$("$AXNET" conns --state-dir "$STATE" | grep -c SYN_RECEIVED)
expect_eq "half-open connections (the SYN cookies' threshold)" "$pending" 16
stop_axnet
exit 0
