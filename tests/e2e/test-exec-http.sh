#!/usr/bin/env bash
# HTTP both ways with stock programs under `axnet exec`, the kernel's on the
# other side (/usr/bin/python3: Debian's, not a pyenv one):
#  - curl under axnet exec fetches a 10 MiB file from a kernel
#    `python3 -m http.server` (rate-limited, so its connection is seen live
#    in `axnet conns --json`);
#  - `python3 -m http.server -b AXNET_IP` under axnet exec serves a 10 MiB
#    file to a kernel curl;
# each: HTTP 200, the size, SHA-256 equal, curl's exit status 0, the server's
# log line for the request, and the program's executable as the owner in
# `axnet conns --json` and in the Axiom log's connection-authorize entry.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/libaxnet.sh"
. "$(dirname "$0")/exec_progs.sh"

CURL=$(readlink -f /usr/bin/curl)
PYTHON=$(readlink -f /usr/bin/python3)
BYTES=$((10 << 20))

make_pair
start_axnet --ifname "$IF_A" --addr "$AXNET_IP/24" --netns "$NS_A"
mkdir "$WORK/www"
random_file "$WORK/www/big.bin" "$BYTES"
WANT=$(sha "$WORK/www/big.bin")

# --- curl on axnet, the kernel's http.server ------------------------------------------
bare ks in_b /usr/bin/python3 -m http.server -b "$KERNEL_B" -d "$WORK/www" 8080
kernel_listening tcp 8080
bare curl1 axexec curl -sS --limit-rate 4M -o "$WORK/got1" -w '%{http_code} %{size_download}\n' \
	"http://$KERNEL_B:8080/big.bin"
wait_conn tcp ESTABLISHED '*' "$KERNEL_B:8080"
expect_owner "curl's connection" "$CURL" tcp ESTABLISHED '*' "$KERNEL_B:8080"
done_ok curl1
expect_eq "curl on axnet: status and size" "$(cat "$WORK/curl1.out")" "200 $BYTES"
expect_eq "curl on axnet: SHA-256 of what it got" "$(sha "$WORK/got1")" "$WANT"
expect_eq "curl on axnet: its errors" "$(cat "$WORK/curl1.err")" ""
expect_eq "the kernel's server logged the request" \
	"$(grep -c "\"GET /big.bin HTTP/1.1\" 200 -" "$WORK/ks.err")" 1
expect_logged "curl" "$CURL" "dir=out proto=tcp .*remote=$KERNEL_B:8080 "

# --- http.server on axnet, the kernel's curl --------------------------------------------
bare as axexec /usr/bin/python3 -m http.server -b "$AXNET_IP" -d "$WORK/www" 8081
wait_conn tcp LISTEN :8081 '*'
expect_owner "python3 -m http.server listening" "$PYTHON" tcp LISTEN :8081 '*'
out=$(in_b curl -sS -o "$WORK/got2" -w '%{http_code} %{size_download}' \
	"http://$AXNET_IP:8081/big.bin" 2>"$WORK/curl2.err") || fail "the kernel's curl: $?"
expect_eq "http.server on axnet: status and size" "$out" "200 $BYTES"
expect_eq "http.server on axnet: SHA-256 of what the kernel's curl got" "$(sha "$WORK/got2")" "$WANT"
expect_eq "the kernel's curl: its errors" "$(cat "$WORK/curl2.err")" ""
expect_eq "the axnet server logged the request" \
	"$(grep -c "\"GET /big.bin HTTP/1.1\" 200 -" "$WORK/as.err")" 1
expect_logged "python3 -m http.server" "$PYTHON" "dir=in proto=tcp local=$AXNET_IP:8081 "
# It serves on after that: a second request on a new connection.
out=$(in_b curl -sS -o /dev/null -w '%{http_code}' "http://$AXNET_IP:8081/big.bin") ||
	fail "the kernel's second curl: $?"
expect_eq "http.server on axnet: a second request" "$out" 200
kill -TERM "$PID_as"
wait "$PID_as"
expect_eq "http.server on axnet ends on SIGTERM" $? 143

stop_axnet
exit 0
