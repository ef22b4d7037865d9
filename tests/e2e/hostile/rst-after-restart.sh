#!/usr/bin/env bash
# A peer whose connection axnet forgot learns it at its next segment (RFC
# 9293 3.10.7.1-2), the kernel as the peer:
#  1. a kernel client of axnet's echo service; axnet is kill -9ed and
#     restarted (same state directory, same namespace); no verdict of the
#     old instance is left in XDP's flow map; the client's next send on its
#     old connection draws a RST: recv says ECONNRESET within 1 s. Nothing
#     of it reaches the log.
#  2. a connection ended by an exact-sequence RST forged by scapy in the
#     client's name: the client's next segment, and three more crafted
#     ones, each draw a RST <SEQ=SEG.ACK><CTL=RST> (captured on the peer's
#     side), counted as RSTs for no connection; no log entry.
. "$(dirname "$0")/../lib.sh"

PY=/usr/bin/python3
$PY -c 'import scapy' 2>/dev/null || fail "scapy missing (make deps)"
WORK=$(mktemp -d /tmp/axnet-rst.XXXXXX)
trap 'rc=$?; rm -rf "$WORK"; (exit $rc); cleanup' EXIT
FLOWS=/sys/fs/bpf/axnet/$IF_A/flows
entries() { "$AXNET" log --state-dir "$STATE" --json | grep -c '"type"'; }

make_pair
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" --serve echo:7

# --- 1. kill -9, restart, the client's next send ---------------------------------
cat >"$WORK/client.py" <<'EOF'
import errno, os, socket, sys, time
host, work = sys.argv[1], sys.argv[2]
s = socket.create_connection((host, 7), timeout=5)
s.sendall(b"hello")
got = b""
while len(got) < 5:
    got += s.recv(5 - len(got))
assert got == b"hello", got
open(work + "/ready", "w").write("%d\n" % s.getsockname()[1])
for _ in range(600):
    if os.path.exists(work + "/go"):
        break
    time.sleep(0.1)
else:
    print("no go"); sys.exit(1)
s.settimeout(5)
t0 = time.monotonic()
try:
    s.sendall(b"again")
    data = s.recv(100)
    print("no reset: recv returned %r" % data)
    sys.exit(1)
except OSError as e:
    ms = (time.monotonic() - t0) * 1000
    print("%s %.1f" % (errno.errorcode.get(e.errno, str(e.errno)), ms))
EOF
ip netns exec "$NS_B" timeout 90 $PY "$WORK/client.py" "$AXNET_IP" "$WORK" >"$WORK/client.out" 2>&1 &
CLIENT=$!
for _ in $(seq 100); do [ -s "$WORK/ready" ] && break; sleep 0.1; done
[ -s "$WORK/ready" ] || { cat "$WORK/client.out"; fail "the client did not connect"; }
cport=$(cat "$WORK/ready")
"$AXNET" conns --state-dir "$STATE" -t | grep -q "ESTABLISHED .*:$cport " ||
	fail "the client's connection is not in the table"
bpftool map dump pinned "$FLOWS" | grep -q '"verdict": 1' || fail "no allow verdict for the client in $FLOWS"
pass "kernel client connected (port $cport), echo answered, allow verdict in XDP"

kill -KILL "$AXNET_PID"
wait "$AXNET_PID" 2>/dev/null
AXNET_PID=
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" --serve echo:7
# The old instance's maps were replaced, not reused: no verdict of it is
# left to pass the client's segment straight to TCP, or to drop it.
expect_eq "verdicts in $FLOWS after the restart" \
	"$(bpftool map dump pinned "$FLOWS" | grep -c '"verdict"')" 0
e0=$(entries)
snapshot
fu0=$(snap xdp flow_unknown) rn0=$(snap engine tcp_rst_noconn)
touch "$WORK/go"
wait $CLIENT || { cat "$WORK/client.out"; fail "the client failed"; }
read -r err ms <"$WORK/client.out"
echo "client of the killed instance: $err after $ms ms"
expect_eq "what recv said on the old connection" "$err" ECONNRESET
awk -v t="$ms" 'BEGIN { exit !(t < 1000) }' || fail "ECONNRESET after $ms ms, want under 1000"
pass "ECONNRESET $ms ms after the send (under 1 s)"
sleep 0.2
snapshot
expect_eq "xdp flow_unknown (the client's segment, to the engine)" \
	$(( $(snap xdp flow_unknown) - fu0 )) 1
expect_eq "engine tcp_rst_noconn" $(( $(snap engine tcp_rst_noconn) - rn0 )) 1
expect_eq "log entries written for it" $(( $(entries) - e0 )) 0
expect_eq "connections authorized after the restart" "$(snap authz authorized)" 0
expect_eq "authorizations rejected after the restart" "$(snap authz rejected)" 0

