#!/usr/bin/env bash
# Memory per idle connection through libaxnet: a program holds N idle TCP
# connections (tests/tools/ax_idle) to a kernel listener in B that keeps
# them. The daemon's private memory grows by less than 4 KiB a connection
# (the socket, the engine's connection, the map from ring to socket: not a
# table over the whole segment, which cost a page a connection once rings
# were 1 MiB), and the program's shared segment by less than 1 KiB a
# connection (its slot: rings are touched only as data comes). Measured on
# the plain build (AXNET_GUEST): ASan's shadow and quarantine are not the
# daemon's.
# e2e-timeout: 240
. "$(dirname "$0")/lib.sh"

AXNET=${AXNET_GUEST:-build/axnet}
AX_IDLE=${AX_TOOLS_DIR:-build/tests}/ax_idle
N=${IDLE_CONNS:-1000}
[ -x "$AX_IDLE" ] || fail "$AX_IDLE is not built"
export AXNET_STATE_DIR="$STATE"
WORK=$(mktemp -d /tmp/axnet-idle.XXXXXX)
HOLD= IDLE_PID=
idle_cleanup() {
	local rc=$?
	[ -n "$IDLE_PID" ] && kill -KILL "$IDLE_PID" 2>/dev/null
	[ -n "$HOLD" ] && kill -KILL "$HOLD" 2>/dev/null
	rm -rf "$WORK"
	(exit $rc)
	cleanup
}
trap idle_cleanup EXIT

kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

make_pair
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A"

ip netns exec "$NS_B" timeout 200 /usr/bin/python3 -c '
import socket, sys, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", 7001)); l.listen(4096); print("listening", flush=True)
held = [l.accept()[0] for _ in range(int(sys.argv[1]))]
print("accepted", len(held), flush=True)
time.sleep(200)' "$N" >"$WORK/hold.out" 2>&1 &
HOLD=$!
for _ in $(seq 50); do grep -q '^listening' "$WORK/hold.out" && break; sleep 0.1; done
grep -q '^listening' "$WORK/hold.out" || fail "the kernel listener did not start"

anon0=$(kb "$AXNET_PID" RssAnon)
mkfifo "$WORK/idle.in"
timeout 200 "$AX_IDLE" -n "$N" "$KERNEL_B" 7001 <"$WORK/idle.in" >"$WORK/idle.out" 2>&1 &
IDLE_PID=$!
exec 7>"$WORK/idle.in"
for _ in $(seq 1500); do grep -q '^held' "$WORK/idle.out" && break; sleep 0.1; done
grep -q '^held' "$WORK/idle.out" || { cat "$WORK/idle.out" >&2; fail "ax_idle did not hold $N connections"; }
for _ in $(seq 50); do grep -q '^accepted' "$WORK/hold.out" && break; sleep 0.1; done
expect_eq "connections established in the table" \
	"$("$AXNET" conns --state-dir "$STATE" -t | grep -c ESTAB)" "$N"
anon=$(( ($(kb "$AXNET_PID" RssAnon) - anon0) * 1024 / N ))
seg=$(( $(sed -n 's/.*seg_rss_kb=\([0-9]*\).*/\1/p' "$WORK/idle.out") * 1024 / N ))
echo "per idle connection: daemon private $anon bytes, program's segment pages $seg bytes"
[ "$anon" -lt 4096 ] || fail "the daemon's private memory grew by $anon bytes a connection (want < 4096)"
pass "daemon private memory per idle connection $anon < 4096 bytes"
[ "$seg" -lt 1024 ] || fail "the program touched $seg bytes of segment a connection (want < 1024)"
pass "segment pages per idle connection $seg < 1024 bytes"

exec 7>&-
wait "$IDLE_PID" || fail "ax_idle failed"
IDLE_PID=
kill "$HOLD" 2>/dev/null
wait "$HOLD" 2>/dev/null
HOLD=
stop_axnet
