#!/usr/bin/env bash
# Axiom on etcd, end to end: a three-member etcd cluster (tests/e2e/etcd.sh)
# and two axnet instances on two veth pairs, each logging to its own prefix
# (`axnet run --axiom etcd://...`), kernel clients connecting through both.
#
#   1. healthy: every connection is authorized; each log is in etcd and
#      verifies from a third process (in the etcd bridge's namespace, no
#      state directory);
#   2. one member killed (a follower): authorizations go on;
#   3. two killed (no quorum): new connections are refused (never
#      established) while an established 20 MB transfer through axnet's echo
#      service completes byte for byte; `axnet stats` says axiom.unavailable 1
#      and why;
#   4. the members back: authorizations resume, axnet not restarted; the logs
#      verify and every connection a client saw established has its
#      connection-authorize entry, exactly one (each client connection has a
#      source port of its own);
#   5. kill -9 of an instance in a stream of connections, its state directory
#      deleted, a restart: its history in etcd is intact (the entries from
#      before, unchanged; the head only grew), the chain goes on under a new
#      key, listed in P/keys;
#   6. an instance started on a prefix another live instance holds is refused,
#      naming the holder.
# The timings of stages 3 and 4 are printed at the end.
# e2e-timeout: 300
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/etcd.sh"

WORK=$(mktemp -d /tmp/axnet-etcd-test.XXXXXX)
# The second instance's pair (the first is lib.sh's NS_A/NS_B).
NS_C="axt${ID}c"   # axnet 2
NS_D="axt${ID}d"   # its kernel peer
IF_C="axc${ID}"
IF_D="axd${ID}"
Q="10.202.$((ID % 250))"
KERNEL_D="$Q.1"
AXNET2_IP="$Q.2"
KERNEL_C="$Q.3"
STATE2="/run/axnet/test-${ID}-2"
STATE3="/run/axnet/test-${ID}-3"
AX2_PID=
AX2_LOG="$WORK/axnet2.log"
PIDS=()

stop_all() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	# The instances go before etcd does (their last entries go there).
	[ -z "$AX2_PID" ] || stop_pid "$AX2_PID"
	[ -z "$AXNET_PID" ] || stop_pid "$AXNET_PID"
	AXNET_PID=
	ip netns del "$NS_C" 2>/dev/null
	ip netns del "$NS_D" 2>/dev/null
	rm -rf "$STATE2" "$STATE3"
}
trap 'rc=$?; stop_all; if [ $rc -ne 0 ] && [ -f "$AX2_LOG" ]; then echo "--- axnet 2 log ---" >&2; tail -30 "$AX2_LOG" >&2; fi
rm -rf "$WORK"; (exit $rc); etcd_cleanup; cleanup' EXIT

now() { date +%s.%N; }
# secs A B: B - A, in seconds with 2 decimals.
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# --- the network ---------------------------------------------------------------
make_pair
ip netns add "$NS_C" && ip netns add "$NS_D" || fail "netns add"
for ns in "$NS_C" "$NS_D"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
done
ip -n "$NS_C" link add "$IF_C" type veth peer name "$IF_D" netns "$NS_D" || fail "veth 2"
ip -n "$NS_C" addr add "$KERNEL_C/24" dev "$IF_C"
ip -n "$NS_D" addr add "$KERNEL_D/24" dev "$IF_D"
ip -n "$NS_C" link set "$IF_C" up
ip -n "$NS_D" link set "$IF_D" up
ip netns exec "$NS_D" ethtool -K "$IF_D" tx off >/dev/null 2>&1 || true

etcd_cluster_start 3
# Each daemon reaches etcd through the kernel of the namespace it enters.
etcd_attach "$NS_A" 20
etcd_attach "$NS_C" 21
echo "etcd: $ETCD_URL"

# Instance 1 takes the defaults (name HOSTNAME-IFNAME, prefix
# axnet/log/NAME); instance 2 is named.
P1="axnet/log/$(hostname)-$IF_A"
NAME2="two-$ID"
P2="axnet/log/$NAME2"
AX1_ARGS=(--ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" --serve echo:7,discard:9
	--axiom "$ETCD_URL")
