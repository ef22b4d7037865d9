#!/usr/bin/env bash
# Stock nginx (Debian's 1.22) under axnet: a master and two workers (fork
# after the listener is made, epoll with EPOLLEXCLUSIVE, accept4,
# sendfile, writev), its own configuration and temporary directories
# under the test's, serving static files on axnet's address; kernel
# clients:
#  - curl fetches a 10 MiB file: SHA-256 equal to the file's;
#  - wrk -c 64 -t 2 -d 3s: zero socket errors (connect, read, write,
#    timeout) and zero responses other than 200;
#  - `nginx -s reload` while wrk runs (a connection per request: an old
#    worker closes its idle keep-alive connections as it exits, and wrk
#    counts each as a read error when its next request was on the way, as
#    on the kernel: 64 of 64 measured): still zero errors; afterwards every
#    worker is new (no pid of the old ones) and the new workers serve
#    (a location answers with the serving worker's $pid);
#  - the connections carry /usr/sbin/nginx in `axnet conns --json` and in
#    the log's connection-authorize entries.
# EXEC_ON=kernel runs it all with nginx on the kernel (the reference).
# e2e-timeout: 180
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/libaxnet.sh"
. "$(dirname "$0")/exec_servers.sh"

NGINX=$(exe_of nginx)
PORT=8080
D="$WORK/nginx"
mkdir -p "$D/html" "$D/tmp" "$D/logs"
head -c $((10 << 20)) /dev/urandom >"$D/html/big.bin"
head -c 4096 /dev/urandom >"$D/html/small.bin"
cat >"$D/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 2;
user nobody nogroup;
pid $D/nginx.pid;
error_log $D/logs/error.log notice;
events {
	use epoll;
	worker_connections 512;
}
http {
	access_log off;
	sendfile on;
	tcp_nopush on; # as in Debian's nginx.conf: TCP_CORK around headers and file
	keepalive_requests 1000000;
	client_body_temp_path $D/tmp/body;
	proxy_temp_path $D/tmp/proxy;
	fastcgi_temp_path $D/tmp/fastcgi;
	uwsgi_temp_path $D/tmp/uwsgi;
	scgi_temp_path $D/tmp/scgi;
	server {
		listen $SRV:$PORT;
		root $D/html;
		location = /pid { return 200 "\$pid\n"; }
	}
}
EOF
chmod -R a+rX "$D"
NGX=(nginx -p "$D" -c "$D/nginx.conf" -e "$D/logs/error.log")

# wrk's report in one line: requests, each kind of socket error, and the
# responses whose status was not 200.
cat >"$WORK/wrk.lua" <<'EOF'
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non200 = 0 end
function response(status, headers, body) if status ~= 200 then non200 = non200 + 1 end end
function done(summary, latency, requests)
	local n = 0
	for _, t in ipairs(threads) do n = n + t:get("non200") end
	local e = summary.errors
	io.write(string.format("wrk requests=%d connect=%d read=%d write=%d timeout=%d status=%d non200=%d\n",
		summary.requests, e.connect, e.read, e.write, e.timeout, e.status, n))
end
EOF

# workers: the master's children (nginx's worker processes), sorted.
workers() { pgrep -P "$PID_ngx" | sort -n | tr '\n' ' '; }

# wrk_check NAME: NAME's wrk report has requests and no error of any kind.
wrk_check() {
	local k
	grep -q '^wrk requests=' "$WORK/$1.out" || { cat "$WORK/$1.out" "$WORK/$1.err" >&2; fail "$1: no report"; }
	echo "$1: $(grep '^Requests/sec' "$WORK/$1.out") $(grep '^wrk ' "$WORK/$1.out")"
	[ "$(field "$1" wrk requests)" -gt 0 ] || fail "$1: no request"
	for k in connect read write timeout status non200; do
		expect_eq "$1: wrk $k errors" "$(field "$1" wrk $k)" 0
	done
}

exec_setup

ax_bg ngx "${NGX[@]}"
for _ in $(seq 100); do
	[ "$(workers | wc -w)" -eq 2 ] && [ -s "$D/nginx.pid" ] && break
	sleep 0.1
done
still_running ngx
OLD=$(workers)
expect_eq "nginx workers" "$(echo $OLD | wc -w)" 2
URL="http://$SRV:$PORT"

# --- a 10 MiB file ---------------------------------------------------------------
in_b curl -sS --max-time 30 -o "$WORK/big.got" "$URL/big.bin" || fail "curl $URL/big.bin"
expect_eq "10 MiB by curl: SHA-256" "$(sha256sum <"$WORK/big.got")" "$(sha256sum <"$D/html/big.bin")"

# --- wrk -c 64 -------------------------------------------------------------------
kernel_bg wrk1 timeout 30 wrk -c 64 -t 2 -d 3s -s "$WORK/wrk.lua" "$URL/small.bin"
sleep 1.5
conns_owner_check "nginx" "$NGINX" "$PORT"
done_ok wrk1
wrk_check wrk1

# --- reload under load -------------------------------------------------------------
kernel_bg wrk2 timeout 30 wrk -c 64 -t 2 -d 3s -H 'Connection: close' -s "$WORK/wrk.lua" \
	"$URL/small.bin"
sleep 1
"${NGX[@]}" -s reload || fail "nginx -s reload"
done_ok wrk2
wrk_check wrk2
still_running ngx
# The old workers finish their connections and go; the new ones serve.
for _ in $(seq 100); do
	NEW=$(workers)
	[ "$(echo $NEW | wc -w)" -eq 2 ] && ! echo " $NEW " | grep -qE " ($(echo $OLD | tr ' ' '|')) " && break
	sleep 0.1
done
expect_eq "workers after the reload" "$(echo $NEW | wc -w)" 2
for p in $OLD; do
	echo " $NEW " | grep -q " $p " && fail "worker $p lived through the reload (before: $OLD, after: $NEW)"
done
pass "every worker is new after the reload ($OLD-> $NEW)"
served=
for _ in $(seq 20); do
	p=$(in_b curl -sS --max-time 5 "$URL/pid") || fail "curl $URL/pid after the reload"
	echo " $NEW " | grep -q " $p " || fail "served by $p, not one of the new workers ($NEW)"
	served="$served $p"
done
pass "20 requests after the reload served by the new workers ($(echo $served | tr ' ' '\n' | sort -u | tr '\n' ' '))"
in_b curl -sS --max-time 30 -o "$WORK/big2.got" "$URL/big.bin" || fail "curl $URL/big.bin after the reload"
expect_eq "10 MiB after the reload: SHA-256" "$(sha256sum <"$WORK/big2.got")" "$(sha256sum <"$D/html/big.bin")"
log_owner_check "nginx" "$NGINX" in "local=$SRV:$PORT"

"${NGX[@]}" -s quit
wait "$PID_ngx" || fail "nginx exited with $?"
grep -E '\[(alert|crit|emerg)\]' "$D/logs/error.log" && fail "nginx logged alerts"
if [ "$EXEC_ON" = axnet ]; then
	"$AXNET" log verify --state-dir "$STATE" >/dev/null || fail "axnet log verify"
	stop_axnet
fi
exit 0
