#!/usr/bin/env bash
# `axnet exec`: the command itself and name resolution through axnet.
#  - refusals, each with its reason and exit status 126 (not found: 127):
#    a static binary (busybox-static, and one of ours built -static), a
#    program whose loader is musl's, set-user-ID and set-group-ID copies of
#    a glibc program, one with file capabilities, a 32-bit one, a text file, a #! script whose interpreter is static
#    (directly and through /usr/bin/env), a file that is not executable;
#  - no instance: axnet exec says so and exits 1 (no such directory, a
#    directory with nothing answering on api.sock); a program preloaded by
#    hand with no instance gets the library's one line and a failed socket;
#  - a program runs with LD_PRELOAD (ours first, the caller's kept after)
#    and AXNET_STATE_DIR (absolute) set, and its exit status is axnet exec's;
#  - DNS: getent ahostsv4 (getaddrinfo) and getent hosts (gethostbyname2)
#    under axnet exec resolve a name through axnet (UDP to a tiny responder
#    in the peer's namespace, with a private /etc/resolv.conf bind-mounted
#    in a mount namespace of its own: the host's is never touched) when the
#    policy allows UDP to the resolver's port 53, and fail when it does not
#    (nothing reaches the responder); an unknown name is NXDOMAIN; curl
#    fetches by name; the log names getent's executable. glibc resolves
#    inside libc, out of LD_PRELOAD's reach: preload/resolv.c does it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/libaxnet.sh"

export AXNET_PRELOAD=${AXNET_PRELOAD:-$PWD/build/libaxnet-preload.so}
[ -r "$AXNET_PRELOAD" ] || fail "$AXNET_PRELOAD is not built (make libaxnet)"
unset LD_PRELOAD

# refused WHAT STATUS MESSAGE PROGRAM...: axnet exec refuses PROGRAM with
# exactly MESSAGE on stderr, nothing on stdout, and exit status STATUS.
refused() {
	local what=$1 want_rc=$2 want_msg=$3 rc
	shift 3
	"$AXNET" exec --state-dir "$STATE" -- "$@" >"$WORK/ref.out" 2>"$WORK/ref.err"
	rc=$?
	expect_eq "$what: exit status" "$rc" "$want_rc"
	expect_eq "$what: message" "$(cat "$WORK/ref.err")" "$want_msg"
	expect_eq "$what: output" "$(wc -c <"$WORK/ref.out")" 0
}

# --- refusals (the program is checked before the instance is looked for) ---------
printf '#include <stdio.h>\nint main(void) { puts("ran"); return 0; }\n' >"$WORK/ran.c"
gcc -static -o "$WORK/static" "$WORK/ran.c" || fail "gcc -static"
gcc -o "$WORK/musl" "$WORK/ran.c" -Wl,--dynamic-linker=/lib/ld-musl-x86_64.so.1 ||
	fail "gcc --dynamic-linker"
gcc -o "$WORK/glibc" "$WORK/ran.c" || fail "gcc"
cp "$WORK/glibc" "$WORK/setuid" && chmod 4755 "$WORK/setuid"
cp "$WORK/glibc" "$WORK/setgid" && chmod 2755 "$WORK/setgid"
printf 'not a program\n' >"$WORK/text" && chmod 755 "$WORK/text"
printf '#!%s\n' "$WORK/static" >"$WORK/script" && chmod 755 "$WORK/script"
printf '#!/usr/bin/env busybox sh\necho ran\n' >"$WORK/envscript" && chmod 755 "$WORK/envscript"
cp "$WORK/glibc" "$WORK/noexec" && chmod 644 "$WORK/noexec"
cp "$WORK/glibc" "$WORK/caps" && setcap cap_net_raw+ep "$WORK/caps" || fail "setcap"
# ELFCLASS32 in e_ident: a 32-bit program, which a 64-bit library cannot join.
cp "$WORK/glibc" "$WORK/elf32" && printf '\001' | dd of="$WORK/elf32" bs=1 seek=4 conv=notrunc status=none

STATIC_WHY="is statically linked: LD_PRELOAD cannot reach its socket calls"
SECURE_WHY="the loader ignores LD_PRELOAD for it"
refused "busybox-static" 126 "axnet exec: /bin/busybox $STATIC_WHY" /bin/busybox true
refused "a program built -static" 126 "axnet exec: $WORK/static $STATIC_WHY" "$WORK/static"
refused "a musl program" 126 "axnet exec: $WORK/musl is not linked with glibc (its loader is /lib/ld-musl-x86_64.so.1): libaxnet-preload.so needs glibc's" "$WORK/musl"
refused "a set-user-ID program" 126 "axnet exec: $WORK/setuid is set-user-ID: $SECURE_WHY" "$WORK/setuid"
refused "a set-group-ID program" 126 "axnet exec: $WORK/setgid is set-group-ID: $SECURE_WHY" "$WORK/setgid"
refused "a program with file capabilities" 126 \
	"axnet exec: $WORK/caps has file capabilities: $SECURE_WHY" "$WORK/caps"
