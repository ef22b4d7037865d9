#!/usr/bin/env python3
"""etcd alone, the reference for axnet's etcd-backed Axiom in
tests/bench/axiom_bench.sh: N puts, one at a time, over one HTTP/1.1
keep-alive connection to etcd's v3 JSON gateway (POST /v3/kv/put, the
gateway axnet's etcd client speaks), each timed from request to response
(a put returns once a quorum has it on disk). Values of 200 bytes (about
an authorization entry). Prints
    p50_us=U p99_us=U n=N
percentiles nearest-rank (index n*q), as connect_load.c computes them.
Exit 1 on any answer but 200.

usage: etcd_put_lat.py HOST PORT N KEY_PREFIX [GAP_MS]
GAP_MS: a pause after each put (puts spaced out, as sparse requests come).
"""
import base64, http.client, json, sys, time

host, port, n, prefix = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
gap = float(sys.argv[5]) / 1000 if len(sys.argv) > 5 else 0
c = http.client.HTTPConnection(host, port, timeout=10)
value = base64.b64encode(b"x" * 200).decode()
lat = []
for i in range(n):
    body = json.dumps({"key": base64.b64encode(f"{prefix}/{i}".encode()).decode(),
                       "value": value})
    t0 = time.perf_counter()
    c.request("POST", "/v3/kv/put", body, {"Content-Type": "application/json"})
    r = c.getresponse()
    d = r.read()
    lat.append(time.perf_counter() - t0)
    if r.status != 200:
        sys.exit(f"etcd_put_lat: put {i}: HTTP {r.status} {d[:200]!r}")
    if gap:
        time.sleep(gap)
lat.sort()
p = lambda q: lat[min(len(lat) - 1, int(len(lat) * q))] * 1e6
print(f"p50_us={p(0.5):.0f} p99_us={p(0.99):.0f} n={n}")
