#!/usr/bin/env bash
# `axnet demo`, the README's main job: it succeeds, says so, and leaves
# nothing behind; interrupted half-way, it still leaves nothing behind.
. "$(dirname "$0")/lib.sh"

leftovers() {
	{ ip netns list | grep -E '^axdemo-(a|b)'; ls /run/axnet/axdemo /sys/fs/bpf/axnet/axd0 2>/dev/null; } | wc -l
}

out=$("$AXNET" demo 2>&1) || { echo "$out"; fail "demo exited non-zero"; }
echo "$out" | grep -q "axnet demo: all pings answered, the allowed connection echoed" || { echo "$out"; fail "demo summary"; }
expect_eq "kernel->axnet ping lines in demo" "$(echo "$out" | grep -c 'bytes from 10.99.0.2')" 3
expect_eq "axnet->kernel ping lines in demo" "$(echo "$out" | grep -c 'bytes from 10.99.0.1: icmp_seq')" 3
expect_eq "leftovers after demo" "$(leftovers)" 0

# Ctrl-C in the middle: SIGINT to the demo's process group.
setsid "$AXNET" demo >/tmp/axdemo.$$ 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "== 1." /tmp/axdemo.$$ && break; sleep 0.1; done
kill -INT -- -"$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && { kill -KILL -- -"$pid"; fail "demo did not stop on SIGINT"; }
rm -f /tmp/axdemo.$$
expect_eq "leftovers after interrupted demo" "$(leftovers)" 0
exit 0
