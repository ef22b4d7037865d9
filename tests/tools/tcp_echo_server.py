#!/usr/bin/env python3
"""A kernel-TCP echo server for tests: listen on ADDR:PORT (IPv4 or IPv6), echo every
connection until its EOF, then close it. --mode discard reads until EOF;
--mode chargen sends RFC 864's pattern until the peer goes (the kernel
counterparts of axnet's services, for benchmarks). Exits after --conns
connections or --timeout seconds, whichever is first (bounded)."""
import argparse, socket, threading, sys

p = argparse.ArgumentParser()
p.add_argument("addr"); p.add_argument("port", type=int)
p.add_argument("--conns", type=int, default=1)
p.add_argument("--timeout", type=float, default=120)
p.add_argument("--mode", choices=("echo", "discard", "chargen"), default="echo")
a = p.parse_args()

ls = socket.socket(socket.AF_INET6 if ":" in a.addr else socket.AF_INET)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((a.addr, a.port))
ls.listen(128)
ls.settimeout(a.timeout)
print("listening", flush=True)

def echo(c):
    c.settimeout(a.timeout)
    try:
        while True:
            d = c.recv(1 << 20)
            if not d:
                break
            c.sendall(d)
        c.shutdown(socket.SHUT_WR)
    finally:
        c.close()


def discard(c):
    c.settimeout(a.timeout)
    buf = bytearray(1 << 20)
    try:
        while c.recv_into(buf):
            pass
    finally:
        c.close()


def chargen(c):
    """Whole periods of the pattern, as axnet's chargen writes them."""
    chars = bytes(range(32, 127))
    block = b"".join((chars * 2)[i:i + 72] + b"\r\n" for i in range(95)) * 9
    c.settimeout(a.timeout)
    try:
        while True:
            c.sendall(block)
    except OSError:
        pass  # the reader closed: RST or EPIPE
    finally:
        c.close()


serve = {"echo": echo, "discard": discard, "chargen": chargen}[a.mode]

threads = []
try:
    for _ in range(a.conns):
        c, _ = ls.accept()
        t = threading.Thread(target=serve, args=(c,))
        t.start()
        threads.append(t)
except socket.timeout:
    sys.exit(1)
for t in threads:
    t.join(a.timeout)
