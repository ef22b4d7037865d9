#!/usr/bin/env bash
# The CLI's documented errors: bad arguments, no instance, a second
# instance, unreachable destinations, and an interface that already carries
# someone else's XDP program.
. "$(dirname "$0")/lib.sh"

expect_code() { # WANT CMD...
	local want=$1; shift
	"$@" >/dev/null 2>&1; local rc=$?
	[ $rc -eq "$want" ] || fail "'$*' exited $rc, want $want"
	pass "'$*' exits $want"
}

expect_code 2 "$AXNET"
expect_code 2 "$AXNET" bogus
expect_code 0 "$AXNET" --help
for c in run stats ping demo; do expect_code 0 "$AXNET" "$c" --help; done
expect_code 2 "$AXNET" run --ifname x
expect_code 2 "$AXNET" run --ifname x --addr 10.0.0.1
expect_code 2 "$AXNET" run --ifname x --addr 10.0.0.1/33
expect_code 2 "$AXNET" run --ifname x --addr 10.0.0.1/24 --backend nope
expect_code 2 "$AXNET" run --ifname x --addr 10.0.0.1/24 --queues two
expect_code 2 "$AXNET" run --ifname x --addr 10.0.0.1/24 --queues 0
expect_code 2 "$AXNET" run --ifname x --addr 10.0.0.1/24 --tcp-cc bbr
expect_code 2 "$AXNET" run --ifname x --addr 10.0.0.1/24 --tcp-keepalive 1,2
for v in "" -1 5s 86400001 99999999999999999999; do
	expect_code 2 "$AXNET" run --ifname x --addr 10.0.0.1/24 --tcp-user-timeout "$v"
done
msg=$("$AXNET" run --ifname x --addr 10.0.0.1/24 --tcp-user-timeout 5s 2>&1)
echo "$msg" | grep -q -- "--tcp-user-timeout wants 0..86400000 milliseconds, got '5s'" ||
	fail "bad --tcp-user-timeout says: $msg"
pass "bad --tcp-user-timeout says why"
for v in 99 3600001 1s ""; do
	expect_code 2 "$AXNET" run --ifname x --addr 10.0.0.1/24 --neigh-reachable-ms "$v"
	expect_code 2 "$AXNET" run --ifname x --addr 10.0.0.1/24 --neigh-stale-ms "$v"
done
expect_code 2 "$AXNET" run --ifname x --addr 10.0.0.1/24 --serve telnet:23
expect_code 1 "$AXNET" stats --state-dir /nonexistent/axnet
msg=$("$AXNET" stats --state-dir /nonexistent/axnet 2>&1)
echo "$msg" | grep -q "no running instance" || fail "stats without instance says: $msg"
pass "stats without an instance says so"

make_pair
expect_code 1 "$AXNET" run --state-dir "$STATE-x" --ifname nosuchif0 --addr 10.0.0.1/24 --netns "$NS_A"
# (A good --tcp-user-timeout is taken.)
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" --tcp-user-timeout 120000
msg=$("$AXNET" run --state-dir "$STATE" --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" 2>&1) &&
	fail "a second instance on the same state directory started"
echo "$msg" | grep -q "another axnet instance" || fail "second instance says: $msg"
pass "second instance refused"
msg=$("$AXNET" run --state-dir "$STATE-2" --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" 2>&1) &&
	fail "a second instance on the same interface started"
echo "$msg" | grep -q "in use by another axnet instance" || fail "second instance says: $msg"
pass "second instance on the same interface refused"
[ ! -e "$STATE-2" ] || fail "a refused instance left its state directory"
# The first one is unharmed.
expect_eq "kernel ping after refused instances" "$(kernel_ping "$NS_B" 2 "$AXNET_IP")" 2

out=$("$AXNET" ping --state-dir "$STATE" -c 1 -W 1 192.0.2.1 2>&1) && fail "ping without a route succeeded"
echo "$out" | grep -q "Network is unreachable" || fail "no-route ping says: $out"
pass "ping without a route: Network is unreachable"
out=$("$AXNET" ping --state-dir "$STATE" -c 2 -i 0.2 -W 1 "$P.77" 2>&1) && fail "ping to nobody succeeded"
echo "$out" | grep -q "2 packets transmitted, 0 received" || fail "ping to nobody says: $out"
pass "ping to an absent host: 0 received"
stop_axnet

# Someone else's XDP program on the interface is not replaced.
ip -n "$NS_A" link set dev "$IF_A" xdpdrv obj "$XDP_PASS_OBJ" sec xdp || fail "loading a foreign XDP program"
msg=$("$AXNET" run --state-dir "$STATE" --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" 2>&1) &&
	fail "axnet replaced a foreign XDP program"
echo "$msg" | grep -q "already carries XDP program id [0-9]* (other_xdp)" || fail "foreign program: $msg"
pass "foreign XDP program left in place, with a clear error"
ip -n "$NS_A" link show "$IF_A" | grep -q "prog/xdp id" || fail "foreign program gone"
[ ! -e "/sys/fs/bpf/axnet/$IF_A" ] || fail "pins left behind by a refused start"
pass "refused start leaves no pins"
exit 0
