#!/usr/bin/env bash
# A random-source SYN flood at an allowed port costs neither the log nor
# memory: during a 10 s `hping3 --flood --rand-source` at axnet's echo port
# (every connection allowed by policy), the Axiom entries written for
# connections other than the legitimate client's stay at most 100, axnet's
# RSS grows by less than 32 MiB, and a legitimate client connects and
# echoes checksummed data all through the flood. Spoofed SYNs are answered
# with SYN cookies once the listener's half-open queue is under pressure:
# nothing is allocated and nothing written until an ACK proves an address.
# The peer's kernel is axnet's gateway, so the SYN-ACKs to the spoofed
# sources leave (and die there), as they would on a real network.
. "$(dirname "$0")/../lib.sh"

FLOOD_S=${FLOOD_S:-10}
CLIENT="python3 tests/tools/tcp_echo_client.py"
command -v hping3 >/dev/null || fail "hping3 missing (make deps)"
make_pair
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --gw "$KERNEL_B" --netns "$NS_A" \
	--serve echo:7

rss_kib() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$AXNET_PID/status"; }
echo_once() { # echo_once SEED: one checksummed 64 KiB echo from the peer
	ip netns exec "$NS_B" timeout 12 $CLIENT "$AXNET_IP" 7 --bytes 65536 --seed "$1" \
		--timeout 10 >/dev/null 2>&1
}

# One connection first, so what any connection allocates once is in the
# baseline.
echo_once 100 || fail "echo before the flood"
sleep 0.5
head0=$(stat axiom head_seq)
rss0=$(rss_kib)

ip netns exec "$NS_B" timeout "$FLOOD_S" hping3 -q -S -p 7 --flood --rand-source "$AXNET_IP" \
	>/dev/null 2>&1 &
FLOOD=$!
sleep 0.5
# The legitimate client, one connection after the other while the flood
# runs (bounded: the flood ends after FLOOD_S seconds).
tries=0 ok=0 rss_max=$rss0
end=$(( $(date +%s) + FLOOD_S - 2 ))
while [ "$(date +%s)" -lt "$end" ] && [ $tries -lt 20 ]; do
	tries=$((tries + 1))
	echo_once "$tries" && ok=$((ok + 1))
	r=$(rss_kib); [ "$r" -gt "$rss_max" ] && rss_max=$r
done
syns=$(stat engine tcp_passive_opens)
cookies=$(stat engine tcp_syncookies_sent)
[ "$cookies" = missing ] && cookies=0 # a build without cookies
wait $FLOOD
r=$(rss_kib); [ "$r" -gt "$rss_max" ] && rss_max=$r
sleep 1
snapshot
rss1=$(rss_kib)
echo "flood: $(snap xdp redirected) frames redirected, SYNs taken $syns, cookies sent" \
	"$cookies, evicted $(snap engine tcp_syn_evicted), xsk rx_dropped $(snap xsk rx_dropped)"
echo "legitimate client: $ok of $tries echoed during the flood"
echo "rss: ${rss0} KiB before, ${rss_max} KiB at most during, ${rss1} KiB after"
stop_axnet

# Entries since the flood began, after the instance stopped (closes of
# connections still open then are in): all but the legitimate client's
# (its authorizations, remote=KERNEL_B, and their closes), the start and
# stop of the instance aside.
"$AXNET" log --state-dir "$STATE" --since $((head0 + 1)) > "$AXNET_LOG.entries" ||
	fail "axnet log"
total=$(wc -l < "$AXNET_LOG.entries")
flood_entries=$(awk -v me="remote=$KERNEL_B:" '
	$3 == "connection-authorize" && index($0, me) { legit[$1] = 1; next }
	$3 == "connection-close" { for (i = 4; i <= NF; i++) if ($i ~ /^auth=/) {
		split($i, kv, "="); if (kv[2] in legit) next } }
	$3 == "stop" || $3 == "start" { next }
	{ n++ } END { print n + 0 }' "$AXNET_LOG.entries")
legit=$(grep -c "connection-authorize.*remote=$KERNEL_B:" "$AXNET_LOG.entries")
echo "entries: $total since the flood began, $legit authorizations of the legitimate client," \
	"$flood_entries others"
rm -f "$AXNET_LOG.entries"

[ $((syns + cookies)) -gt 10000 ] || fail "the flood did not reach axnet ($syns SYNs, $cookies cookies)"
[ "$flood_entries" -le 100 ] ||
	fail "$flood_entries entries beyond the legitimate client's (at most 100)"
pass "$flood_entries Axiom entries beyond the legitimate client's during the flood (<= 100)"
growth=$(( (rss_max - rss0) / 1024 ))
[ $((rss_max - rss0)) -lt $((32 * 1024)) ] || fail "RSS grew by $growth MiB (at most 32)"
pass "RSS grew by $growth MiB during the flood (< 32)"
[ "$tries" -ge 3 ] || fail "only $tries client connections fit in the flood"
expect_eq "legitimate connections that echoed during the flood" "$ok" "$tries"
exit 0