AX2_ARGS=(--ifname "$IF_C" --addr "$AXNET2_IP/24" --netns "$NS_C" --serve echo:7,discard:9
	--axiom "$ETCD_URL" --name "$NAME2")

# start_ax2: instance 2 in the background; waits (at most 20 s: a killed
# predecessor's hold on the prefix lapses first) until it answers.
start_ax2() {
	"$AXNET" run --state-dir "$STATE2" --policy "$AXNET_POLICY" "${AX2_ARGS[@]}" \
		>>"$AX2_LOG" 2>&1 &
	AX2_PID=$!
	for _ in $(seq 200); do
		"$AXNET" stats --state-dir "$STATE2" >/dev/null 2>&1 && return 0
		kill -0 "$AX2_PID" 2>/dev/null || break
		sleep 0.1
	done
	tail -20 "$AX2_LOG" >&2
	fail "axnet 2 did not come up"
}
stop_ax2() {
	local rc
	kill -TERM "$AX2_PID"
	wait "$AX2_PID"; rc=$?
	AX2_PID=
	[ $rc -eq 0 ] || { tail -30 "$AX2_LOG" >&2; fail "axnet 2 exited with $rc"; }
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$AX2_LOG"; then
		cat "$AX2_LOG" >&2
		fail "sanitizer report in axnet 2's log"
	fi
}
# st1/st2 GROUP NAME: a counter of instance 1/2.
st_of() {
	"$AXNET" stats --state-dir "$1" --all |
		awk -v g="$2" -v n="$3" '$1 == g && $2 == n { print $3; f = 1 } END { if (!f) print "missing" }'
}
st1() { st_of "$STATE" "$@"; }
st2() { st_of "$STATE2" "$@"; }

# In the etcd bridge's namespace: a third process, no state directory.
axlog() { ip netns exec "$NS_E" "$AXNET" log --axiom "$ETCD_URL" "$@"; }
verify() {
	local out
	out=$(ip netns exec "$NS_E" "$AXNET" log verify --axiom "$ETCD_URL" --axiom-prefix "$1" 2>&1) ||
		fail "log verify of $1 ($2): $out"
	echo "$out" | grep -q '^ok: ' || fail "log verify of $1 ($2) said: $out"
	pass "$1 verifies from a third process ($2): $out"
}

# The kernel clients: each connection from a source port of its own (so a
# port names one connection in the log), to PORT, 1 s to be established,
# 100 bytes sent when it is; one line per try: "T SPORT ok|fail ...",
# T its start (epoch s). Stops at DURATION s, N tries, or when STOPFILE is.
cat >"$WORK/client.py" <<'EOF'
import os, socket, sys, time
host, port, base, n, dur, stopfile = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
end = time.time() + dur
for i in range(n):
    if time.time() >= end or os.path.exists(stopfile):
        break
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.settimeout(1.0)
    t0 = time.time()
    try:
        s.bind(("0.0.0.0", base + i))
        s.connect((host, port))
        print("%.3f %d ok %.3f" % (t0, base + i, time.time() - t0), flush=True)
        s.sendall(b"x" * 100)
    except OSError as e:
        print("%.3f %d fail %.3f %s" % (t0, base + i, time.time() - t0, type(e).__name__),
              flush=True)
    finally:
        s.close()
    time.sleep(0.02)
EOF
# A transfer through the echo service, paced over SECS: SIZE bytes of a
# seeded stream sent while the echo is read back; "started" once the first
# bytes are back, then "done BYTES SHA_SENT SHA_BACK ELAPSED" (exit 0 iff
# equal).
cat >"$WORK/xfer.py" <<'EOF'
import hashlib, random, socket, sys, threading, time
host, size, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = socket.create_connection((host, 7), timeout=30)
rnd = random.Random(12)
chunk = 64 * 1024
sent_h, back_h = hashlib.sha256(), hashlib.sha256()
got = [0]
def reader():
    first = True
    while got[0] < size:
        b = s.recv(1 << 20)
        if not b:
            break
        back_h.update(b)
        got[0] += len(b)
        if first:
            print("started", flush=True)
            first = False
t = threading.Thread(target=reader)
t.start()
t0 = time.time()
off = 0
while off < size:
    n = min(chunk, size - off)
    b = rnd.randbytes(n)
    sent_h.update(b)
    s.sendall(b)
    off += n
    lag = t0 + secs * off / size - time.time()
    if lag > 0:
        time.sleep(lag)
