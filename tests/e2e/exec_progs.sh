# exec_progs.sh - helpers for the tests of stock programs under `axnet exec`
# (test-exec-nc.sh, test-exec-http.sh; sourced after lib.sh and
# libaxnet.sh, not run). The programs run in the test's own namespace and
# reach the instance through its state directory; their kernel peers run
# in NS_B.

export AXNET_PRELOAD=${AXNET_PRELOAD:-$PWD/build/libaxnet-preload.so}
[ -r "$AXNET_PRELOAD" ] || fail "$AXNET_PRELOAD is not built (make libaxnet)"
unset LD_PRELOAD

# axexec CMD...: CMD under axnet exec on this test's instance.
# It replaces the (sub)shell that calls it, so that `bare NAME axexec ...`
# gives the program's own pid: a signal reaches the program, not a shell.
axexec() { exec "$AXNET" exec --state-dir "$STATE" -- "$@"; }

# in_b CMD...: CMD in the kernel peer's namespace (at most 120 s).
in_b() { ip netns exec "$NS_B" timeout -k 5 120 "$@"; }

# sha FILE: its SHA-256.
sha() { sha256sum "$1" | cut -c1-64; }

# random_file PATH BYTES
random_file() { head -c "$2" /dev/urandom >"$1" || fail "random_file $1"; }

# conns_owner PROTO STATE LOCAL REMOTE: the owners' executables (one per
# line) of axnet's sockets matching all of: PROTO (tcp/udp), STATE (as
# `axnet conns` says it; '*' any), LOCAL and REMOTE (ADDR:PORT, or ':PORT'
# for a port on any address, or '*'), from `axnet conns --json`.
conns_owner() {
	"$AXNET" conns --state-dir "$STATE" --json | /usr/bin/python3 -c '
import json, sys
proto, state, local, remote = sys.argv[1:5]
def match(want, got):
    return want == "*" or got == want or (want.startswith(":") and got.endswith(want))
for c in json.load(sys.stdin):
    if c["proto"] == proto and (state == "*" or c["state"] == state) and \
       match(local, c["local"]) and match(remote, c["remote"]):
        print((c.get("owner") or {}).get("exe"))' "$@"
}

# wait_conn PROTO STATE LOCAL REMOTE [SECS]: until such a socket exists (at
# most SECS, default 10), else fail.
wait_conn() {
	for _ in $(seq $(( ${5:-10} * 10 ))); do
		[ -n "$(conns_owner "$1" "$2" "$3" "$4")" ] && return 0
		sleep 0.1
	done
	"$AXNET" conns --state-dir "$STATE" >&2
	fail "no $1 socket $2 local $3 remote $4 within ${5:-10} s"
}

# expect_owner WHAT EXE PROTO STATE LOCAL REMOTE: exactly one such socket,
# owned by EXE.
expect_owner() {
	local what=$1 exe=$2
	shift 2
	expect_eq "$what: owner in axnet conns --json" "$(conns_owner "$@")" "$exe"
}

# expect_logged WHAT EXE PATTERN: the Axiom log has a connection-authorize
# entry matching the extended regex PATTERN and naming EXE as its owner.
expect_logged() {
	local n
	n=$("$AXNET" log --state-dir "$STATE" | grep -E "connection-authorize .*$3" |
		grep -c " exe=$2\$")
	[ "$n" -ge 1 ] || {
		"$AXNET" log --state-dir "$STATE" | tail -20 >&2
		fail "$1: no connection-authorize entry /$3/ with exe=$2"
	}
	pass "$1: the log's connection-authorize names $2"
}

# kernel_listening PROTO PORT [SECS]: until the kernel peer has a PROTO
# socket on PORT in NS_B (ss), else fail.
kernel_listening() {
	local opt=-ltn
	[ "$1" = udp ] && opt=-lun
	for _ in $(seq $(( ${3:-10} * 10 ))); do
		ip netns exec "$NS_B" ss -H "$opt" "sport = :$2" | grep -q . && return 0
		sleep 0.1
	done
	fail "the kernel peer is not on $1 port $2 within ${3:-10} s"
}
