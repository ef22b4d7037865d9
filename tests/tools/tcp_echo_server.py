#!/usr/bin/env python3
"""A kernel-TCP echo server for tests: listen on ADDR:PORT, echo every
connection until its EOF, then close it. Exits after --conns connections
or --timeout seconds, whichever is first (bounded)."""
import argparse, socket, threading, sys

p = argparse.ArgumentParser()
p.add_argument("addr"); p.add_argument("port", type=int)
p.add_argument("--conns", type=int, default=1)
p.add_argument("--timeout", type=float, default=120)
a = p.parse_args()

ls = socket.socket()
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

threads = []
try:
    for _ in range(a.conns):
        c, _ = ls.accept()
        t = threading.Thread(target=echo, args=(c,))
        t.start()
        threads.append(t)
except socket.timeout:
    sys.exit(1)
for t in threads:
    t.join(a.timeout)
