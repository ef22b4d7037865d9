#!/usr/bin/env bash
# The XDP program's decisions under BPF_PROG_TEST_RUN (tests/tools/xdp_testrun.c),
# no interface needed: every fragment for axnet (IPv4, IPv6) reaches it
# (frag), 1,000 runs in 1,000, whatever it carries, each spending a token of
# its source's bucket (frag_dropped over it); fragments for other addresses
# are the kernel's; protocols the engine does not run are
# dropped (proto_dropped); ICMP takes its source's tokens.
set -u
cd "$(dirname "$0")/../.."
XDP_TESTRUN=${XDP_TESTRUN:-build/tests/xdp_testrun}
XDP_OBJ=${XDP_OBJ:-build/axnet_xdp.bpf.o}
[ -x "$XDP_TESTRUN" ] && [ -f "$XDP_OBJ" ] || { echo "FAIL: build $XDP_TESTRUN and $XDP_OBJ first" >&2; exit 1; }
"$XDP_TESTRUN" "$XDP_OBJ"
