#!/usr/bin/env bash
# Axiom's etcd store (axiom/storage_etcd.c) on a real 3-member cluster
# (tests/e2e/etcd.sh), driven by tests/tools/axiom_etcd_probe:
#   - entries committed by one process read back, exact, from another with
#     no local directory; group commit: fewer transactions than entries,
#     counted as P/head's version (one put of head per transaction);
#   - segments roll over with a small segment size (P/size/ of each sealed one);
#   - a second writer is refused (-EBUSY, naming the holder) while the
#     first lives, and gets in within the lease TTL after it is SIGKILLed;
#     a clean close needs no wait;
#   - two writers forced onto one prefix cannot fork: the loser is refused;
#   - checkpoints and the public key land in etcd and verify from elsewhere;
#   - readers beside a writer see whole prefixes, never past head;
#   - one member down: writes go on; two down: no datasync returns 0; the
#     members back: writes resume with no gap and no duplicate.
# e2e-timeout: 240
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/etcd.sh"

PROBE=${AX_TOOLS_DIR:-build/tests}/axiom_etcd_probe
[ -x "$PROBE" ] || fail "no $PROBE (make build/tests/axiom_etcd_probe)"
WORK=$(mktemp -d /tmp/axnet-etcdstore.XXXXXX)
STREAM_PID=
trap 'rc=$?; [ -z "$STREAM_PID" ] || kill $STREAM_PID 2>/dev/null; rm -rf "$WORK"; ip netns del "axt${ID}c" 2>/dev/null; (exit $rc); etcd_cleanup; cleanup' EXIT

etcd_cluster_start 3
ip netns add "axt${ID}c" || fail "netns"
ip -n "axt${ID}c" link set lo up
etcd_attach "axt${ID}c" 20
TTL=2

# probe PREFIX DIR ARGS...: the probe in the client namespace.
probe() {
	local p=$1 d=$2
	shift 2
	ip netns exec "axt${ID}c" "$PROBE" -e "$ETCD_ENDPOINTS" -p "$p" -d "$d" -T $TTL "$@"
}

# expect_sha TAG FROM TO BYTES: sha256 of payloads "TAG-i" padded with x to BYTES, each + "\n".
expect_sha() {
	local tag=$1 from=$2 to=$3 bytes=$4
	/usr/bin/python3 -c '
import hashlib, sys
tag, a, b, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
h = hashlib.sha256()
for i in range(a, b + 1):
    p = ("%s-%d" % (tag, i)).encode()
    h.update(p + b"x" * max(0, n - len(p)) + b"\n")
print(h.hexdigest())' "$tag" "$from" "$to" "$bytes"
}

# head_version P: how many times P/head was put (one per transaction).
head_version() {
	etcdctl_e get "$1/head" -w json | /usr/bin/python3 -c '
import json, sys
kvs = json.load(sys.stdin).get("kvs", [])
print(kvs[0]["version"] if kvs else 0)'
}

field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2" | head -1; }

# --- commit, reopen from elsewhere, group commit ----------------------------
P=axnet/test/$ID/a
mkdir -p "$WORK/a"
out=$(probe $P "$WORK/a" write 1000 100 w) || fail "write: $out"
echo "$out"
batches=$(field batches "$out"); creates=$(field creates "$out")
grep -q "^committed 1000 first=1 last=1000 " <<<"$out" || fail "write: not seqs 1..1000: $out"
v=$(head_version $P)
# One txn per batch and per segment created; taking the hold re-puts head
# once per open after the first (none here: the log was new).
[ "$v" -eq $((batches + creates)) ] || fail "P/head version $v != batches $batches + creates $creates"
[ "$v" -lt 1000 ] || fail "group commit: $v transactions for 1000 entries"
pass "1000 entries in $v transactions ($batches batches)"
rm -rf "$WORK/a"  # nothing local is needed to read the log back
out=$(probe $P "$WORK/none" read) || fail "read: $out"
sha=$(expect_sha w 1 1000 100)
[ "$out" = "entries=1000 last=1000 probe=1000 segments=1 sha256=$sha" ] || fail "read: $out, want sha256=$sha"
pass "read back from another process: $out"
# Checkpoints and the key are in etcd: one at seq 1000 (every 1000 entries),
# none more at close (the head had not moved since); each signed by the key
# in P/keys and matching the log.
out=$(probe $P "$WORK/none" ckpt) || fail "checkpoints: $out"
grep -q "^checkpoints=1 verified=1$" <<<"$out" || fail "checkpoints: $out"
grep -q "^checkpoint seq=1000 signed=1 head=1$" <<<"$out" || fail "checkpoints: $out"
[ "$(etcdctl_e get --print-value-only $P/keys | grep -c '^[0-9a-f]\{64\}$')" -eq 1 ] ||
	fail "P/keys: $(etcdctl_e get --print-value-only $P/keys)"