refused "a 32-bit program" 126 \
	"axnet exec: $WORK/elf32 is an ELF of another class or machine than libaxnet-preload.so (the loader would skip it and run the program on the kernel's sockets)" \
	"$WORK/elf32"
refused "a text file" 126 "axnet exec: $WORK/text is not an ELF executable or a #! script" "$WORK/text"
refused "a script with a static interpreter" 126 \
	"axnet exec: $WORK/static (the interpreter of $WORK/script) $STATIC_WHY" "$WORK/script"
refused "a script run by env busybox" 126 \
	"axnet exec: /usr/bin/busybox (the interpreter of $WORK/envscript) $STATIC_WHY" \
	"$WORK/envscript"
printf '#!/no/such/interpreter-%s\n' "$ID" >"$WORK/badinterp" && chmod 755 "$WORK/badinterp"
refused "a script whose interpreter is missing" 126 \
	"axnet exec: /no/such/interpreter-$ID (the interpreter of $WORK/badinterp) cannot be opened: No such file or directory" \
	"$WORK/badinterp"
refused "a file not executable" 126 "axnet exec: $WORK/noexec: Permission denied" "$WORK/noexec"
refused "a program not on PATH" 127 "axnet exec: no-such-program-$ID: command not found" \
	"no-such-program-$ID"
"$AXNET" exec >/dev/null 2>&1
expect_eq "axnet exec without a program: exit status" $? 2

# --- no instance ---------------------------------------------------------------------
"$AXNET" exec --state-dir "$WORK/none" -- "$WORK/glibc" >"$WORK/ref.out" 2>"$WORK/ref.err"
expect_eq "no state directory: exit status" $? 1
expect_eq "no state directory: message" "$(cat "$WORK/ref.err")" \
	"axnet exec: no instance ($WORK/none): No such file or directory"
expect_eq "no state directory: the program did not run" "$(cat "$WORK/ref.out")" ""
mkdir "$WORK/dead"
/usr/bin/python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.bind(sys.argv[1]); s.close()' \
	"$WORK/dead/api.sock" || fail "a dead api.sock"
AXNET_STATE_DIR="$WORK/dead" "$AXNET" exec -- "$WORK/glibc" >"$WORK/ref.out" 2>"$WORK/ref.err"
expect_eq "nothing on api.sock (AXNET_STATE_DIR): exit status" $? 1
expect_eq "nothing on api.sock: message" "$(cat "$WORK/ref.err")" \
	"axnet exec: no instance ($WORK/dead): Connection refused"
# The library itself, preloaded by hand: the first AF_INET socket fails
# (ENOENT from libaxnet) and says why once; curl reports its failure (7).
LD_PRELOAD="$AXNET_PRELOAD" AXNET_STATE_DIR="$WORK/none" timeout 10 curl -s -o /dev/null \
	"http://$KERNEL_B:1/" 2>"$WORK/ref.err"
expect_eq "curl preloaded with no instance: exit status" $? 7
expect_eq "curl preloaded with no instance: the library's message" "$(cat "$WORK/ref.err")" \
	"axnet: no instance ($WORK/none): No such file or directory"

# --- a program runs: environment and exit status --------------------------------------
make_pair
DNS_POL="$WORK/dns.pol"
NODNS_POL="$WORK/nodns.pol"
cat >"$DNS_POL" <<EOF
# Name resolution through axnet: the resolver's port 53 over UDP.
default deny
allow out udp to $KERNEL_B port 53
allow out tcp to $KERNEL_B port 8080
EOF
cat >"$NODNS_POL" <<EOF
default deny
allow out tcp to $KERNEL_B port 8080
EOF
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A" --policy "$DNS_POL"

# (An ASan axnet started with LD_PRELOAD set checks its link order: not here.)
LD_PRELOAD=/lib/x86_64-linux-gnu/libm.so.6 ASAN_OPTIONS=$ASAN_OPTIONS:verify_asan_link_order=0 \
	"$AXNET" exec --state-dir "$STATE" -- \
	/usr/bin/env >"$WORK/env.out" 2>"$WORK/env.err" || fail "axnet exec env: $(cat "$WORK/env.err")"
expect_eq "LD_PRELOAD in the program" "$(sed -n 's/^LD_PRELOAD=//p' "$WORK/env.out")" \
	"$(readlink -f "$AXNET_PRELOAD"):/lib/x86_64-linux-gnu/libm.so.6"
expect_eq "AXNET_STATE_DIR in the program" "$(sed -n 's/^AXNET_STATE_DIR=//p' "$WORK/env.out")" \
	"$(readlink -f "$STATE")"
# Without AXNET_PRELOAD: the library beside the axnet binary (resolved).
env -u AXNET_PRELOAD "$AXNET" exec --state-dir "$STATE" -- /usr/bin/env >"$WORK/env.out" \
	2>"$WORK/env.err" || fail "axnet exec env (no AXNET_PRELOAD): $(cat "$WORK/env.err")"
