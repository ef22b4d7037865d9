#!/usr/bin/env bash
# Policy by owner end to end, with the kernel as the peer, on the built-in
# services (their sockets are the daemon's: its uid, gid, pid, program):
#  - `program PATH` naming axnet allows its echo port; `user 0 group 0`
#    its discard port; the connection-authorize entries name the daemon
#    (uid= gid= pid= exe=) and `axnet conns` shows it as the owner;
#  - a push that gives the echo port to another program: the live
#    connection is revoked (RST), a new SYN gets nothing, and its
#    connection-reject entry names the daemon;
#  - `axnet policy show` writes the owners as numbers and %XX paths.
. "$(dirname "$0")/lib.sh"

WORK=$(mktemp -d /tmp/axnet-policy-owner.XXXXXX)
trap 'rc=$?; rm -rf "$WORK"; (exit $rc); cleanup' EXIT

# connect_send PORT: "ok" when the kernel client connects to axnet's PORT
# and its bytes come back (echo) or are taken (discard), else what failed.
connect_send() {
	ip netns exec "$NS_B" timeout 10 python3 - "$AXNET_IP" "$1" <<'EOF'
import socket, sys
s = socket.socket()
s.settimeout(2)
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
    s.sendall(b"hello")
    if sys.argv[2] == "7":
        got = b""
        while len(got) < 5:
            d = s.recv(5 - len(got))
            if not d:
                break
            got += d
        print("ok" if got == b"hello" else "short %r" % got)
    else:
        print("ok")
except socket.timeout:
    print("timeout")
except OSError as e:
    print(e.strerror)
EOF
}

make_pair
exe=$(readlink -f "$AXNET")
case "$exe" in *[!A-Za-z0-9/._+-]*) fail "this test writes $exe in a policy unescaped" ;; esac
cat >"$WORK/p1.pol" <<EOF
default deny in
allow in icmp
allow in tcp to port 7 program $exe
allow in tcp to port 9 user root group 0
EOF
cat >"$WORK/p2.pol" <<EOF
default deny in
allow in tcp to port 7 program /usr/sbin/nginx
allow in tcp to port 9 user root group 0
EOF
"$AXNET" policy check "$WORK/p1.pol" >/dev/null || fail "policy check p1"
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" --serve echo:7,discard:9 \
	--policy "$WORK/p1.pol"
who="uid=0 gid=0 pid=$AXNET_PID exe=$exe"

expect_eq "echo (port 7) by program" "$(connect_send 7)" ok
expect_eq "discard (port 9) by user and group" "$(connect_send 9)" ok
for port in 7 9; do
	n=$("$AXNET" log --state-dir "$STATE" |
		grep -c "connection-authorize .*local=$AXNET_IP:$port .* $who\$")
	expect_eq "authorize entries for port $port naming the daemon" "$n" 1
done
"$AXNET" policy show --state-dir "$STATE" | grep -q "^allow in tcp to port 7 program $exe" ||
	fail "policy show: no program rule"
"$AXNET" policy show --state-dir "$STATE" | grep -q "^allow in tcp to port 9 user 0 group 0" ||
	fail "policy show: no user/group rule"

# A live connection to the echo port, then the port goes to another program.
ip netns exec "$NS_B" timeout 30 python3 - "$AXNET_IP" >"$WORK/live.out" 2>&1 <<'EOF' &
import socket, sys
s = socket.create_connection((sys.argv[1], 7), timeout=20)
s.sendall(b"x")
s.recv(1)
print("ready", flush=True)
try:
    print("eof" if not s.recv(1) else "data", flush=True)
except ConnectionResetError:
    print("reset", flush=True)
except socket.timeout:
    print("timeout", flush=True)
EOF
LIVE=$!
for _ in $(seq 100); do grep -q ready "$WORK/live.out" && break; sleep 0.1; done
grep -q ready "$WORK/live.out" || { cat "$WORK/live.out"; fail "live connection did not come up"; }
row=$("$AXNET" conns --state-dir "$STATE" -t | awk -v a="$AXNET_IP:7" '$2 == "ESTABLISHED" && $5 == a')
echo "$row"
expect_eq "the live connection's owner in axnet conns" "$(echo "$row" | awk '{ print $8, $9 }')" \
	"$AXNET_PID $exe"
out=$("$AXNET" policy push --state-dir "$STATE" "$WORK/p2.pol") || fail "push p2: $out"
echo "$out"
echo "$out" | grep -q "revoked 1 " || fail "the push did not revoke the echo connection: $out"
wait $LIVE
expect_eq "what the kernel client saw after the push" "$(tail -n 1 "$WORK/live.out")" reset
expect_eq "echo (port 7), now nginx's" "$(connect_send 7)" timeout
n=$("$AXNET" log --state-dir "$STATE" | grep -c "connection-reject .*local=$AXNET_IP:7 .* $who\$")
[ "$n" -ge 1 ] || fail "no connection-reject entry for port 7 naming the daemon"
pass "the refused SYN's reject entry names the daemon ($n)"
expect_eq "discard (port 9) still by user and group" "$(connect_send 9)" ok
out=$("$AXNET" log verify --state-dir "$STATE") || fail "log verify: $out"
pass "axnet log verify"
stop_axnet
exit 0
