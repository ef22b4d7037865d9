#!/usr/bin/env bash
# Policy by program: two copies of one program (tests/tools/ax_xfer) at
# two paths. The policy allows the port to one executable only:
#  - out: the allowed copy connects and its bytes arrive intact; the other
#    gets EACCES from connect;
#  - in: a listener of the allowed copy takes the kernel's connection; the
#    same port listened on by the other copy takes none;
#  - the log's connection-authorize and connection-reject entries name each
#    program (exe=, pid=, uid=, gid=); `axnet conns` shows the owner.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/libaxnet.sh"

mkdir -p "$WORK/good" "$WORK/bad"
GOOD="$WORK/good/ax_xfer"
BAD="$WORK/bad/ax_xfer"
cp "$AX_XFER" "$GOOD"
cp "$AX_XFER" "$BAD"
cat >"$WORK/p.pol" <<EOF2
default deny
allow out tcp to port 5021 program $GOOD
allow in tcp to port 6021 program $GOOD
EOF2
"$AXNET" policy check "$WORK/p.pol" >/dev/null || fail "policy check"

make_pair
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" --policy "$WORK/p.pol"
log_lines() { "$AXNET" log --state-dir "$STATE"; }

# --- out ---------------------------------------------------------------------------
peer k1 tcp listen "$KERNEL_B" 5021 --recv
wait_for k1 '^listening'
bare good "$GOOD" -s 1M -S "$ID" -c "$KERNEL_B" 5021
done_ok good
done_ok k1
same_stream "out to :5021 by $GOOD" good sent k1 received $((1 << 20))
GOOD_PID=$PID_good

bare bad "$BAD" -s 1M -c "$KERNEL_B" 5021
wait "$PID_bad" && fail "$BAD connected to :5021"
grep -q 'ax_xfer: connect: Permission denied (EACCES)' "$WORK/bad.err" ||
	fail "$BAD's connect says: $(cat "$WORK/bad.err")"
pass "out to :5021 by $BAD: EACCES"
BAD_PID=$PID_bad

log_lines | grep "connection-authorize .*dir=out .*remote=$KERNEL_B:5021" |
	grep -q "pid=$GOOD_PID .*exe=$GOOD" ||
	{ log_lines >&2; fail "no connection-authorize entry naming $GOOD (pid $GOOD_PID)"; }
pass "the log's connection-authorize entry names $GOOD, pid $GOOD_PID"
log_lines | grep "connection-reject .*dir=out .*remote=$KERNEL_B:5021" |
	grep -q "pid=$BAD_PID .*exe=$BAD" ||
	{ log_lines >&2; fail "no connection-reject entry naming $BAD (pid $BAD_PID)"; }
pass "the log's connection-reject entry names $BAD, pid $BAD_PID"
log_lines | grep "uid=$(id -u) gid=$(id -g)" | grep -q "exe=$GOOD" ||
	fail "the entry's uid/gid are not the program's ($(id -u)/$(id -g))"

# --- in ----------------------------------------------------------------------------
bare good_l "$GOOD" -l 6021 -r
wait_for good_l '^listening'
peer k2 tcp connect "$AXNET_IP" 6021 --send $((1 << 20)) --rate 400000 --timeout 10
wait_for good_l '^connected'
"$AXNET" conns --state-dir "$STATE" | grep ":6021" | grep -q "$GOOD" ||
	{ "$AXNET" conns --state-dir "$STATE" >&2; fail "axnet conns does not show $GOOD as the owner"; }
pass "axnet conns shows $GOOD as the connection's owner"
done_ok k2
done_ok good_l
same_stream "in to :6021, $GOOD listening" k2 sent good_l received $((1 << 20))

bare bad_l "$BAD" -l 6021 -r
wait_for bad_l '^listening'
BAD_L_PID=$PID_bad_l
peer k3 tcp connect "$AXNET_IP" 6021 --send 1000 --timeout 3
wait "$PID_k3" && fail "the kernel connected to $BAD's listener on :6021"
grep -q '^connected' "$WORK/bad_l.out" && fail "$BAD accepted a connection on :6021"
pass "in to :6021, $BAD listening: no connection"
log_lines | grep "connection-reject .*dir=in .*local=$AXNET_IP:6021" |
	grep -q "pid=$BAD_L_PID .*exe=$BAD" ||
	{ log_lines >&2; fail "no inbound connection-reject entry naming $BAD"; }
pass "the log's inbound connection-reject entry names $BAD"
kill "$PID_bad_l" 2>/dev/null
wait "$PID_bad_l" 2>/dev/null
"$AXNET" log verify --state-dir "$STATE" >/dev/null || fail "axnet log verify"
stop_axnet
exit 0
