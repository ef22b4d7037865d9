# etcd.sh - an etcd cluster in namespaces for the end-to-end tests
# (sourced after lib.sh, not run).
#
#   NS_E (axt${ID}e)      a bridge br0 with $EP.1/24: etcdctl_e runs here
#   axt${ID}e1..eN        member I: etcd (Debian's /usr/bin/etcd) on
#                         $EP.1I:2379 (clients) and :2380 (peers), a veth
#                         into br0, its data in $ETCD_WORK/mI
#   etcd_attach NS H      a veth from a test's namespace NS into br0 with
#                         $EP.H/24, so programs there reach the members
#
# EP=10.201.$((ID % 250)): lib.sh's 10.200/16 is the axnet side, this /24
# is picked from the PID too, so parallel runs do not meet. Nothing here
# touches the host's interfaces, addresses or sysctls; every wait is
# bounded. A test calls etcd_cleanup from its EXIT trap before lib.sh's
# cleanup (it keeps $?):   trap 'etcd_cleanup; cleanup' EXIT

ETCD_BIN=${ETCD_BIN:-/usr/bin/etcd}
ETCDCTL_BIN=${ETCDCTL_BIN:-/usr/bin/etcdctl}
NS_E="axt${ID}e"
EP="10.201.$((ID % 250))"
ETCD_WORK=
ETCD_N=0
ETCD_URL=
ETCD_ENDPOINTS=
ETCD_PIDS=()        # by member number; empty when stopped
# Watch progress notifications every second (etcd's default is 10 min):
# a watcher learns the store's revision and finds a silent member soon.
ETCD_PROGRESS=${ETCD_PROGRESS:-1s}

# etcd_member_addr I: member I's address.
etcd_member_addr() { echo "$EP.1$1"; }

# etcd_member_ep I: member I's client endpoint, host:port.
etcd_member_ep() { echo "$EP.1$1:2379"; }

# etcd_ns_quiet NS: a new namespace with lo up and no IPv6 chatter.
etcd_ns_quiet() {
	ip netns add "$1" || fail "netns add $1"
	ip -n "$1" link set lo up
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 || fail "sysctl in $1"
}

# etcd_run_member I: start member I's etcd in its namespace (background);
# ETCD_PIDS[I] is its pid (ip netns exec execs etcd).
etcd_run_member() {
	local i=$1 a cluster="" j
	a=$(etcd_member_addr "$i")
	for j in $(seq "$ETCD_N"); do
		cluster="${cluster:+$cluster,}m$j=http://$(etcd_member_addr "$j"):2380"
	done
	ip netns exec "${NS_E}$i" "$ETCD_BIN" --name "m$i" --data-dir "$ETCD_WORK/m$i" \
		--listen-client-urls "http://$a:2379" --advertise-client-urls "http://$a:2379" \
		--listen-peer-urls "http://$a:2380" --initial-advertise-peer-urls "http://$a:2380" \
		--initial-cluster "$cluster" --initial-cluster-token "axt${ID}" \
		--initial-cluster-state new --heartbeat-interval 100 --election-timeout 1000 \
		--experimental-watch-progress-notify-interval "$ETCD_PROGRESS" \
		--logger zap --log-outputs stderr >>"$ETCD_WORK/m$i.log" 2>&1 &
	ETCD_PIDS[$i]=$!
}

# etcd_answers I: member I answers HTTP (GET /version) within 1 s.
etcd_answers() {
	ip netns exec "$NS_E" curl -s -m 1 -o /dev/null "http://$(etcd_member_ep "$1")/version"
}

# etcd_healthy I: member I has a leader and serves a quorum read (GET /health).
etcd_healthy() {
	ip netns exec "$NS_E" curl -s -m 2 "http://$(etcd_member_ep "$1")/health" 2>/dev/null |
		grep -q '"health":"true"'
}

# etcd_wait_healthy [SECS=20]: wait (at most SECS) until every running
# member is healthy; fails otherwise.
etcd_wait_healthy() {
	local secs=${1:-20} i ok
	for _ in $(seq $((secs * 5))); do
		ok=1
		for i in $(seq "$ETCD_N"); do
			[ -n "${ETCD_PIDS[$i]}" ] || continue
			etcd_healthy "$i" || { ok=0; break; }
		done
		[ $ok -eq 1 ] && return 0
		sleep 0.2
	done
	etcd_show_logs
	fail "etcd: members not healthy after ${secs}s"
}

# etcd_cluster_start [N=3]: the bridge namespace and N members, waits (at
# most 20 s) until every member is healthy. Sets ETCD_WORK (a directory of
# its own), ETCD_URL (etcd://$EP.11:2379,...) and ETCD_ENDPOINTS
# ($EP.11:2379,...).
etcd_cluster_start() {
	local n=${1:-3} i
	[ -x "$ETCD_BIN" ] || fail "no $ETCD_BIN (scripts/deps.sh installs etcd-server)"
	ETCD_WORK=$(mktemp -d /tmp/axnet-etcd.XXXXXX)
	ETCD_N=$n
	etcd_ns_quiet "$NS_E"
	ip -n "$NS_E" link add br0 type bridge || fail "bridge"
	ip -n "$NS_E" addr add "$EP.1/24" dev br0
	ip -n "$NS_E" link set br0 up
	ETCD_ENDPOINTS=
	for i in $(seq "$n"); do
		etcd_ns_quiet "${NS_E}$i"
		ip -n "$NS_E" link add "m$i" type veth peer name eth0 netns "${NS_E}$i" ||
			fail "veth m$i"
		ip -n "$NS_E" link set "m$i" master br0 up
		ip -n "${NS_E}$i" addr add "$(etcd_member_addr "$i")/24" dev eth0
		ip -n "${NS_E}$i" link set eth0 up
		ETCD_ENDPOINTS="${ETCD_ENDPOINTS:+$ETCD_ENDPOINTS,}$(etcd_member_ep "$i")"
	done
	ETCD_URL="etcd://$ETCD_ENDPOINTS"
	for i in $(seq "$n"); do etcd_run_member "$i"; done
	etcd_wait_healthy 20
}