out=$(probe $P "$WORK/none" verify) || fail "verify: $out"
[ "$out" = "verified entries=1000 segments=1 checkpoints=1" ] || fail "verify: $out"
pass "checkpoints in etcd verify from another process: $out"
# A reopen by a new writer continues the chain (no local state at all).
mkdir -p "$WORK/a2"
out=$(probe $P "$WORK/a2" write 10 100 x) || fail "write after reopen: $out"
grep -q "^committed 10 first=1001 last=1010 " <<<"$out" || fail "reopen: $out"
pass "a writer with a new state directory continues at seq 1001"

# --- segment rollover -----------------------------------------------------------
P=axnet/test/$ID/roll
mkdir -p "$WORK/r"
out=$(probe $P "$WORK/r" -s 4096 write 300 100 r) || fail "rollover write: $out"
echo "$out"
creates=$(field creates "$out")
[ "$creates" -ge 10 ] || fail "rollover: $creates segments"
nsize=$(etcdctl_e get --prefix --keys-only "$P/size/" | grep -c .)
[ "$nsize" -eq $((creates - 1)) ] || fail "P/size/: $nsize keys for $creates segments"
out=$(probe $P "$WORK/none" read) || fail "rollover read: $out"
[ "$out" = "entries=300 last=300 probe=300 segments=$creates sha256=$(expect_sha r 1 300 100)" ] ||
	fail "rollover read: $out"
pass "rollover: $creates segments, $nsize sealed with P/size, 300 entries read back exact"

# A batch bigger than one request (4 entries of 60000 bytes, many more
# queued at once: batches up to AXIOM_BATCH_MAX_BYTES, sent in chunks).
P=axnet/test/$ID/big
mkdir -p "$WORK/g"
out=$(probe $P "$WORK/g" write 60 60000 g) || fail "big write: $out"
out=$(probe $P "$WORK/none" read) || fail "big read: $out"
[ "$out" = "entries=60 last=60 probe=60 segments=1 sha256=$(expect_sha g 1 60 60000)" ] ||
	fail "big read: $out"
pass "batches beyond one request: $out"

# --- the writer's hold ----------------------------------------------------------
P=axnet/test/$ID/hold
mkdir -p "$WORK/h1" "$WORK/h2"
probe $P "$WORK/h1" hold 60 >"$WORK/hold.out" 2>&1 &
HOLD_PID=$!
for _ in $(seq 50); do grep -q held "$WORK/hold.out" && break; sleep 0.1; done
grep -q "held pid=" "$WORK/hold.out" || fail "hold: $(cat "$WORK/hold.out")"
hpid=$(sed -n 's/held pid=\([0-9]*\)/\1/p' "$WORK/hold.out")
out=$(probe $P "$WORK/h2" -W 500 open); rc=$?
[ $rc -eq 3 ] || fail "second writer: rc $rc: $out"
grep -q "pid=$hpid" <<<"$out" || fail "the refusal does not name the holder (pid $hpid): $out"
pass "second writer refused while the first lives: $out"
kill -KILL "$hpid"  # the probe itself (HOLD_PID is the shell around ip netns exec)
wait $HOLD_PID 2>/dev/null
out=$(probe $P "$WORK/h2" open) || fail "after SIGKILL: $out"
ms=$(field ms "$out")
[ "$ms" -le $((TTL * 1000 + 1500)) ] || fail "after SIGKILL: took $ms ms (TTL $TTL s)"
pass "after SIGKILL of the holder: $out (lease TTL ${TTL}s)"
out=$(probe $P "$WORK/h2" -W 0 open) || fail "after a clean close: $out"
pass "after a clean close, at once: $out"

