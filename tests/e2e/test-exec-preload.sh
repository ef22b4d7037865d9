#!/usr/bin/env bash
# The preload library (build/libaxnet-preload.so) under a program written
# against the kernel's socket calls only (tests/tools/px_preload, built
# fortified), with the Linux kernel as the peer:
#  - an axnet socket's descriptor is the lowest free number (a real one,
#    under FD_SETSIZE); select over it and a pipe; an epoll set of a pipe
#    and the socket reports both with the program's own data; 8 MiB read
#    through __read_chk, __recv_chk, __recvfrom_chk and __poll_chk arrive
#    intact (SHA-256 against the kernel sender's);
#  - an epoll set of pipes only stays the kernel's (no helper descriptor,
#    the program's data);
#  - sendfile(2) of a file to an axnet socket, with and without an offset,
#    arrives intact at the kernel (SHA-256);
#  - recvmmsg takes several queued datagrams in one call, sendmmsg sends
#    each (bytes and SHA-256 both ways);
#  - an exec'd child (execve after fork and after vfork, posix_spawn) gets LD_PRELOAD and
#    AXNET_STATE_DIR back when the parent cleared them, and the parent's
#    axnet socket is closed in it (EBADF) but not in the parent;
#  - AF_INET6 TCP and UDP are axnet's (SO_DOMAIN, V6ONLY 0, [::] names); without an instance,
#    AF_INET sockets fail with ENOENT and the library says why, once;
#  - getaddrinfo asks resolv.conf's server over axnet (A and AAAA records,
#    CNAME, search list, NXDOMAIN, AI_V4MAPPED, glibc's order of the two
#    families), /etc/hosts first, numeric addresses untouched;
#  - the library exports libc's names only (no ax_* symbol).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/libaxnet.sh"

PL=$(realpath "${AX_PRELOAD_LIB:-build/libaxnet-preload.so}")
PX=$AX_TOOLS_DIR/px_preload
[ -x "$PX" ] || fail "$PX is not built (make $PX)"
[ -f "$PL" ] || fail "$PL is not built (make build/libaxnet-preload.so)"
BYTES=$((8 << 20))

# The tool must call glibc's _chk variants, or the test proves nothing of them.
for f in __read_chk __recv_chk __recvfrom_chk __poll_chk; do
	nm -D "$PX" | grep -qw "$f" || fail "$PX does not call $f (not fortified?)"
done
exported=$(nm -D --defined-only "$PL" | awk '{ print $3 }' | grep -c '^ax_')
expect_eq "ax_* symbols exported by the preload library" "$exported" 0

make_pair
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A"

# px NAME ARGS...: the tool under the library, in the background.
px() {
	local name=$1
	shift
	prog "$name" env LD_PRELOAD="$PL" "$PX" "$@"
}
# has_ok NAME TEXT: NAME printed "ok TEXT".
has_ok() {
	grep -qF "ok $2" "$WORK/$1.out" || { cat "$WORK/$1.out" "$WORK/$1.err" >&2; fail "$1: no 'ok $2'"; }
	pass "$2"
}

# --- descriptors, select, mixed epoll, the _chk variants ------------------------
peer k1 tcp listen "$KERNEL_B" 5201 --send "$BYTES"
wait_for k1 '^listening'
px p1 recv "$KERNEL_B" 5201
done_ok p1
done_ok k1
has_ok p1 "placeholder fd is the lowest free number"
has_ok p1 "select reports the socket readable and the empty pipe not"
has_ok p1 "epoll set of a pipe and an axnet socket reports both with the program's data"
same_stream "kernel -> program through read/recv/recvfrom _chk" k1 sent p1 received "$BYTES"

# --- pure epoll, AF_INET6 ----------------------------------------------------------
px p2 pure
done_ok p2
has_ok p2 "epoll set of kernel fds only is the kernel's, with the program's data"
px p3 inet6
done_ok p3
has_ok p3 "AF_INET6 TCP and UDP: axnet sockets, bound to [::] with sockaddr_in6"

