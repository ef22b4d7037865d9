#!/usr/bin/env bash
# XDP's per-source limit on first frames of unknown flows (--syn-rate):
# one source sending SYNs for new flows far faster than its rate gets
# about rate x time + burst of them to the authorizer; XDP drops the rest
# and counts them (slow_path_limited), so one peer cannot make the
# authorizer and its log work for it.
. "$(dirname "$0")/lib.sh"

command -v hping3 >/dev/null || fail "hping3 missing (make deps)"
make_pair
printf 'default deny in\ndefault allow out\n' >"$AXNET_LOG.pol"
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" --serve discard:9 \
	--policy "$AXNET_LOG.pol" --syn-rate 20,20

sp0=$(stat xdp slow_path) lim0=$(stat xdp slow_path_limited)
t0=$(date +%s.%N)
# 400 SYNs, each from a new source port (a new flow), at about 500 a second.
ip netns exec "$NS_B" timeout 20 hping3 -q -S -p 9 -c 400 -i u2000 "$AXNET_IP" >/dev/null 2>&1
t1=$(date +%s.%N)
sleep 0.3
sp=$(( $(stat xdp slow_path) - sp0 )) lim=$(( $(stat xdp slow_path_limited) - lim0 ))
max=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 20 + 20 + 2 }')
echo "400 SYNs in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s: $sp to the authorizer, $lim dropped in XDP (at most $max may pass)"
expect_eq "SYNs seen by XDP's slow path check" $((sp + lim)) 400
[ "$sp" -le "$max" ] || fail "$sp SYNs passed a limit of $max"
[ "$sp" -ge 20 ] || fail "not even the burst passed ($sp)"
expect_eq "SYNs the authorizer rejected" "$(stat authz rejected)" "$sp"
snapshot
expect_eq "xdp rx = redirected + passed + dropped" "$(snap xdp rx_packets)" \
	$(( $(snap xdp redirected) + $(snap xdp passed) + $(snap xdp dropped) ))
rm -f "$AXNET_LOG.pol"
stop_axnet