t.join(60)
print("done %d %s %s %.2f" % (got[0], sent_h.hexdigest(), back_h.hexdigest(), time.time() - t0),
      flush=True)
sys.exit(0 if got[0] == size and sent_h.digest() == back_h.digest() else 1)
EOF

NEXT_PORT=20000
# stream NS HOST OUT N DURATION: a client in the background, ports of its
# own; its pid in LAST_PID (and PIDS).
stream() {
	ip netns exec "$1" timeout $(( ${5%.*} + 30 )) python3 "$WORK/client.py" "$2" 9 "$NEXT_PORT" \
		"$4" "$5" "$WORK/stop" >"$3" 2>&1 &
	LAST_PID=$!
	PIDS+=("$LAST_PID")
	NEXT_PORT=$((NEXT_PORT + $4))
}
oks() { grep -c ' ok ' "$1"; }
fails() { grep -c ' fail ' "$1"; }

# --- 1. healthy ------------------------------------------------------------------------
start_axnet "${AX1_ARGS[@]}"
start_ax2
for i in 1 2; do
	if [ $i -eq 1 ]; then ns=$NS_B host=$AXNET_IP; else ns=$NS_D host=$AXNET2_IP; fi
	stream "$ns" "$host" "$WORK/s1.$i" 10 20
	wait "$LAST_PID"
	expect_eq "instance $i: connections established when etcd is healthy" "$(oks "$WORK/s1.$i")" 10
done
expect_eq "instance 1: authz.authorized" "$(st1 authz authorized)" 10
# lat: "p50 P us, p99 Q us" of instance 1's authorizations so far.
lat() { echo "p50 $(st1 authz latency_p50_us) us, p99 $(st1 authz latency_p99_us) us over $(st1 authz latency_samples)"; }
LAT1=$(lat)
expect_eq "instance 2: authz.authorized" "$(st2 authz authorized)" 10
# The log is in etcd, under each prefix.
for p in "$P1" "$P2"; do
	etcdctl_e get "$p/head" --print-value-only | grep -q '^seg=' || fail "no $p/head in etcd"
	expect_eq "public keys in $p/keys" "$(etcdctl_e get "$p/keys" --print-value-only | grep -c .)" 1
done
[ -e "$STATE/axiom/key" ] || fail "the secret key is not in the state directory"
ls "$STATE/axiom" | grep -q '\.seg$' && fail "segments in the state directory with --axiom etcd"
start1=$(axlog --axiom-prefix "$P1" | grep ' start ' | tail -1)
key1=$(etcdctl_e get "$P1/keys" --print-value-only | head -1)
case "$start1" in
*" ifname=$IF_A addr=$AXNET_IP/24 backend=xdp pid=$AXNET_PID store=etcd://$ETCD_ENDPOINTS/$P1 key=$key1")
	pass "the start entry says where the log is and which key signs it" ;;
*) fail "start entry: '$start1' (key $key1)" ;;
esac
verify "$P1" healthy
verify "$P2" healthy
n=$(axlog --axiom-prefix "$P2" | grep -c "connection-authorize dir=in proto=tcp local=$AXNET2_IP:9")
expect_eq "instance 2's authorize entries read from etcd" "$n" 10

# A follower of instance 1's log from the third process, through every
# stage: at the end it must have printed exactly the whole log.
ip netns exec "$NS_E" "$AXNET" log --follow --follow-timeout 250 --axiom "$ETCD_URL" \
	--axiom-prefix "$P1" >"$WORK/follow" 2>"$WORK/follow.err" &
FOLLOW_PID=$!
PIDS+=("$FOLLOW_PID")