# No instance: socket() fails with ENOENT and the library says so once.
AXNET_STATE_DIR=$WORK/none px p6 noinst
done_ok p6
has_ok p6 "no instance: AF_INET sockets fail with ENOENT, AF_UNIX ones work"
expect_eq "no instance: the library's one line on stderr" "$(cat "$WORK/p6.err")" \
	"axnet: no instance ($WORK/none): No such file or directory"

# --- name resolution -----------------------------------------------------------
# glibc's resolver makes kernel sockets no library can reach: getaddrinfo
# is the library's, asking resolv.conf's servers over axnet. The program
# sees a resolv.conf naming a server in NS_B (a bind mount in a mount
# namespace of its own); this namespace's kernel has no route there, so an
# answer can only have come through axnet, and the server sees axnet's
# address.
peer_dns() { bare dns ip netns exec "$NS_B" timeout -k 5 60 python3 tests/tools/dns_peer.py "$@"; }
peer_dns "$KERNEL_B" 53 www.axnet.test=10.1.2.3 www.axnet.test=10.1.2.4 \
	alias.axnet.test=\>www.axnet.test both.axnet.test=10.1.2.5 both.axnet.test=fd00:1::5
wait_for dns '^listening'
printf 'nameserver %s\nsearch axnet.test\noptions timeout:1 attempts:2\n' "$KERNEL_B" >"$WORK/resolv.conf"
prog p7 unshare -m --propagation private sh -c \
	'mount --bind "$1" /etc/resolv.conf && shift && exec env LD_PRELOAD="$0" "$@"' \
	"$PL" "$WORK/resolv.conf" "$PX" resolve www.axnet.test alias.axnet.test www nope.axnet.test \
	4:localhost 192.0.2.7 both.axnet.test 6:both.axnet.test 6:www.axnet.test 6m:www.axnet.test \
	'fe80::1%lo'
done_ok p7
res() { awk -v n="$1" '$1 == "resolved" && $2 == n { $1 = $2 = ""; sub(/^ +/, ""); print }' "$WORK/p7.out"; }
expect_eq "resolve: a name with two A records" "$(res www.axnet.test)" \
	"addrs=10.1.2.3,10.1.2.4 canon=www.axnet.test"
expect_eq "resolve: a CNAME followed" "$(res alias.axnet.test)" \
	"addrs=10.1.2.3,10.1.2.4 canon=www.axnet.test"
expect_eq "resolve: a short name through the search list" "$(res www)" \
	"addrs=10.1.2.3,10.1.2.4 canon=www.axnet.test"
expect_eq "resolve: no such name" "$(res nope.axnet.test)" "error=EAI_NONAME"
expect_eq "resolve: /etc/hosts" "$(res 4:localhost)" "addrs=127.0.0.1 canon=localhost"
expect_eq "resolve: a numeric address (glibc's)" "$(res 192.0.2.7)" "addrs=192.0.2.7 canon=192.0.2.7"
# glibc's numeric form with a scope (RFC 4007 11): lo is index 1 in every
# namespace; never a DNS question.
expect_eq "resolve: a scoped numeric IPv6 address (glibc's)" "$(res 'fe80::1%lo')" \
	"addrs=fe80::1%1 canon=fe80::1%lo"
expect_eq "resolve: every query came from axnet's address" \
	"$(awk '($1 == "query" || $1 == "query6") && $4 != "'"$AXNET_IP"'"' "$WORK/dns.out" | wc -l)" 0
# AF_UNSPEC asks A and AAAA (glibc does); the IPv6 address goes last here
# as glibc would put it: axnet has no IPv6 route to it (RFC 3484 rule 1).
expect_eq "resolve: both families, the unusable IPv6 one last" "$(res both.axnet.test)" \
	"addrs=10.1.2.5,fd00:1::5 canon=both.axnet.test"