expect_eq "LD_PRELOAD: the library beside axnet" "$(sed -n 's/^LD_PRELOAD=//p' "$WORK/env.out")" \
	"$(readlink -f "$(dirname "$AXNET")/libaxnet-preload.so")"
# Already there (an axnet exec'd program running axnet exec): once.
LD_PRELOAD="$(readlink -f "$AXNET_PRELOAD")" ASAN_OPTIONS=$ASAN_OPTIONS:verify_asan_link_order=0 \
	"$AXNET" exec --state-dir "$STATE" -- /usr/bin/env >"$WORK/env.out" 2>"$WORK/env.err" ||
	fail "axnet exec env: $(cat "$WORK/env.err")"
expect_eq "LD_PRELOAD in the program, ours already in it" \
	"$(sed -n 's/^LD_PRELOAD=//p' "$WORK/env.out")" "$(readlink -f "$AXNET_PRELOAD")"
expect_eq "a glibc program's output" "$("$AXNET" exec --state-dir "$STATE" "$WORK/glibc")" ran
"$AXNET" exec --state-dir "$STATE" -- sh -c 'exit 7'
expect_eq "the program's exit status" $? 7

# --- DNS through axnet ------------------------------------------------------------------
NAME="axnet-exec-$ID.test"
bare dns ip netns exec "$NS_B" timeout -k 5 120 /usr/bin/python3 tests/tools/dns_responder.py \
	"$KERNEL_B" 53 "$NAME=$KERNEL_B"
wait_for dns '^listening'
mkdir "$WORK/www" && printf 'served by name\n' >"$WORK/www/index.txt"
bare www ip netns exec "$NS_B" timeout -k 5 120 /usr/bin/python3 -m http.server -b "$KERNEL_B" \
	-d "$WORK/www" 8080
printf 'nameserver %s\noptions attempts:1 timeout:2\n' "$KERNEL_B" >"$WORK/resolv.conf"

# with_resolver CMD...: CMD under axnet exec, with $WORK/resolv.conf as
# /etc/resolv.conf in a mount namespace of its own (the host's untouched).
with_resolver() {
	timeout 30 unshare -m sh -c 'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"' \
		sh "$WORK/resolv.conf" "$AXNET" exec --state-dir "$STATE" -- "$@"
}

out=$(with_resolver getent ahostsv4 "$NAME") || fail "getent ahostsv4 $NAME under axnet exec: $?"
expect_eq "getent ahostsv4 $NAME through axnet" "$(echo "$out" | awk '$2 == "STREAM" { print $1, $3 }')" \
	"$KERNEL_B $NAME"
expect_eq "the query reached the responder from axnet's address" \
	"$(grep -c "^query $NAME 1 from $AXNET_IP:" "$WORK/dns.out")" 1
entry=$("$AXNET" log --state-dir "$STATE" | grep "connection-authorize .*proto=udp .*remote=$KERNEL_B:53 ")
echo "$entry"
expect_eq "the DNS flow's authorization names getent" "$(echo "$entry" | grep -c " exe=/usr/bin/getent$")" 1

# gethostbyname2 (getent hosts), and a name the server does not know.
out=$(with_resolver getent hosts "$NAME") || fail "getent hosts $NAME under axnet exec: $?"
expect_eq "getent hosts $NAME through axnet" "$(echo $out)" "$KERNEL_B $NAME"
with_resolver getent ahostsv4 "nosuch-$NAME" >/dev/null
expect_eq "getent ahostsv4 of a name the server does not have: exit status" $? 2
expect_eq "...its query reached the responder" \
	"$(grep -c "^query nosuch-$NAME 1 from $AXNET_IP:" "$WORK/dns.out")" 1

out=$(with_resolver curl -sS --max-time 10 "http://$NAME:8080/index.txt") ||
	fail "curl by name under axnet exec: $?"
expect_eq "curl http://$NAME:8080/ through axnet" "$out" "served by name"

# Without the DNS rule the query is denied: no answer, getent fails (2: not found).
"$AXNET" policy push --state-dir "$STATE" "$NODNS_POL" >/dev/null || fail "push the policy without DNS"
q0=$(grep -c '^query ' "$WORK/dns.out")
with_resolver getent ahostsv4 "$NAME" >"$WORK/getent.out" 2>&1
expect_eq "getent ahostsv4 $NAME with no DNS rule: exit status" $? 2
expect_eq "getent with no DNS rule: nothing reached the responder" "$(grep -c '^query ' "$WORK/dns.out")" "$q0"
[ "$("$AXNET" log --state-dir "$STATE" | grep -c "connection-reject .*proto=udp .*remote=$KERNEL_B:53 .*exe=/usr/bin/getent$")" -ge 1 ] ||
	fail "no connection-reject entry for getent's DNS flow"
pass "the denied DNS flow is logged as getent's"

stop_axnet
exit 0
