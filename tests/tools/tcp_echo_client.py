#!/usr/bin/env python3
"""Send N random bytes to HOST:PORT over the kernel's TCP, read what comes
back at the same time, and compare SHA-256 digests. With --discard, only
send (and expect the peer to close after our FIN). Prints a line of
figures; exits 0 when the digests match (or, with --discard, when every
byte was sent and the peer closed cleanly)."""
import argparse, hashlib, os, socket, sys, threading, time

p = argparse.ArgumentParser()
p.add_argument("host"); p.add_argument("port", type=int)
p.add_argument("--bytes", type=int, default=64 << 20)
p.add_argument("--seed", type=int, default=1)
p.add_argument("--discard", action="store_true")
p.add_argument("--timeout", type=float, default=120)
a = p.parse_args()

chunk = 1 << 16
block = hashlib.shake_256(str(a.seed).encode()).digest(chunk)  # reproducible
s = socket.create_connection((a.host, a.port), timeout=a.timeout)
s.settimeout(a.timeout)
sent_hash, recv_hash = hashlib.sha256(), hashlib.sha256()
received = 0
err = []

def reader():
    global received
    try:
        while True:
            d = s.recv(1 << 20)
            if not d:
                return
            recv_hash.update(d)
            received += len(d)
    except Exception as e:  # noqa
        err.append(repr(e))

t = threading.Thread(target=reader)
t.start()
start = time.monotonic()
left, i = a.bytes, 0
try:
    while left > 0:
        # vary the data: block rotated by i, so no two chunks are equal
        d = (block[i % chunk:] + block[:i % chunk])[:min(chunk, left)]
        s.sendall(d)
        sent_hash.update(d)
        left -= len(d)
        i += 7919
    s.shutdown(socket.SHUT_WR)
except Exception as e:  # noqa
    err.append(repr(e))
t.join(a.timeout)
elapsed = time.monotonic() - start
s.close()
ok = not err and not t.is_alive()
if a.discard:
    ok = ok and received == 0
    print(f"sent {a.bytes} bytes in {elapsed:.2f}s ({a.bytes * 8 / elapsed / 1e9:.2f} Gbit/s), "
          f"sha256 {sent_hash.hexdigest()[:16]}, errors {err}")
else:
    ok = ok and received == a.bytes and sent_hash.digest() == recv_hash.digest()
    print(f"sent {a.bytes} received {received} in {elapsed:.2f}s "
          f"({a.bytes * 8 / elapsed / 1e9:.2f} Gbit/s each way), sha256 sent "
          f"{sent_hash.hexdigest()[:16]} received {recv_hash.hexdigest()[:16]}, errors {err}")
sys.exit(0 if ok else 1)
