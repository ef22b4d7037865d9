#!/usr/bin/env bash
# Stock iperf3 (Debian's 3.12) under axnet, stock iperf3 on the kernel as
# its peer:
#  - `iperf3 -s -B ADDR` under axnet, measured from the kernel by
#    `iperf3 -c -J`: TCP, -R, -P 4, -u -b 1G. From the JSON: no error; TCP,
#    each stream's receiver counted what its sender sent (within what
#    iperf3 leaves uncounted at TEST_END); UDP, datagrams received and the
#    loss reported. From axnet's log, a second count: each data stream's
#    connection-close entry carries bytes between what iperf3's receiver
#    counted and what its sender wrote (plus iperf3's 37-byte cookie);
#    iperf3 3.12 stops reading at TEST_END, so neither count can equal the
#    sender's exactly, on the kernel either (tests/tools/iperf3_check.py);
#  - `iperf3 -c` under axnet against a kernel `iperf3 -s`, the same way;
#  - the connections carry /usr/bin/iperf3 in `axnet conns --json` and in
#    the log's connection-authorize entries;
#  - without -B or -4 iperf3 asks for an IPv6 listener, which axnet
#    refuses (EAFNOSUPPORT) until it has IPv6: iperf3 warns and listens on
#    IPv4, on axnet.
# EXEC_ON=kernel runs it all with iperf3 -s on the kernel (the reference).
# e2e-timeout: 180
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/libaxnet.sh"
. "$(dirname "$0")/exec_servers.sh"

SECS=${EXEC_IPERF3_SECS:-2}
IPERF3=$(exe_of iperf3)
CHECK=tests/tools/iperf3_check.py

exec_setup

# check NAME tcp|udp [iperf3_check.py's --side/--reverse]: the JSON of the
# run NAME (in $WORK/NAME.out) checked, and with axnet its log too.
check() {
	local name=$1 proto=$2 out ok tries=1
	shift 2
	local logargs=()
	if [ "$EXEC_ON" = axnet ] && [ "$proto" = tcp ]; then
		logargs=(--log "$WORK/log.txt" "$@")
		# The streams' connection-close entries come when they are
		# freed (after a TIME_WAIT of 200 ms here): a few tries.
		tries=50
	fi
	for _ in $(seq $tries); do
		[ ${#logargs[@]} -eq 0 ] || "$AXNET" log --state-dir "$STATE" >"$WORK/log.txt" ||
			fail "axnet log"
		ok=0
		out=$(/usr/bin/python3 "$CHECK" "$WORK/$name.out" "$proto" "${logargs[@]}" 2>&1) && ok=1
		[ $ok -eq 1 ] && break
		echo "$out" | grep -q 'no connection-close' || break
		sleep 0.1
	done
	[ $ok -eq 1 ] || fail "$name: $out"
	echo "$out" | sed "s/^/$name: /"
	pass "$name: iperf3 JSON${logargs:+ and the axnet log} agree"
}

# --- iperf3 -s under axnet --------------------------------------------------------
ax_bg srv iperf3 -s -B "$SRV" -p 5201 --forceflush
wait_line srv 'Server listening on 5201'

# TCP; while it runs, the table shows iperf3's connections.
kernel_bg tcp iperf3 -c "$SRV" -p 5201 -J -t "$SECS"
sleep 1
conns_owner_check "iperf3 -s" "$IPERF3" 5201
done_ok tcp
check tcp tcp --side server

kernel_bg rev iperf3 -c "$SRV" -p 5201 -J -t "$SECS" -R
done_ok rev
check rev tcp --side server --reverse

kernel_bg par iperf3 -c "$SRV" -p 5201 -J -t "$SECS" -P 4
done_ok par
check par tcp --side server
expect_eq "-P 4: streams" "$(/usr/bin/python3 -c 'import json, sys
print(len(json.load(open(sys.argv[1]))["end"]["streams"]))' "$WORK/par.out")" 4

kernel_bg udp iperf3 -c "$SRV" -p 5201 -J -t "$SECS" -u -b 1G
done_ok udp
check udp udp
still_running srv
log_owner_check "iperf3 -s" "$IPERF3" in "local=$SRV:5201"

# --- iperf3 -c under axnet ---------------------------------------------------------
kernel_bg ksrv iperf3 -s -B "$KERNEL_B" -p 5202 --forceflush
wait_line ksrv 'Server listening on 5202'
ax_bg cli iperf3 -c "$KERNEL_B" -p 5202 -J -t "$SECS"
sleep 1
conns_owner_check "iperf3 -c" "$IPERF3" 5202
done_ok cli
check cli tcp --side client
log_owner_check "iperf3 -c" "$IPERF3" out "remote=$KERNEL_B:5202"

# --- Dual stack ------------------------------------------------------------------
# Without -B or -4 iperf3 listens on an AF_INET6 socket bound to ::. axnet's
# AF_INET6 sockets are dual-stack (IPV6_V6ONLY off, as Linux's bindv6only=0),
# so iperf3 keeps it (no "trying IPv4" fallback) and the kernel's IPv4 client
# reaches it (accepted as ::ffff:a.b.c.d).
if axnet_only "iperf3 -s without -B/-4 (dual stack)"; then
	ax_bg six iperf3 -s -p 5203 --forceflush
	wait_line six 'Server listening on 5203'
	! grep -q 'does not seem to support IPv6' "$WORK/six.err" ||
		fail "iperf3 -s without -B/-4 fell back to IPv4: $(cat "$WORK/six.err")"
	"$AXNET" conns --state-dir "$STATE" --json >"$WORK/conns.json" || fail "axnet conns --json"
	expect_eq "iperf3 -s without -B/-4: its listener" "$(/usr/bin/python3 -c 'import json, sys
print(" ".join(r["local"] + " " + r["owner"]["exe"] for r in json.load(open(sys.argv[1]))
               if r["state"] == "LISTEN" and r["local"].endswith(":5203")))' "$WORK/conns.json")" \
		"[::]:5203 $IPERF3"
	kernel_bg six_c iperf3 -c "$SRV" -p 5203 -J -t 1
	done_ok six_c
	check six_c tcp --side server
	# iperf3 prints a mapped peer as plain IPv4 (its mapped_v4_to_regular_v4).
	grep -q "Accepted connection from $KERNEL_B," "$WORK/six.out" ||
		fail "iperf3 -s did not accept the IPv4 client $KERNEL_B: $(cat "$WORK/six.out")"
	pass "iperf3 -s without -B/-4: one dual-stack listener on [::] took the IPv4 client"
	kill "$PID_six" 2>/dev/null
fi

kill "$PID_srv" "$PID_ksrv" 2>/dev/null
wait "$PID_srv" "$PID_ksrv" 2>/dev/null
if [ "$EXEC_ON" = axnet ]; then
	"$AXNET" log verify --state-dir "$STATE" >/dev/null || fail "axnet log verify"
	stop_axnet
fi
exit 0
