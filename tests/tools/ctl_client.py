#!/usr/bin/env python3
"""Talk to an axnet control socket the way a careless or hostile client
would. Every wait is bounded.

  ctl_client.py send SOCK REQUEST [--no-eof] [--timeout S]
      send REQUEST (Python bytes escapes: "st\\x00ats\\n"), shut down our
      side unless --no-eof, print every line that comes back until the
      server closes; "TIMEOUT" if it does not within S seconds (exit 1).
  ctl_client.py stall SOCK REQUEST --seconds S
      send REQUEST and never read the answer; print "closed after T s"
      when the server hangs up (within S seconds), else "open after S s"
      (exit 1).
  ctl_client.py hold SOCK N --seconds S [--ready FILE]
      open N connections and send nothing; touch FILE once all are open;
      then wait up to S seconds for the server to close them, and print
      "closed C of N" and each distinct line they got, with its count."""
import argparse, os, select, socket, sys, time

p = argparse.ArgumentParser()
p.add_argument("mode", choices=["send", "stall", "hold"])
p.add_argument("sock")
p.add_argument("arg")
p.add_argument("--no-eof", action="store_true")
p.add_argument("--timeout", type=float, default=5)
p.add_argument("--seconds", type=float, default=5)
p.add_argument("--ready")
a = p.parse_args()

if a.mode == "send":
    req = a.arg.encode().decode("unicode_escape").encode("latin-1")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(a.sock)
    s.sendall(req)
    if not a.no_eof:
        s.shutdown(socket.SHUT_WR)
    s.settimeout(a.timeout)
    got = b""
    try:
        while True:
            try:
                c = s.recv(65536)
            except ConnectionResetError:
                # The server closed with our excess bytes unread: the
                # lines before the reset are its answer.
                break
            if not c:
                break
            got += c
    except socket.timeout:
        sys.stdout.write(got.decode(errors="replace"))
        print("TIMEOUT")
        sys.exit(1)
    sys.stdout.write(got.decode(errors="replace"))
    sys.exit(0)

if a.mode == "stall":
    req = a.arg.encode().decode("unicode_escape").encode("latin-1")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(a.sock)
    s.sendall(req)
    t0 = time.monotonic()
    po = select.poll()
    po.register(s, select.POLLHUP)  # POLLIN not asked: we read nothing
    while time.monotonic() - t0 < a.seconds:
        if any(ev & (select.POLLHUP | select.POLLERR) for _, ev in po.poll(100)):
            print(f"closed after {time.monotonic() - t0:.1f} s")
            sys.exit(0)
    print(f"open after {a.seconds:g} s")
    sys.exit(1)

n = int(a.arg)
socks = []
for _ in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(a.sock)
    s.setblocking(False)
    socks.append(s)
if a.ready:
    open(a.ready, "w").close()
got = {s: b"" for s in socks}
open_ = set(socks)
end = time.monotonic() + a.seconds
while open_ and time.monotonic() < end:
    r, _, _ = select.select(list(open_), [], [], 0.2)
    for s in r:
        try:
            c = s.recv(4096)
        except OSError:
            c = b""
        if c:
            got[s] += c
        else:
            open_.discard(s)
print(f"closed {n - len(open_)} of {n}")
lines = {}
for s in socks:
    for line in got[s].decode(errors="replace").splitlines():
        lines[line] = lines.get(line, 0) + 1
for line, k in sorted(lines.items()):
    print(f"{k} {line}")
