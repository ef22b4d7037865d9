#!/usr/bin/env python3
"""Sample a live connection's echo round-trip time: connect to HOST:PORT (an
echo service) with TCP_NODELAY, then every --interval ms send a 32-byte
message and time until all of it is back, until --stop-file exists or
--duration seconds pass (with --start-file, samples count only once that
file exists: the connection's first moments are not the test's). Prints "open" once connected (so a test can start
its disturbance), then one line of figures last:
    samples N max_ms X p99_ms Y median_ms Z over_ms T:K
(K samples took longer than T = --threshold ms). Exits 0 when every
echo came back byte-exact, 1 otherwise. Bounded by --duration."""
import argparse, os, socket, sys, time

p = argparse.ArgumentParser()
p.add_argument("host"); p.add_argument("port", type=int)
p.add_argument("--interval", type=float, default=10)
p.add_argument("--duration", type=float, default=60)
p.add_argument("--stop-file")
p.add_argument("--threshold", type=float, default=10)
p.add_argument("--start-file", help="count samples only once this exists")
a = p.parse_args()

s = socket.create_connection((a.host, a.port), timeout=5)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
# An echo that takes longer than the whole run is a failure, not a hang.
s.settimeout(a.duration)
print("open", flush=True)
end = time.monotonic() + a.duration
rtts, i = [], 0
while time.monotonic() < end:
    if a.stop_file and os.path.exists(a.stop_file):
        break
    msg = b"%031d\n" % i
    t0 = time.monotonic()
    s.sendall(msg)
    got = b""
    while len(got) < len(msg):
        chunk = s.recv(len(msg) - len(got))
        if not chunk:
            print("echo: connection closed", file=sys.stderr)
            sys.exit(1)
        got += chunk
    if a.start_file and not os.path.exists(a.start_file):
        i += 1
        time.sleep(a.interval / 1000)
        continue
    rtts.append((time.monotonic() - t0) * 1000)
    if rtts[-1] > a.threshold / 2:
        # When, for matching with what the test was doing (wall clock).
        print(f"slow sample at {time.time():.3f}: {rtts[-1]:.2f} ms", flush=True)
    if got != msg:
        print(f"echo: sample {i}: wrong bytes back", file=sys.stderr)
        sys.exit(1)
    i += 1
    time.sleep(a.interval / 1000)
s.close()
if not rtts:
    print("echo: no sample", file=sys.stderr)
    sys.exit(1)
r = sorted(rtts)
print(f"samples {len(r)} max_ms {r[-1]:.2f} p99_ms {r[int(len(r) * 0.99) - 1 if len(r) > 1 else 0]:.2f} "
      f"median_ms {r[len(r) // 2]:.2f} over_ms {a.threshold:g}:{sum(x > a.threshold for x in r)}")
