#!/usr/bin/env python3
"""Open --conns TCP connections to HOST:PORT (an echo service) at once,
from one process: non-blocking sockets on one selector, no threads. Send a
distinct message on each as soon as it is connected and check that every
echo comes back byte-exact. Then print "open N" and hold them all until
--hold-file exists (or --hold seconds pass), shut down our side of each,
wait for the peer's FIN on each, and close.

Prints one line of figures last; exits 0 when every connection echoed its
message exactly and ended with a clean FIN. Bounded by --timeout."""
import argparse, errno, hashlib, os, resource, selectors, socket, sys, time

p = argparse.ArgumentParser()
p.add_argument("host"); p.add_argument("port", type=int)
p.add_argument("--conns", type=int, default=1000)
p.add_argument("--seed", type=int, default=1)
p.add_argument("--hold-file")
p.add_argument("--hold", type=float, default=0)
p.add_argument("--timeout", type=float, default=45)
a = p.parse_args()
deadline = time.monotonic() + a.timeout

# One descriptor per connection, and a few to spare.
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft != resource.RLIM_INFINITY and soft < a.conns + 64:
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(a.conns + 64, hard), hard))


def message(i):
    """Connection i's message: its number, then 1..200 bytes that depend
    on the seed and i, so a reply crossed with another's is caught."""
    n = 1 + hashlib.sha256(f"{a.seed}/{i}/len".encode()).digest()[0] * 200 // 256
    return f"{i:05d}:".encode() + hashlib.shake_256(f"{a.seed}/{i}".encode()).digest(n)


def run(sel, pending, on_event):
    """Serve events until nothing is pending or the deadline passes."""
    while pending and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.5):
            on_event(key.data)


sel = selectors.DefaultSelector()
conns = []  # [socket, index, message, bytes echoed so far]
errors = []
start = time.monotonic()
for i in range(a.conns):
    s = socket.socket()
    s.setblocking(False)
    rc = s.connect_ex((a.host, a.port))
    if rc not in (0, errno.EINPROGRESS):
        errors.append(f"connect {i}: {os.strerror(rc)}")
        s.close()
        continue
    c = [s, i, message(i), b""]
    conns.append(c)
    sel.register(s, selectors.EVENT_WRITE, c)

# Connect, send, read the echo back.
pending = {c[1] for c in conns}
connected = exact = 0


def echo_event(c):
    global connected, exact
    s, i, msg, got = c
    try:
        if not got and sel.get_key(s).events == selectors.EVENT_WRITE:
            rc = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if rc:
                raise OSError(rc, os.strerror(rc))
            connected += 1
            if s.send(msg) != len(msg):  # tiny: the socket buffer takes it
                raise OSError("short send")
            sel.modify(s, selectors.EVENT_READ, c)
            return
        d = s.recv(4096)
        if not d:
            raise OSError("EOF before the whole echo")
        c[3] = got = got + d
        if not msg.startswith(got):
            raise OSError(f"echo differs: sent {msg[:16]!r}..., got {got[:16]!r}...")
        if got == msg:
            exact += 1
            sel.unregister(s)
            pending.discard(i)
    except OSError as e:
        errors.append(f"conn {i}: {e}")
        sel.unregister(s)
        pending.discard(i)


run(sel, pending, echo_event)
t_echo = time.monotonic() - start
if pending:
    errors.append(f"{len(pending)} connections unfinished at the deadline")
print(f"open {exact}", flush=True)

# Hold them all open while the caller looks.
hold_end = time.monotonic() + a.hold
while time.monotonic() < deadline:
    if a.hold_file and os.path.exists(a.hold_file):
        break
    if not a.hold_file and time.monotonic() >= hold_end:
        break
    time.sleep(0.05)

# Our FIN on each, then the peer's FIN on each (the echo service closes
# when it reads our end).
start = time.monotonic()
pending = set()
clean = 0


def close_event(c):
    global clean
    s, i = c[0], c[1]
    try:
        d = s.recv(4096)
        if d:
            raise OSError(f"{len(d)} bytes after the echo")
        clean += 1
    except OSError as e:
        errors.append(f"close {i}: {e}")
    sel.unregister(s)
    pending.discard(i)


for s, i, msg, got in conns:
    if got != msg:
        continue
    try:
        s.shutdown(socket.SHUT_WR)
        sel.register(s, selectors.EVENT_READ, [s, i])
        pending.add(i)
    except OSError as e:
        errors.append(f"shutdown {i}: {e}")
run(sel, pending, close_event)
t_close = time.monotonic() - start
if pending:
    errors.append(f"{len(pending)} connections without the peer's FIN at the deadline")
for c in conns:
    c[0].close()

print(f"connections {a.conns}: connected {connected}, echoed exactly {exact}, "
      f"closed cleanly {clean}; connect+echo {t_echo:.2f}s, close {t_close:.2f}s; "
      f"errors {len(errors)} {errors[:5]}")
sys.exit(0 if exact == clean == a.conns and not errors else 1)