# --- 2. an exact RST from the peer, then the peer's later segments -------------------
cat >"$WORK/exact.py" <<'EOF'
import errno, socket, sys, time
from scapy.all import AsyncSniffer, IP, TCP, send, conf
host, me, ifname = sys.argv[1], sys.argv[2], sys.argv[3]
conf.verb = 0
seen = AsyncSniffer(iface=ifname, store=True,
                    lfilter=lambda p: IP in p and TCP in p and p[IP].src == host)
seen.start()
time.sleep(0.3)
syn = AsyncSniffer(iface=ifname, store=True, count=1,
                   lfilter=lambda p: IP in p and TCP in p and p[IP].dst == host and p[TCP].flags == "S")
syn.start()
time.sleep(0.3)
s = socket.create_connection((host, 7), timeout=5)
s.sendall(b"hello")
got = b""
while len(got) < 5:
    got += s.recv(5 - len(got))
syn.join(timeout=3)
if not syn.results:
    print("FAIL no SYN captured"); sys.exit(1)
isn = syn.results[0][TCP].seq
sport = s.getsockname()[1]
time.sleep(0.3)  # the client's ACK of the echo is out
# Our (the client's) next sequence number: ISN + SYN + 5 bytes.
nxt = (isn + 1 + 5) & 0xffffffff
send(IP(src=me, dst=host) / TCP(sport=sport, dport=7, flags="R", seq=nxt), iface=ifname)
time.sleep(0.3)
open(sys.argv[4], "w").write("%d\n" % sport)
# The client goes on as if nothing happened: its next segment.
t0 = time.monotonic()
try:
    s.sendall(b"more")
    data = s.recv(100)
    print("FAIL client: recv returned %r" % data); sys.exit(1)
except OSError as e:
    print("client %s %.1f" % (errno.errorcode.get(e.errno, str(e.errno)), (time.monotonic() - t0) * 1000))
# Three more segments of the forgotten flow, crafted: each must draw a RST.
acks = [0x10000001, 0x20000002, 0x30000003]
for i, a in enumerate(acks):
    send(IP(src=me, dst=host) / TCP(sport=sport, dport=7, flags="PA", seq=nxt + 4 + i, ack=a) / b"x",
         iface=ifname)
    time.sleep(0.05)
time.sleep(0.5)
seen.stop()
rsts = [p[TCP] for p in seen.results if p[TCP].dport == sport and p[TCP].flags.R]
print("rsts %d" % len(rsts))
for r in rsts:
    print("rst flags=%s seq=%d ack=%d" % (r.flags, r.seq, r.ack))
crafted = [r for r in rsts if r.seq in acks]
print("crafted_answered %d" % len(crafted))
print("crafted_exact %d" % sum(1 for r in crafted if str(r.flags) == "R" and r.ack == 0))
EOF
e1=$(entries)
snapshot
rr0=$(snap engine tcp_rst_rx) rn0=$(snap engine tcp_rst_noconn) fu0=$(snap xdp flow_unknown)
ip netns exec "$NS_B" timeout 60 $PY "$WORK/exact.py" "$AXNET_IP" "$KERNEL_B" "$IF_B" \
	"$WORK/port2" >"$WORK/exact.out" 2>&1 || { cat "$WORK/exact.out"; fail "exact-RST script"; }
cat "$WORK/exact.out"
grep -q FAIL "$WORK/exact.out" && fail "exact-RST script"
port2=$(cat "$WORK/port2")
expect_eq "the forged exact RST was taken" $(( $(stat engine tcp_rst_rx) - rr0 )) 1
"$AXNET" conns --state-dir "$STATE" | grep -q ":$port2 " && fail "the reset connection is still in the table"
expect_eq "what the client's next segment got" "$(awk '$1 == "client" { print $2 }' "$WORK/exact.out")" ECONNRESET
expect_eq "RSTs captured for the forgotten flow (the client's + 3 crafted)" \
	"$(awk '$1 == "rsts" { print $2 }' "$WORK/exact.out")" 4
expect_eq "crafted segments answered <SEQ=SEG.ACK><CTL=RST>" \
	"$(awk '$1 == "crafted_exact" { print $2 }' "$WORK/exact.out")" 3
sleep 0.2
snapshot
expect_eq "engine tcp_rst_noconn" $(( $(snap engine tcp_rst_noconn) - rn0 )) 4
expect_eq "xdp flow_unknown (the 4 segments of the forgotten flow)" \
	$(( $(snap xdp flow_unknown) - fu0 )) 4
# The connection's own two entries (authorize, close), none for the RSTs.
expect_eq "log entries written in part 2" $(( $(entries) - e1 )) 2
expect_eq "the last two entries" "$("$AXNET" log --state-dir "$STATE" --json | tail -n 2 |
	sed -n 's/.*"type":"\([a-z-]*\)".*/\1/p' | tr '\n' ' ')" "connection-authorize connection-close "
"$AXNET" log verify --state-dir "$STATE" >/dev/null || fail "the log does not verify"
stop_axnet
