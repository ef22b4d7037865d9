#!/usr/bin/env bash
# socat and nc.openbsd, stock, under `axnet exec`, against the same programs
# on the kernel in the peer's namespace: TCP and UDP, the axnet side
# listening and connecting, data both ways on each connection (SHA-256 of
# what each side received equal to what the other sent). Each program's
# socket shows its executable in `axnet conns --json` (checked before any
# data moves: each side's data waits in a FIFO the test fills afterwards),
# and the Axiom log's connection-authorize entry names it.
#  - socat: TCP 4 MiB one way and 3 MiB the other; UDP 64 KB each way in
#    1000-byte datagrams (-b 1000: axnet does not fragment), UDP first so
#    axnet's burst meets an unresolved neighbour; UDP-LISTEN
#    takes its peer from the first datagram (recvfrom MSG_PEEK, connect).
#  - nc.openbsd: TCP the same (the kernel's nc sends its FIN only once it
#    has everything: nc quits at the peer's FIN whatever it has left to
#    send); UDP 10 KB each way in 500-byte reads (tests/tools/dgram_stdin.py),
#    one way after the other (nc stops reading the network once its stdin
#    has ended).
# e2e-timeout: 300
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/libaxnet.sh"
. "$(dirname "$0")/exec_progs.sh"

SOCAT=$(readlink -f /usr/bin/socat)
NC=$(readlink -f /usr/bin/nc.openbsd)
TCP_A=$((4 << 20)) TCP_K=$((3 << 20)) UDP_BYTES=64000 NCU_BYTES=10000
DGRAM_STDIN=(/usr/bin/python3 tests/tools/dgram_stdin.py 500 0.005)

make_pair
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A"

random_file "$WORK/tcp_a" "$TCP_A"
random_file "$WORK/tcp_k" "$TCP_K"
random_file "$WORK/udp_a" "$UDP_BYTES"
random_file "$WORK/udp_k" "$UDP_BYTES"
random_file "$WORK/ncu_a" "$NCU_BYTES"
random_file "$WORK/ncu_k" "$NCU_BYTES"

# gates N: FIFOs $WORK/N.a and $WORK/N.k holding back each side's data.
gates() { mkfifo "$WORK/$1.a" "$WORK/$1.k" || fail "mkfifo"; }
# release N A K: the files A (to the axnet side's FIFO) and K (the kernel's).
release() {
	bare "rel_$1_a" cp "$2" "$WORK/$1.a"
	bare "rel_$1_k" cp "$3" "$WORK/$1.k"
}

# both_ways WHAT N A K: axnet's side (N.x.got) received K, the kernel's
# (N.k.got) received A.
both_ways() {
	expect_eq "$1: axnet -> kernel, SHA-256 of $(wc -c <"$WORK/$2.k.got" 2>/dev/null) bytes" \
		"$(sha "$WORK/$2.k.got")" "$(sha "$3")"
	expect_eq "$1: kernel -> axnet, SHA-256 of $(wc -c <"$WORK/$2.x.got" 2>/dev/null) bytes" \
		"$(sha "$WORK/$2.x.got")" "$(sha "$4")"
}

# --- socat, UDP ----------------------------------------------------------------------
# dual address: read the FIFO, write the file; -t: wait for the other way.
# sdual N SIDE GOT: read N.SIDE (its FIFO), write N.GOT.got.
sdual() { echo "OPEN:$WORK/$1.$2!!OPEN:$WORK/$1.$3.got,creat,trunc"; }
# First of all, so the peer's address is not resolved yet: axnet's burst
# of datagrams to it waits in the program's ring past the engine's ARP
# queue (8 frames), and all go once it answers, none lost, no error.
gates s4
bare sk4 in_b socat -t 3 -b 1000 "UDP-LISTEN:7102,bind=$KERNEL_B,reuseaddr" "$(sdual s4 k k)"
kernel_listening udp 7102
bare sx4 axexec socat -t 3 -b 1000 "UDP:$KERNEL_B:7102" "$(sdual s4 a x)"
wait_conn udp '*' '*' "$KERNEL_B:7102"
expect_owner "socat UDP connecting" "$SOCAT" udp '*' '*' "$KERNEL_B:7102"
release s4 "$WORK/udp_a" "$WORK/udp_k"
done_ok sx4
done_ok sk4
both_ways "socat UDP, axnet connecting" s4 "$WORK/udp_a" "$WORK/udp_k"
expect_logged "socat UDP out" "$SOCAT" "dir=out proto=udp .*remote=$KERNEL_B:7102 "