expect_eq "resolve: AF_INET6 takes the AAAA record only" "$(res 6:both.axnet.test)" \
	"addrs=fd00:1::5 canon=both.axnet.test"
expect_eq "resolve: AF_INET6 of a name without AAAA" "$(res 6:www.axnet.test)" "error=EAI_NONAME"
expect_eq "resolve: AF_INET6 + AI_V4MAPPED maps its A records" "$(res 6m:www.axnet.test)" \
	"addrs=::ffff:10.1.2.3,::ffff:10.1.2.4 canon=www.axnet.test"
# AF_UNSPEC: A then AAAA per name (no AAAA after NXDOMAIN): www, alias,
# www through the search list and both 1 + 1 each, nope and
# nope.axnet.test.axnet.test 1 + 0; 6:both 0 + 1; 6:www 0 + 2 (no AAAA:
# the search list is tried, as glibc does after NODATA); 6m:www 1 + 1.
expect_eq "resolve: A queries the server saw" "$(grep -c '^query ' "$WORK/dns.out")" 7
expect_eq "resolve: AAAA queries the server saw" "$(grep -c '^query6 ' "$WORK/dns.out")" 8

# --- sendfile ---------------------------------------------------------------------
FILE_BYTES=$((3 * 1024 * 1024 + 12345))
head -c "$FILE_BYTES" /dev/urandom >"$WORK/file"
peer k4 tcp listen "$KERNEL_B" 5204 --recv
wait_for k4 '^listening'
px p4 sendfile "$KERNEL_B" 5204 "$WORK/file"
done_ok p4
done_ok k4
expect_eq "sendfile: bytes the program sent" "$(field p4 sendfile bytes)" "$FILE_BYTES"
expect_eq "sendfile: bytes the kernel received" "$(field k4 received bytes)" "$FILE_BYTES"
expect_eq "sendfile: SHA-256 at the kernel = the file's" "$(field k4 received sha256)" \
	"$(sha256sum <"$WORK/file" | cut -d' ' -f1)"
pass "sendfile to an axnet socket arrives intact"

# --- recvmmsg, sendmmsg ------------------------------------------------------------
px p8 mmsg-recv 6208 40
wait_for p8 '^bound'
peer k8 udp connect "$AXNET_IP" 6208 --send 40000 --dgram 1000
done_ok k8
done_ok p8
expect_eq "recvmmsg: datagrams" "$(field p8 recvmmsg dgrams)" 40
same_stream "recvmmsg: kernel -> program" k8 sent p8 recvmmsg 40000
[ "$(field p8 recvmmsg most)" -gt 1 ] || fail "recvmmsg: never more than one datagram a call"
pass "recvmmsg takes several datagrams a call ($(field p8 recvmmsg most) at most)"
peer k9 udp listen "$KERNEL_B" 5209 --recv --idle 2
wait_for k9 '^bound'
px p9 mmsg-send "$KERNEL_B" 5209
done_ok p9
done_ok k9
expect_eq "sendmmsg: datagrams at the kernel" "$(field k9 received dgrams)" 5
same_stream "sendmmsg: program -> kernel" p9 sendmmsg k9 received 1500

# --- exec ---------------------------------------------------------------------------
peer k5 tcp listen "$KERNEL_B" 5205 --recv
wait_for k5 '^listening'
px p5 exec "$KERNEL_B" 5205
done_ok p5
done_ok k5
has_ok p5 "execve with a cleared environment: the child has LD_PRELOAD and the socket is gone"
has_ok p5 "vfork and execve: the same"
has_ok p5 "posix_spawn with a cleared environment: the same, and the parent's socket untouched"
expect_eq "exec: child runs that passed" "$(grep -c '^child ok' "$WORK/p5.out")" 3
expect_eq "exec: bytes the parent sent after its children exec'd" "$(field k5 received bytes)" 11

stop_axnet
echo "PASS test-exec-preload"
