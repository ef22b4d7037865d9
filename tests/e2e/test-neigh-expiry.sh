#!/usr/bin/env bash
# 200 echo connections from the kernel peer, idle until axnet has dropped
# the peer's neighbour entry (reachable and stale times shortened with
# --neigh-reachable-ms/--neigh-stale-ms, so it takes seconds), then all
# closed by the client at once. The first replies find no neighbour entry:
# they queue behind a fresh resolution, and most overflow its 8-frame
# queue. Every connection must still finish: none left in LAST_ACK after a
# bounded wait (a segment lost to the queue is retransmitted on its RTO),
# and every authorization closed in the log. Seen before the fix: 192 of
# 200 stuck in LAST_ACK for ever, 0 retransmissions.
. "$(dirname "$0")/lib.sh"

N=${CONNS:-200}
WORK=$(mktemp -d /tmp/axnet-neigh.XXXXXX)
trap client_cleanup EXIT

since() { awk -v a="$(date +%s.%N)" -v b="$1" 'BEGIN { printf "%.1f", a - b }'; }
# The peer's entry in `axnet neigh --json`: its state, or "none".
peer_state() {
	"$AXNET" neigh --state-dir "$STATE" --json | /usr/bin/python3 -c '
import json, sys
e = [n for n in json.load(sys.stdin) if n["dst"] == sys.argv[1]]
print(e[0]["state"] if e else "none")' "$KERNEL_B"
}

make_pair
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" --serve echo:7 \
	--neigh-reachable-ms 1000 --neigh-stale-ms 2000

many_open "$N" 40
pass "$N connections open, each echoed"

# Idle until the entry goes: REACHABLE/DELAY/PROBE -> STALE -> freed.
t0=$(date +%s.%N)
for _ in $(seq 300); do
	st=$(peer_state)
	[ "$st" = none ] && break
	sleep 0.1
done
expect_eq "the peer's neighbour entry after idling" "$st" none
echo "entry gone after $(since "$t0") s idle"
snapshot
dropped0=$(snap engine arp_queue_dropped)
retx0=$(snap engine tcp_retransmits)

# All close at once.
t1=$(date +%s.%N)
many_close "a FIN never came?"
conns_settle 15
"$AXNET" conns --state-dir "$STATE" -t | awk 'NR > 1 && $2 != "LISTEN" { print $2 }' | sort | uniq -c
expect_eq "connections left 15 s after the close (LAST_ACK or other)" "$LEFT" 0
echo "all closed in $(since "$t1") s"
snapshot
echo "arp_queue_dropped +$(( $(snap engine arp_queue_dropped) - dropped0 )), tcp_retransmits" \
	"+$(( $(snap engine tcp_retransmits) - retx0 )), peer entry now $(peer_state)"

# Every authorization of the echo connections has its close entry.
for _ in $(seq 50); do
	"$AXNET" log --state-dir "$STATE" >"$WORK/log.txt" || fail "axnet log"
	auths=$(awk -v l="local=$AXNET_IP:7" '/connection-authorize dir=in proto=tcp/ && index($0, l) { print $1 }' \
		"$WORK/log.txt" | sort -u)
	closed=$(for a in $auths; do grep -c " connection-close auth=$a " "$WORK/log.txt"; done | grep -c '^1$')
	[ "$closed" -eq "$N" ] && break
	sleep 0.1
done
expect_eq "connection-authorize entries for the echo port" "$(echo "$auths" | grep -c .)" "$N"
expect_eq "of them, closed by a connection-close entry" "$closed" "$N"
stop_axnet
