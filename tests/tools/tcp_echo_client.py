#!/usr/bin/env python3
"""Send N random bytes to HOST:PORT over the kernel's TCP, read what comes
back at the same time, and compare SHA-256 digests. With --discard, only
send (and expect the peer to close after our FIN); --plain then sends one
fixed block over and over without hashing, so that a goodput figure is
not the hash's. With --recv, send nothing: read N bytes (checked against
RFC 864's chargen pattern with --chargen), then close. Prints a line of
figures; exits 0 when the digests match (or, with --discard, when every
byte was sent and the peer closed cleanly; with --recv, when N bytes came,
pattern intact)."""
import argparse, hashlib, os, socket, sys, threading, time

p = argparse.ArgumentParser()
p.add_argument("host"); p.add_argument("port", type=int)
p.add_argument("--bytes", type=int, default=64 << 20)
p.add_argument("--seed", type=int, default=1)
p.add_argument("--discard", action="store_true")
p.add_argument("--plain", action="store_true")
p.add_argument("--recv", action="store_true")
p.add_argument("--chargen", action="store_true")
p.add_argument("--timeout", type=float, default=120)
a = p.parse_args()


def chargen_period():
    """RFC 864: 72 of the 95 printable characters a line, each line one
    character further on, CR LF; 95 lines, then it repeats."""
    chars = bytes(range(32, 127))
    return b"".join((chars * 2)[i:i + 72] + b"\r\n" for i in range(95))


def recv_only():
    """Read a.bytes from the peer (checking the chargen pattern), close.
    Closing with unread data makes the kernel send RST: the server learns
    we are gone either way."""
    period = chargen_period()
    buf = bytearray(1 << 20)
    view = memoryview(buf)
    # the pattern from any offset in one period, long enough for one recv
    want = period * (len(buf) // len(period) + 2)
    s = socket.create_connection((a.host, a.port), timeout=a.timeout)
    s.settimeout(a.timeout)
    got, bad, err = 0, -1, None
    start = time.monotonic()
    try:
        while got < a.bytes:
            n = s.recv_into(view[:min(len(buf), a.bytes - got)])
            if n == 0:
                break
            if a.chargen and bad < 0:
                off = got % len(period)
                if view[:n] != want[off:off + n]:
                    bad = got + next(i for i in range(n) if buf[i] != want[off + i])
            got += n
    except Exception as e:  # noqa
        err = repr(e)
    elapsed = time.monotonic() - start
    s.close()
    print(f"received {got} bytes in {elapsed:.2f}s ({got * 8 / elapsed / 1e9:.2f} Gbit/s), "
          f"pattern {'not checked' if not a.chargen else 'intact' if bad < 0 else f'wrong at byte {bad}'}, "
          f"errors {[err] if err else []}")
    sys.exit(0 if got == a.bytes and bad < 0 and not err else 1)


if a.recv:
    recv_only()

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
        if a.plain:
            d = block[:min(chunk, left)]
        else:
            # vary the data: block rotated by i, so no two chunks are equal
            d = (block[i % chunk:] + block[:i % chunk])[:min(chunk, left)]
            sent_hash.update(d)
        s.sendall(d)
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
          f"sha256 {'not computed' if a.plain else sent_hash.hexdigest()[:16]}, errors {err}")
else:
    ok = ok and received == a.bytes and sent_hash.digest() == recv_hash.digest()
    print(f"sent {a.bytes} received {received} in {elapsed:.2f}s "
          f"({a.bytes * 8 / elapsed / 1e9:.2f} Gbit/s each way), sha256 sent "
          f"{sent_hash.hexdigest()[:16]} received {recv_hash.hexdigest()[:16]}, errors {err}")
sys.exit(0 if ok else 1)
