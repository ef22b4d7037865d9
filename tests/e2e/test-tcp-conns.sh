#!/usr/bin/env bash
# 1,000 concurrent connections to axnet's echo service from one kernel
# client process: every echo byte-exact; `axnet conns` lists all of them
# ESTABLISHED while they are held open; afterwards nothing is left but the
# listener (axnet closes second in echo, so it keeps no TIME_WAIT), the
# engine's open/close counters balance, and axnet's RSS falls back from
# its peak (each connection has two 256 KiB rings, freed on close).
. "$(dirname "$0")/lib.sh"

# ASan keeps freed memory in a quarantine (256 MiB by default) to catch
# use after free; with 500 MiB of rings freed at once RSS would measure the
# quarantine, not the engine. A small one still catches the quick reuse.
export ASAN_OPTIONS="$ASAN_OPTIONS:quarantine_size_mb=16"

N=${CONNS:-1000}
WORK=$(mktemp -d /tmp/axnet-conns.XXXXXX)
CLIENT_PID=

conns_cleanup() {
	local rc=$?
	[ -n "$CLIENT_PID" ] && kill "$CLIENT_PID" 2>/dev/null
	rm -rf "$WORK"
	(exit $rc)
	cleanup
}
trap conns_cleanup EXIT

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$AXNET_PID/status"; }
# Connections other than listeners.
not_listen() { "$AXNET" conns --state-dir "$STATE" | awk 'NR > 1 && $3 != "LISTEN"' | wc -l; }

make_pair
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" --serve echo:7
rss_before=$(rss_kb)

start=$(date +%s.%N)
ip netns exec "$NS_B" timeout 60 python3 tests/tools/tcp_many_client.py "$AXNET_IP" 7 \
	--conns "$N" --seed "$ID" --hold-file "$WORK/go" --timeout 45 >"$WORK/out" 2>&1 &
CLIENT_PID=$!
for _ in $(seq 400); do
	grep -q '^open ' "$WORK/out" && break
	kill -0 "$CLIENT_PID" 2>/dev/null || break
	sleep 0.1
done
grep -q "^open $N\$" "$WORK/out" || { cat "$WORK/out"; fail "not all $N connections echoed"; }
held=$(date +%s.%N)

# All open: count them in axnet's own table, and take the peak RSS.
est=$("$AXNET" conns --state-dir "$STATE" | awk '$3 == "ESTABLISHED"' | wc -l)
rss_peak=$(rss_kb)
touch "$WORK/go"
wait "$CLIENT_PID" || { cat "$WORK/out"; fail "the client saw errors"; }
CLIENT_PID=
tail -1 "$WORK/out"
pass "$N connections opened at once, each echoed its own message byte-exact"
expect_eq "ESTABLISHED connections in axnet conns while held" "$est" "$N"

# The client got every FIN; our last ACKs may still be on their way.
for _ in $(seq 100); do
	left=$(not_listen)
	[ "$left" -eq 0 ] && break
	sleep 0.1
done
done_t=$(date +%s.%N)
expect_eq "connections left after the close (listener aside)" "$left" 0
snapshot
expect_eq "engine tcp_conns_opened - tcp_conns_closed" \
	"$(( $(snap engine tcp_conns_opened) - $(snap engine tcp_conns_closed) ))" 0
expect_eq "engine tcp_passive_opens" "$(snap engine tcp_passive_opens)" "$N"
echo "retransmits $(snap engine tcp_retransmits), backlog drops $(snap engine tcp_backlog_drops)," \
	"xsk rx_dropped $(snap xsk rx_dropped)"

# Memory comes back: of what the connections added to RSS, at most a
# quarter may stay (allocator caches: glibc's arenas, ASan's quarantine).
# Only touched pages count, so the peak is well under N * 512 KiB.
rss_after=$(rss_kb)
echo "axnet RSS: before $rss_before kB, $N connections open $rss_peak kB, after close $rss_after kB"
[ "$rss_after" -lt "$rss_peak" ] || fail "RSS did not fall after the close ($rss_peak -> $rss_after kB)"
[ $(( (rss_after - rss_before) * 4 )) -le $(( rss_peak - rss_before )) ] ||
	fail "RSS kept $((rss_after - rss_before)) of the $((rss_peak - rss_before)) kB the connections took"
pass "RSS gave back $(( (rss_peak - rss_after) * 100 / (rss_peak - rss_before) ))% of what the connections took"
awk -v s="$start" -v h="$held" -v d="$done_t" 'BEGIN {
	printf "timings: open+echo %.1f s, close until the table was empty %.1f s\n", h - s, d - h }'
stop_axnet
exit 0