gates s3
bare sx3 axexec socat -t 3 -b 1000 UDP-LISTEN:7101,reuseaddr "$(sdual s3 a x)"
wait_conn udp '*' :7101 '*'
expect_owner "socat UDP-LISTEN" "$SOCAT" udp '*' :7101 '*'
bare sk3 in_b socat -t 3 -b 1000 "UDP:$AXNET_IP:7101" "$(sdual s3 k k)"
release s3 "$WORK/udp_a" "$WORK/udp_k"
done_ok sx3
done_ok sk3
both_ways "socat UDP, axnet listening" s3 "$WORK/udp_a" "$WORK/udp_k"
expect_logged "socat UDP in" "$SOCAT" "dir=in proto=udp local=$AXNET_IP:7101 "

# --- socat, TCP ----------------------------------------------------------------------

gates s1
bare sx1 axexec socat -t 30 TCP-LISTEN:7001,reuseaddr "$(sdual s1 a x)"
wait_conn tcp LISTEN :7001 '*'
expect_owner "socat listening (TCP)" "$SOCAT" tcp LISTEN :7001 '*'
bare sk1 in_b socat -t 30 "TCP:$AXNET_IP:7001" "$(sdual s1 k k)"
wait_conn tcp ESTABLISHED :7001 '*'
expect_owner "socat's accepted connection" "$SOCAT" tcp ESTABLISHED :7001 '*'
release s1 "$WORK/tcp_a" "$WORK/tcp_k"
done_ok sx1
done_ok sk1
both_ways "socat TCP, axnet listening" s1 "$WORK/tcp_a" "$WORK/tcp_k"
expect_logged "socat TCP in" "$SOCAT" "dir=in proto=tcp local=$AXNET_IP:7001 "

gates s2
bare sk2 in_b socat -t 30 "TCP-LISTEN:7002,bind=$KERNEL_B,reuseaddr" "$(sdual s2 k k)"
kernel_listening tcp 7002
bare sx2 axexec socat -t 30 "TCP:$KERNEL_B:7002" "$(sdual s2 a x)"
wait_conn tcp ESTABLISHED '*' "$KERNEL_B:7002"
expect_owner "socat connecting (TCP)" "$SOCAT" tcp ESTABLISHED '*' "$KERNEL_B:7002"
release s2 "$WORK/tcp_a" "$WORK/tcp_k"
done_ok sx2
done_ok sk2
both_ways "socat TCP, axnet connecting" s2 "$WORK/tcp_a" "$WORK/tcp_k"
expect_logged "socat TCP out" "$SOCAT" "dir=out proto=tcp .*remote=$KERNEL_B:7002 "

# --- nc.openbsd, TCP -------------------------------------------------------------------
# The kernel's nc (-N: FIN at the end of its stdin) ends its stdin only once
# it holds all of axnet's data; axnet's nc (no -N) quits at that FIN.
# kernel_nc N ARGS...: in NS_B, stdin N.k then the wait, output N.k.got.
kernel_nc() {
	local n=$1
	shift
	bare "${n}k" in_b bash -c 'n=$1 want=$2; shift 2
		"$@" >"$n.k.got" < <(cat "$n.k"
			while [ "$(wc -c <"$n.k.got")" -lt "$want" ]; do sleep 0.05; done)' \
		sh "$WORK/$n" "$TCP_A" nc.openbsd -N "$@"
}
# axnet_nc N ARGS...: axnet's nc, stdin N.a, output N.x.got.
axnet_nc() {
	local n=$1
	shift
	bare "${n}x" bash -c 'n=$1; shift; cat "$n.a" | "$@" >"$n.x.got"' \
		sh "$WORK/$n" "$AXNET" exec --state-dir "$STATE" -- nc.openbsd "$@"
}

gates n1
axnet_nc n1 -l 7003
wait_conn tcp LISTEN :7003 '*'
expect_owner "nc listening (TCP)" "$NC" tcp LISTEN :7003 '*'
kernel_nc n1 "$AXNET_IP" 7003
wait_conn tcp ESTABLISHED :7003 '*'
expect_owner "nc's accepted connection" "$NC" tcp ESTABLISHED :7003 '*'
release n1 "$WORK/tcp_a" "$WORK/tcp_k"
done_ok n1x
done_ok n1k
both_ways "nc TCP, axnet listening" n1 "$WORK/tcp_a" "$WORK/tcp_k"
expect_logged "nc TCP in" "$NC" "dir=in proto=tcp local=$AXNET_IP:7003 "