# --- 2. one member down --------------------------------------------------------------
# A follower: the leader's loss costs an election first (see the README).
leader=$(etcdctl_e endpoint status -w json | python3 -c '
import json, sys
for i, e in enumerate(json.load(sys.stdin)):
    if e["Status"]["leader"] == e["Status"]["header"]["member_id"]:
        print(e["Endpoint"])')
[ -n "$leader" ] || fail "no etcd leader"
L=0
for i in 1 2 3; do [ "$(etcd_member_ep $i)" = "$leader" ] && L=$i; done
F1=$(( L % 3 + 1 )) F2=$(( (L + 1) % 3 + 1 ))
echo "etcd leader m$L; killing follower m$F1"
etcd_member_stop "$F1"
for i in 1 2; do
	if [ $i -eq 1 ]; then ns=$NS_B host=$AXNET_IP; else ns=$NS_D host=$AXNET2_IP; fi
	stream "$ns" "$host" "$WORK/s2.$i" 20 30
	wait "$LAST_PID"
	expect_eq "instance $i: connections established with one member down" "$(oks "$WORK/s2.$i")" 20
done
expect_eq "instance 1: axiom.unavailable (one member down)" "$(st1 axiom unavailable)" 0
LAT2=$(lat)

# --- 3. two members down: no quorum -----------------------------------------------------
ip netns exec "$NS_B" timeout 120 python3 "$WORK/xfer.py" "$AXNET_IP" $((20 * 1024 * 1024)) 10 \
	>"$WORK/xfer" 2>&1 &
XFER_PID=$!
PIDS+=("$XFER_PID")
for _ in $(seq 50); do grep -q started "$WORK/xfer" && break; sleep 0.1; done
grep -q started "$WORK/xfer" || fail "the transfer did not start: $(cat "$WORK/xfer")"
authorized1=$(st1 authz authorized)
stream "$NS_B" "$AXNET_IP" "$WORK/s3.1" 900 90; S31=$LAST_PID
stream "$NS_D" "$AXNET2_IP" "$WORK/s3.2" 900 90; S32=$LAST_PID
sleep 1
[ "$(oks "$WORK/s3.1")" -gt 0 ] || fail "no connection before the quorum went: $(head -3 "$WORK/s3.1")"
T_KILL=$(now)
etcd_member_stop "$F2"
echo "killed m$F2 too: m$L alone, no quorum"
T_UNAVAIL=
for _ in $(seq 300); do
	if [ "$(st1 axiom unavailable)" = 1 ]; then T_UNAVAIL=$(now); break; fi
	sleep 0.1
done
[ -n "$T_UNAVAIL" ] || fail "axiom.unavailable never became 1 without a quorum"
# Refusals for a while, and the transfer finishes meanwhile.
sleep 3
wait "$XFER_PID"; xrc=$?
T_XFER=$(now)
cat "$WORK/xfer"
[ $xrc -eq 0 ] || fail "the established transfer did not complete intact: $(tail -1 "$WORK/xfer")"
expect_eq "instance 1: axiom.unavailable once the transfer is done" "$(st1 axiom unavailable)" 1
pass "20 MB echoed intact (sha256) through instance 1 while its log had no quorum"
snapshot
SNAP1=$SNAP
expect_eq "axiom.unavailable" "$(snap axiom unavailable)" 1
[ "$(snap authz refused_unavail)" -gt 0 ] || fail "authz.refused_unavail is $(snap authz refused_unavail)"
[ "$(snap axiom refused_unavail)" -gt 0 ] || fail "axiom.refused_unavail is $(snap axiom refused_unavail)"
expect_eq "authz.failed" "$(snap authz failed)" 0
why=$("$AXNET" stats --state-dir "$STATE" --all | sed -n 's/^axiom *error *//p')
case "$why" in
*etcd*) pass "axnet stats says why: $why" ;;
*) fail "axnet stats' axiom.error: '$why'" ;;
esac
grep -q "new authorizations are refused until the store takes writes again" "$AXNET_LOG" ||
	fail "axnet's log does not say it refuses"
echo "stats without a quorum: $(echo "$SNAP" | grep -E '^(axiom|authz) +(unavailable|unavail_events|doubt_events|unavail_retries|refused_unavail|authorized)' | tr -s ' ' | paste -sd, -)"

# --- 4. the quorum back ------------------------------------------------------------------
T_RESTART=$(now)
etcd_member_start "$F2"
etcd_member_start "$F1"
T_RESUME=
n0=$(oks "$WORK/s3.1")
for _ in $(seq 300); do
	if [ "$(st1 axiom unavailable)" = 0 ] && [ "$(oks "$WORK/s3.1")" -gt "$n0" ]; then
		T_RESUME=$(now); break
	fi
	sleep 0.1
