#!/usr/bin/env bash
# Benchmark: what authorization costs a connect, and how many
# authorizations Axiom commits a second with group commit.
#
# A kernel client in B opens CONNS connections from THREADS threads at
# once (connect, send 1 byte, close) to
#   axnet(A)   every connect proposes a connection-authorize entry, which
#              must be fdatasync'ed before the SYN-ACK leaves
#   kernel(A)  the kernel's own listener on A's address on the same veth
#              pair: no authorization, the baseline
# and reports connect() latency p50/p99 for both, their difference and
# ratio, connects per second, and from axnet itself the request-to-commit
# latency (authz.latency_*) and entries per fdatasync (the group commit).
# The state directory is on the root file system (a real fdatasync).
set -u
AXNET=${AXNET:-build/axnet}
CONNS=${CONNS:-4000}
THREADS=${THREADS:-16}
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
STATE=/var/tmp/axnet-bench-$ID
PIDS=()
bench_cleanup() {
	local rc=$? p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	(exit $rc)
	cleanup
	rm -rf "$STATE"
}
trap bench_cleanup EXIT

cat >/tmp/axnet-bench-$ID.py <<'EOF'
import socket, sys, threading, time
host, port, conns, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
lat, errors, lock = [], [0], threading.Lock()
def worker(n):
    mine = []
    for _ in range(n):
        s = socket.socket()
        s.settimeout(5)
        t0 = time.perf_counter()
        try:
            s.connect((host, port))
            mine.append(time.perf_counter() - t0)
            s.sendall(b"x")
        except OSError:
            with lock:
                errors[0] += 1
        finally:
            s.close()
    with lock:
        lat.extend(mine)
t0 = time.perf_counter()
ts = [threading.Thread(target=worker, args=(conns // threads,)) for _ in range(threads)]
for t in ts: t.start()
for t in ts: t.join()
el = time.perf_counter() - t0
lat.sort()
p = lambda q: lat[min(len(lat) - 1, int(len(lat) * q))] * 1e6
print(f"{len(lat)} {errors[0]} {el:.3f} {p(0.5):.0f} {p(0.99):.0f}")
EOF

make_pair
# The per-source SYN limit would measure itself (one client, thousands of
# connects a second): lifted here.
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" --serve discard:9 \
	--syn-rate 1000000
# The kernel's listener: a deep backlog and an accept loop that keeps up,
# so the baseline is the kernel's handshake, not a slow server.
ip netns exec "$NS_A" timeout 300 python3 -c '
import socket, sys
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], 9009)); l.listen(4096)
while True:
    c, _ = l.accept(); c.close()' "$KERNEL_A" >/dev/null 2>&1 &
PIDS+=($!)
sleep 0.5

run() { ip netns exec "$NS_B" python3 /tmp/axnet-bench-$ID.py "$1" "$2" "$CONNS" "$THREADS"; }
read -r k_n k_err k_el k_p50 k_p99 < <(run "$KERNEL_A" 9009)
b0=$(stat axiom batches) c0=$(stat axiom committed)
read -r a_n a_err a_el a_p50 a_p99 < <(run "$AXNET_IP" 9)
sleep 0.5
b1=$(stat axiom batches) c1=$(stat axiom committed)
e_p50=$(stat authz latency_p50_us) e_p99=$(stat authz latency_p99_us)
rm -f /tmp/axnet-bench-$ID.py

echo "connect() from $THREADS threads, $CONNS connections each side:"
printf '  %-22s %8s %8s %10s %8s\n' "" "p50 us" "p99 us" "conn/s" "errors"
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
printf '  %-22s %8s %8s %10s %8s\n' "kernel(B) -> kernel(A)" "$k_p50" "$k_p99" \
	"$(calc %.0f "$k_n / $k_el")" "$k_err"
printf '  %-22s %8s %8s %10s %8s\n' "kernel(B) -> axnet(A)" "$a_p50" "$a_p99" \
	"$(calc %.0f "$a_n / $a_el")" "$a_err"
echo "  added by axnet (authorization included): p50 $(printf %+d $((a_p50 - k_p50))) us," \
	"p99 $(printf %+d $((a_p99 - k_p99))) us;" \
	"ratio p50 $(calc %.2f "$a_p50 / $k_p50"), p99 $(calc %.2f "$a_p99 / $k_p99")"
echo "  axnet's own request-to-commit latency: p50 $e_p50 us, p99 $e_p99 us"
entries=$((c1 - c0)) batches=$((b1 - b0))
echo "  Axiom: $entries entries in $batches group commits" \
	"($(calc %.1f "$entries / ($batches > 0 ? $batches : 1)") entries per fdatasync)," \
	"$(calc %.0f "$entries / $a_el") entries/s"
stop_axnet