# --- two writers forced onto one prefix -------------------------------------------
P=axnet/test/$ID/fork
mkdir -p "$WORK/f/a" "$WORK/f/b"
out=$(probe $P "$WORK/f" fork) || fail "fork: $out"
echo "$out"
out=$(probe $P "$WORK/none" read) || fail "fork read: $out"
want=$(printf 'A-1\nA-2\nA-3\nB-1\nB-2\nB-3\n' | sha256sum | cut -d' ' -f1)
[ "$out" = "entries=6 last=6 probe=6 segments=1 sha256=$want" ] || fail "fork read: $out"
# B's checkpoint at close verifies under B's key (both keys in P/keys); A's
# at close was refused (the store is stale): nothing signed past the fork.
v=$(probe $P "$WORK/none" verify) || fail "fork verify: $v"
[ "$v" = "verified entries=6 segments=1 checkpoints=1" ] || fail "fork verify: $v"
[ "$(etcdctl_e get --print-value-only $P/keys | grep -c '^[0-9a-f]\{64\}$')" -eq 2 ] ||
	fail "fork: P/keys: $(etcdctl_e get --print-value-only $P/keys)"
pass "no fork: the first writer refused once the second took the log; chain verifies: $out; $v"

# --- members lost and back ----------------------------------------------------------
P=axnet/test/$ID/q
mkdir -p "$WORK/q" "$WORK/m"
probe $P "$WORK/q" -m "$WORK/m" stream s >"$WORK/stream.out" 2>"$WORK/stream.err" &
STREAM_PID=$!
count() { grep -c '^committed' "$WORK/stream.out"; }
wait_count() { # wait_count N SECS
	for _ in $(seq $(($2 * 10))); do [ "$(count)" -ge "$1" ] && return 0; sleep 0.1; done
	return 1
}
wait_count 20 20 || fail "stream did not start: $(cat "$WORK/stream.err")"
# Readers alongside the writer see a whole prefix of the log, never a
# byte past head (no torn tail, payloads exactly s-1..s-N).
for _ in 1 2 3; do
	got=$(probe $P "$WORK/none" read) || fail "read beside the writer: $got"
	k=$(field entries "$got")
	[ "$got" = "entries=$k last=$k probe=$k segments=1 sha256=$(expect_sha s 1 "$k" 0)" ] ||
		fail "read beside the writer: $got"
done
pass "readers beside the writer: whole prefixes ($got)"
etcd_member_stop 1
c1=$(count)
wait_count $((c1 + 30)) 20 || fail "one member down: writes stopped at $(count)"
pass "one member down: writes go on ($c1 -> $(count))"
etcd_member_stop 2
touch "$WORK/m/down"
c2=$(count)
# Long enough for whole retries (each waits for the client's 2 s timeout).
sleep 7
c3=$(count)
rm "$WORK/m/down"
[ $((c3 - c2)) -le 1 ] || fail "two members down: $((c3 - c2)) entries committed"
etcd_member_start 1
etcd_member_start 2
etcd_wait_healthy 20
wait_count $((c3 + 30)) 30 || fail "members back: writes did not resume ($(count)): $(tail -3 "$WORK/stream.err")"
pass "members back: writes resumed ($c3 -> $(count))"
touch "$WORK/m/stop"
wait $STREAM_PID; rc=$?
STREAM_PID=
out=$(grep '^stream ' "$WORK/stream.out")
echo "$out"
[ $rc -eq 0 ] || fail "stream: rc $rc: $out $(tail -3 "$WORK/stream.err")"
grep '^txn_us' "$WORK/stream.out"
n=$(field entries "$out")
[ "$(field down_syncs "$out")" -ge 1 ] || fail "no datasync ran while two members were down: $out"
[ "$(field down_ok "$out")" -eq 0 ] || fail "a datasync returned 0 without a quorum: $out"
got=$(probe $P "$WORK/none" read) || fail "stream read: $got"
[ "$got" = "entries=$n last=$n probe=$n segments=1 sha256=$(expect_sha s 1 "$n" 0)" ] ||
	fail "after the quorum came back: $got (want s-1..s-$n exactly once)"
v=$(probe $P "$WORK/none" verify) || fail "stream verify: $v"
[ "$v" = "verified entries=$n segments=1 checkpoints=1" ] || fail "stream verify: $v"
pass "no gap, no duplicate: $got; $v"