done
[ -n "$T_RESUME" ] || fail "authorizations did not resume within 30 s of the members' restart"
# Instance 2 too, and a little more traffic on both.
for _ in $(seq 100); do
	awk -v t="$T_RESTART" '$1 > t && $3 == "ok"' "$WORK/s3.2" | grep -q . && break
	sleep 0.1
done
sleep 2
touch "$WORK/stop"
wait "$S31" "$S32"
rm -f "$WORK/stop"
for i in 1 2; do
	f=$WORK/s3.$i
	during=$(awk -v a="$T_KILL" -v b="$T_RESTART" '$1 > a + 0.2 && $1 < b && $3 == "ok"' "$f" | wc -l)
	refused=$(awk -v a="$T_KILL" -v b="$T_RESTART" '$1 > a + 0.2 && $1 < b && $3 == "fail"' "$f" | wc -l)
	after=$(awk -v b="$T_RESTART" '$1 > b && $3 == "ok"' "$f" | wc -l)
	expect_eq "instance $i: connections established without a quorum" "$during" 0
	[ "$refused" -gt 0 ] || fail "instance $i: no connection was tried without a quorum"
	[ "$after" -gt 0 ] || fail "instance $i: no connection after the quorum came back"
	pass "instance $i: $refused refused without a quorum, $after established after"
	eval "REFUSED$i=$refused AFTER$i=$after"
done
# The first refusal: the first try after the kill that failed.
T_FIRST_REFUSED=$(awk -v a="$T_KILL" '$1 > a && $3 == "fail" { print $1; exit }' "$WORK/s3.1")
T_LAST_OK=$(awk -v a="$T_KILL" '$1 <= a + 0.2 && $3 == "ok" { t = $1 } END { print t }' "$WORK/s3.1")
T_FIRST_OK=$(awk -v b="$T_RESTART" '$1 > b && $3 == "ok" { print $1; exit }' "$WORK/s3.1")
T_FIRST_OK2=$(awk -v b="$T_RESTART" '$1 > b && $3 == "ok" { print $1; exit }' "$WORK/s3.2")
grep -q "the store takes writes again: writing resumed at seq" "$AXNET_LOG" ||
	fail "axnet's log does not say writing resumed"
expect_eq "instance 1: authz.failed after the outage" "$(st1 authz failed)" 0
expect_eq "instance 2: authz.failed after the outage" "$(st2 authz failed)" 0
expect_eq "axiom.unavailable after the outage" "$(st1 axiom unavailable)" 0
verify "$P1" "after the outage"
verify "$P2" "after the outage"