gates n2
kernel_nc n2 -l "$KERNEL_B" 7004
kernel_listening tcp 7004
axnet_nc n2 "$KERNEL_B" 7004
wait_conn tcp ESTABLISHED '*' "$KERNEL_B:7004"
expect_owner "nc connecting (TCP)" "$NC" tcp ESTABLISHED '*' "$KERNEL_B:7004"
release n2 "$WORK/tcp_a" "$WORK/tcp_k"
done_ok n2x
done_ok n2k
both_ways "nc TCP, axnet connecting" n2 "$WORK/tcp_a" "$WORK/tcp_k"
expect_logged "nc TCP out" "$NC" "dir=out proto=tcp .*remote=$KERNEL_B:7004 "

# --- nc.openbsd, UDP -------------------------------------------------------------------
# The connecting side sends first; the listener, connected to it by its
# first datagram, answers once all of it came; the connecting side's
# stdin ends (N.end) once it has the answer. -q 1: quit 1 s after that.
# size_at FILE BYTES: wait (at most 20 s) until FILE has BYTES.
size_at() {
	for _ in $(seq 200); do
		[ "$(wc -c <"$1" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.1
	done
	fail "$1: $(wc -c <"$1" 2>/dev/null) bytes, want $2"
}

gates n3
mkfifo "$WORK/n3.end"
bare n3x "${DGRAM_STDIN[@]}" "$WORK/n3.a" -- "$AXNET" exec --state-dir "$STATE" -- \
	nc.openbsd -u -q 1 -l 7103
ln -s n3x.out "$WORK/n3.x.got"
wait_conn udp '*' :7103 '*'
expect_owner "nc -u -l" "$NC" udp '*' :7103 '*'
bare n3k in_b "${DGRAM_STDIN[@]}" "$WORK/n3.k" "$WORK/n3.end" -- \
	nc.openbsd -u -q 1 "$AXNET_IP" 7103
ln -s n3k.out "$WORK/n3.k.got"
bare rel_n3_k cp "$WORK/ncu_k" "$WORK/n3.k"
size_at "$WORK/n3.x.got" "$NCU_BYTES"
bare rel_n3_a cp "$WORK/ncu_a" "$WORK/n3.a"
size_at "$WORK/n3.k.got" "$NCU_BYTES"
: >"$WORK/n3.end"
done_ok n3x
done_ok n3k
both_ways "nc UDP, axnet listening" n3 "$WORK/ncu_a" "$WORK/ncu_k"
expect_logged "nc UDP in" "$NC" "dir=in proto=udp local=$AXNET_IP:7103 "

gates n4
mkfifo "$WORK/n4.end"
bare n4k in_b "${DGRAM_STDIN[@]}" "$WORK/n4.k" -- nc.openbsd -u -q 1 -l "$KERNEL_B" 7104
ln -s n4k.out "$WORK/n4.k.got"
kernel_listening udp 7104
bare n4x "${DGRAM_STDIN[@]}" "$WORK/n4.a" "$WORK/n4.end" -- \
	"$AXNET" exec --state-dir "$STATE" -- nc.openbsd -u -q 1 "$KERNEL_B" 7104
ln -s n4x.out "$WORK/n4.x.got"
wait_conn udp '*' '*' "$KERNEL_B:7104"
expect_owner "nc -u connecting" "$NC" udp '*' '*' "$KERNEL_B:7104"
bare rel_n4_a cp "$WORK/ncu_a" "$WORK/n4.a"
size_at "$WORK/n4.k.got" "$NCU_BYTES"
bare rel_n4_k cp "$WORK/ncu_k" "$WORK/n4.k"
size_at "$WORK/n4.x.got" "$NCU_BYTES"
: >"$WORK/n4.end"
done_ok n4x
done_ok n4k
both_ways "nc UDP, axnet connecting" n4 "$WORK/ncu_a" "$WORK/ncu_k"
expect_logged "nc UDP out" "$NC" "dir=out proto=udp .*remote=$KERNEL_B:7104 "

stop_axnet
exit 0