# etcd_attach NS HOSTNUM: a veth "etcd0" in NS (HOSTNUM 20..99) into br0,
# with $EP.HOSTNUM/24 and up. NS is the caller's, made before.
etcd_attach() {
	local ns=$1 h=$2
	[ "$h" -ge 20 ] && [ "$h" -le 99 ] || fail "etcd_attach: host number $h not in 20..99"
	ip -n "$NS_E" link add "h$h" type veth peer name etcd0 netns "$ns" || fail "veth h$h"
	ip -n "$NS_E" link set "h$h" master br0 up
	ip -n "$ns" addr add "$EP.$h/24" dev etcd0
	ip -n "$ns" link set etcd0 up
}

# etcd_member_stop I: kill -KILL member I and wait for it.
etcd_member_stop() {
	local pid=${ETCD_PIDS[$1]}
	[ -n "$pid" ] || return 0
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	ETCD_PIDS[$1]=
}

# etcd_running: how many members run.
etcd_running() {
	local i n=0
	for i in $(seq "$ETCD_N"); do [ -z "${ETCD_PIDS[$i]}" ] || n=$((n + 1)); done
	echo $n
}

# etcd_member_start I: member I again on its data directory. With a quorum
# running (counting it), waits (at most 10 s) until it answers HTTP on its
# client port; without one it returns once it is started: etcd 3.4 opens
# its client port only after it has joined a quorum (measured: a member
# restarted alone refuses connections until a second one comes back).
etcd_member_start() {
	local i=$1
	[ -z "${ETCD_PIDS[$i]}" ] || fail "etcd member $i is running"
	etcd_run_member "$i"
	[ "$(etcd_running)" -gt $((ETCD_N / 2)) ] || return 0
	for _ in $(seq 50); do
		etcd_answers "$i" && return 0
		kill -0 "${ETCD_PIDS[$i]}" 2>/dev/null || break
		sleep 0.2
	done
	etcd_show_logs
	fail "etcd member $i did not come back"
}

# etcd_status: one line per member answering, "I ID-HEX IS-LEADER"
# (etcdctl's simple output: endpoint, ID, version, size, leader, ...).
etcd_status() {
	local i ep
	etcdctl_e endpoint status 2>/dev/null | while IFS=', ' read -r ep id _ _ _ leader _; do
		for i in $(seq "$ETCD_N"); do
			[ "$ep" = "$(etcd_member_ep "$i")" ] && echo "$i $id $leader"
		done
	done
}

# etcd_leader: the number of the member that leads ("" if none answers so).
etcd_leader() { etcd_status | awk '$3 == "true" { print $1 }'; }

# etcd_move_leader I: leadership handed to member I (etcdctl move-leader,
# sent to the leader); waits (at most 5 s) until I leads.
etcd_move_leader() {
	local to=$1 from id
	from=$(etcd_leader)
	[ -n "$from" ] || fail "etcd: no leader to move"
	[ "$from" = "$to" ] && return 0
	id=$(etcd_status | awk -v i="$to" '$1 == i { print $2 }')
	ip netns exec "$NS_E" env ETCDCTL_API=3 "$ETCDCTL_BIN" --endpoints="$(etcd_member_ep "$from")" \
		--dial-timeout=1s --command-timeout=5s move-leader "$id" >/dev/null || fail "move-leader"
	for _ in $(seq 50); do [ "$(etcd_leader)" = "$to" ] && return 0; sleep 0.1; done
	fail "etcd: member $to did not become the leader"
}

# etcdctl_e ARGS...: etcdctl (API 3) in NS_E against every member.
etcdctl_e() {
	ip netns exec "$NS_E" env ETCDCTL_API=3 "$ETCDCTL_BIN" --endpoints="$ETCD_ENDPOINTS" \
		--dial-timeout=1s --command-timeout=5s "$@"
}

# etcd_show_logs: the end of each member's log, to stderr.
etcd_show_logs() {
	local i
	[ -n "$ETCD_WORK" ] || return 0
	for i in $(seq "$ETCD_N"); do
		[ -f "$ETCD_WORK/m$i.log" ] || continue
		echo "--- etcd m$i log ---" >&2
		tail -8 "$ETCD_WORK/m$i.log" >&2
	done
}

# etcd_cleanup: members killed, namespaces deleted (veths to attached
# namespaces go with br0's), ETCD_WORK removed. Returns the $? it found,
# so a trap can call lib.sh's cleanup after it.
etcd_cleanup() {
	local rc=$? i
	for i in $(seq "$ETCD_N"); do etcd_member_stop "$i"; done
	[ $rc -eq 0 ] || etcd_show_logs
	for i in $(seq "$ETCD_N"); do ip netns del "${NS_E}$i" 2>/dev/null; done
	ip netns del "$NS_E" 2>/dev/null
	[ -z "$ETCD_WORK" ] || rm -rf "$ETCD_WORK"
	ETCD_N=0
	return $rc
}