# check_entries PREFIX AXNET_IP FILES...: every port a client saw
# established has exactly one connection-authorize entry in the log at
# PREFIX, and no port has two.
check_entries() {
	local p=$1 ip=$2 log=$WORK/log.$RANDOM res
	shift 2
	axlog --axiom-prefix "$p" >"$log" || fail "axnet log of $p"
	res=$(cat "$@" | awk -v want="connection-authorize dir=in proto=tcp local=$ip:9 remote=" '
		NR == FNR { if ((i = index($0, want))) { rest = substr($0, i + length(want)); split(rest, f, " ");
			split(f[1], hp, ":"); n[hp[2]]++ }; next }
		$3 == "ok" { est++; if (!($2 in n)) { print "no entry for port " $2 > "/dev/stderr"; miss++ } }
		END { for (p in n) if (n[p] > 1) { print "port " p ": " n[p] " entries" > "/dev/stderr"; twice++ }
			print est + 0, miss + 0, twice + 0 }' "$log" -)
	set -- $res
	[ "$1" -gt 0 ] || fail "$p: no established connection to check"
	expect_eq "$p: established connections without their entry (of $1)" "$2" 0
	expect_eq "$p: ports with two authorize entries" "$3" 0
}
check_entries "$P1" "$AXNET_IP" "$WORK"/s[123].1
check_entries "$P2" "$AXNET2_IP" "$WORK"/s[123].2

# --- 5. kill -9 of an instance, its state directory lost --------------------------------
stream "$NS_D" "$AXNET2_IP" "$WORK/s5.2" 900 60; S52=$LAST_PID
sleep 1.5
axlog --axiom-prefix "$P2" --json >"$WORK/before.json" || fail "axnet log before the kill"
kill -KILL "$AX2_PID"
wait "$AX2_PID" 2>/dev/null
AX2_PID=
T_K9=$(now)
before=$(wc -l <"$WORK/before.json")
# What the writer had reported committed by then is all in etcd: read the
# log again now that it is dead (it may have more than the first read).
axlog --axiom-prefix "$P2" --json >"$WORK/dead.json" || fail "axnet log after the kill"
head_dead=$(wc -l <"$WORK/dead.json")
[ "$head_dead" -ge "$before" ] || fail "the log shrank at the kill: $before then $head_dead entries"
rm -rf "$STATE2"
start_ax2
T_UP=$(now)
sleep 1.5
touch "$WORK/stop"
wait "$S52"
rm -f "$WORK/stop"
axlog --axiom-prefix "$P2" --json >"$WORK/after.json" || fail "axnet log after the restart"
after=$(wc -l <"$WORK/after.json")
cmp -s <(head -n "$head_dead" "$WORK/after.json") "$WORK/dead.json" ||
	fail "entries 1..$head_dead changed across the restart"
cmp -s <(head -n "$before" "$WORK/after.json") "$WORK/before.json" ||
	fail "entries 1..$before (read before the kill) changed"
[ "$after" -gt "$head_dead" ] || fail "no entries after the restart ($after)"
pass "instance 2's history survived kill -9 and a lost state directory: entries 1..$head_dead unchanged, head now $after"
keys=$(etcdctl_e get "$P2/keys" --print-value-only | grep -c .)
expect_eq "public keys in $P2/keys after a restart without the state directory" "$keys" 2
key2=$(etcdctl_e get "$P2/keys" --print-value-only | sed -n 2p)
start2=$(axlog --axiom-prefix "$P2" | grep ' start ' | tail -1)
case "$start2" in *" key=$key2") pass "the new start entry names the new key" ;;
*) fail "start entry after the restart: '$start2', P/keys' second key $key2" ;; esac
ks=$(axlog --axiom-prefix "$P2" | grep ' start ' | grep -o 'key=[0-9a-f]*' | sort -u | wc -l)
expect_eq "keys named by instance 2's start entries" "$ks" 2
[ "$(grep -c ' ok ' "$WORK/s5.2")" -gt 0 ] || fail "no connection in the stream around the kill"
n=$(awk -v b="$T_UP" '$1 > b && $3 == "ok"' "$WORK/s5.2" | wc -l)
[ "$n" -gt 0 ] || fail "no connection after the restart"
verify "$P2" "after kill -9 and a new key"
check_entries "$P2" "$AXNET2_IP" "$WORK"/s[1235].2
grep -q "reason=instance-restarted" <(axlog --axiom-prefix "$P2") ||
	echo "(no connection was open at the kill)"

# --- 6. a second instance on a held prefix ------------------------------------------------
stop_ax2
# (And no etcd to be reached at all: the start fails, saying where.)
out=$(timeout 30 "$AXNET" run --state-dir "$STATE3" --policy "$AXNET_POLICY" --ifname "$IF_C" \
	--addr "$AXNET2_IP/24" --netns "$NS_C" --axiom "etcd://$EP.99:2379" --name nobody 2>&1)
rc=$?
[ $rc -eq 1 ] || fail "a start with no etcd reachable: exit $rc: $out"
echo "$out" | grep -q "cannot open the log: etcd://$EP.99:2379/axnet/log/nobody .*no member reachable" ||
	fail "a start with no etcd reachable says: $out"
pass "a start with no etcd reachable fails: $(echo "$out" | grep 'cannot open' | sed 's/^axnet\[[0-9.]*\] //')"
head_before=$(etcdctl_e get "$P1/head" --print-value-only)
T6=$(now)
out=$(timeout 30 "$AXNET" run --state-dir "$STATE3" --policy "$AXNET_POLICY" --ifname "$IF_C" \
	--addr "$AXNET2_IP/24" --netns "$NS_C" --axiom "$ETCD_URL" --axiom-prefix "$P1" 2>&1)
rc=$?
T6_END=$(now)
[ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "a second instance on $P1 was not refused (exit $rc): $out"
line=$(echo "$out" | grep "another live writer")
[ -n "$line" ] || fail "the refusal does not say why: $out"
echo "$line" | grep -q "pid=$AXNET_PID" || fail "the refusal does not name the holder: $line"
pass "a second instance on $P1 is refused (exit $rc, $(secs "$T6" "$T6_END") s): $line"
expect_eq "$P1/head after the refused start" "$(etcdctl_e get "$P1/head" --print-value-only)" "$head_before"
# Instance 1 still works.
stream "$NS_B" "$AXNET_IP" "$WORK/s6.1" 5 20
wait "$LAST_PID"
expect_eq "instance 1: connections after the refused start" "$(oks "$WORK/s6.1")" 5
stop_axnet
verify "$P1" "after a clean stop"
# An auditor's checkpoint, from etcd alone: it holds under instance 1's
# key, not under instance 2's.
ck=$(ip netns exec "$NS_E" "$AXNET" log checkpoint --axiom "$ETCD_URL" --axiom-prefix "$P1") ||
	fail "axnet log checkpoint from etcd: $ck"
case "$ck" in seq=*" sig="*) ;; *) fail "checkpoint line: $ck" ;; esac
out=$(ip netns exec "$NS_E" "$AXNET" log verify --axiom "$ETCD_URL" --axiom-prefix "$P1" \
	--checkpoint "$ck" --pubkey "$key1" 2>&1) || fail "verify with the checkpoint and key 1: $out"
out=$(ip netns exec "$NS_E" "$AXNET" log verify --axiom "$ETCD_URL" --axiom-prefix "$P1" \
	--pubkey "$key2" 2>&1) && fail "instance 1's log verified under instance 2's key: $out"
pass "checkpoint from etcd ($ck) verifies under instance 1's key only"
axlog --axiom-prefix "$P1" >"$WORK/final"
for _ in $(seq 30); do cmp -s "$WORK/follow" "$WORK/final" && break; sleep 0.1; done
kill -TERM "$FOLLOW_PID"
wait "$FOLLOW_PID" || fail "axnet log --follow exited with $?: $(cat "$WORK/follow.err")"
cmp -s "$WORK/follow" "$WORK/final" ||
	fail "axnet log --follow printed $(wc -l <"$WORK/follow") lines, the log has $(wc -l <"$WORK/final"): $(diff "$WORK/follow" "$WORK/final" | head -5)"
pass "axnet log --follow followed $P1 through the outage: all $(wc -l <"$WORK/final") entries, once each"
check_entries "$P1" "$AXNET_IP" "$WORK"/s[1236].1

# --- the stages, timed ------------------------------------------------------------------
echo "=== quorum test, timings (instance 1; client: 1 s connect timeout, tries every 20 ms)"
echo "healthy: 10 + 10 connections, all established; authorization (SYN to commit) $LAT1"
echo "one member (follower m$F1) down: 20 + 20 connections, all established; since the start $LAT2"
echo "second member killed at 0.00 s: last connection established at $(secs "$T_KILL" "${T_LAST_OK:-$T_KILL}") s,"
echo "  first refusal: a try started at $(secs "$T_KILL" "$T_FIRST_REFUSED") s;" \
     "axiom.unavailable = 1 at $(secs "$T_KILL" "$T_UNAVAIL") s"
echo "  without a quorum: instance 1 refused $REFUSED1 tries, instance 2 $REFUSED2, established none;"
echo "  the 20 MB transfer finished at $(secs "$T_KILL" "$T_XFER") s, intact"
echo "members restarted at $(secs "$T_KILL" "$T_RESTART") s: first connection established" \
     "$(secs "$T_RESTART" "$T_FIRST_OK") s later (instance 2: $(secs "$T_RESTART" "$T_FIRST_OK2") s);" \
     "resumed (unavailable 0 and a new connection) $(secs "$T_RESTART" "$T_RESUME") s later"
echo "kill -9 of instance 2: restarted with a lost state directory, up $(secs "$T_K9" "$T_UP") s after the kill" \
     "(the old hold's lease lapses first)"
echo "a second instance on a held prefix: refused after $(secs "$T6" "$T6_END") s"
exit 0
